package dev.gem.kernels.simd;

import dev.gem.kernels.ThreadPool;
import dev.gem.tensor.DType;
import dev.gem.tensor.Tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static dev.gem.kernels.simd.Int8Matvec.SL;

/**
 * A weight matrix repacked "blocks in lanes" for {@link Int8Matvec}, in one of the {@link Layout}s. Q4_0 and Q8_0 copies
 * have the size of the original; the other types' blocks get their scales (and mins) as floats, which the kernels use
 * as they are, and bytes where the file has 2, 3, 5 or 6 bits: from 4/3 (Q4_K) to 4.6 (Q2_K) times the file's size.
 * Rows are padded to whole groups with zero blocks (half groups in the paired layouts). The copy lives in memory of its
 * own (the mapped file is left alone, and still serves row lookups such as embeddings), from the allocator given to
 * {@code Kernels.prepare}: a model's arena, freed when the model closes, or by default memory the garbage collector
 * frees with the matrix.
 *
 * <p>Deliberately holds no reference to the source tensor, so a weak map from tensors to their repacked copies lets
 * both go when the model does.
 */
final class Int8Matrix {
    final Layout layout;
    final MemorySegment data;
    final long rowBytes;
    final int rows, cols;
    /** Groups per row (of SL lanes: blocks, blocks of 16 or halves), the last padded with zero blocks where rows end early. */
    final int groups;
    /** Bytes of one group, and where its quants start (the scales come first). */
    final int groupBytes, quantAt;
    /**
     * The layout's flags, copied here for the kernels: read through {@link #layout} they cost the Q4_K and Q6_K
     * kernels 4% (JMH, C2); as the matrix's own fields they cost what comparing the layout by identity did.
     */
    final boolean sixteens, halves, floatScales, mins;
    /** Blocks of 32 per group: SL, or SL/2 in the paired layouts. */
    private final int groupBlocks;

    private Int8Matrix(Layout layout, MemorySegment data, long rowBytes, int rows, int cols) {
        this.layout = layout;
        this.data = data;
        this.rowBytes = rowBytes;
        this.rows = rows;
        this.cols = cols;
        this.groupBlocks = layout.paired() ? SL / 2 : SL;
        this.groups = layout.padded(cols / 32) / groupBlocks;
        this.groupBytes = layout.blockBytes * SL;
        this.quantAt = layout.quantsAt * SL;
        this.sixteens = layout.sixteens;
        this.halves = layout.halves;
        this.floatScales = layout.floatScales;
        this.mins = layout.mins;
    }

    /**
     * Whether {@code t} is a matrix of a type with a layout here, with rows of at least half a group (rows are padded
     * to whole groups; shorter ones would more than double the bytes streamed: the float kernel takes them).
     */
    static boolean fits(Tensor t) {
        return t.rank() == 2 && Layout.of(t.type()) != null && t.cols() % 32 == 0 && t.cols() / 32 >= SL / 2;
    }

    /** Byte offsets, in a block of the file type, of its fp16 scales (d, and dmin where there is one). */
    private static int[] scaleOffsets(DType type) {
        return switch (type) {
            case Q4_K, Q4_1, Q5_K, Q5_1 -> new int[] {0, 2};
            case Q6_K -> new int[] {208};
            case Q3_K -> new int[] {108};
            case Q2_K -> new int[] {80, 82};
            default -> new int[] {0};
        };
    }

    /**
     * The repacked copy of {@code t}, or null when the integer kernels cannot take it: not {@link #fits}, or some block
     * scale is infinite or NaN (the kernels convert scales without that special case; such a file is left to the float
     * kernels, which handle everything).
     */
    static Int8Matrix pack(Tensor t, ThreadPool pool, java.util.function.LongFunction<MemorySegment> memory) {
        if (!fits(t)) return null;
        int rows = t.rows(), cols = t.cols();
        long rowBytes = t.rowBytes();
        MemorySegment src = t.data();
        DType source = t.type();
        Layout layout = Layout.of(source, cols / 32);
        for (long b = 0, blocks = t.elementCount() / source.blockSize, stride = source.blockBytes; b < blocks; b++)
            for (int at : scaleOffsets(source)) {
                int exponent = (src.get(dev.gem.tensor.LE.SHORT, b * stride + at) >>> 10) & 0x1f;
                if (exponent == 31) return null;
            }
        Int8Matrix shape = new Int8Matrix(layout, MemorySegment.NULL, 0, rows, cols);
        long packedRowBytes = (long) shape.groups * shape.groupBytes;
        MemorySegment dst = memory.apply(packedRowBytes * rows);
        Int8Matrix m = new Int8Matrix(layout, dst, packedRowBytes, rows, cols);
        pool.forRange(rows, cols, (start, end) -> {
            // out is reused row after row: the padding blocks are never written, so they stay zero
            byte[] file = new byte[(int) rowBytes], out = new byte[(int) packedRowBytes];
            byte[] q8 = source == DType.Q5_0 || source == DType.IQ4_NL ? new byte[cols / 32 * 34] : null;
            for (int r = start; r < end; r++) {
                MemorySegment.copy(src, ValueLayout.JAVA_BYTE, r * rowBytes, file, 0, file.length);
                byte[] in = file;
                if (q8 != null) {
                    toQ8_0(source, file, q8, cols / 32);
                    in = q8;
                }
                switch (layout) {
                    case NIBBLES, NIBBLES_HALVES -> m.packRowQ4_0(in, out);
                    case BYTES, BYTES_HALVES -> m.packRowQ8_0(in, out);
                    case NIBBLES_AFFINE, NIBBLES_AFFINE_HALVES -> m.packRowAffine(source, in, out);
                    case BYTES_AFFINE, BYTES_AFFINE_HALVES -> m.packRowAffineBytes(source, in, out);
                    case BYTES_16 -> m.packRowSixteens(source, in, out);
                    case BYTES_16_AFFINE -> m.packRowQ2_K(in, out);
                }
                MemorySegment.copy(out, 0, dst, ValueLayout.JAVA_BYTE, r * packedRowBytes, out.length);
            }
        });
        return m;
    }

    /** Q4_0: per group its blocks' fp16 scales in block order, then the nibbles ({@link #putNibbles}). */
    private void packRowQ4_0(byte[] in, byte[] out) {
        int[] q = new int[32];
        for (int block = 0; block < cols / 32; block++) {
            int go = block / groupBlocks * groupBytes, k = block % groupBlocks, bo = block * 18;
            out[go + 2 * k] = in[bo];
            out[go + 2 * k + 1] = in[bo + 1];
            for (int e = 0; e < 16; e++) {
                q[e] = in[bo + 2 + e] & 0xf;
                q[e + 16] = (in[bo + 2 + e] & 0xff) >>> 4;
            }
            putNibbles(out, go + quantAt, k, q);
        }
    }

    /**
     * Block k's 32 nibbles q (0..15) into the quants of its group at {@code qs}. A 16-bit lane holds four nibbles, at
     * bits 4p. One lane per block: element v + 8p in vector v (8 vectors a group). Halves: element 16h + v + 4p in
     * vector v (4 vectors a group), lane 2k + h. Whole lanes are written, so a reused row buffer needs no clearing.
     */
    private void putNibbles(byte[] out, int qs, int k, int[] q) {
        if (halves) {
            for (int h = 0; h < 2; h++)
                for (int v = 0; v < 4; v++) {
                    int e = 16 * h + v, at = qs + v * 2 * SL + 2 * (2 * k + h);
                    int lane = q[e] | q[e + 4] << 4 | q[e + 8] << 8 | q[e + 12] << 12;
                    out[at] = (byte) lane;
                    out[at + 1] = (byte) (lane >>> 8);
                }
        } else {
            for (int v = 0; v < 8; v++) {
                int at = qs + v * 2 * SL + 2 * k, lane = q[v] | q[v + 8] << 4 | q[v + 16] << 8 | q[v + 24] << 12;
                out[at] = (byte) lane;
                out[at + 1] = (byte) (lane >>> 8);
            }
        }
    }

    /** ggml's kvalues_iq4nl: the 16 levels of IQ4_NL and IQ4_XS. */
    private static final byte[] IQ4_LEVELS = dev.gem.quant.NonLinear4Bit.levels();

    /** A row of Q5_0 (d·(q - 16), q of 5 bits) or IQ4_NL (d·level) blocks as the Q8_0 blocks of the same values. */
    private static void toQ8_0(DType source, byte[] in, byte[] out, int blocks) {
        int size = source.blockBytes;
        for (int b = 0; b < blocks; b++) {
            int i = b * size, o = b * 34;
            out[o] = in[i];
            out[o + 1] = in[i + 1];
            int qh = source == DType.Q5_0 ? (in[i + 2] & 0xff | (in[i + 3] & 0xff) << 8 | (in[i + 4] & 0xff) << 16 | in[i + 5] << 24) : 0;
            int qs = i + (source == DType.Q5_0 ? 6 : 2);
            for (int j = 0; j < 32; j++) {
                int nibble = (in[qs + j % 16] & 0xff) >>> (j < 16 ? 0 : 4) & 0xf;
                out[o + 2 + j] = source == DType.Q5_0 ? (byte) ((nibble | (qh >>> j & 1) << 4) - 16) : IQ4_LEVELS[nibble];
            }
        }
    }

    /**
     * Q4_K, and Q4_1 in its layout: per group, the blocks' scales as floats ("even blocks then odd blocks", as the
     * kernel's 32-bit lanes take them; in block order for halves, where a 32-bit lane is a block), then their mins as
     * floats, then the unsigned quants nibble-packed as Q4_0's.
     * A value is scale·q + min: for Q4_K scale = d·scale and min = -dmin·min, both exact in float (11-bit by 6-bit
     * mantissas); for Q4_1 its fp16 d and m.
     */
    private void packRowAffine(DType source, byte[] in, byte[] out) {
        int[] nibbles = new int[32];
        java.nio.ByteBuffer o = java.nio.ByteBuffer.wrap(out).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        boolean k = source == DType.Q4_K;
        int minsAt = halves ? 2 * SL : 4 * SL; // after the group's scales: SL/2 floats (halves) or SL
        for (int block = 0; block < cols / 32; block++) {
            int go = block / groupBlocks * groupBytes, b = block % groupBlocks;
            int sb = k ? block / 8 * 144 : block * 20, j = k ? block % 8 : 0;
            float d = Float.float16ToFloat((short) (in[sb] & 0xff | in[sb + 1] << 8));
            float m = Float.float16ToFloat((short) (in[sb + 2] & 0xff | in[sb + 3] << 8));
            int slot = halves ? b : (b % 2) * (SL / 2) + b / 2;
            o.putFloat(go + 4 * slot, k ? d * dev.gem.quant.PackedScales6.scale(in, sb + 4, j) : d);
            o.putFloat(go + minsAt + 4 * slot, k ? -(m * dev.gem.quant.PackedScales6.min(in, sb + 4, j)) : m);
            // Q4_K: 64 values share 32 bytes (low nibbles, then high); Q4_1: 32 share 16, as Q4_0's
            int qs = k ? sb + 16 + 32 * (j / 2) : sb + 4;
            if (k) {
                for (int e = 0, shift = 4 * (j % 2); e < 32; e++) nibbles[e] = (in[qs + e] & 0xff) >>> shift & 0xf;
            } else {
                for (int e = 0; e < 16; e++) {
                    nibbles[e] = in[qs + e] & 0xf;
                    nibbles[e + 16] = (in[qs + e] & 0xff) >>> 4;
                }
            }
            putNibbles(out, go + quantAt, b, nibbles);
        }
    }

    /**
     * Q6_K, and Q3_K in its layout, in blocks of 16: per group of SL blocks, their scales as floats ("even blocks then
     * odd blocks"), then the quants as signed bytes, Q8_0's way (vector j, lane b: quant j of block b). Q6_K: scale
     * d·scale, quant q - 32; Q3_K: scale d·(scale - 32), quant low bits - 4·(no third bit), in -4..3. All exact.
     */
    private void packRowSixteens(DType source, byte[] in, byte[] out) {
        java.nio.ByteBuffer o = java.nio.ByteBuffer.wrap(out).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        boolean six = source == DType.Q6_K;
        byte[] q3 = six ? null : new byte[DType.Q3_K.blockBytes]; // the current Q3_K block, for Q3_KCodec.scale
        for (int g = 0; g < groups; g++) {
            int go = g * groupBytes;
            for (int b = 0; b < SL; b++) {
                if (g * SL + b >= cols / 16) continue; // padding: stays zero
                int block = g * SL + b, sb = block / 16 * source.blockBytes, k = block % 16;
                int dAt = sb + (six ? 208 : 108);
                float d = Float.float16ToFloat((short) (in[dAt] & 0xff | in[dAt + 1] << 8));
                if (!six && k == 0) System.arraycopy(in, sb, q3, 0, q3.length);
                o.putFloat(go + 4 * ((b % 2) * (SL / 2) + b / 2), d * (six ? in[sb + 192 + k] : dev.gem.quant.Q3_KCodec.scale(q3, k)));
                // elements 16k .. 16k+15: half h, quarter s, position l0 + j in the quarter
                int h = k / 8, s = k % 8 / 2, l0 = 16 * (k % 2), at = go + 4 * SL + b;
                if (six) {
                    int low = sb + 64 * h + 32 * (s % 2) + l0, high = sb + 128 + 32 * h + l0;
                    for (int j = 0; j < 16; j++)
                        out[at + j * SL] = (byte) (((in[low + j] & 0xff) >>> (4 * (s / 2)) & 0xf | ((in[high + j] & 0xff) >>> (2 * s) & 3) << 4) - 32);
                } else { // low two bits as Q2_K's, third bit k/2 of hmask[l], cleared meaning -4
                    int low = sb + 32 + 32 * h + l0, mask = sb + l0;
                    for (int j = 0; j < 16; j++)
                        out[at + j * SL] = (byte) (((in[low + j] & 0xff) >>> (2 * s) & 3) - (((in[mask + j] & 0xff) >>> (k / 2) & 1) ^ 1) * 4);
                }
            }
        }
    }

    /**
     * Q2_K, in blocks of 16: per group of SL blocks, their scales d·scale and mins -dmin·min as floats ("even blocks then
     * odd blocks"), then the quants (0..3) as bytes, Q8_0's way. Exact (11-bit by 4-bit mantissas).
     */
    private void packRowQ2_K(byte[] in, byte[] out) {
        java.nio.ByteBuffer o = java.nio.ByteBuffer.wrap(out).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (int g = 0; g < groups; g++) {
            int go = g * groupBytes;
            for (int b = 0; b < SL; b++) {
                if (g * SL + b >= cols / 16) continue; // padding: stays zero
                int block = g * SL + b, sb = block / 16 * 84, k = block % 16;
                float d = Float.float16ToFloat((short) (in[sb + 80] & 0xff | in[sb + 81] << 8));
                float dmin = Float.float16ToFloat((short) (in[sb + 82] & 0xff | in[sb + 83] << 8));
                int sc = in[sb + k] & 0xff, slot = (b % 2) * (SL / 2) + b / 2;
                o.putFloat(go + 4 * slot, d * (sc & 0xf));
                o.putFloat(go + 4 * SL + 4 * slot, -(dmin * (sc >>> 4)));
                // elements 16k .. 16k+15: byte 32·(k/8) + 16·(k%2) + j, bits 2·(k%8/2)
                int qs = sb + 16 + 32 * (k / 8) + 16 * (k % 2), shift = 2 * (k % 8 / 2), at = go + 8 * SL + b;
                for (int j = 0; j < 16; j++) out[at + j * SL] = (byte) ((in[qs + j] & 0xff) >>> shift & 3);
            }
        }
    }

    /**
     * Q5_K, and IQ4_XS and Q5_1 in its layout: per group, its blocks' scales as floats ("even blocks then odd blocks";
     * block order for halves), their mins as floats, then the quants as bytes, Q8_0's way ({@link #byteAt}). Q5_K: scale d·scale, min -dmin·min,
     * quants 0..31; IQ4_XS: scale d·(scale - 32), min 0, quants its levels (±127); Q5_1: its d and m, quants 0..31.
     * All exact.
     */
    private void packRowAffineBytes(DType source, byte[] in, byte[] out) {
        java.nio.ByteBuffer o = java.nio.ByteBuffer.wrap(out).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        int minsAt = halves ? 2 * SL : 4 * SL; // after the group's scales: SL/2 floats (halves) or SL
        boolean five = source == DType.Q5_K, one = source == DType.Q5_1;
        for (int block = 0; block < cols / 32; block++) {
            int go = block / groupBlocks * groupBytes, b = block % groupBlocks, slot = halves ? b : (b % 2) * (SL / 2) + b / 2;
            float scale, min = 0;
            int sb = one ? block * 24 : block / 8 * source.blockBytes, j = block % 8;
            float d = Float.float16ToFloat((short) (in[sb] & 0xff | in[sb + 1] << 8));
            if (one) {
                scale = d;
                min = Float.float16ToFloat((short) (in[sb + 2] & 0xff | in[sb + 3] << 8));
            } else if (five) {
                float dmin = Float.float16ToFloat((short) (in[sb + 2] & 0xff | in[sb + 3] << 8));
                scale = d * dev.gem.quant.PackedScales6.scale(in, sb + 4, j);
                min = -(dmin * dev.gem.quant.PackedScales6.min(in, sb + 4, j));
            } else {
                int low = (in[sb + 4 + j / 2] & 0xff) >>> (4 * (j % 2)) & 0xf;
                int high = ((in[sb + 2] & 0xff | (in[sb + 3] & 0xff) << 8) >>> (2 * j)) & 3;
                scale = d * ((low | high << 4) - 32);
            }
            o.putFloat(go + 4 * slot, scale);
            o.putFloat(go + minsAt + 4 * slot, min);
            int qh = one ? in[sb + 4] & 0xff | (in[sb + 5] & 0xff) << 8 | (in[sb + 6] & 0xff) << 16 | in[sb + 7] << 24 : 0;
            for (int e = 0; e < 32; e++) {
                int q;
                if (one) {       // nibbles as Q4_0's, fifth bit e of qh
                    q = (in[sb + 8 + e % 16] & 0xff) >>> (e < 16 ? 0 : 4) & 0xf | (qh >>> e & 1) << 4;
                } else if (five) { // low nibble as Q4_K's, fifth bit j of qh[e]
                    q = (in[sb + 48 + 32 * (j / 2) + e] & 0xff) >>> (4 * (j % 2)) & 0xf;
                    q |= ((in[sb + 16 + e] & 0xff) >>> j & 1) << 4;
                } else {         // nibbles as IQ4_NL's, 16 bytes per block
                    q = IQ4_LEVELS[(in[sb + 8 + 16 * j + e % 16] & 0xff) >>> (e < 16 ? 0 : 4) & 0xf];
                }
                out[byteAt(go, b, e)] = (byte) q;
            }
        }
    }

    /**
     * Where quant e of block k of the group at {@code go} goes in a byte layout: vector e, lane k; halves (as the
     * blocks of 16): vector e % 16, lane 2k + e / 16.
     */
    private int byteAt(int go, int k, int e) {
        return halves ? go + quantAt + e % 16 * SL + 2 * k + e / 16 : go + quantAt + e * SL + k;
    }

    /** Q8_0: per group its blocks' fp16 scales in block order, then the quants ({@link #byteAt}). */
    private void packRowQ8_0(byte[] in, byte[] out) {
        for (int block = 0; block < cols / 32; block++) {
            int go = block / groupBlocks * groupBytes, k = block % groupBlocks, bo = block * 34;
            out[go + 2 * k] = in[bo];
            out[go + 2 * k + 1] = in[bo + 1];
            for (int e = 0; e < 32; e++) out[byteAt(go, k, e)] = in[bo + 2 + e];
        }
    }
}
