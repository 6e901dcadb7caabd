package dev.gem.tokenizer;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class SentencePieceModelTest {
    private static Path llama2() { return TestData.root().resolve("tokenizers/llama2/tokenizer.model"); }

    @Test
    void readsEveryPieceWithScoreAndType() throws IOException {
        SentencePieceModel m = SentencePieceModel.read(llama2());
        assertEquals(32000, m.size());
        assertEquals(List.of("<unk>", "<s>", "</s>", "<0x00>"), m.pieces.subList(0, 4));
        assertEquals(SentencePieceModel.PieceType.UNKNOWN, m.types[0]);
        assertEquals(SentencePieceModel.PieceType.CONTROL, m.types[1]);
        assertEquals(SentencePieceModel.PieceType.BYTE, m.types[258]);
        assertEquals("▁t", m.pieces.get(260));
        assertEquals(-1f, m.scores[260]);
    }

    /**
     * protobuf-java's byte-array decoder initializes its sun.misc.Unsafe accessor, which JDK 25 reports on standard
     * error; GEM must read tokenizer.model without touching it (no Unsafe, no warnings at model load).
     */
    @Test
    void readingDoesNotReachProtobufsUnsafeAccessor() throws Exception {
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), ReadOnce.class.getName(), llama2().toString())
                .redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), output);
        assertEquals("32000", output.strip(), "nothing but the piece count is printed");
    }

    static final class ReadOnce {
        public static void main(String[] args) throws IOException {
            System.out.println(SentencePieceModel.read(Path.of(args[0])).size());
        }
    }
}
