package dev.gem.tokenizer;

import dev.gem.format.GgufFile;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Paths into ../shared/testdata and the llama.cpp tokenizer test vectors. */
final class TestData {
    private static final Map<String, Tokenizer> LOADED = new ConcurrentHashMap<>();

    private TestData() {}

    static Path root() {
        return Path.of(System.getProperty("gem.testdata", "../../shared/testdata"));
    }

    /** One test string and the ids Hugging Face gives it with add_special_tokens=False. */
    record Vector(int index, String text, int[] ids) {
        @Override public String toString() { return "#" + index + " '" + text + "'"; }
    }

    /**
     * Reads X.gguf.inp/.out as llama.cpp's test-tokenizer-0 does: every string is followed by the separator, so the text
     * after the last one is empty and not a test; .out has one line of space-prefixed ids per string.
     */
    static List<Vector> vectors(String name) {
        try {
            Path dir = root().resolve("vocab");
            String inp = Files.readString(dir.resolve("ggml-vocab-" + name + ".gguf.inp"), StandardCharsets.UTF_8);
            List<String> out = Files.readAllLines(dir.resolve("ggml-vocab-" + name + ".gguf.out"), StandardCharsets.UTF_8);
            String sep = "\n__ggml_vocab_test__\n";
            List<String> texts = new ArrayList<>();
            for (int pos = 0; pos < inp.length(); ) {
                int next = inp.indexOf(sep, pos);
                if (next < 0) {
                    texts.add(inp.substring(pos));
                    break;
                }
                texts.add(inp.substring(pos, next));
                pos = next + sep.length();
            }
            if (texts.size() != out.size()) throw new IllegalStateException(name + ": " + texts.size() + " inputs but " + out.size() + " outputs");
            List<Vector> vectors = new ArrayList<>();
            for (int i = 0; i < texts.size(); i++) {
                String line = out.get(i).strip();
                int[] ids = line.isEmpty() ? new int[0] : Arrays.stream(line.split(" ")).mapToInt(Integer::parseInt).toArray();
                vectors.add(new Vector(i, texts.get(i), ids));
            }
            return vectors;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The tokenizer under a vector-set name: a GGUF vocab from vocab/, or a tokenizer.json for llama-bpe and qwen2. */
    static Tokenizer tokenizer(String name) {
        return LOADED.computeIfAbsent(name, n -> {
            try {
                return switch (n) {
                    case "llama-bpe" -> Tokenizer.fromHuggingFace(root().resolve("tokenizers/llama3/tokenizer.json"));
                    case "qwen2" -> Tokenizer.fromHuggingFace(root().resolve("tokenizers/qwen3/tokenizer.json"));
                    case "stories260K" -> gguf(root().resolve("models/stories260K.gguf"));
                    default -> gguf(root().resolve("vocab/ggml-vocab-" + n + ".gguf"));
                };
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    static Tokenizer gguf(Path path) throws IOException {
        try (GgufFile file = GgufFile.open(path)) {
            return Tokenizer.fromGguf(file.metadata());
        }
    }

    /** Ids with their vocabulary texts, for failure messages. */
    static String show(Tokenizer t, int[] ids) {
        StringBuilder sb = new StringBuilder();
        for (int id : ids) sb.append(id).append(" '").append(id >= 0 && id < t.vocabSize() ? t.token(id) : "?").append("' ");
        return sb.toString().strip();
    }
}
