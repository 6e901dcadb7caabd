package dev.gem.engine.cli;

import dev.gem.kernels.Backend;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Entry point of gem.jar. A jar manifest cannot add the incubator module that the SIMD kernels need, so when
 * {@code jdk.incubator.vector} is missing this launcher starts the same JVM again with
 * {@code --add-modules jdk.incubator.vector} and the same options and arguments, passing standard input and output
 * straight through. The JVM's one-line "Using incubator modules" notice is dropped from the child's standard error;
 * everything else the child writes there is forwarded unchanged.
 */
public final class Main {
    static final String RELAUNCHED = "gem.relaunched";
    private static final String INCUBATOR_NOTICE = "WARNING: Using incubator modules: jdk.incubator.vector";

    private Main() {}

    public static void main(String[] args) throws Exception {
        // -Dgem.vectorBits=0 asks for the scalar kernels, which need no module; any other width does
        if (!Backend.vectorModulePresent() && System.getProperty(RELAUNCHED) == null && !"0".equals(System.getProperty("gem.vectorBits"))) {
            int code;
            try {
                code = relaunch(args);
            } catch (java.io.IOException e) {
                // no child JVM could be started: run here, on the scalar kernels (the backend says so once, loudly)
                System.err.println("gem: could not restart the JVM with --add-modules " + Backend.VECTOR_MODULE + " (" + e.getMessage()
                        + "); continuing without SIMD kernels");
                code = Cli.run(args);
            }
            System.exit(code);
        }
        System.exit(Cli.run(args));
    }

    private static int relaunch(String[] args) throws Exception {
        String java = ProcessHandle.current().info().command()
                .orElse(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
        List<String> cmd = new ArrayList<>();
        cmd.add(java);
        cmd.add("--add-modules");
        cmd.add(Backend.VECTOR_MODULE);
        cmd.add("-D" + RELAUNCHED + "=true");
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (a.startsWith("-agentlib:jdwp")) continue; // a debugger attaches to the parent, not twice
            cmd.add(a);
        }
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(Main.class.getName());
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd)
                .redirectInput(ProcessBuilder.Redirect.INHERIT)
                .redirectOutput(ProcessBuilder.Redirect.INHERIT)
                .start();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            if (p.isAlive()) p.destroy();
        }));
        Thread err = new Thread(() -> forwardStderr(p), "gem-stderr");
        err.setDaemon(true);
        err.start();
        int code = p.waitFor();
        err.join(2000);
        return code;
    }

    /** Copies the child's standard error byte for byte (progress bars need partial lines), minus the JVM notice. */
    private static void forwardStderr(Process p) {
        try (InputStream in = p.getErrorStream()) {
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            int limit = INCUBATOR_NOTICE.length() + 2;
            int b;
            while ((b = in.read()) != -1) {
                head.write(b);
                if (b == '\n' || head.size() > limit) break;
            }
            String first = head.toString(StandardCharsets.UTF_8).stripTrailing();
            if (!first.equals(INCUBATOR_NOTICE)) System.err.write(head.toByteArray());
            System.err.flush();
            byte[] buf = new byte[8192];
            int n;
            while ((n = in.read(buf)) > 0) {
                System.err.write(buf, 0, n);
                System.err.flush();
            }
        } catch (java.io.IOException ignored) {
            // the child exited; nothing more to forward
        }
    }
}
