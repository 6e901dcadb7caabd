package dev.gem.tests;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The shipped jar, run the way a newcomer runs it: {@code java -jar gem.jar} with no JVM flags. It must pick the
 * SIMD kernels (by relaunching with the incubator module) and print no JVM warning noise.
 * Runs in the verify phase's test step of this module, after the engine module has packaged the jar.
 */
class JarLauncherTest {
    static Path jar() {
        Path p = Path.of("..", "engine", "target", "gem.jar");
        assertTrue(Files.isRegularFile(p), "gem.jar not built at " + p.toAbsolutePath() + " (run mvn verify, which packages the engine first)");
        return p;
    }

    record Result(int code, String out, String err) {}

    static Result java(String... args) throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new java.util.ArrayList<>(List.of(java, "-jar", jar().toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).start();
        byte[] out = p.getInputStream().readAllBytes();
        byte[] err = p.getErrorStream().readAllBytes();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "gem.jar did not finish");
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
    }

    @Test
    void versionUsesVectorKernelsWithoutFlags() throws Exception {
        Result r = java("--version");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("kernels: vector-"), r.out());
        assertFalse(r.err().contains("WARNING"), "no JVM warnings: " + r.err());
    }

    @Test
    void noArgumentsTellsAStoryFromTheEmbeddedModel() throws Exception {
        Result r = java("-n", "40", "-s", "7");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().strip().split("\\s+").length >= 10, "a story: " + r.out());
        assertFalse(r.err().contains("WARNING"), "no JVM warnings: " + r.err());
        assertTrue(r.err().contains("generated: 40 tokens") || r.err().contains("stop: end of generation"), r.err());
    }

    @Test
    void badFlagExitsNonZeroThroughTheLauncher() throws Exception {
        Result r = java("--bogus");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--bogus"), r.err());
    }
}
