package dev.gem.kernels.simd;

import dev.gem.kernels.ThreadPool;
import dev.gem.tensor.DType;
import dev.gem.tensor.Tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static dev.gem.kernels.simd.Int8Matvec.Q4_GROUP;
import static dev.gem.kernels.simd.Int8Matvec.Q8_GROUP;
import static dev.gem.kernels.simd.Int8Matvec.SL;

/**
 * A Q4_0 or Q8_0 weight matrix repacked "blocks in lanes" for {@link Int8Matvec} (layout described there). The copy
 * has the size of the original and the same row offsets; it lives in memory of its own (the mapped file is left
 * alone, and still serves row lookups such as embeddings), released by the garbage collector with the matrix.
 *
 * <p>Deliberately holds no reference to the source tensor, so a weak map from tensors to their repacked copies lets
 * both go when the model does.
 */
final class Int8Matrix {
    final DType type;
    final MemorySegment data;
    final long rowBytes;
    final int rows, cols;
    /** Full groups of {@code SL} blocks per row, and blocks after them kept in the original layout. */
    final int groups, tailBlocks;

    private Int8Matrix(DType type, MemorySegment data, long rowBytes, int rows, int cols) {
        this.type = type;
        this.data = data;
        this.rowBytes = rowBytes;
        this.rows = rows;
        this.cols = cols;
        this.groups = cols / 32 / SL;
        this.tailBlocks = cols / 32 % SL;
    }

    /** Whether {@code t} has the shape the kernels take: a Q4_0 or Q8_0 matrix with rows of at least one group. */
    static boolean fits(Tensor t) {
        return (t.type() == DType.Q4_0 || t.type() == DType.Q8_0) && t.rank() == 2 && t.cols() / 32 >= SL;
    }

    /**
     * The repacked copy of {@code t}, or null when the integer kernels cannot take it: not {@link #fits}, or some block
     * scale is infinite or NaN (the kernels convert scales without that special case; such a file is left to the float
     * kernels, which handle everything).
     */
    static Int8Matrix pack(Tensor t, ThreadPool pool) {
        if (!fits(t)) return null;
        int rows = t.rows(), cols = t.cols();
        long rowBytes = t.rowBytes();
        MemorySegment src = t.data();
        for (long b = 0, blocks = t.elementCount() / 32, stride = t.type().blockBytes; b < blocks; b++) {
            int exponent = (src.get(dev.gem.tensor.LE.SHORT, b * stride) >>> 10) & 0x1f;
            if (exponent == 31) return null;
        }
        MemorySegment dst = Arena.ofAuto().allocate(t.byteSize(), 64);
        Int8Matrix m = new Int8Matrix(t.type(), dst, rowBytes, rows, cols);
        pool.forRange(rows, cols, (start, end) -> {
            byte[] in = new byte[(int) rowBytes], out = new byte[(int) rowBytes];
            for (int r = start; r < end; r++) {
                MemorySegment.copy(src, ValueLayout.JAVA_BYTE, r * rowBytes, in, 0, in.length);
                if (m.type == DType.Q4_0) m.packRowQ4_0(in, out);
                else m.packRowQ8_0(in, out);
                MemorySegment.copy(out, 0, dst, ValueLayout.JAVA_BYTE, r * rowBytes, out.length);
            }
        });
        return m;
    }

    private void packRowQ4_0(byte[] in, byte[] out) {
        for (int g = 0; g < groups; g++) {
            int go = g * Q4_GROUP;
            for (int b = 0; b < SL; b++) {
                int bo = (g * SL + b) * 18;
                out[go + 2 * b] = in[bo];
                out[go + 2 * b + 1] = in[bo + 1];
                for (int v = 0; v < 8; v++) {
                    int lane = 0;
                    for (int p = 0; p < 4; p++) {
                        int e = v + 8 * p;                              // element of the block
                        int q = in[bo + 2 + e % 16] & 0xff;
                        lane |= (e < 16 ? q & 0xf : q >>> 4) << (4 * p);
                    }
                    out[go + 2 * SL + v * 2 * SL + 2 * b] = (byte) lane;
                    out[go + 2 * SL + v * 2 * SL + 2 * b + 1] = (byte) (lane >>> 8);
                }
            }
        }
        int done = groups * Q4_GROUP;
        System.arraycopy(in, done, out, done, in.length - done);
    }

    private void packRowQ8_0(byte[] in, byte[] out) {
        for (int g = 0; g < groups; g++) {
            int go = g * Q8_GROUP;
            for (int b = 0; b < SL; b++) {
                int bo = (g * SL + b) * 34;
                out[go + 2 * b] = in[bo];
                out[go + 2 * b + 1] = in[bo + 1];
                for (int j = 0; j < 32; j++) out[go + 2 * SL + j * SL + b] = in[bo + 2 + j];
            }
        }
        int done = groups * Q8_GROUP;
        System.arraycopy(in, done, out, done, in.length - done);
    }
}
