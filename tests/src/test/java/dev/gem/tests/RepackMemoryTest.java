package dev.gem.tests;

import dev.gem.engine.Model;
import dev.gem.engine.ModelOptions;
import dev.gem.engine.Session;
import dev.gem.kernels.ScalarKernels;
import dev.gem.kernels.ThreadPool;
import dev.gem.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.LongFunction;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Repacked copies go to native memory, which the JVM caps (-XX:MaxDirectMemorySize, by default a quarter of RAM), and
 * past the cap to mapped temporary files, so a model larger than the cap still repacks without flags. When a copy
 * fits nowhere, the model must still load and run on the file's layout and say why it is slower, not die.
 */
class RepackMemoryTest {
    @TempDir
    Path tmp;

    /**
     * gem.jar under an 8 KiB native memory cap (smaller than any copy), on a 1.8 MB Q4_0 model whose every matrix repacks at 128 bits: the
     * copies past the cap go to temporary files (said once, no warning), and the text is the uncapped run's.
     */
    @Test
    void copiesBeyondTheNativeMemoryCapGoToTemporaryFiles() throws Exception {
        Path model = tinyQ4_0();
        Path files = Files.createDirectory(tmp.resolve("repacked"));
        Run free = gem(List.of(), model), capped = gem(List.of("-XX:MaxDirectMemorySize=8k", "-Djava.io.tmpdir=" + files), model);
        assertEquals(0, free.code, free.err);
        assertEquals(0, capped.code, capped.err);
        assertFalse(free.err.contains("temporary files"), free.err);
        assertTrue(capped.err.contains("native memory limit is reached") && capped.err.contains(files.toString()), capped.err);
        assertFalse(capped.err.contains("WARNING"), "every matrix repacked: " + capped.err);
        assertFalse(capped.err.contains("Exception"), "nothing else fails for want of native memory: " + capped.err);
        assertEquals(free.out, capped.out, "the same text as with the copies in native memory");
        try (var left = Files.list(files)) {
            assertEquals(0, left.count(), "the files are unlinked once mapped");
        }
    }

    /** No native memory and no usable temporary directory: the run completes zero-copy, with a warning that says what to do. */
    @Test
    void copiesThatFitNowhereLeaveTheModelZeroCopyWithAWarning() throws Exception {
        Path model = tinyQ4_0();
        Run zeroCopy = gem(List.of(), model, "--no-repack");
        Run nowhere = gem(List.of("-XX:MaxDirectMemorySize=8k", "-Djava.io.tmpdir=" + tmp.resolve("missing")), model);
        assertEquals(0, nowhere.code, nowhere.err);
        assertTrue(nowhere.err.contains("WARNING") && nowhere.err.contains("java.io.tmpdir")
                && nowhere.err.contains("--no-repack"), "the warning says what to do: " + nowhere.err);
        assertEquals(zeroCopy.out, nowhere.out, "the same text as a zero-copy run");
    }

    /**
     * In process: kernels whose copy memory fails at the third matrix stop repacking there, with one warning that counts
     * what stays unpacked. One thread, so that "there" is exact (with more, each finishes the matrix it has; this stub
     * returns before the failing thread has even built its exception).
     */
    @Test
    void repackingStopsAtTheFirstCopyThatFitsNowhere() throws IOException {
        final class NoRoom extends ScalarKernels {
            final java.util.concurrent.atomic.AtomicInteger asked = new java.util.concurrent.atomic.AtomicInteger();

            @Override
            public boolean prepare(ThreadPool pool, Tensor w, LongFunction<MemorySegment> memory) {
                if (asked.incrementAndGet() == 3) throw new UncheckedIOException(new IOException("No space left on device (test)"));
                return false;
            }
        }
        List<String> warnings = new ArrayList<>();
        Handler h = new Handler() {
            @Override public void publish(LogRecord r) { warnings.add(r.getMessage()); }
            @Override public void flush() {}
            @Override public void close() {}
        };
        Logger log = Logger.getLogger(Model.class.getName());
        log.addHandler(h);
        NoRoom k = new NoRoom();
        float[] logits, reference;
        try (Model m = Model.load(TestData.model("stories260K.gguf"), ModelOptions.defaults().withThreads(1).withKernels(k));
             Session s = m.newSession()) {
            logits = s.feed(new int[] {1, 403}).clone();
        } finally {
            log.removeHandler(h);
        }
        assertEquals(3, k.asked.get(), "repacking stops at the first copy that fits nowhere");
        assertEquals(1, warnings.size(), "one warning");
        assertTrue(warnings.get(0).contains("No space left on device (test)") && warnings.get(0).contains("34 of 36 matrices"),
                warnings.get(0));
        try (Model m = Model.load(TestData.model("stories260K.gguf"),
                ModelOptions.defaults().withThreads(2).withKernels(new ScalarKernels()).withRepack(false));
             Session s = m.newSession()) {
            reference = s.feed(new int[] {1, 403});
        }
        assertArrayEquals(reference, logits, 0f, "same results as a zero-copy model");
    }

    private Path tinyQ4_0() {
        Path model = tmp.resolve("tiny-q4_0.gguf");
        CliTest.Run r = CliTest.run("synth", "--shape", "tiny", "--type", "q4_0", "--seed", "5", "-o", model.toString());
        assertEquals(0, r.code(), r.err());
        return model;
    }

    record Run(int code, String out, String err) {}

    /** gem.jar at 128 bits (where the tiny model's 256-wide rows repack) with extra JVM options, greedy, 24 tokens. */
    static Run gem(List<String> jvm, Path model, String... more) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.addAll(jvm);
        cmd.addAll(List.of("-Dgem.vectorBits=128", "-jar", JarLauncherTest.jar().toString(), "-m", model.toString(),
                "-p", "Once upon a time", "-n", "24", "--temp", "0", "-t", "2"));
        cmd.addAll(List.of(more));
        Process p = new ProcessBuilder(cmd).start();
        byte[] out = p.getInputStream().readAllBytes(), err = p.getErrorStream().readAllBytes();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "gem.jar did not finish");
        return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
    }
}
