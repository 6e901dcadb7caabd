package dev.gem.format;

import dev.gem.tensor.DType;

/** llama.cpp's {@code general.file_type} (LLAMA_FTYPE_*): the type most of a file's weights are stored in. */
public final class FileType {
    private FileType() {}

    /** The file type of a model whose matrices are mostly {@code t} (K-quants as their _M mixes, as llama.cpp names them). */
    public static long of(DType t) {
        return switch (t) {
            case F32 -> 0; case F16 -> 1; case Q4_0 -> 2; case Q4_1 -> 3; case Q8_0 -> 7; case Q5_0 -> 8; case Q5_1 -> 9;
            case Q2_K -> 10; case Q3_K -> 12; case Q4_K -> 15; case Q5_K -> 17; case Q6_K -> 18; case IQ4_NL -> 25;
            case IQ4_XS -> 30; case BF16 -> 32; case MXFP4 -> 38;
            default -> throw new IllegalArgumentException("no llama.cpp file type stores mostly " + t);
        };
    }
}
