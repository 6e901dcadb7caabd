package dev.gem.tests;

import dev.gem.engine.Model;
import dev.gem.engine.ModelOptions;
import dev.gem.engine.Session;
import dev.gem.format.GgufFile;
import dev.gem.tensor.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Tiny Hugging Face folders (BF16 safetensors of random weights, written by tests/fixtures/HuggingFaceFixtures.java:
 * Llama 3.1, Qwen2, Qwen3, Gemma 2 and Mixtral / Qwen2-MoE / Qwen3-MoE / OLMoE with cut-down Llama 3 / Qwen tokenizers;
 * Llama 2 and Phi-3 with the real Llama 2 tokenizer.model; YaRN and Phi-3 long-context variants, see
 * {@link HuggingFaceFolders}) run directly and through {@code gem convert}, against each other and against llama.cpp
 * on the converted file. Regenerate with tests/fixtures/regenerate-import.sh.
 */
class HuggingFaceImportTest {
    static final int[] TOKENS = ArchitectureFixturesTest.TOKENS;
    /** llama.cpp's reference context (node-llama-cpp contextSize 64); GEM runs with the same. */
    static final int CONTEXT = 64;

    @TempDir
    Path tmp;

    /** A committed fixture folder, as it is. */
    static Path folder(String name) {
        return ArchitectureFixturesTest.fixture(name);
    }

    /** The folder of a fixture: committed as it is, or assembled in the temp folder (tokenizer.model, config edits). */
    Path modelFolder(String name) throws IOException {
        if (!HuggingFaceFolders.assembled(name)) return ArchitectureFixturesTest.fixture(name);
        Path assembled = tmp.resolve("folders").resolve(name);
        if (Files.isDirectory(assembled)) return assembled;
        return HuggingFaceFolders.assemble(name, ArchitectureFixturesTest.fixture(""), TestData.root(), tmp.resolve("folders"));
    }

    /** Logits after each of {@code positions} tokens (TOKENS, repeated), fed one at a time, in a context of CONTEXT. */
    static float[][] logits(Path model, int positions) throws IOException {
        return logits(model, positions, CONTEXT);
    }

    static float[][] logits(Path model, int positions, int context) throws IOException {
        try (Model m = Model.load(model, ModelOptions.defaults().withKvType(DType.F32).withThreads(2).withContextSize(context)); Session s = m.newSession()) {
            float[][] rows = new float[positions][];
            for (int i = 0; i < positions; i++) rows[i] = s.feed(new int[]{TOKENS[i % TOKENS.length]}).clone();
            return rows;
        }
    }

    static float[][] logits(Path model) throws IOException {
        return logits(model, TOKENS.length);
    }

    Path convert(String name, String type) throws IOException {
        Path out = tmp.resolve(name + "-" + type + ".gguf");
        CliTest.Run r = CliTest.run("convert", modelFolder(name).toString(), "-o", out.toString(), "--type", type);
        assertEquals(0, r.code(), r.err());
        return out;
    }

    /** The folder run directly is the file the converter would write: same tensors, same dtypes, same logits to the bit. */
    @ParameterizedTest
    @ValueSource(strings = {"hf-llama", "hf-qwen2", "hf-qwen3", "hf-gemma2", "hf-llama2", "hf-phi3", "hf-phi3-long", "hf-qwen2-yarn",
            "hf-mixtral", "hf-qwen2moe", "hf-qwen3moe", "hf-olmoe"})
    void folderAndConvertedFileGiveIdenticalLogits(String name) throws IOException {
        Path gguf = convert(name, "auto");
        try (GgufFile f = GgufFile.open(gguf)) {
            assertEquals(DType.BF16, f.require("token_embd.weight").type(), "auto keeps the checkpoint's BF16");
            assertEquals(DType.F32, f.require("blk.0.attn_norm.weight").type(), "norms are written as F32");
            assertEquals(32, f.metadata().getInt("general.file_type"), "MOSTLY_BF16");
        }
        float[][] direct = logits(modelFolder(name)), converted = logits(gguf);
        for (int i = 0; i < TOKENS.length; i++) assertArrayEquals(direct[i], converted[i], name + " position " + i);
    }

    /**
     * llama.cpp (node-llama-cpp's CPU build, F32 KV cache) ran the F32 conversion of each folder; GEM on the same
     * conversion agrees to 1e-4 at every position, as for the GGUF fixtures. F32 so that llama.cpp keeps float
     * activations (with BF16 weights it rounds activations to BF16). The YaRN and Phi-3-long variants run 40
     * positions, past YaRN's original context of 32; llama.cpp's context (64, padded to 256) exceeds Phi-3-long's
     * original 128, so it uses the long factors, and GEM, given the same context, does too.
     */
    @ParameterizedTest
    @ValueSource(strings = {"hf-llama", "hf-qwen2", "hf-qwen3", "hf-gemma2", "hf-llama2", "hf-phi3", "hf-phi3-long", "hf-qwen2-yarn",
            "hf-mixtral", "hf-qwen2moe", "hf-qwen3moe", "hf-olmoe"})
    void convertedFileMatchesLlamaCpp(String name) throws IOException {
        float[][] expected = ArchitectureFixturesTest.logitRows(ArchitectureFixturesTest.fixture(name + ".logits.txt"));
        float[][] got = logits(convert(name, "f32"), expected.length);
        double worst = 0;
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i].length, got[i].length);
            for (int t = 0; t < got[i].length; t++) worst = Math.max(worst, Math.abs(got[i][t] - expected[i][t]));
        }
        assertTrue(worst <= 1e-4, name + ": logits differ from llama.cpp by " + worst);
    }

    /**
     * An independent check of the q/k permutation: Hugging Face's Llama and Qwen2 differ only in biases (absent here),
     * so the same checkpoint read as Qwen2 (rotate-half RoPE, q/k as stored) must predict what the Llama conversion
     * (interleaved RoPE, permuted q/k) predicts. Without llama3 RoPE scaling, which only the Llama path applies.
     */
    @Test
    void llamaPermutationMatchesRotateHalfRope() throws IOException {
        Path asLlama = copy("hf-llama", "as-llama"), asQwen = copy("hf-llama", "as-qwen2");
        String config = Files.readString(asLlama.resolve("config.json"));
        String plain = config.replaceAll("(?s),\\s*\"rope_scaling\"\\s*:\\s*\\{[^}]*}", "");
        assertNotEquals(config, plain, "the fixture has rope_scaling to remove");
        Files.writeString(asLlama.resolve("config.json"), plain);
        Files.writeString(asQwen.resolve("config.json"), plain.replace("LlamaForCausalLM", "Qwen2ForCausalLM"));
        float[][] llama = logits(asLlama), qwen = logits(asQwen);
        double worst = 0;
        for (int i = 0; i < TOKENS.length; i++)
            for (int t = 0; t < llama[i].length; t++) worst = Math.max(worst, Math.abs(llama[i][t] - qwen[i][t]));
        assertTrue(worst <= 1e-5, "permuted Llama and rotate-half Qwen2 readings differ by " + worst);
        // and the llama3 scaling does change the result, so the fixture exercises rope_freqs
        float[][] scaled = logits(folder("hf-llama"));
        double moved = 0;
        for (int i = 0; i < TOKENS.length; i++)
            for (int t = 0; t < llama[i].length; t++) moved = Math.max(moved, Math.abs(llama[i][t] - scaled[i][t]));
        assertTrue(moved > 1e-3, "rope_freqs should change the logits, changed by " + moved);
    }

    /**
     * The scaled fixtures really exercise their scaling: YaRN moves the logits against the same folder without
     * rope_scaling, and Phi-3 switches from its short to its long factors when the context exceeds the original one.
     */
    @Test
    void ropeScalingsChangeTheLogits() throws IOException {
        Path yarn = modelFolder("hf-qwen2-yarn"), plain = copy("hf-qwen2-yarn", "no-yarn");
        String config = Files.readString(plain.resolve("config.json"));
        String unscaled = config.replaceAll("(?s),\\s*\"rope_scaling\"\\s*:\\s*\\{[^}]*}", "");
        assertNotEquals(config, unscaled);
        Files.writeString(plain.resolve("config.json"), unscaled);
        assertTrue(maxDifference(logits(yarn, 40), logits(plain, 40)) > 1e-2, "YaRN should change the logits");
        Path phi3 = modelFolder("hf-phi3");
        double moved = maxDifference(logits(phi3, 10, 64), logits(phi3, 10, 8192));
        assertTrue(moved > 1e-3, "a context over the original 4096 should switch to the long factors; logits moved by " + moved);
        assertEquals(0, maxDifference(logits(phi3, 10, 64), logits(phi3, 10, 4096)), "up to the original context the short factors stay");
    }

    private static double maxDifference(float[][] a, float[][] b) {
        double worst = 0;
        for (int i = 0; i < a.length; i++)
            for (int t = 0; t < a[i].length; t++) worst = Math.max(worst, Math.abs(a[i][t] - b[i][t]));
        return worst;
    }

    private Path copy(String name, String to) throws IOException {
        Path dst = Files.createDirectories(tmp.resolve(to));
        try (Stream<Path> files = Files.list(modelFolder(name))) {
            for (Path p : files.toList()) Files.copy(p, dst.resolve(p.getFileName()));
        }
        return dst;
    }

    @Test
    void unsupportedArchitectureIsAClearError() throws IOException {
        Path odd = copy("hf-qwen2", "odd");
        Files.writeString(odd.resolve("config.json"), Files.readString(odd.resolve("config.json")).replace("Qwen2ForCausalLM", "MambaForCausalLM"));
        CliTest.Run r = CliTest.run("convert", odd.toString(), "-o", tmp.resolve("odd.gguf").toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("architecture MambaForCausalLM is not supported") && r.err().contains("LlamaForCausalLM"), r.err());
        assertFalse(Files.exists(tmp.resolve("odd.gguf")));
    }
}
