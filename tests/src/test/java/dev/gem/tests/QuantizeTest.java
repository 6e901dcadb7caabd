package dev.gem.tests;

import dev.gem.engine.ModelFiles;
import dev.gem.engine.ModelOptions;
import dev.gem.engine.quantize.GgufExport;
import dev.gem.engine.quantize.SensitivityProbe;
import dev.gem.format.GgufFile;
import dev.gem.format.ModelFile;
import dev.gem.tensor.DType;
import dev.gem.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/** gem quantize: bit-exact with llama-quantize, its plans, its reports, and the sensitivity measurement. */
class QuantizeTest {
    @TempDir
    Path tmp;

    static final Path STORIES = TestData.model("stories260K.gguf");
    static final Path STORY = PerplexityTest.fixture("story.txt");

    /**
     * testdata's stories260K-Q8_0/Q4_0.gguf were made by llama-quantize from stories260K.gguf; GEM's codecs are
     * ggml's reference quantizers, so every tensor (types, shapes, bytes) and the file type come out the same.
     */
    @ParameterizedTest
    @CsvSource({"q8_0, stories260K-Q8_0.gguf, 7", "q4_0, stories260K-Q4_0.gguf, 2"})
    void uniformTypesAreBitExactWithLlamaQuantize(String type, String reference, int fileType) throws IOException {
        Path out = tmp.resolve("out.gguf");
        CliTest.Run r = CliTest.run("quantize", STORIES.toString(), out.toString(), "--type", type);
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("blk.0.ffn_down.weight") && r.err().contains("rows of 172 are not a multiple of 32 (" + type + ") -> kept f32"), r.err());
        try (GgufFile got = GgufFile.open(out); GgufFile want = GgufFile.open(TestData.model(reference))) {
            assertEquals(want.tensors().keySet(), got.tensors().keySet());
            for (Tensor w : want.tensors().values()) {
                Tensor g = got.require(w.name());
                assertEquals(w.type(), g.type(), w.name());
                assertArrayEquals(w.dims(), g.dims(), w.name());
                assertEquals(-1, w.data().mismatch(g.data()), w.name() + " differs from llama-quantize's bytes");
            }
            assertEquals(fileType, got.metadata().getInt("general.file_type"));
            assertEquals("uniform " + type, got.metadata().getString("gem.quant.plan"));
            assertEquals(want.metadata().getStringArray("tokenizer.ggml.tokens").length, got.metadata().getStringArray("tokenizer.ggml.tokens").length);
        }
        Matcher size = Pattern.compile("(\\d+\\.\\d\\d) bits per weight\\), was \\d+\\.\\d\\d MB \\(32\\.00 bpw\\)").matcher(r.err());
        assertTrue(size.find(), r.err());
    }

    /**
     * K-quants and IQ4 on a model whose rows fit their 256-blocks (gem synth's "tiny", dim 256): every type writes,
     * loads and runs, and the output drifts from the F32 model's in the order of the bits spent.
     */
    @Test
    void everyTypeQuantizesAndMoreBitsMeanLessDrift() throws IOException {
        Path f32 = tmp.resolve("tiny.gguf");
        CliTest.Run r = CliTest.run("synth", "--shape", "tiny", "--type", "f32", "--seed", "3", "-o", f32.toString());
        assertEquals(0, r.code(), r.err());
        int[] tokens = {1, 403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315, 421, 395, 317, 426};
        float[][] reference = logProbs(f32, tokens);
        Map<String, Double> kl = new java.util.LinkedHashMap<>();
        for (String type : List.of("q2_k", "q3_k", "q4_k", "q5_k", "q6_k", "q8_0", "q4_0", "iq4_nl", "iq4_xs")) {
            Path out = tmp.resolve(type + ".gguf");
            r = CliTest.run("quantize", f32.toString(), out.toString(), "--type", type);
            assertEquals(0, r.code(), r.err());
            try (GgufFile f = GgufFile.open(out)) {
                assertEquals(DType.ofName(type), f.require("blk.1.ffn_down.weight").type(), type);
                assertEquals(DType.F32, f.require("blk.1.ffn_norm.weight").type());
            }
            kl.put(type, meanKl(reference, logProbs(out, tokens)));
        }
        List<String> ladder = List.of("q2_k", "q3_k", "q4_k", "q5_k", "q6_k", "q8_0");
        for (int i = 1; i < ladder.size(); i++)
            assertTrue(kl.get(ladder.get(i)) < kl.get(ladder.get(i - 1)), "KL should fall with bits: " + kl);
        for (String four : List.of("q4_0", "iq4_nl", "iq4_xs"))
            assertTrue(kl.get(four) < kl.get("q3_k") && kl.get(four) > kl.get("q6_k"), four + " is a 4-bit type: " + kl);
    }

    /** Large tensors are encoded in parallel slices of rows; the bytes are those of the plain row-by-row codec. */
    @Test
    void parallelEncodingGivesTheSequentialBytes() throws IOException {
        int cols = 1024, rows = 1100;
        java.util.SplittableRandom rng = new java.util.SplittableRandom(5);
        float[] w = new float[cols * rows];
        for (int i = 0; i < w.length; i++) w[i] = (float) rng.nextGaussian();
        Path in = tmp.resolve("big.gguf"), out = tmp.resolve("big-q4_k.gguf");
        new dev.gem.format.GgufWriter().putString("general.architecture", "llama")
                .addTensor("blk.0.ffn_up.weight", DType.F32, new long[]{cols, rows}, seg -> seg.copyFrom(java.lang.foreign.MemorySegment.ofArray(w)))
                .write(in, null);
        try (ModelFile f = ModelFiles.open(in)) {
            GgufExport.writer(f, dev.gem.quant.plan.PrecisionPlan.uniform(GgufExport.tensorsOf(f), DType.Q4_K)).write(out, null);
        }
        try (GgufFile f = GgufFile.open(out); java.lang.foreign.Arena a = java.lang.foreign.Arena.ofConfined()) {
            Tensor t = f.require("blk.0.ffn_up.weight");
            assertEquals(DType.Q4_K, t.type());
            var want = a.allocate(t.byteSize());
            long rowBytes = DType.Q4_K.bytesFor(cols);
            for (int r = 0; r < rows; r++) dev.gem.quant.Codecs.of(DType.Q4_K).quantize(w, r * cols, want, r * rowBytes, cols);
            assertEquals(-1, want.mismatch(t.data()));
        }
    }

    static float[][] logProbs(Path model, int[] tokens) throws IOException {
        try (dev.gem.engine.Model m = dev.gem.engine.Model.load(model, ModelOptions.defaults().withKvType(DType.F32).withThreads(2)); var s = m.newSession()) {
            float[][] rows = new float[tokens.length][];
            for (int i = 0; i < tokens.length; i++) {
                float[] l = s.feed(new int[]{tokens[i]});
                double max = Double.NEGATIVE_INFINITY, sum = 0;
                for (float v : l) max = Math.max(max, v);
                for (float v : l) sum += Math.exp(v - max);
                rows[i] = new float[l.length];
                for (int t = 0; t < l.length; t++) rows[i][t] = (float) (l[t] - max - Math.log(sum));
            }
            return rows;
        }
    }

    static double meanKl(float[][] p, float[][] q) {
        double total = 0;
        for (int i = 0; i < p.length; i++)
            for (int t = 0; t < p[i].length; t++) total += Math.exp(p[i][t]) * (p[i][t] - q[i][t]);
        return total / p.length;
    }

    @Test
    void neverOverwritesTheInput() throws IOException {
        Path copy = tmp.resolve("model.gguf");
        Files.copy(STORIES, copy);
        byte[] before = Files.readAllBytes(copy);
        CliTest.Run r = CliTest.run("quantize", copy.toString(), tmp.resolve(".").resolve("model.gguf").toString(), "--type", "q8_0");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("never overwrites its input"), r.err());
        Path link = tmp.resolve("link.gguf");
        Files.createSymbolicLink(link, copy);
        r = CliTest.run("quantize", copy.toString(), link.toString(), "--type", "q8_0");
        assertEquals(1, r.code(), "a link to the input is the input");
        assertArrayEquals(before, Files.readAllBytes(copy));
        r = CliTest.run("quantize", copy.toString(), tmp.resolve("x.gguf").toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("--type TYPE or --plan"), r.err());
        r = CliTest.run("quantize", copy.toString(), tmp.resolve("x.gguf").toString(), "--type", "q9_9");
        assertTrue(r.err().contains("unknown or unwritable type 'q9_9'"), r.err());
    }

    /** The hybrid plan with its perplexity report: int8 where it matters, int4 in the FFN, and what that cost. */
    @Test
    void hybridPlanWithEvaluation() throws IOException {
        Path out = tmp.resolve("hybrid.gguf");
        CliTest.Run r = CliTest.run("quantize", STORIES.toString(), out.toString(), "--plan", "hybrid", "--eval", STORY.toString(),
                "-c", "128", "-t", "2", "--verbose");
        assertEquals(0, r.code(), r.err());
        try (GgufFile f = GgufFile.open(out)) {
            assertEquals(DType.Q8_0, f.require("token_embd.weight").type());
            assertEquals(DType.Q8_0, f.require("output.weight").type());
            assertEquals(DType.Q8_0, f.require("blk.2.attn_v.weight").type());
            assertEquals(DType.Q4_0, f.require("blk.2.ffn_gate.weight").type(), "int4: rows of 64 do not fit Q4_K, Q4_0 does");
            assertEquals(DType.F32, f.require("blk.2.ffn_down.weight").type(), "rows of 172 fit no block");
            assertEquals(DType.F32, f.require("blk.2.ffn_norm.weight").type());
            assertTrue(f.metadata().getString("gem.quant.plan").startsWith("hybrid"));
        }
        assertTrue(r.err().contains("blk.4.attn_norm.weight"), "--verbose lists every tensor: " + r.err());
        Matcher ppl = Pattern.compile("before (\\d+\\.\\d+) \\+/- [\\d.]+, after (\\d+\\.\\d+) \\+/- [\\d.]+").matcher(r.err());
        assertTrue(ppl.find(), r.err());
        double before = Double.parseDouble(ppl.group(1)), after = Double.parseDouble(ppl.group(2));
        assertEquals(3.9429, before, 1e-4, "the F32 model's perplexity, as llama.cpp computes it");
        assertNotEquals(before, after, "quantization changes the model");
        assertTrue(Math.abs(after / before - 1) < 0.1, "hybrid int4/int8 costs little on this model: " + before + " -> " + after);
    }

    /**
     * The sensitivity measurement: rounding nothing changes nothing, int8 changes less than int4, and the plan built
     * from it stays within its budget and keeps the most sensitive group at int8.
     */
    @Test
    void sensitivityMeasuresKlAndRespectsTheBudget() throws IOException {
        try (ModelFile f = ModelFiles.open(STORIES)) {
            ModelOptions opts = ModelOptions.defaults().withKvType(DType.F32).withThreads(2).withContextSize(64);
            int[] tokens = {1, 403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315, 421, 395, 317, 426, 338, 397, 396, 322};
            List<SensitivityProbe.Group> groups = SensitivityProbe.groups(GgufExport.tensorsOf(f), false);
            assertEquals(12, groups.size(), "5 layers x (attn, ffn) + token_embd + output");
            SensitivityProbe.Group ffn1 = groups.stream().filter(g -> g.name().equals("blk.1.ffn")).findFirst().orElseThrow();
            assertEquals(List.of("blk.1.ffn_gate.weight", "blk.1.ffn_down.weight", "blk.1.ffn_up.weight"), ffn1.tensors());
            double same = SensitivityProbe.measure(f, opts, tokens, List.of(ffn1), t -> DType.F32, null).get(0).kl();
            double int8 = SensitivityProbe.measure(f, opts, tokens, List.of(ffn1), t -> DType.Q8_0, null).get(0).kl();
            double int4 = SensitivityProbe.measure(f, opts, tokens, List.of(ffn1), t -> DType.Q4_0, null).get(0).kl();
            assertEquals(0.0, same, "F32 rounding of F32 weights is the identity");
            assertTrue(int8 > 0 && int8 < int4 / 4, "int8 KL " + int8 + " should be far below int4 KL " + int4);
            assertEquals(3, SensitivityProbe.groups(GgufExport.tensorsOf(f), true).stream().filter(g -> g.name().startsWith("blk.1.ffn")).count());
        }

        Path out = tmp.resolve("sens.gguf");
        CliTest.Run r = CliTest.run("quantize", STORIES.toString(), out.toString(), "--plan", "sensitivity", "--int4", "q4_0",
                "--calibration", STORY.toString(), "--calibration-tokens", "64", "--target-bpw", "10", "-t", "2", "--verbose");
        assertEquals(0, r.code(), r.err());
        Matcher bpw = Pattern.compile("\\((\\d+\\.\\d+) bits per weight\\)").matcher(r.err());
        assertTrue(bpw.find(), r.err());
        assertTrue(Double.parseDouble(bpw.group(1)) <= 10.0, r.err());
        assertTrue(r.err().contains("(rank 1 of 12)"), r.err());
        try (GgufFile f = GgufFile.open(out)) {
            String plan = f.metadata().getString("gem.quant.plan");
            assertTrue(plan.startsWith("sensitivity: target 10.00 bpw"), plan);
            long int8 = f.tensors().values().stream().filter(t -> t.type() == DType.Q8_0).count();
            long int4 = f.tensors().values().stream().filter(t -> t.type() == DType.Q4_0).count();
            assertTrue(int8 > 0 && int4 > 0, "a mix of int8 and int4: " + int8 + " / " + int4);
        }
        r = CliTest.run("quantize", STORIES.toString(), out.toString(), "--plan", "sensitivity", "--target-bpw", "5");
        assertTrue(r.err().contains("needs --calibration"), r.err());
    }

    /** A Hugging Face folder quantizes in one step (converted on the fly). */
    @Test
    void huggingFaceFolderQuantizesDirectly() throws IOException {
        Path out = tmp.resolve("hf-q8.gguf");
        CliTest.Run r = CliTest.run("quantize", HuggingFaceImportTest.folder("hf-qwen2").toString(), out.toString(), "--type", "q8_0");
        assertEquals(0, r.code(), r.err());
        try (GgufFile f = GgufFile.open(out)) {
            assertEquals("qwen2", f.metadata().getString("general.architecture"));
            assertEquals(DType.Q8_0, f.require("blk.0.ffn_down.weight").type());
            assertEquals(DType.F32, f.require("blk.0.attn_q.bias").type(), "biases become F32, as the converter writes them");
            assertEquals(DType.F32, f.require("blk.0.attn_norm.weight").type());
        }
    }
}
