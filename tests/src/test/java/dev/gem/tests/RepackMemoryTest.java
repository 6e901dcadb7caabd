package dev.gem.tests;

import dev.gem.engine.Model;
import dev.gem.engine.ModelOptions;
import dev.gem.engine.PhysicalMemory;
import dev.gem.engine.Session;
import dev.gem.kernels.ScalarKernels;
import dev.gem.kernels.ThreadPool;
import dev.gem.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongFunction;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Repacked copies live in an arena the model owns: no JVM limit applies to it (collector-managed native memory is
 * capped by -XX:MaxDirectMemorySize, a quarter of RAM by default, which stopped models of a few GB from repacking), it
 * is freed when the model is closed, and when memory does run out the model still loads and runs zero-copy and says
 * why it is slower.
 */
class RepackMemoryTest {
    @TempDir
    Path tmp;

    /**
     * gem.jar under an 8 KiB -XX:MaxDirectMemorySize (smaller than any copy), on a model whose every matrix repacks at
     * 128 bits: no warning, and the same text as without the limit. (With collector-managed copies this run warned and
     * fell back to the slower kernels, and llama-1b Q8_0 under -Xmx512m repacked only part of its 1.3 GB.)
     */
    @Test
    void theJvmsDirectMemoryLimitDoesNotStopRepacking() throws Exception {
        Path model = tinyQ4_0();
        Run free = gem(List.of(), model), capped = gem(List.of("-XX:MaxDirectMemorySize=8k"), model);
        assertEquals(0, free.code, free.err);
        assertEquals(0, capped.code, capped.err);
        assertFalse(capped.err.contains("WARNING") || capped.err.contains("Exception"), "every matrix repacked: " + capped.err);
        assertEquals(free.out, capped.out, "the same text as without the limit");
        assertNotEquals(gem(List.of(), model, "--no-repack").out, free.out,
                "the run is one that repacks (zero-copy rounds activations differently, and its text differs)");
    }

    /** Kernels that keep every copy they were given, to see what the model does with them. */
    static final class Recording extends ScalarKernels {
        final List<MemorySegment> copies = java.util.Collections.synchronizedList(new ArrayList<>());
        final AtomicInteger asked = new AtomicInteger();
        int failAt = -1;

        @Override
        public boolean prepare(ThreadPool pool, Tensor w, LongFunction<MemorySegment> memory) {
            if (asked.incrementAndGet() == failAt) throw new OutOfMemoryError("Unable to allocate 17825840 bytes (test)");
            copies.add(memory.apply(w.byteSize()));
            return false;
        }
    }

    /**
     * Closing a model frees its copies at once, not at the collector's next run: an application that loads and closes
     * models does not grow (llama-1b Q4_0 loaded and closed three times: resident memory after each close 885, 1590,
     * 1660 MB with collector-managed copies; 267, 456, 530 MB now, the rest being heap).
     */
    @Test
    void closingAModelFreesItsCopies() throws IOException {
        Recording k = new Recording();
        try (Model m = Model.load(TestData.model("stories260K.gguf"), ModelOptions.defaults().withThreads(2).withKernels(k))) {
            assertFalse(k.copies.isEmpty());
            for (MemorySegment c : k.copies) assertTrue(c.scope().isAlive(), "alive while the model is open");
        }
        for (MemorySegment c : k.copies) assertFalse(c.scope().isAlive(), "freed at close");
    }

    /**
     * Memory that runs out at the third copy stops repacking there, with one warning that counts what stays unpacked;
     * the model runs zero-copy. One thread, so that "there" is exact (with more, each finishes the matrix it has).
     */
    @Test
    void repackingStopsAtTheFirstCopyThatDoesNotFit() throws IOException {
        List<String> warnings = new ArrayList<>();
        Handler h = new Handler() {
            @Override public void publish(LogRecord r) { warnings.add(r.getMessage()); }
            @Override public void flush() {}
            @Override public void close() {}
        };
        Logger log = Logger.getLogger(Model.class.getName());
        log.addHandler(h);
        Recording k = new Recording();
        k.failAt = 3;
        float[] logits, reference;
        try (Model m = Model.load(TestData.model("stories260K.gguf"), ModelOptions.defaults().withThreads(1).withKernels(k));
             Session s = m.newSession()) {
            logits = s.feed(new int[] {1, 403}).clone();
        } finally {
            log.removeHandler(h);
        }
        assertEquals(3, k.asked.get(), "repacking stops at the first copy that does not fit");
        assertEquals(1, warnings.size(), "one warning");
        assertTrue(warnings.get(0).contains("(test)") && warnings.get(0).contains("34 of 36 matrices")
                && warnings.get(0).contains("--no-repack"), warnings.get(0));
        try (Model m = Model.load(TestData.model("stories260K.gguf"),
                ModelOptions.defaults().withThreads(2).withKernels(new ScalarKernels()).withRepack(false));
             Session s = m.newSession()) {
            reference = s.feed(new int[] {1, 403});
        }
        assertArrayEquals(reference, logits, 0f, "same results as a zero-copy model");
    }

    /**
     * Linux overcommits: a copy larger than the physical memory left is allocated without complaint, and the process is
     * killed later (llama-1b Q4_0 in a cgroup of 800 MB: killed, exit 137, no message). So the copies get the room
     * physical memory leaves, largest first, smaller ones filling what is left; the rest stay zero-copy, with a
     * warning that says what would not fit.
     */
    @Test
    void copiesStayWithinTheRoomPhysicalMemoryLeaves() throws IOException {
        Recording all = new Recording();
        try (Model m = Model.load(TestData.model("stories260K.gguf"), ModelOptions.defaults().withThreads(1).withKernels(all))) {
            assertEquals(36, all.copies.size());
        }
        long largest = all.copies.stream().mapToLong(MemorySegment::byteSize).max().orElseThrow();
        long smallest = all.copies.stream().mapToLong(MemorySegment::byteSize).min().orElseThrow();
        long room = largest + smallest;
        List<String> warnings = new ArrayList<>();
        Recording k = new Recording();
        String before = System.setProperty(Model.REPACK_MEMORY, Long.toString(room));
        Handler h = collect(warnings);
        try (Model m = Model.load(TestData.model("stories260K.gguf"), ModelOptions.defaults().withThreads(2).withKernels(k))) {
            assertEquals(36, k.asked.get(), "every matrix is offered");
        } finally {
            Logger.getLogger(Model.class.getName()).removeHandler(h);
            if (before == null) System.clearProperty(Model.REPACK_MEMORY);
            else System.setProperty(Model.REPACK_MEMORY, before);
        }
        long taken = k.copies.stream().mapToLong(MemorySegment::byteSize).sum();
        assertTrue(taken <= room, taken + " bytes of copies in a room of " + room);
        assertTrue(k.copies.size() >= 2, "the largest and then the smallest fit: " + k.copies.size());
        assertTrue(k.copies.size() < 36);
        assertEquals(1, warnings.size(), "one warning: " + warnings);
        String w = warnings.get(0);
        assertTrue(w.contains((36 - k.copies.size()) + " of 36 matrices") && w.contains(Model.REPACK_MEMORY)
                && w.contains("--no-repack"), w);
    }

    /** gem.jar with no room for copies runs exactly as with --no-repack, and says why it is slower. */
    @Test
    void noRoomRunsZeroCopy() throws Exception {
        Path model = tinyQ4_0();
        Run none = gem(List.of("-D" + Model.REPACK_MEMORY + "=0"), model), zeroCopy = gem(List.of(), model, "--no-repack");
        assertEquals(0, none.code, none.err);
        assertEquals(zeroCopy.out, none.out);
        assertTrue(none.err.contains("WARNING") && none.err.contains("matrices stay in the file's layout")
                && none.err.contains("room for 0 MB"), none.err);
        Run bad = gem(List.of("-D" + Model.REPACK_MEMORY + "=lots"), model);
        assertNotEquals(0, bad.code);
        assertTrue(bad.err.contains(Model.REPACK_MEMORY + ": 'lots' is not a size"), bad.err);
    }

    @Test
    void readsMemAvailable() {
        String meminfo = "MemTotal:       24684092 kB\nMemFree:        24214836 kB\nMemAvailable:   24233252 kB\n";
        assertEquals(24233252L * 1024, PhysicalMemory.field(meminfo, "MemAvailable"));
        assertEquals(24684092L * 1024, PhysicalMemory.field(meminfo, "MemTotal"));
        assertEquals(-1, PhysicalMemory.field(meminfo, "SwapTotal"));
        assertEquals(-1, PhysicalMemory.field("MemAvailable: many kB\n", "MemAvailable"));
        long here = PhysicalMemory.available();
        assertTrue(here == -1 || here > 0, "available: " + here);
    }

    private static Handler collect(List<String> into) {
        Handler h = new Handler() {
            @Override public void publish(LogRecord r) { into.add(r.getMessage()); }
            @Override public void flush() {}
            @Override public void close() {}
        };
        Logger.getLogger(Model.class.getName()).addHandler(h);
        return h;
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
