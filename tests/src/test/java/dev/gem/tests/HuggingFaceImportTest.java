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
 * Tiny Hugging Face folders (Llama, Qwen2, Qwen3, Gemma 2; BF16 safetensors, cut-down Llama 3 / Qwen tokenizers; written by
 * tests/fixtures/HuggingFaceFixtures.java) run directly and through {@code gem convert}, against each other and against
 * llama.cpp on the converted file. Regenerate with tests/fixtures/regenerate-import.sh.
 */
class HuggingFaceImportTest {
    static final int[] TOKENS = ArchitectureFixturesTest.TOKENS;

    @TempDir
    Path tmp;

    static Path folder(String name) {
        return ArchitectureFixturesTest.fixture(name);
    }

    /** Logits after each of TOKENS, fed one at a time. */
    static float[][] logits(Path model) throws IOException {
        try (Model m = Model.load(model, ModelOptions.defaults().withThreads(2)); Session s = m.newSession()) {
            float[][] rows = new float[TOKENS.length][];
            for (int i = 0; i < TOKENS.length; i++) rows[i] = s.feed(new int[]{TOKENS[i]}).clone();
            return rows;
        }
    }

    Path convert(String name, String type) {
        Path out = tmp.resolve(name + "-" + type + ".gguf");
        CliTest.Run r = CliTest.run("convert", folder(name).toString(), "-o", out.toString(), "--type", type);
        assertEquals(0, r.code(), r.err());
        return out;
    }

    /** The folder run directly is the file the converter would write: same tensors, same dtypes, same logits to the bit. */
    @ParameterizedTest
    @ValueSource(strings = {"hf-llama", "hf-qwen2", "hf-qwen3", "hf-gemma2"})
    void folderAndConvertedFileGiveIdenticalLogits(String name) throws IOException {
        Path gguf = convert(name, "auto");
        try (GgufFile f = GgufFile.open(gguf)) {
            assertEquals(DType.BF16, f.require("blk.0.attn_q.weight").type(), "auto keeps the checkpoint's BF16");
            assertEquals(DType.F32, f.require("blk.0.attn_norm.weight").type(), "norms are written as F32");
            assertEquals(32, f.metadata().getInt("general.file_type"), "MOSTLY_BF16");
        }
        float[][] direct = logits(folder(name)), converted = logits(gguf);
        for (int i = 0; i < TOKENS.length; i++) assertArrayEquals(direct[i], converted[i], name + " position " + i);
    }

    /**
     * llama.cpp (node-llama-cpp's CPU build, F32 KV cache) ran the F32 conversion of each folder; GEM on the same
     * conversion agrees to 1e-4 at every position, as for the GGUF fixtures. F32 so that llama.cpp keeps float
     * activations (with BF16 weights it rounds activations to BF16).
     */
    @ParameterizedTest
    @ValueSource(strings = {"hf-llama", "hf-qwen2", "hf-qwen3", "hf-gemma2"})
    void convertedFileMatchesLlamaCpp(String name) throws IOException {
        float[][] expected = ArchitectureFixturesTest.logitRows(folder(name + ".logits.txt"));
        float[][] got = logits(convert(name, "f32"));
        double worst = 0;
        for (int i = 0; i < TOKENS.length; i++) {
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

    private Path copy(String name, String to) throws IOException {
        Path dst = Files.createDirectories(tmp.resolve(to));
        try (Stream<Path> files = Files.list(folder(name))) {
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
