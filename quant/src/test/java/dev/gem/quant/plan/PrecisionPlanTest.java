package dev.gem.quant.plan;

import dev.gem.tensor.DType;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.*;

class PrecisionPlanTest {
    /** A two-layer model with dim 256, ffn 512 (K-quant friendly) except layer 1's ffn_down rows of 172. */
    static List<PlannedTensor> model() {
        List<PlannedTensor> t = new java.util.ArrayList<>();
        t.add(new PlannedTensor("token_embd.weight", new long[]{256, 1000}, DType.F16));
        for (int l = 0; l < 2; l++) {
            String b = "blk." + l + ".";
            t.add(new PlannedTensor(b + "attn_norm.weight", new long[]{256}, DType.F32));
            t.add(new PlannedTensor(b + "attn_q.weight", new long[]{256, 256}, DType.F16));
            t.add(new PlannedTensor(b + "attn_q.bias", new long[]{256}, DType.F32));
            t.add(new PlannedTensor(b + "attn_output.weight", new long[]{256, 256}, DType.F16));
            t.add(new PlannedTensor(b + "ffn_norm.weight", new long[]{256}, DType.F32));
            t.add(new PlannedTensor(b + "ffn_up.weight", new long[]{256, 512}, DType.F16));
            t.add(new PlannedTensor(b + "ffn_down.weight", new long[]{l == 1 ? 172 : 512, 256}, DType.F16));
        }
        t.add(new PlannedTensor("output_norm.weight", new long[]{256}, DType.F32));
        t.add(new PlannedTensor("output.weight", new long[]{256, 1000}, DType.F16));
        return t;
    }

    static Map<String, DType> types(PrecisionPlan p) {
        return p.choices().stream().collect(Collectors.toMap(c -> c.tensor().name(), TypeChoice::type));
    }

    @Test
    void rolesFromGgufNames() {
        assertEquals(TensorRole.TOKEN_EMBEDDING, TensorRole.of("token_embd.weight"));
        assertEquals(TensorRole.OUTPUT, TensorRole.of("output.weight"));
        assertEquals(TensorRole.NORM, TensorRole.of("output_norm.weight"));
        assertEquals(TensorRole.NORM, TensorRole.of("blk.3.attn_q_norm.weight"));
        assertEquals(TensorRole.NORM, TensorRole.of("blk.3.post_ffw_norm.weight"));
        assertEquals(TensorRole.BIAS, TensorRole.of("blk.3.attn_q.bias"));
        assertEquals(TensorRole.ROUTER, TensorRole.of("blk.3.ffn_gate_inp.weight"));
        assertEquals(TensorRole.ROUTER, TensorRole.of("blk.3.ffn_gate_inp_shexp.weight"));
        assertEquals(TensorRole.EXPERTS, TensorRole.of("blk.3.ffn_down_exps.weight"));
        assertEquals(TensorRole.FEED_FORWARD, TensorRole.of("blk.3.ffn_up_shexp.weight"));
        assertEquals(TensorRole.ATTENTION, TensorRole.of("blk.3.attn_qkv.weight"));
        assertEquals(TensorRole.POSITION, TensorRole.of("position_embd.weight"));
        assertEquals(TensorRole.OTHER, TensorRole.of("rope_freqs.weight"));
        assertFalse(new PlannedTensor("rope_freqs.weight", new long[]{32}, DType.F32).quantizable());
        assertTrue(new PlannedTensor("blk.0.ffn_gate_exps.weight", new long[]{64, 96, 4}, DType.F32).quantizable());
        assertEquals(12, TensorRole.layerOf("blk.12.attn_q.weight"));
        assertEquals(-1, TensorRole.layerOf("output.weight"));
    }

    @Test
    void uniformUsesLlamaQuantizeFallbacksAndSaysWhich() {
        PrecisionPlan p = PrecisionPlan.uniform(model(), DType.Q4_K);
        Map<String, DType> t = types(p);
        assertEquals(DType.Q4_K, t.get("blk.0.attn_q.weight"));
        assertEquals(DType.Q4_K, t.get("token_embd.weight"));
        assertEquals(DType.F32, t.get("blk.0.attn_norm.weight"), "norms keep their type");
        assertEquals(DType.F32, t.get("blk.0.attn_q.bias"));
        // 172 is not a multiple of 256 (Q4_K) nor of 32 (its fallback Q5_0): the tensor keeps its F16
        assertEquals(DType.F16, t.get("blk.1.ffn_down.weight"));
        TypeChoice odd = p.notes().stream().filter(c -> c.tensor().name().equals("blk.1.ffn_down.weight")).findFirst().orElseThrow();
        assertEquals("rows of 172 are not a multiple of 256 (q4_k) -> kept f16", odd.note());
        assertEquals(1, p.notes().size());

        List<PlannedTensor> narrow = List.of(new PlannedTensor("blk.0.ffn_up.weight", new long[]{64, 172}, DType.F32),
                new PlannedTensor("blk.0.ffn_down.weight", new long[]{172, 64}, DType.F32));
        Map<String, DType> n = types(PrecisionPlan.uniform(narrow, DType.Q6_K));
        assertEquals(DType.Q8_0, n.get("blk.0.ffn_up.weight"), "Q6_K falls back to Q8_0 on rows of 64");
        assertEquals(DType.F32, n.get("blk.0.ffn_down.weight"), "as llama-quantize left stories260K's ffn_down");
        assertEquals(DType.IQ4_NL, types(PrecisionPlan.uniform(narrow, DType.IQ4_XS)).get("blk.0.ffn_up.weight"));
        assertEquals(DType.Q4_0, types(PrecisionPlan.uniform(narrow, DType.Q2_K)).get("blk.0.ffn_up.weight"));
        assertEquals(DType.Q5_1, types(PrecisionPlan.uniform(narrow, DType.Q5_K)).get("blk.0.ffn_up.weight"));
    }

    @Test
    void sizesAndBitsPerWeight() {
        List<PlannedTensor> one = List.of(new PlannedTensor("blk.0.attn_q.weight", new long[]{256, 4}, DType.F32));
        assertEquals(8.5, PrecisionPlan.uniform(one, DType.Q8_0).bitsPerWeight(), 1e-12);
        assertEquals(4.5, PrecisionPlan.uniform(one, DType.Q4_0).bitsPerWeight(), 1e-12);
        assertEquals(4.5, PrecisionPlan.uniform(one, DType.Q4_K).bitsPerWeight(), 1e-12);
        assertEquals(4 * 144, PrecisionPlan.uniform(one, DType.Q4_K).bytes());
        assertEquals(DType.Q4_K, PrecisionPlan.uniform(one, DType.Q4_K).dominantType());
    }

    @Test
    void hybridPutsAttentionAndEmbeddingsAtInt8AndFeedForwardAtInt4() {
        PrecisionPlan p = PrecisionPlan.hybrid(model(), DType.Q4_K, DType.Q8_0);
        Map<String, DType> t = types(p);
        assertEquals(DType.Q8_0, t.get("token_embd.weight"));
        assertEquals(DType.Q8_0, t.get("output.weight"));
        assertEquals(DType.Q8_0, t.get("blk.0.attn_q.weight"));
        assertEquals(DType.Q8_0, t.get("blk.1.attn_output.weight"));
        assertEquals(DType.Q4_K, t.get("blk.0.ffn_up.weight"));
        assertEquals(DType.Q4_K, t.get("blk.0.ffn_down.weight"));
        assertEquals(DType.F32, t.get("blk.0.ffn_norm.weight"));
        assertEquals(DType.F32, t.get("blk.1.attn_q.bias"));
        assertEquals(DType.F16, t.get("blk.1.ffn_down.weight"), "172 fits neither Q4_K nor Q4_0");
        assertTrue(p.description().startsWith("hybrid"));
        assertTrue(p.bitsPerWeight() > 4.5 && p.bitsPerWeight() < 8.5, "between the int4 and int8 sizes: " + p.bitsPerWeight());

        List<PlannedTensor> small = List.of(new PlannedTensor("blk.0.ffn_up.weight", new long[]{64, 172}, DType.F32));
        TypeChoice c = PrecisionPlan.hybrid(small, DType.Q4_K, DType.Q8_0).choices().get(0);
        assertEquals(DType.Q4_0, c.type(), "int4 stays four bits when Q4_K's 256-blocks do not fit");
        assertEquals("rows of 64 are not a multiple of 256 (q4_k) -> q4_0", c.note());
    }

    @Test
    void sensitivityUpgradesTheMostSensitiveGroupsWithinTheBudget() {
        List<PlannedTensor> ts = List.of(
                new PlannedTensor("blk.0.attn_q.weight", new long[]{256, 256}, DType.F32),
                new PlannedTensor("blk.0.ffn_up.weight", new long[]{256, 512}, DType.F32),
                new PlannedTensor("blk.1.attn_q.weight", new long[]{256, 256}, DType.F32),
                new PlannedTensor("blk.1.attn_norm.weight", new long[]{256}, DType.F32));
        List<PrecisionPlan.Sensitivity> s = List.of(
                new PrecisionPlan.Sensitivity("blk.0.attn", List.of("blk.0.attn_q.weight"), 0.02),
                new PrecisionPlan.Sensitivity("blk.0.ffn", List.of("blk.0.ffn_up.weight"), 0.05),
                new PrecisionPlan.Sensitivity("blk.1.attn", List.of("blk.1.attn_q.weight", "blk.1.attn_norm.weight"), 0.01));
        // all int4: 262144 weights * 4.5 bits (+ 256 F32 norm weights); int8 costs 4 more bits per weight
        long weights = 256 * 256 * 2 + 256 * 512 + 256;
        double allInt4 = (4.5 * (weights - 256) + 32 * 256) / weights;
        PrecisionPlan none = PrecisionPlan.bySensitivity(ts, s, DType.Q4_0, DType.Q8_0, allInt4);
        assertTrue(types(none).values().stream().noneMatch(t -> t == DType.Q8_0));
        assertEquals(allInt4, none.bitsPerWeight(), 1e-12);

        // room for 65536 more int8 weights: the top group (ffn, 131072 weights) does not fit, so the next ones are tried
        double budget = allInt4 + 4.0 * 65536 / weights;
        PrecisionPlan p = PrecisionPlan.bySensitivity(ts, s, DType.Q4_0, DType.Q8_0, budget);
        Map<String, DType> t = types(p);
        assertEquals(DType.Q4_0, t.get("blk.0.ffn_up.weight"));
        assertEquals(DType.Q8_0, t.get("blk.0.attn_q.weight"));
        assertEquals(DType.Q4_0, t.get("blk.1.attn_q.weight"), "budget used up by the more sensitive blk.0.attn");
        assertEquals(DType.F32, t.get("blk.1.attn_norm.weight"));
        assertTrue(p.bitsPerWeight() <= budget);
        String note = p.choices().stream().filter(c -> c.tensor().name().equals("blk.0.ffn_up.weight")).findFirst().orElseThrow().note();
        assertTrue(note.contains("KL 0.05") && note.contains("rank 1 of 3") && note.contains("exceed"), note);

        PrecisionPlan all = PrecisionPlan.bySensitivity(ts, s, DType.Q4_0, DType.Q8_0, 9);
        assertTrue(types(all).entrySet().stream().filter(e -> !e.getKey().contains("norm")).allMatch(e -> e.getValue() == DType.Q8_0));
        assertThrows(IllegalArgumentException.class, () -> PrecisionPlan.bySensitivity(ts,
                List.of(new PrecisionPlan.Sensitivity("x", List.of("nope"), 1)), DType.Q4_0, DType.Q8_0, 9));
    }

    @Test
    void conversionFollowsTheConverter() {
        List<PlannedTensor> ts = List.of(
                new PlannedTensor("blk.0.attn_q.weight", new long[]{64, 64}, DType.BF16),
                new PlannedTensor("blk.0.ffn_down.weight", new long[]{172, 64}, DType.BF16),
                new PlannedTensor("blk.0.attn_norm.weight", new long[]{64}, DType.BF16),
                new PlannedTensor("blk.0.attn_q.bias", new long[]{64}, DType.BF16),
                new PlannedTensor("blk.0.ffn_gate_inp.weight", new long[]{64, 8}, DType.BF16),
                new PlannedTensor("rope_freqs.weight", new long[]{8}, DType.F32));
        Map<String, DType> t = types(PrecisionPlan.forConversion(ts, DType.Q8_0));
        assertEquals(DType.Q8_0, t.get("blk.0.attn_q.weight"));
        assertEquals(DType.F16, t.get("blk.0.ffn_down.weight"));
        assertEquals(DType.F32, t.get("blk.0.attn_norm.weight"));
        assertEquals(DType.F32, t.get("blk.0.attn_q.bias"));
        assertEquals(DType.F32, t.get("blk.0.ffn_gate_inp.weight"));
        assertEquals(DType.F32, t.get("rope_freqs.weight"));
        assertEquals(DType.BF16, types(PrecisionPlan.forConversion(ts, DType.BF16)).get("blk.0.ffn_down.weight"));
    }
}
