package dev.gem.tests;

import dev.gem.engine.Model;
import dev.gem.engine.ModelOptions;
import dev.gem.engine.Session;
import dev.gem.kernels.ScalarKernels;
import dev.gem.kernels.ThreadPool;
import dev.gem.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Repacked copies live in native memory, which the JVM caps (-XX:MaxDirectMemorySize). When a copy does not fit, the
 * model must still load and run on the file's layout, and say why it is slower, not die of an OutOfMemoryError.
 */
class RepackMemoryTest {
    /** Kernels whose native memory runs out at the third matrix, as Int8Matrix's allocation does at the cap. */
    static final class ShortOfMemory extends ScalarKernels {
        final List<Tensor> asked = new ArrayList<>();

        @Override
        public boolean prepare(ThreadPool pool, Tensor w) {
            asked.add(w);
            if (asked.size() == 3) throw new OutOfMemoryError("Cannot reserve 17825840 bytes of direct buffer memory (test)");
            return false;
        }
    }

    @Test
    void aCopyThatDoesNotFitLeavesTheRestZeroCopyWithAWarning() throws IOException {
        List<String> warnings = new ArrayList<>();
        Handler h = new Handler() {
            @Override public void publish(LogRecord r) { warnings.add(r.getMessage()); }
            @Override public void flush() {}
            @Override public void close() {}
        };
        Logger log = Logger.getLogger(Model.class.getName());
        log.addHandler(h);
        ShortOfMemory k = new ShortOfMemory();
        float[] logits, reference;
        try (Model m = Model.load(TestData.model("stories260K.gguf"), ModelOptions.defaults().withThreads(2).withKernels(k));
             Session s = m.newSession()) {
            logits = s.feed(new int[] {1, 403}).clone();
        } finally {
            log.removeHandler(h);
        }
        assertEquals(3, k.asked.size(), "repacking stops at the first copy that does not fit");
        assertEquals(1, warnings.size(), "one warning");
        assertTrue(warnings.get(0).contains("MaxDirectMemorySize") && warnings.get(0).contains("--no-repack"),
                "the warning says what to do: " + warnings.get(0));
        try (Model m = Model.load(TestData.model("stories260K.gguf"),
                ModelOptions.defaults().withThreads(2).withKernels(new ScalarKernels()).withRepack(false));
             Session s = m.newSession()) {
            reference = s.feed(new int[] {1, 403});
        }
        assertArrayEquals(reference, logits, 0f, "same results as a zero-copy model");
    }
}
