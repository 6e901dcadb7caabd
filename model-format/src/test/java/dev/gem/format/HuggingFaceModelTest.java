package dev.gem.format;

import dev.gem.tensor.DType;
import dev.gem.tensor.Float16;
import dev.gem.tensor.LE;
import dev.gem.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** Hugging Face folders built by hand: names, metadata and the converter's tensor rewrites, without a tokenizer. */
class HuggingFaceModelTest {
    @TempDir
    Path tmp;

    static final int DIM = 8, HEADS = 2, KV_HEADS = 1, FF = 12, VOCAB = 16;

    static String llamaConfig(String extra) {
        return """
                {"architectures": ["LlamaForCausalLM"], "hidden_size": %d, "intermediate_size": %d, "num_hidden_layers": 1,
                 "num_attention_heads": %d, "num_key_value_heads": %d, "vocab_size": %d, "max_position_embeddings": 128,
                 "rms_norm_eps": 1e-5, "rope_theta": 500000.0%s}""".formatted(DIM, FF, HEADS, KV_HEADS, VOCAB, extra);
    }

    /** Values that encode their own position: element (r, c) of a tensor with id k is k*1000 + r*10 + c. */
    static float[] tagged(int id, int rows, int cols) {
        float[] v = new float[rows * cols];
        for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) v[r * cols + c] = id * 1000 + r * 10 + c;
        return v;
    }

    /** A one-layer Llama checkpoint; every tensor F32 with tagged values. */
    Path llama(String name, String config) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve(name));
        Files.writeString(dir.resolve("config.json"), config);
        int hd = DIM / HEADS;
        new SafetensorsWriter()
                .addF32("model.embed_tokens.weight", new long[]{VOCAB, DIM}, tagged(1, VOCAB, DIM))
                .addF32("model.layers.0.input_layernorm.weight", new long[]{DIM}, tagged(2, 1, DIM))
                .addF32("model.layers.0.self_attn.q_proj.weight", new long[]{DIM, DIM}, tagged(3, DIM, DIM))
                .addF32("model.layers.0.self_attn.k_proj.weight", new long[]{KV_HEADS * hd, DIM}, tagged(4, KV_HEADS * hd, DIM))
                .addF32("model.layers.0.self_attn.v_proj.weight", new long[]{KV_HEADS * hd, DIM}, tagged(5, KV_HEADS * hd, DIM))
                .addF32("model.layers.0.self_attn.o_proj.weight", new long[]{DIM, DIM}, tagged(6, DIM, DIM))
                .addF32("model.layers.0.self_attn.rotary_emb.inv_freq", new long[]{hd / 2}, new float[hd / 2])
                .addF32("model.layers.0.post_attention_layernorm.weight", new long[]{DIM}, tagged(7, 1, DIM))
                .addF32("model.layers.0.mlp.gate_proj.weight", new long[]{FF, DIM}, tagged(8, FF, DIM))
                .addF32("model.layers.0.mlp.up_proj.weight", new long[]{FF, DIM}, tagged(9, FF, DIM))
                .addF32("model.layers.0.mlp.down_proj.weight", new long[]{DIM, FF}, tagged(10, DIM, FF))
                .addF32("model.norm.weight", new long[]{DIM}, tagged(11, 1, DIM))
                .addF32("lm_head.weight", new long[]{VOCAB, DIM}, tagged(12, VOCAB, DIM))
                .write(dir.resolve("model.safetensors"));
        return dir;
    }

    static float at(Tensor t, long row, long col) {
        return t.data().get(LE.FLOAT, 4 * (row * t.dim(0) + col));
    }

    @Test
    void llamaNamesKeysAndPermutedQk() throws IOException {
        try (HuggingFaceModel m = HuggingFaceModel.open(llama("llama", llamaConfig("")), null)) {
            Metadata md = m.metadata();
            assertEquals("llama", md.getString("general.architecture"));
            assertEquals(1, md.getInt("llama.block_count"));
            assertEquals(DIM, md.getInt("llama.embedding_length"));
            assertEquals(FF, md.getInt("llama.feed_forward_length"));
            assertEquals(HEADS, md.getInt("llama.attention.head_count"));
            assertEquals(KV_HEADS, md.getInt("llama.attention.head_count_kv"));
            assertEquals(128, md.getInt("llama.context_length"));
            assertEquals(VOCAB, md.getInt("llama.vocab_size"));
            assertEquals(DIM / HEADS, md.getInt("llama.rope.dimension_count"));
            assertEquals(500000f, md.getFloat("llama.rope.freq_base"));
            assertEquals(1e-5f, md.getFloat("llama.attention.layer_norm_rms_epsilon"));
            assertEquals(GgufType.UINT32, md.type("llama.block_count"));
            assertEquals(GgufType.FLOAT32, md.type("llama.rope.freq_base"));
            assertFalse(md.has("llama.rope.scaling.type"));

            Map<String, Tensor> t = m.tensors();
            assertEquals(java.util.Set.of("token_embd.weight", "blk.0.attn_norm.weight", "blk.0.attn_q.weight", "blk.0.attn_k.weight",
                    "blk.0.attn_v.weight", "blk.0.attn_output.weight", "blk.0.ffn_norm.weight", "blk.0.ffn_gate.weight", "blk.0.ffn_up.weight",
                    "blk.0.ffn_down.weight", "output_norm.weight", "output.weight"), t.keySet(), "inv_freq is dropped");
            Tensor q = t.get("blk.0.attn_q.weight");
            assertArrayEquals(new long[]{DIM, DIM}, q.dims());
            // head size 4: GGUF rows 0,1,2,3 of head 0 are HF rows 0,2,1,3 (pairs (0,2) and (1,3) become adjacent)
            int[] expected = {0, 2, 1, 3, 4, 6, 5, 7};
            for (int r = 0; r < DIM; r++)
                for (int c = 0; c < DIM; c++) assertEquals(3000 + expected[r] * 10 + c, at(q, r, c), "q row " + r);
            Tensor k = t.get("blk.0.attn_k.weight");
            for (int r = 0; r < 4; r++) assertEquals(4000 + expected[r] * 10, at(k, r, 0), "k uses the kv head count");
            Tensor v = t.get("blk.0.attn_v.weight");
            assertEquals(5010, at(v, 1, 0), "v is not permuted");
            Tensor down = t.get("blk.0.ffn_down.weight");
            assertArrayEquals(new long[]{FF, DIM}, down.dims(), "HF [out, in] becomes GGUF [in, out]");
            assertEquals(10000 + 3 * 10 + 5, at(down, 3, 5));
        }
    }

    @Test
    void unpermutedTensorsAreViewsOfTheMapping() throws IOException {
        Path dir = llama("views", llamaConfig(""));
        try (HuggingFaceModel m = HuggingFaceModel.open(dir, null); SafetensorsFile raw = SafetensorsFile.open(dir.resolve("model.safetensors"))) {
            Tensor v = m.require("blk.0.attn_v.weight");
            Tensor q = m.require("blk.0.attn_q.weight");
            long base = raw.require("model.layers.0.self_attn.v_proj.weight").data().address();
            // the same file mapped twice has different addresses; compare offsets within each mapping instead
            long vOffset = v.data().address() - m.require("token_embd.weight").data().address();
            long rawOffset = base - raw.require("model.embed_tokens.weight").data().address();
            assertEquals(rawOffset, vOffset, "v is a slice of the checkpoint's mapping");
            long qOffset = q.data().address() - m.require("token_embd.weight").data().address();
            assertTrue(qOffset < 0 || qOffset > raw.dataOffset() + 100_000, "q is a computed copy");
        }
    }

    @Test
    void biasesArePermutedLikeTheirRows() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("bias"));
        Files.writeString(dir.resolve("config.json"), llamaConfig(""));
        new SafetensorsWriter().addF32("model.layers.0.self_attn.q_proj.bias", new long[]{DIM}, new float[]{0, 1, 2, 3, 4, 5, 6, 7})
                .write(dir.resolve("model.safetensors"));
        try (HuggingFaceModel m = HuggingFaceModel.open(dir, null)) {
            Tensor b = m.require("blk.0.attn_q.bias");
            float[] got = new float[DIM];
            for (int i = 0; i < DIM; i++) got[i] = b.data().get(LE.FLOAT, 4 * i);
            assertArrayEquals(new float[]{0, 2, 1, 3, 4, 6, 5, 7}, got);
        }
    }

    @Test
    void llama3RopeScalingBecomesRopeFreqs() throws IOException {
        String rope = ", \"head_dim\": 128, \"rope_scaling\": {\"rope_type\": \"llama3\", \"factor\": 8.0, \"low_freq_factor\": 1.0,"
                + " \"high_freq_factor\": 4.0, \"original_max_position_embeddings\": 8192}";
        Path dir = Files.createDirectories(tmp.resolve("llama3"));
        Files.writeString(dir.resolve("config.json"), llamaConfig(rope));
        new SafetensorsWriter().addF32("model.norm.weight", new long[]{DIM}, new float[DIM]).write(dir.resolve("model.safetensors"));
        try (HuggingFaceModel m = HuggingFaceModel.open(dir, null)) {
            Tensor f = m.require("rope_freqs.weight");
            assertEquals(DType.F32, f.type());
            assertEquals(64, f.elementCount());
            assertEquals(128, m.metadata().getInt("llama.rope.dimension_count"));
            assertFalse(m.metadata().has("llama.rope.scaling.type"), "llama3 scaling is a tensor, not metadata");
            for (int i = 0; i < 64; i++) {
                double freq = 1.0 / Math.pow(500000.0, 2.0 * i / 128);
                double wavelen = 2 * Math.PI / freq;
                double want = wavelen < 2048 ? 1 : wavelen > 8192 ? 8 : 1 / ((1 - (8192 / wavelen - 1) / 3) / 8 + (8192 / wavelen - 1) / 3);
                assertEquals(want, f.data().get(LE.FLOAT, 4L * i), 2e-6 * want, "factor " + i);
            }
            assertEquals(1f, f.data().get(LE.FLOAT, 0));
            assertEquals(8f, f.data().get(LE.FLOAT, 4 * 63));
        }
    }

    @Test
    void linearAndYarnScalingAreMetadataAndUnknownKindsAreRefused() throws IOException {
        Path lin = llama("linear", llamaConfig(", \"rope_scaling\": {\"type\": \"linear\", \"factor\": 4.0}"));
        try (HuggingFaceModel m = HuggingFaceModel.open(lin, null)) {
            assertEquals("linear", m.metadata().getString("llama.rope.scaling.type"));
            assertEquals(4f, m.metadata().getFloat("llama.rope.scaling.factor"));
        }
        Path yarn = llama("yarn", llamaConfig(", \"rope_scaling\": {\"rope_type\": \"yarn\", \"factor\": 4.0, \"original_max_position_embeddings\": 32768}"));
        try (HuggingFaceModel m = HuggingFaceModel.open(yarn, null)) {
            assertEquals("yarn", m.metadata().getString("llama.rope.scaling.type"));
            assertEquals(32768, m.metadata().getInt("llama.rope.scaling.original_context_length"));
        }
        Path odd = llama("odd", llamaConfig(", \"rope_scaling\": {\"rope_type\": \"wobbly\", \"factor\": 2.0}"));
        String msg = assertThrows(ModelFileException.class, () -> HuggingFaceModel.open(odd, null)).getMessage();
        assertTrue(msg.contains("config.json") && msg.contains("'wobbly'"), msg);
    }

    @Test
    void gemmaNormsGetOneAddedInTheirOwnPrecisionAndLmHeadIsDropped() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("gemma"));
        Files.writeString(dir.resolve("config.json"), """
                {"architectures": ["GemmaForCausalLM"], "hidden_size": 4, "intermediate_size": 8, "num_hidden_layers": 1,
                 "num_attention_heads": 1, "num_key_value_heads": 1, "head_dim": 4, "max_position_embeddings": 64, "rms_norm_eps": 1e-6}""");
        short h = Float16.floatToHalf(0.0001f), b = Float16.floatToBf16(0.0001f);
        ByteBuffer f16 = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer bf16 = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 4; i++) { f16.putShort(h); bf16.putShort(b); }
        new SafetensorsWriter()
                .add("model.layers.0.input_layernorm.weight", DType.F16, new long[]{4}, f16.array())
                .add("model.layers.0.post_attention_layernorm.weight", DType.BF16, new long[]{4}, bf16.array())
                .addF32("model.norm.weight", new long[]{4}, new float[]{-0.5f, 0, 0.25f, 1})
                .addF32("model.layers.0.self_attn.q_proj.weight", new long[]{4, 4}, tagged(1, 4, 4))
                .addF32("lm_head.weight", new long[]{2, 4}, new float[8])
                .write(dir.resolve("model.safetensors"));
        try (HuggingFaceModel m = HuggingFaceModel.open(dir, null)) {
            assertEquals("gemma", m.metadata().getString("general.architecture"));
            assertEquals(4, m.metadata().getInt("gemma.attention.key_length"));
            assertFalse(m.metadata().has("gemma.rope.freq_base"), "Gemma's converter writes no RoPE base");
            assertNull(m.tensor("output.weight"));
            Tensor n = m.require("output_norm.weight");
            assertEquals(DType.F32, n.type());
            assertEquals(0.5f, n.data().get(LE.FLOAT, 0));
            assertEquals(2f, n.data().get(LE.FLOAT, 12));
            // F16: 1 + 0.0001 rounds to F16's 1.0 (its step near 1 is 2^-10); BF16 is widened first, so F32 keeps it
            assertEquals(1f, m.require("blk.0.attn_norm.weight").data().get(LE.FLOAT, 0));
            assertEquals(1f + Float16.bf16ToFloat(b), m.require("blk.0.ffn_norm.weight").data().get(LE.FLOAT, 0));
            assertEquals(1010f, at(m.require("blk.0.attn_q.weight"), 1, 0), "Gemma's q is not permuted");
        }
    }

    @Test
    void gemma2AndPhi3AndQwenKeysAndNames() throws IOException {
        Path g2 = Files.createDirectories(tmp.resolve("gemma2"));
        Files.writeString(g2.resolve("config.json"), """
                {"architectures": ["Gemma2ForCausalLM"], "hidden_size": 4, "intermediate_size": 8, "num_hidden_layers": 1,
                 "num_attention_heads": 1, "head_dim": 4, "max_position_embeddings": 64, "rms_norm_eps": 1e-6,
                 "attn_logit_softcapping": 50.0, "final_logit_softcapping": 30.0, "sliding_window": 4096}""");
        new SafetensorsWriter()
                .addF32("model.layers.0.post_attention_layernorm.weight", new long[]{4}, new float[4])
                .addF32("model.layers.0.pre_feedforward_layernorm.weight", new long[]{4}, new float[4])
                .addF32("model.layers.0.post_feedforward_layernorm.weight", new long[]{4}, new float[4])
                .write(g2.resolve("model.safetensors"));
        try (HuggingFaceModel m = HuggingFaceModel.open(g2, null)) {
            assertEquals(java.util.Set.of("blk.0.post_attention_norm.weight", "blk.0.ffn_norm.weight", "blk.0.post_ffw_norm.weight"), m.tensors().keySet());
            assertEquals(50f, m.metadata().getFloat("gemma2.attn_logit_softcapping"));
            assertEquals(4096, m.metadata().getInt("gemma2.attention.sliding_window"));
            assertEquals(1, m.metadata().getInt("gemma2.attention.head_count_kv"), "defaults to the head count");
        }

        Path phi = Files.createDirectories(tmp.resolve("phi3"));
        Files.writeString(phi.resolve("config.json"), """
                {"architectures": ["Phi3ForCausalLM"], "hidden_size": 8, "intermediate_size": 16, "num_hidden_layers": 1,
                 "num_attention_heads": 2, "num_key_value_heads": 2, "max_position_embeddings": 4096,
                 "original_max_position_embeddings": 4096, "rms_norm_eps": 1e-5, "rope_theta": 10000.0, "rope_scaling": null,
                 "sliding_window": 2047}""");
        new SafetensorsWriter()
                .addF32("model.layers.0.self_attn.qkv_proj.weight", new long[]{24, 8}, tagged(1, 24, 8))
                .addF32("model.layers.0.mlp.gate_up_proj.weight", new long[]{32, 8}, new float[256])
                .write(phi.resolve("model.safetensors"));
        try (HuggingFaceModel m = HuggingFaceModel.open(phi, null)) {
            assertEquals(java.util.Set.of("blk.0.attn_qkv.weight", "blk.0.ffn_up.weight"), m.tensors().keySet());
            assertEquals(4, m.metadata().getInt("phi3.rope.dimension_count"));
            assertEquals(4096, m.metadata().getInt("phi3.rope.scaling.original_context_length"));
            assertEquals(2047, m.metadata().getInt("phi3.attention.sliding_window"));
            assertEquals(1010f, at(m.require("blk.0.attn_qkv.weight"), 1, 0), "Phi-3's fused qkv is not permuted");
        }

        Path qwen = Files.createDirectories(tmp.resolve("qwen3"));
        Files.writeString(qwen.resolve("config.json"), """
                {"architectures": ["Qwen3ForCausalLM"], "hidden_size": 8, "intermediate_size": 16, "num_hidden_layers": 1,
                 "num_attention_heads": 2, "num_key_value_heads": 1, "head_dim": 16, "max_position_embeddings": 40960,
                 "rms_norm_eps": 1e-6, "rope_theta": 1000000, "vocab_size": 32, "tie_word_embeddings": true}""");
        new SafetensorsWriter()
                .addF32("model.layers.0.self_attn.q_norm.weight", new long[]{16}, new float[16])
                .addF32("model.layers.0.self_attn.q_proj.weight", new long[]{32, 8}, tagged(1, 32, 8))
                .write(qwen.resolve("model.safetensors"));
        try (HuggingFaceModel m = HuggingFaceModel.open(qwen, null)) {
            assertEquals("qwen3", m.metadata().getString("general.architecture"));
            assertEquals(16, m.metadata().getInt("qwen3.attention.key_length"));
            assertEquals(1e6f, m.metadata().getFloat("qwen3.rope.freq_base"));
            assertFalse(m.metadata().has("qwen3.vocab_size"), "only Llama's converter writes vocab_size");
            assertNotNull(m.tensor("blk.0.attn_q_norm.weight"));
            assertEquals(1010f, at(m.require("blk.0.attn_q.weight"), 1, 0), "Qwen keeps the rotate-half layout (NeoX RoPE)");
        }
    }

    /** Phi-3 "longrope": the factor lists become tensors and sqrt(1 + ln(s)/ln(original)) the attention factor. */
    @Test
    void phi3LongRopeBecomesFactorTensors() throws IOException {
        Path phi = Files.createDirectories(tmp.resolve("phi3long"));
        String config = """
                {"architectures": ["Phi3ForCausalLM"], "hidden_size": 8, "intermediate_size": 16, "num_hidden_layers": 1,
                 "num_attention_heads": 2, "num_key_value_heads": 2, "max_position_embeddings": 131072,
                 "original_max_position_embeddings": 4096, "rms_norm_eps": 1e-5, "rope_theta": 10000.0,
                 "rope_scaling": {"type": "longrope", "long_factor": [1.5, 2.5], "short_factor": [1.0, 1.25]}}""";
        Files.writeString(phi.resolve("config.json"), config);
        new SafetensorsWriter().addF32("model.norm.weight", new long[]{8}, new float[8]).write(phi.resolve("model.safetensors"));
        try (HuggingFaceModel m = HuggingFaceModel.open(phi, null)) {
            assertEquals((float) Math.sqrt(1 + Math.log(32) / Math.log(4096)), m.metadata().getFloat("phi3.rope.scaling.attn_factor"));
            assertEquals(4096, m.metadata().getInt("phi3.rope.scaling.original_context_length"));
            Tensor longF = m.require("rope_factors_long.weight"), shortF = m.require("rope_factors_short.weight");
            assertEquals(2.5f, longF.data().get(LE.FLOAT, 4));
            assertEquals(1.25f, shortF.data().get(LE.FLOAT, 4));
            assertEquals(DType.F32, shortF.type());
        }
        Files.writeString(phi.resolve("config.json"), config.replace("[1.0, 1.25]", "[1.0, 1.25, 2.0]"));
        assertMessage(phi, "long_factor and short_factor must each have 2 values");
    }

    /** A two-expert Qwen2-MoE layer: experts stacked in order into [cols, rows, experts], router and shared expert renamed. */
    @Test
    void moeExpertsAreStackedInExpertOrder() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("moe"));
        Files.writeString(dir.resolve("config.json"), """
                {"architectures": ["Qwen2MoeForCausalLM"], "hidden_size": 8, "intermediate_size": 12, "num_hidden_layers": 1,
                 "num_attention_heads": 2, "num_key_value_heads": 1, "num_experts": 2, "num_experts_per_tok": 1,
                 "moe_intermediate_size": 4, "shared_expert_intermediate_size": 6, "rms_norm_eps": 1e-6}""");
        String p = "model.layers.0.mlp.";
        SafetensorsWriter w = new SafetensorsWriter()
                .addF32(p + "gate.weight", new long[]{2, DIM}, tagged(1, 2, DIM))
                .addF32(p + "shared_expert_gate.weight", new long[]{1, DIM}, tagged(2, 1, DIM))
                .addF32(p + "shared_expert.up_proj.weight", new long[]{6, DIM}, tagged(3, 6, DIM));
        for (int x = 1; x >= 0; x--) { // written out of order on purpose
            w.addF32(p + "experts." + x + ".gate_proj.weight", new long[]{4, DIM}, tagged(10 + x, 4, DIM));
            w.addF32(p + "experts." + x + ".up_proj.weight", new long[]{4, DIM}, tagged(20 + x, 4, DIM));
            w.addF32(p + "experts." + x + ".down_proj.weight", new long[]{DIM, 4}, tagged(30 + x, DIM, 4));
        }
        w.write(dir.resolve("model.safetensors"));
        try (HuggingFaceModel m = HuggingFaceModel.open(dir, null)) {
            assertEquals(4, m.metadata().getInt("qwen2moe.expert_feed_forward_length"));
            assertEquals(6, m.metadata().getInt("qwen2moe.expert_shared_feed_forward_length"));
            assertEquals(2, m.metadata().getInt("qwen2moe.expert_count"));
            Tensor gate = m.require("blk.0.ffn_gate_exps.weight"), down = m.require("blk.0.ffn_down_exps.weight");
            assertArrayEquals(new long[]{DIM, 4, 2}, gate.dims());
            assertArrayEquals(new long[]{4, DIM, 2}, down.dims());
            assertEquals(10_000f + 3 * 10 + 5, gate.data().get(LE.FLOAT, 4L * (3 * DIM + 5)), "expert 0 first");
            assertEquals(11_000f + 3 * 10 + 5, gate.data().get(LE.FLOAT, 4L * (4 * DIM + 3 * DIM + 5)), "then expert 1");
            assertEquals(31_000f + 7 * 10 + 2, down.data().get(LE.FLOAT, 4L * (DIM * 4 + 7 * 4 + 2)));
            assertArrayEquals(new long[]{DIM, 1}, m.require("blk.0.ffn_gate_inp_shexp.weight").dims());
            assertNotNull(m.require("blk.0.ffn_gate_inp.weight"));
            assertNotNull(m.require("blk.0.ffn_up_shexp.weight"));
        }
        Files.writeString(dir.resolve("config.json"), Files.readString(dir.resolve("config.json")).replace("\"num_experts\": 2", "\"num_experts\": 3"));
        assertMessage(dir, "blk.0.ffn_", "expert 2 of 3 is missing");
    }

    @Test
    void shardsFollowTheIndex() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("sharded"));
        Files.writeString(dir.resolve("config.json"), llamaConfig(""));
        new SafetensorsWriter().addF32("model.norm.weight", new long[]{DIM}, tagged(1, 1, DIM)).write(dir.resolve("model-00001-of-00002.safetensors"));
        new SafetensorsWriter().addF32("model.embed_tokens.weight", new long[]{VOCAB, DIM}, tagged(2, VOCAB, DIM)).write(dir.resolve("model-00002-of-00002.safetensors"));
        String index = "{\"metadata\": {\"total_size\": 0}, \"weight_map\": {\"model.norm.weight\": \"model-00001-of-00002.safetensors\", "
                + "\"model.embed_tokens.weight\": \"model-00002-of-00002.safetensors\"}}";
        Files.writeString(dir.resolve(HuggingFaceShards.INDEX), index);
        try (HuggingFaceModel m = HuggingFaceModel.open(dir, null)) {
            assertEquals(1001f, m.require("output_norm.weight").data().get(LE.FLOAT, 4));
            assertEquals(2010f, at(m.require("token_embd.weight"), 1, 0));
        }

        Files.writeString(dir.resolve(HuggingFaceShards.INDEX), index.replace("}}", ", \"lm_head.weight\": \"model-00002-of-00002.safetensors\"}}"));
        assertMessage(dir, "tensor lm_head.weight should be in model-00002-of-00002.safetensors", "incomplete");

        Files.writeString(dir.resolve(HuggingFaceShards.INDEX), index.replace("model-00002-of-00002", "model-00003-of-00003"));
        assertMessage(dir, "shard model-00003-of-00003.safetensors is missing");

        Files.writeString(dir.resolve(HuggingFaceShards.INDEX), index);
        Path shard1 = dir.resolve("model-00001-of-00002.safetensors");
        byte[] good = Files.readAllBytes(shard1);
        new SafetensorsWriter().addF32("model.norm.weight", new long[]{DIM}, tagged(1, 1, DIM))
                .addF32("model.layers.0.input_layernorm.weight", new long[]{DIM}, new float[DIM]).write(shard1);
        assertMessage(dir, "model.safetensors.index.json", "model.layers.0.input_layernorm.weight", "not in the index");
        Files.write(shard1, good);

        Files.writeString(dir.resolve(HuggingFaceShards.INDEX), index.replace("model-00002-of-00002.safetensors\"}", "../outside.safetensors\"}"));
        assertMessage(dir, "outside the model folder");

        Files.writeString(dir.resolve(HuggingFaceShards.INDEX), "{\"weight_map\": [1]}");
        assertMessage(dir, "no weight_map");

        Files.delete(dir.resolve(HuggingFaceShards.INDEX));
        try (HuggingFaceModel m = HuggingFaceModel.open(dir, null)) {
            assertEquals(2, m.tensors().size(), "without an index every model*.safetensors is read");
        }
    }

    @Test
    void configAndCheckpointProblemsNameTheFileAndKey() throws IOException {
        Path dir = llama("bad", llamaConfig(""));
        Files.writeString(dir.resolve("config.json"), llamaConfig("").replace("LlamaForCausalLM", "MambaForCausalLM"));
        assertMessage(dir, "config.json", "architecture MambaForCausalLM is not supported", "LlamaForCausalLM");
        Files.writeString(dir.resolve("config.json"), llamaConfig("").replace("\"num_hidden_layers\": 1,", ""));
        assertMessage(dir, "config.json", "missing n_layers / num_hidden_layers");
        Files.writeString(dir.resolve("config.json"), llamaConfig("").replace("\"hidden_size\": 8", "\"hidden_size\": \"eight\""));
        assertMessage(dir, "config.json", "hidden_size should be an integer");
        Files.writeString(dir.resolve("config.json"), "{\"architectures\": [");
        assertMessage(dir, "config.json", "not valid JSON");
        Files.writeString(dir.resolve("config.json"), llamaConfig("").replace("\"num_attention_heads\": 2", "\"num_attention_heads\": 3"));
        assertMessage(dir, "tensor model.layers.0.self_attn.q_proj.weight", "not a multiple of 2 x 3 heads");

        Path odd = Files.createDirectories(tmp.resolve("odd"));
        Files.writeString(odd.resolve("config.json"), llamaConfig(""));
        new SafetensorsWriter().addF32("model.layers.0.mlp.experts.0.w1.weight", new long[]{2}, new float[2]).write(odd.resolve("model.safetensors"));
        assertMessage(odd, "tensor model.layers.0.mlp.experts.0.w1.weight", "no GGUF name");

        Path empty = Files.createDirectories(tmp.resolve("empty"));
        Files.writeString(empty.resolve("config.json"), llamaConfig(""));
        Files.writeString(empty.resolve("pytorch_model.bin"), "x");
        assertMessage(empty, "no model.safetensors", "PyTorch");

        assertThrows(java.nio.file.NoSuchFileException.class, () -> HuggingFaceModel.open(tmp.resolve("nowhere"), null));
        Path noConfig = Files.createDirectories(tmp.resolve("noconfig"));
        new SafetensorsWriter().addF32("x", new long[]{1}, new float[1]).write(noConfig.resolve("model.safetensors"));
        assertThrows(java.nio.file.NoSuchFileException.class, () -> HuggingFaceModel.open(noConfig, null));
    }

    private static void assertMessage(Path dir, String... parts) {
        String msg = assertThrows(ModelFileException.class, () -> HuggingFaceModel.open(dir, null).close()).getMessage();
        for (String p : parts) assertTrue(msg.contains(p), "'" + p + "' missing from: " + msg);
    }

    @Test
    void tokenizerImportAddsItsKeys() throws IOException {
        Path dir = llama("tok", llamaConfig(""));
        try (HuggingFaceModel m = HuggingFaceModel.open(dir, (folder, md) -> {
            assertEquals(dir, folder);
            md.put("tokenizer.ggml.model", GgufType.STRING, "gpt2");
        })) {
            assertEquals("gpt2", m.metadata().getString("tokenizer.ggml.model"));
        }
    }
}
