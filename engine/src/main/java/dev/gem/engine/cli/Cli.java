package dev.gem.engine.cli;

import dev.gem.format.ModelFileException;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;

/** Runs the gem command line: parses arguments with picocli and turns failures into one clear line and an exit code. */
public final class Cli {
    private Cli() {}

    public static int run(String[] args) {
        System.setProperty("java.util.logging.SimpleFormatter.format", "gem: %4$s: %5$s%6$s%n");
        PrintWriter out = new PrintWriter(new java.io.OutputStreamWriter(System.out, StandardCharsets.UTF_8), true);
        PrintWriter err = new PrintWriter(new java.io.OutputStreamWriter(System.err, StandardCharsets.UTF_8), true);
        CommandLine cl = new CommandLine(new GemCommand())
                .setOut(out)
                .setErr(err)
                .setCaseInsensitiveEnumValuesAllowed(true)
                .setExecutionExceptionHandler((e, cmd, parsed) -> {
                    cmd.getErr().println("gem: error: " + describe(e));
                    if (Boolean.getBoolean("gem.debug")) e.printStackTrace(cmd.getErr());
                    return 1;
                })
                .setParameterExceptionHandler((e, a) -> {
                    CommandLine cmd = e.getCommandLine();
                    cmd.getErr().println("gem: " + e.getMessage());
                    cmd.getErr().println("Try '" + cmd.getCommandSpec().qualifiedName() + " --help' for the options.");
                    return 2;
                });
        return cl.execute(args);
    }

    static String describe(Throwable e) {
        if (e instanceof NoSuchFileException n) return "file not found: " + n.getFile();
        if (e instanceof java.nio.file.AccessDeniedException a) return "permission denied: " + a.getFile();
        if (e instanceof ModelFileException) return e.getMessage();
        if (e instanceof IOException) return e.getMessage() == null ? e.toString() : e.getMessage();
        if (e instanceof IllegalArgumentException || e instanceof IllegalStateException || e instanceof UnsupportedOperationException)
            return e.getMessage();
        if (e instanceof OutOfMemoryError)
            return "out of memory (" + e.getMessage() + "); try a smaller --ctx-size or give the JVM more heap with -Xmx";
        return e.toString();
    }
}
