package dev.gem.kernels;

import dev.gem.kernels.simd.VectorKernels;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Backend choice happens once per JVM, so its start-up behaviour is tested in child JVMs: each runs
 * {@link BackendProbe} with other options. (Runs in the default surefire execution only.)
 */
class BackendStartupTest {

    private record Result(int exit, String out, String err) {}

    private static Result run(String... options) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xshare:auto");
        cmd.add("-XX:TieredStopAtLevel=1"); // fast start; a forced width does not ask about C2
        cmd.addAll(List.of(options));
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(BackendProbe.class.getName());
        Process p = new ProcessBuilder(cmd).start();
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        byte[] err = p.getErrorStream().readAllBytes();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "child JVM did not finish");
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
    }

    @Test
    void malformedWidthIsAClearError() throws Exception {
        Result r = run("--add-modules", "jdk.incubator.vector", "-Dgem.vectorBits=banana");
        assertNotEquals(0, r.exit(), r.out());
        assertTrue(r.err().contains("-Dgem.vectorBits must be 0, 128, 256 or 512, not 'banana'"), r.err());
    }

    @Test
    void unknownWidthIsAClearError() throws Exception {
        Result r = run("--add-modules", "jdk.incubator.vector", "-Dgem.vectorBits=384");
        assertNotEquals(0, r.exit(), r.out());
        assertTrue(r.err().contains("-Dgem.vectorBits must be 0, 128, 256 or 512, not 384"), r.err());
    }

    @Test
    void widthTheCpuLacksIsAClearError() throws Exception {
        // MaxVectorSize=16 makes this JVM see a 128-bit machine, like ARM NEON.
        Result r = run("--add-modules", "jdk.incubator.vector", "-XX:MaxVectorSize=16", "-Dgem.vectorBits=256");
        assertNotEquals(0, r.exit(), r.out());
        assertTrue(r.err().contains("at most 128 bits"), r.err());
    }

    @Test
    void forcedWidthIsUsedOnANarrowMachine() throws Exception {
        Result r = run("--add-modules", "jdk.incubator.vector", "-XX:MaxVectorSize=16", "-Dgem.vectorBits=128");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().startsWith("vector-128 128 |"), r.out());
    }

    @Test
    void vectorWidthWithoutTheModuleIsAClearError() throws Exception {
        Result r = run("-Dgem.vectorBits=" + Math.min(256, VectorKernels.maxBits()));
        assertNotEquals(0, r.exit(), r.out());
        assertTrue(r.err().contains("--add-modules jdk.incubator.vector"), r.err());
    }

    @Test
    void scalarCanBeForced() throws Exception {
        Result r = run("--add-modules", "jdk.incubator.vector", "-Dgem.vectorBits=0");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().startsWith("scalar 0 |"), r.out());
    }
}
