package dev.gem.quant;

import dev.gem.tensor.DType;

import java.util.EnumMap;
import java.util.Map;

/** The scalar reference codec of every storage type GEM supports, keyed by {@link DType}. */
public final class Codecs {
    private static final Map<DType, BlockCodec> CODECS = new EnumMap<>(DType.class);

    static {
        for (BlockCodec c : new BlockCodec[] {
                new F32Codec(), new F16Codec(), new BF16Codec(),
                new Q8_0Codec(), new Q4_0Codec(), new Q4_1Codec(), new Q5_0Codec(), new Q5_1Codec(),
                new Q8_1Codec(), new Q8_KCodec(),
                new Q2_KCodec(), new Q3_KCodec(), new Q4_KCodec(), new Q5_KCodec(), new Q6_KCodec(),
                new IQ4_NLCodec(), new IQ4_XSCodec(), new MXFP4Codec(),
        }) {
            CODECS.put(c.type(), c);
        }
    }

    private Codecs() {}

    public static boolean supports(DType t) { return CODECS.containsKey(t); }

    /** The codec for {@code t}; an error naming the type when GEM cannot decode it. */
    public static BlockCodec of(DType t) {
        BlockCodec c = CODECS.get(t);
        if (c == null) throw new UnsupportedOperationException("GEM cannot decode tensors of type " + t + " yet");
        return c;
    }
}
