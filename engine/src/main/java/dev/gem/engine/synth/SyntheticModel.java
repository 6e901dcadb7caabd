package dev.gem.engine.synth;

import dev.gem.format.GgufType;
import dev.gem.format.GgufWriter;
import dev.gem.format.Metadata;
import dev.gem.quant.BlockCodec;
import dev.gem.quant.Codecs;
import dev.gem.tensor.DType;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * Writes a random-weight GGUF of a named {@link Shape}, with the tensor names and metadata llama.cpp expects for its
 * architecture and a real tokenizer, so both engines load the same file. Weights are Gaussian, scaled by
 * 1/sqrt(fan-in) so activations stay in a realistic range; norm weights are near one. The same seed gives the same
 * file.
 */
public final class SyntheticModel {
    private SyntheticModel() {}

    /** What a tensor holds, which decides its distribution and whether it is stored in the requested weight type. */
    enum Kind { MATRIX, EMBEDDING, NORM, BIAS, ROUTER, ROPE_FACTORS }

    record Spec(String name, long[] dims, Kind kind) {
        long elements() {
            long n = 1;
            for (long d : dims) n *= d;
            return n;
        }
    }

    /**
     * Writes the model.
     *
     * @param tokenizer metadata holding a vocabulary ({@code tokenizer.*} keys are copied); its size is the vocabulary
     *                  unless the shape names one, which must then agree
     * @param vocabLimit keep only the first N tokens (tiny fixtures), 0 = all
     */
    public static void write(Shape s, DType type, Metadata tokenizer, int vocabLimit, long seed, Path out,
                             Consumer<String> progress) throws IOException {
        if (!Codecs.supports(type)) throw new IllegalArgumentException("GEM cannot write tensors of type " + type);
        GgufWriter w = new GgufWriter();
        int vocab = copyTokenizer(tokenizer, vocabLimit, w);
        if (s.vocab() > 0 && s.vocab() != vocab)
            throw new IllegalArgumentException("shape " + s.name() + " needs a " + s.vocab() + "-token vocabulary but the tokenizer has "
                    + vocab + (s.vocab() == 128256 ? "; use --tokenizer ../shared/testdata/tokenizers/llama3/tokenizer.json" : ""));
        metadata(s, type, vocab, w);
        SplittableRandom rng = new SplittableRandom(seed);
        for (Spec t : tensors(s, vocab)) {
            if (t.kind() == Kind.ROPE_FACTORS) {
                float[] f = llama3Factors(s);
                w.addTensor(t.name(), DType.F32, t.dims(), seg -> {
                    for (int i = 0; i < f.length; i++) seg.setAtIndex(dev.gem.tensor.LE.FLOAT, i, f[i]);
                });
                continue;
            }
            DType stored = storedType(t, type);
            long seedOfTensor = rng.nextLong();
            w.addTensor(t.name(), stored, t.dims(), seg -> fill(t, stored, new SplittableRandom(seedOfTensor), seg));
        }
        w.write(out, progress);
    }

    /** Norms, biases and routers stay F32 (as llama-quantize leaves them); matrices whose rows fit the blocks take the type. */
    static DType storedType(Spec t, DType type) {
        if (t.kind() != Kind.MATRIX && t.kind() != Kind.EMBEDDING) return DType.F32;
        return type.fitsBlocks(t.dims()[0]) ? type : DType.F32;
    }

    private static void fill(Spec t, DType type, SplittableRandom rng, MemorySegment out) {
        int cols = (int) t.dims()[0];
        long rows = t.elements() / cols;
        float scale = switch (t.kind()) {
            case MATRIX, ROUTER -> (float) (1.0 / Math.sqrt(cols));
            case EMBEDDING -> 0.5f;
            case NORM -> 0.1f;
            case BIAS -> 0.05f;
            case ROPE_FACTORS -> throw new IllegalStateException("computed, not random");
        };
        float[] row = new float[cols];
        BlockCodec codec = Codecs.of(type);
        long rowBytes = type.bytesFor(cols);
        for (long r = 0; r < rows; r++) {
            for (int i = 0; i < cols; i++) {
                float g = (float) rng.nextGaussian() * scale;
                row[i] = t.kind() == Kind.NORM ? 1f + g : g;
            }
            codec.quantize(row, 0, out, r * rowBytes, cols);
        }
    }

    /**
     * Copies the {@code tokenizer.*} keys. With a limit, keeps the first {@code limit} tokens plus every control and
     * user-defined token after them (renumbered to follow), because loaders look some of those up by text; special
     * token ids and merges are remapped to the kept tokens.
     */
    private static int copyTokenizer(Metadata md, int limit, GgufWriter w) throws IOException {
        String[] tokens = md.getStringArray("tokenizer.ggml.tokens");
        int[] types = md.has("tokenizer.ggml.token_type") ? md.getIntArray("tokenizer.ggml.token_type") : null;
        int[] keep = kept(tokens.length, types, limit);
        int[] newId = new int[tokens.length];
        Arrays.fill(newId, -1);
        for (int i = 0; i < keep.length; i++) newId[keep[i]] = i;
        java.util.Set<String> keptText = new java.util.HashSet<>();
        for (int id : keep) keptText.add(tokens[id]);
        for (String key : md.keys()) {
            if (!key.startsWith("tokenizer.")) continue;
            Object v = md.get(key);
            if (keep.length < tokens.length) {
                if (key.equals("tokenizer.ggml.merges")) {
                    v = Arrays.stream((String[]) v).filter(m -> {
                        int sp = m.indexOf(' ');
                        return sp > 0 && keptText.contains(m.substring(0, sp)) && keptText.contains(m.substring(sp + 1))
                                && keptText.contains(m.substring(0, sp) + m.substring(sp + 1));
                    }).toArray(String[]::new);
                } else if (v != null && v.getClass().isArray() && java.lang.reflect.Array.getLength(v) == tokens.length) {
                    v = select(v, keep);
                } else if (key.endsWith("_token_id") && v instanceof Number id) {
                    int old = id.intValue();
                    if (old < 0 || old >= tokens.length || newId[old] < 0) continue;
                    v = md.type(key) == GgufType.UINT32 ? (Object) (long) newId[old] : (Object) newId[old];
                }
            }
            if (md.type(key) == GgufType.ARRAY) w.putArray(key, md.elementType(key), v);
            else w.put(key, md.type(key), v);
        }
        return keep.length;
    }

    private static int[] kept(int n, int[] types, int limit) {
        if (limit <= 0 || limit >= n) return java.util.stream.IntStream.range(0, n).toArray();
        return java.util.stream.IntStream.range(0, n)
                .filter(i -> i < limit || (types != null && (types[i] == 3 || types[i] == 4)))
                .toArray();
    }

    private static Object select(Object array, int[] keep) {
        return switch (array) {
            case String[] a -> Arrays.stream(keep).mapToObj(i -> a[i]).toArray(String[]::new);
            case float[] a -> { float[] r = new float[keep.length]; for (int i = 0; i < keep.length; i++) r[i] = a[keep[i]]; yield r; }
            case int[] a -> Arrays.stream(keep).map(i -> a[i]).toArray();
            case long[] a -> Arrays.stream(keep).mapToLong(i -> a[i]).toArray();
            default -> array;
        };
    }

    private static void metadata(Shape s, DType type, int vocab, GgufWriter w) {
        String a = s.arch();
        String p = a + ".";
        w.putString("general.architecture", a);
        w.putString("general.name", "synthetic " + s.name() + " " + type.name().toLowerCase());
        w.putU32("general.file_type", dev.gem.format.FileType.of(type));
        w.putU32(p + "context_length", a.equals("bert") ? 512 : 4096);
        w.putU32(p + "embedding_length", s.dim());
        w.putU32(p + "block_count", s.layers());
        w.putU32(p + "feed_forward_length", s.ffn());
        w.putU32(p + "attention.head_count", s.heads());
        w.putU32(p + "attention.head_count_kv", s.kvHeads());
        if (s.headDim() * s.heads() != s.dim()) {
            w.putU32(p + "attention.key_length", s.headDim());
            w.putU32(p + "attention.value_length", s.headDim());
        }
        w.putU32(p + "vocab_size", vocab);
        if (a.equals("bert")) {
            w.putF32(p + "attention.layer_norm_epsilon", 1e-12f);
            w.putBool(p + "attention.causal", false);
            w.putU32(p + "pooling_type", 2);
            return;
        }
        w.putF32(p + "attention.layer_norm_rms_epsilon", a.startsWith("gemma") ? 1e-6f : 1e-5f);
        w.putF32(p + "rope.freq_base", ropeTheta(s));
        w.putU32(p + "rope.dimension_count", s.headDim());
        if (s.moe()) {
            w.putU32(p + "expert_count", s.experts());
            w.putU32(p + "expert_used_count", s.expertsUsed());
            if (!a.equals("llama")) w.putU32(p + "expert_feed_forward_length", s.ffn());
            if (s.sharedFfn() > 0) w.putU32(p + "expert_shared_feed_forward_length", s.sharedFfn());
        }
        switch (a) {
            case "gemma2" -> {
                w.putU32(p + "attention.sliding_window", 4);
                w.putF32(p + "attn_logit_softcapping", 50f);
                w.putF32(p + "final_logit_softcapping", 30f);
            }
            case "gemma3" -> w.putU32(p + "attention.sliding_window", 4);
            case "granite" -> {
                w.putF32(p + "embedding_scale", 12f);
                w.putF32(p + "residual_scale", 0.22f);
                w.putF32(p + "attention.scale", 0.0078125f * 4);
                w.putF32(p + "logit_scale", 8f);
            }
            default -> { }
        }
    }

    /** Llama 3.1's published scaling parameters, applied to the shape's RoPE. */
    private static float[] llama3Factors(Shape s) {
        return dev.gem.format.HuggingFaceTransforms.llama3Factors(s.headDim(), ropeTheta(s), 8, 1, 4, 8192);
    }

    static float ropeTheta(Shape s) {
        String a = s.arch();
        if (s.llama3Rope()) return 500_000f;
        return a.startsWith("qwen") || a.equals("gemma3") ? 1_000_000f : a.equals("llama") && s.dim() >= 2048 ? 500_000f : 10_000f;
    }


    /** How many tensors the shape's file has (for progress reporting). */
    public static int tensorCount(Shape s) {
        return tensors(s, 1).size();
    }

    /** The tensors llama.cpp expects for the shape's architecture, in a sensible file order. */
    static List<Spec> tensors(Shape s, int vocab) {
        List<Spec> t = new ArrayList<>();
        String a = s.arch();
        int dim = s.dim(), q = s.qDim(), kv = s.kvDim(), ff = s.ffn();
        t.add(new Spec("token_embd.weight", dims(dim, vocab), Kind.EMBEDDING));
        if (s.llama3Rope()) t.add(new Spec("rope_freqs.weight", dims(s.headDim() / 2), Kind.ROPE_FACTORS));
        if (a.equals("bert")) {
            t.add(new Spec("token_types.weight", dims(dim, 2), Kind.EMBEDDING));
            t.add(new Spec("position_embd.weight", dims(dim, 512), Kind.EMBEDDING));
            t.add(new Spec("token_embd_norm.weight", dims(dim), Kind.NORM));
            t.add(new Spec("token_embd_norm.bias", dims(dim), Kind.BIAS));
        }
        for (int i = 0; i < s.layers(); i++) {
            String b = "blk." + i + ".";
            if (!a.equals("bert")) t.add(new Spec(b + "attn_norm.weight", dims(dim), Kind.NORM));
            if (a.equals("phi3")) {
                t.add(new Spec(b + "attn_qkv.weight", dims(dim, q + 2 * kv), Kind.MATRIX));
            } else {
                t.add(new Spec(b + "attn_q.weight", dims(dim, q), Kind.MATRIX));
                t.add(new Spec(b + "attn_k.weight", dims(dim, kv), Kind.MATRIX));
                t.add(new Spec(b + "attn_v.weight", dims(dim, kv), Kind.MATRIX));
            }
            if (a.equals("qwen2") || a.equals("qwen2moe") || a.equals("bert")) {
                t.add(new Spec(b + "attn_q.bias", dims(q), Kind.BIAS));
                t.add(new Spec(b + "attn_k.bias", dims(kv), Kind.BIAS));
                t.add(new Spec(b + "attn_v.bias", dims(kv), Kind.BIAS));
            }
            if (a.equals("qwen3") || a.equals("qwen3moe") || a.equals("gemma3")) {
                t.add(new Spec(b + "attn_q_norm.weight", dims(s.headDim()), Kind.NORM));
                t.add(new Spec(b + "attn_k_norm.weight", dims(s.headDim()), Kind.NORM));
            }
            if (a.equals("olmoe")) {
                t.add(new Spec(b + "attn_q_norm.weight", dims(q), Kind.NORM));
                t.add(new Spec(b + "attn_k_norm.weight", dims(kv), Kind.NORM));
            }
            t.add(new Spec(b + "attn_output.weight", dims(q, dim), Kind.MATRIX));
            if (a.equals("bert")) {
                t.add(new Spec(b + "attn_output.bias", dims(dim), Kind.BIAS));
                t.add(new Spec(b + "attn_output_norm.weight", dims(dim), Kind.NORM));
                t.add(new Spec(b + "attn_output_norm.bias", dims(dim), Kind.BIAS));
                t.add(new Spec(b + "ffn_up.weight", dims(dim, ff), Kind.MATRIX));
                t.add(new Spec(b + "ffn_up.bias", dims(ff), Kind.BIAS));
                t.add(new Spec(b + "ffn_down.weight", dims(ff, dim), Kind.MATRIX));
                t.add(new Spec(b + "ffn_down.bias", dims(dim), Kind.BIAS));
                t.add(new Spec(b + "layer_output_norm.weight", dims(dim), Kind.NORM));
                t.add(new Spec(b + "layer_output_norm.bias", dims(dim), Kind.BIAS));
                continue;
            }
            if (a.startsWith("gemma2") || a.equals("gemma3")) t.add(new Spec(b + "post_attention_norm.weight", dims(dim), Kind.NORM));
            t.add(new Spec(b + "ffn_norm.weight", dims(dim), Kind.NORM));
            if (s.moe()) {
                t.add(new Spec(b + "ffn_gate_inp.weight", dims(dim, s.experts()), Kind.ROUTER));
                t.add(new Spec(b + "ffn_gate_exps.weight", dims(dim, ff, s.experts()), Kind.MATRIX));
                t.add(new Spec(b + "ffn_up_exps.weight", dims(dim, ff, s.experts()), Kind.MATRIX));
                t.add(new Spec(b + "ffn_down_exps.weight", dims(ff, dim, s.experts()), Kind.MATRIX));
                if (s.sharedFfn() > 0) {
                    t.add(new Spec(b + "ffn_gate_inp_shexp.weight", dims(dim), Kind.ROUTER));
                    t.add(new Spec(b + "ffn_gate_shexp.weight", dims(dim, s.sharedFfn()), Kind.MATRIX));
                    t.add(new Spec(b + "ffn_up_shexp.weight", dims(dim, s.sharedFfn()), Kind.MATRIX));
                    t.add(new Spec(b + "ffn_down_shexp.weight", dims(s.sharedFfn(), dim), Kind.MATRIX));
                }
            } else if (a.equals("phi3")) {
                t.add(new Spec(b + "ffn_up.weight", dims(dim, 2 * ff), Kind.MATRIX));
                t.add(new Spec(b + "ffn_down.weight", dims(ff, dim), Kind.MATRIX));
            } else {
                t.add(new Spec(b + "ffn_gate.weight", dims(dim, ff), Kind.MATRIX));
                t.add(new Spec(b + "ffn_up.weight", dims(dim, ff), Kind.MATRIX));
                t.add(new Spec(b + "ffn_down.weight", dims(ff, dim), Kind.MATRIX));
            }
            if (a.startsWith("gemma2") || a.equals("gemma3")) t.add(new Spec(b + "post_ffw_norm.weight", dims(dim), Kind.NORM));
        }
        if (!a.equals("bert")) {
            t.add(new Spec("output_norm.weight", dims(dim), Kind.NORM));
            if (!s.tied()) t.add(new Spec("output.weight", dims(dim, vocab), Kind.MATRIX));
        }
        return t;
    }

    private static long[] dims(long... d) {
        return d;
    }
}
