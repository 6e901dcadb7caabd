package dev.gem.tests;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Assembles the Hugging Face fixture folders that are not committed whole: Llama 2 and Phi-3 get the 500 KB Llama 2
 * tokenizer.model from ../shared/testdata, and RoPE-scaling variants are a committed folder with an edited config.json
 * (YaRN on Qwen2 with a 32-position original context; Phi-3 with a 128-position original context, so that llama.cpp's
 * padded context of 256 picks the long factors). Used by the tests and by tests/fixtures/regenerate-import.sh:
 *
 *   java -cp engine/target/gem.jar tests/src/test/java/dev/gem/tests/HuggingFaceFolders.java NAME FIXTURES TESTDATA OUT_DIR
 */
public final class HuggingFaceFolders {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Folders whose tokenizer is the Llama 2 SentencePiece model. */
    private static final java.util.Set<String> SENTENCEPIECE = java.util.Set.of("hf-llama2", "hf-phi3");
    /** Variant name to the committed folder it edits. */
    private static final Map<String, String> VARIANTS = Map.of("hf-qwen2-yarn", "hf-qwen2", "hf-phi3-long", "hf-phi3");

    private HuggingFaceFolders() {}

    public static void main(String[] args) throws IOException {
        System.out.println(assemble(args[0], Path.of(args[1]), Path.of(args[2]), Path.of(args[3])));
    }

    /** True when {@code name} must be assembled rather than read from the fixtures folder as it is. */
    static boolean assembled(String name) {
        return SENTENCEPIECE.contains(name) || VARIANTS.containsKey(name);
    }

    /** Writes folder {@code name} into {@code outDir} and returns it. */
    static Path assemble(String name, Path fixtures, Path testdata, Path outDir) throws IOException {
        String base = VARIANTS.getOrDefault(name, name);
        Path dst = Files.createDirectories(outDir.resolve(name));
        try (Stream<Path> files = Files.list(fixtures.resolve(base))) {
            for (Path p : files.toList()) Files.copy(p, dst.resolve(p.getFileName()));
        }
        if (SENTENCEPIECE.contains(base))
            Files.copy(testdata.resolve("tokenizers/llama2/tokenizer.model"), dst.resolve("tokenizer.model"));
        Path config = dst.resolve("config.json");
        ObjectNode c = (ObjectNode) JSON.readTree(config.toFile());
        switch (name) {
            case "hf-qwen2-yarn" -> {
                // theta 100 spreads YaRN's ramp over pairs 0-3 of the 8 (at 1e6 it would cover one pair)
                c.put("rope_theta", 100.0).put("max_position_embeddings", 128);
                c.putObject("rope_scaling").put("type", "yarn").put("factor", 4.0).put("original_max_position_embeddings", 32);
            }
            case "hf-phi3-long" -> c.put("max_position_embeddings", 512).put("original_max_position_embeddings", 128);
            default -> { }
        }
        JSON.writerWithDefaultPrettyPrinter().writeValue(config.toFile(), c);
        return dst;
    }
}
