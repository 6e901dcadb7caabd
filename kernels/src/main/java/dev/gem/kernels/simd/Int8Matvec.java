package dev.gem.kernels.simd;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

import static dev.gem.kernels.simd.VectorKernels.F;
import static dev.gem.kernels.simd.VectorKernels.I;
import static dev.gem.kernels.simd.VectorKernels.L;
import static dev.gem.kernels.simd.VectorKernels.SWAP1;
import static dev.gem.kernels.simd.VectorKernels.SWAP2;
import static dev.gem.kernels.simd.VectorKernels.SWAP4;
import static dev.gem.kernels.simd.VectorKernels.SWAP8;

/**
 * Matrix-vector products of repacked weights ({@link Int8Matrix}, in one of the {@link Layout}s: Q4_0, Q8_0 and every
 * type that converts exactly into theirs or into a float-scaled variant) against activations rounded to 8-bit integers
 * per block of 32 (what llama.cpp does for Q4_0 and Q8_0: their vec_dot_type is Q8_0; for the K-quants it rounds per
 * 256 (Q8_K), coarser), in 16-bit integer lanes. Two kernel shapes: nibbles and bytes.
 *
 * <h2>Why integers, and why repacked</h2>
 * Java has no byte dot-product instruction (x86 vpdpbusd, ARM sdot), and widening every weight to a float costs two
 * instructions per 16 weights before the multiply-add. Here each lane of a 16-bit vector is one <em>block</em> of the
 * row ("blocks in lanes"): a group of {@code SL} blocks is one vector wide, and a single multiply and add handle one
 * element of every block in the group. Four nibbles share one 16-bit lane and are taken apart with shifts and
 * masks, never widened. The per-block sums stay exact in 16 bits (at most 16 products of |q| &le; 15 and |x| &le; 127
 * per nibble accumulator; 2 products of |q| &le; 128 and |x| &le; 127 per byte step), and each group ends with one
 * int-to-float conversion and one multiply-add with the block scales (plus one with the mins where there are mins).
 * Measured at 512 bits on a Sapphire Rapids core, Q4_0 runs about three times faster than the float kernel and Q8_0
 * about 1.4 times; the other types 2 to 6 times (see BENCHMARKS.md).
 *
 * <h2>Layouts</h2>
 * A group of {@code SL} blocks ({@code SL} = 16-bit lanes of the vector width: 8, 16 or 32) holds first the blocks'
 * scales, then (with mins) their mins, then the quants:
 * <ul>
 * <li>{@link Layout#NIBBLES} (Q4_0, the file's size): {@code SL} fp16 scales in block order; 8 vectors of {@code SL}
 * 16-bit lanes, in vector {@code v}, lane {@code b}, bits {@code 4p..4p+3} the unsigned quant of element
 * {@code v + 8p} of block {@code b}; value d·(q - 8).</li>
 * <li>{@link Layout#NIBBLES_AFFINE} (Q4_K, Q4_1): float scales and float mins, "even blocks then odd blocks", then
 * nibbles as Q4_0's; value scale·q + min, so a block's dot product is scale·Σq·x + min·Σx (Σx comes with the
 * activations).</li>
 * <li>{@link Layout#BYTES} (Q8_0, the file's size; Q5_0, IQ4_NL converted): fp16 scales; 32 vectors of {@code SL}
 * bytes, vector {@code j}, lane {@code b} quant {@code j} of block {@code b}.</li>
 * <li>{@link Layout#BYTES_AFFINE} (Q5_K, Q5_1, IQ4_XS): float scales and mins, then bytes as Q8_0's.</li>
 * <li>{@link Layout#BYTES_16} (Q6_K, Q3_K) and {@link Layout#BYTES_16_AFFINE} (Q2_K): blocks of 16, the files' scale
 * blocks: float scales (and mins), then 16 vectors of bytes. Both lanes of an activation block take its scale; mins
 * meet the sums of each half of it.</li>
 * <li>{@link Layout#NIBBLES_HALVES}, {@link Layout#NIBBLES_AFFINE_HALVES}, {@link Layout#BYTES_HALVES},
 * {@link Layout#BYTES_AFFINE_HALVES}: the four above with each block of 32 in two lanes, 16 elements each (4 nibble
 * vectors or 16 byte steps a group, the bytes placed as the blocks of 16), and its scale (and min) stored once. The two
 * lanes' sums make the block's sum in the 32-bit lane they share, which is scaled once. Chosen for rows that end in
 * the first half of a group (see below).</li>
 * </ul>
 * A row whose blocks do not fill its last group is padded with zero blocks (scale 0, quants 0; the activations are
 * padded with zeros too), so every kernel works on whole groups. Groups of the paired layouts (blocks of 16, halves)
 * hold half as many blocks of 32, so they pad less: a 1536-column row at 512 bits is 48 blocks, padded to 64 in whole
 * groups of 32 but to 48 in groups of 16, a quarter fewer bytes to stream (Qwen2.5-1.5B's q/k/v/o, gate, up and output
 * rows; Gemma-2-2B's 2304, Qwen-MoE experts' 1408). The activations are laid out to match ({@link Input}).
 *
 * <h2>Lanes as pairs</h2>
 * The 16-bit sums are read as 32-bit lanes, each holding an even block (low half) and the odd block after it (high
 * half): {@code (a << 16) >> 16} is the even block's sum and {@code a >> 16} the odd one's, both sign-extended, with no
 * lane-crossing shuffle (the byte kernels use a cheaper form, see {@link #EVEN_BIAS}). Scales load the same way, so
 * per-block activation data is kept in "even blocks, then odd blocks" order within each group.
 */
final class Int8Matvec {
    private Int8Matvec() {}

    private static final ByteOrder ORDER = ByteOrder.LITTLE_ENDIAN;

    /** 16-bit lanes per vector: the blocks of one group. */
    static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(VectorKernels.BITS));
    static final int SL = S.length();
    /** {@link #SL} byte lanes: one Q8_0 quant of each block of a group, widened to 16 bits. */
    private static final VectorSpecies<Byte> BH = VectorSpecies.of(byte.class, VectorShape.forBitSize(VectorKernels.BITS / 2));
    /** {@link #L} 16-bit lanes: the fp16 scales of a group in a halves layout, one per block (widened to 32 bits). */
    private static final VectorSpecies<Short> SH = VectorSpecies.of(short.class, VectorShape.forBitSize(VectorKernels.BITS / 2));

    /**
     * Activations of n tokens rounded to 8-bit integers per block of 32 and laid out for the weight type's kernel:
     * ggml's quantize_row_q8_0 as its x86 code computes it (d = amax/127, quants round(x·127/amax) to nearest even, d
     * kept as fp16), so results follow llama.cpp's CPU numerics. One per calling thread; {@link #prepare} reuses the
     * last rounding when asked for the same values again (q, k and v projections share their input, as do gate and up).
     */
    static final class Input {
        short[] q = new short[0];   // quants, token t at t·cols, in the weight type's transposed order
        float[] d = new float[0];   // block scales, token t at t·blocks, "even blocks then odd blocks" per group
        int[] sum8 = new int[0];    // 8 · Σ quants of each block (Q4_0's offset of 8), same order
        float[] sumd = new float[0]; // d · Σ quants of each block (meets Q4_K's mins; exact: 11 by 12 bits), same order
        float[] sumd1 = new float[0], sumd2 = new float[0]; // the same over each half (Q2_K's blocks of 16), block order
        /** Activations per token, and blocks, both padded to whole groups (padding blocks are zero: scale, quants, sums). */
        int cols, blocks;
        int tokens, realCols;
        private float[] last = new float[0];
        private Layout lastLayout;

        /**
         * Rounds n tokens of {@code cols} activations (token t at {@code x[xOff + t·cols]}, cols a multiple of 32) for
         * weights in {@code layout}, on the pool's threads when there are several.
         */
        void prepare(dev.gem.kernels.ThreadPool pool, Layout layout, float[] x, int xOff, int cols, int n) {
            boolean same = lastLayout == layout && realCols == cols && tokens == n
                    && java.util.Arrays.equals(x, xOff, xOff + n * cols, last, 0, n * cols);
            if (same) return;
            this.realCols = cols;
            this.tokens = n;
            this.blocks = layout.padded(cols / 32);
            this.cols = 32 * blocks;
            if (q.length < n * this.cols) {
                q = new short[n * this.cols];
                d = new float[n * blocks];
                sum8 = new int[n * blocks];
                sumd = new float[n * blocks];
                sumd1 = new float[n * blocks];
                sumd2 = new float[n * blocks];
            }
            if (last.length < n * cols) last = new float[n * cols];
            if (n == 1) round(layout, x, xOff, 0, new int[32]);
            else pool.forRange(n, cols, (t0, t1) -> {
                int[] block = new int[32];
                for (int t = t0; t < t1; t++) round(layout, x, xOff + t * cols, t, block);
            });
            System.arraycopy(x, xOff, last, 0, n * cols);
            lastLayout = layout;
        }

        private void round(Layout layout, float[] x, int from, int t, int[] block) {
            int real = realCols / 32, qo = t * cols, bo = t * blocks;
            for (int b = 0; b < blocks; b++) {
                float scale = 0;
                if (b < real) scale = roundBlock(x, from + 32 * b, block);
                else java.util.Arrays.fill(block, 0);
                int g = b / SL, lane = b % SL;
                // even blocks first, then odd; the paired layouts in block order (a block's two lanes share its scale)
                int slot = bo + g * SL + (layout.paired() ? lane : (lane % 2) * L + lane / 2);
                d[slot] = scale;
                int first = 0, sum = 0, base = qo + g * 32 * SL;
                for (int j = 0; j < 16; j++) first += block[j];
                for (int j = 16; j < 32; j++) sum += block[j];
                sum += first;
                // where element j of the block goes among the group's 32·SL activations: as the weights' elements
                if (layout.bytes && layout.paired()) { // the first SL/2 blocks of 32 fill the first half (two lanes each), the others the second
                    int at = base + lane / L * 16 * SL + 2 * lane % SL;
                    for (int j = 0; j < 32; j++) q[at + j % 16 * SL + j / 16] = (short) block[j];
                } else if (layout.halves) { // as sixteens; element 16h + v + 4p in vector v, nibble p, lane 2·block + h
                    int at = base + lane / L * 16 * SL + 2 * lane % SL;
                    for (int j = 0; j < 32; j++) q[at + j % 4 * 4 * SL + j % 16 / 4 * SL + j / 16] = (short) block[j];
                } else if (layout.bytes) { // vector j
                    for (int j = 0; j < 32; j++) q[base + j * SL + lane] = (short) block[j];
                } else {                   // vector j % 8, nibble j / 8
                    for (int j = 0; j < 32; j++) q[base + (j % 8) * 4 * SL + (j / 8) * SL + lane] = (short) block[j];
                }
                sum8[slot] = 8 * sum;
                sumd[slot] = scale * sum;
                sumd1[slot] = scale * first;
                sumd2[slot] = scale * (sum - first);
            }
        }
    }

    /**
     * 0x8000 in the even (low) 16-bit half of every 32-bit lane. The byte kernels add it to each step's pair sums p
     * (|p| &lt;= 32512), which makes the low half p + 32768, never negative: a 32-bit lane then reads exactly as
     * 65536·odd + even + 32768, so the odd sum is the lane shifted right arithmetically and the even sum what is left
     * of the lanes' plain total, minus the biases: one shift per step instead of three (shifts share one port with the
     * multiplies).
     */
    private static final short[] EVEN_BIAS = new short[SL];
    static {
        for (int i = 0; i < SL; i += 2) EVEN_BIAS[i] = (short) 0x8000;
    }

    /** 1.5 · 2^23: adding and subtracting it rounds a float of magnitude below 2^22 to the nearest integer, ties to even. */
    private static final float ROUNDER = 0x1.8p23f;

    /**
     * Rounds 32 activations at {@code x[o]} to integers in [-127, 127] as ggml's x86 quantize_row_q8_0 does; returns
     * the block scale (amax/127 rounded to fp16, as stored).
     */
    static float roundBlock(float[] x, int o, int[] out) {
        FloatVector m = FloatVector.zero(F);
        for (int j = 0; j < 32; j += L) m = m.max(FloatVector.fromArray(F, x, o + j).abs());
        float amax = m.reduceLanes(VectorOperators.MAX);
        float id = amax != 0 ? 127f / amax : 0f;
        FloatVector idv = FloatVector.broadcast(F, id);
        for (int j = 0; j < 32; j += L) {
            FloatVector v = FloatVector.fromArray(F, x, o + j).mul(idv).add(ROUNDER).sub(ROUNDER);
            ((IntVector) v.convertShape(VectorOperators.F2I, I, 0)).intoArray(out, j);
        }
        return Float.float16ToFloat(Float.floatToFloat16(amax / 127f));
    }

    // Block scales: the fp16 scales of a group load as 32-bit lanes, an even block's in the low half and the next odd
    // block's in the high half. To float: exponent and mantissa shifted into float position (mask 0x0fffe000) and
    // multiplied by 2^112 (the difference of the exponent biases), exact for normal and subnormal halves and zero; the
    // sign copied last. The repacker declines matrices with infinite or NaN scales, the only case this gets wrong.
    //
    // The kernels are written out without helper methods: C2 does not inline a helper of more than 35 bytecodes that
    // it judges cold, and a vector passed to or returned from a call that is not inlined is allocated on the heap
    // (measured: the batched kernel ran 10 times slower with helpers for the multiply-add and group end).

    // Lane sums: SWAP8 .. SWAP1 (VectorKernels) fold an accumulator in a fixed pairwise order, the same in every JIT tier.

    /**
     * Rows r0, r1, r2, r3 of a matrix in a nibble layout dotted with token t, into out[o + r·stride] (rows may
     * repeat). The two nibble layouts share the nibble work and differ at the end of a group: Q4_0's subtracts 8·Σx
     * from the integer sums and scales by fp16 block scales; the affine one scales by its float scales and adds its
     * mins times d·Σx.
     * Decoding streams the weights from memory, and one core overlaps that with
     * computing far better when it reads several distant places at once (measured: 1.5 times the bandwidth of one
     * stream at the same arithmetic), so the rows come from four separate parts of the thread's range; they also share
     * the activation loads.
     */
    static void rows4Q4(Int8Matrix w, int r0, int r1, int r2, int r3, Input in, int t, float[] out, int o, int stride) {
        MemorySegment s = w.data;
        long o0 = r0 * w.rowBytes, o1 = r1 * w.rowBytes, o2 = r2 * w.rowBytes, o3 = r3 * w.rowBytes;
        boolean k = w.mins; // float scales and mins (Q4_K, Q4_1), else fp16 scales (Q4_0)
        boolean halves = w.halves;
        int gs = w.groupBytes, qa = w.quantAt, steps = halves ? 4 : 8;
        short[] xq = in.q;
        int[] sum8 = in.sum8;
        float[] d = in.d, sumd = in.sumd;
        int xt = t * in.cols, bt = t * in.blocks;
        FloatVector c0 = FloatVector.zero(F), c1 = c0, c2 = c0, c3 = c0;
        for (int g = 0; g < w.groups; g++) {
            long go = (long) g * gs;
            int gb = bt + g * (halves ? L : SL);
            ShortVector a0 = ShortVector.zero(S), b0 = a0, a1 = a0, b1 = a0, a2 = a0, b2 = a0, a3 = a0, b3 = a0;
            for (int v = 0; v < steps; v++) {
                int xb = xt + g * steps * 4 * SL + v * 4 * SL;
                long q = go + qa + (long) v * 2 * SL;
                ShortVector x0 = ShortVector.fromArray(S, xq, xb), x1 = ShortVector.fromArray(S, xq, xb + SL);
                ShortVector x2 = ShortVector.fromArray(S, xq, xb + 2 * SL), x3 = ShortVector.fromArray(S, xq, xb + 3 * SL);
                for (int i = 0; i < 4; i++) {
                    ShortVector wv = ShortVector.fromMemorySegment(S, s, (i == 0 ? o0 : i == 1 ? o1 : i == 2 ? o2 : o3) + q, ORDER);
                    ShortVector n0 = wv.and((short) 0xf), n1 = wv.lanewise(VectorOperators.LSHR, 4).and((short) 0xf);
                    ShortVector n2 = wv.lanewise(VectorOperators.LSHR, 8).and((short) 0xf), n3 = wv.lanewise(VectorOperators.LSHR, 12);
                    ShortVector a = i == 0 ? a0 : i == 1 ? a1 : i == 2 ? a2 : a3, b = i == 0 ? b0 : i == 1 ? b1 : i == 2 ? b2 : b3;
                    a = a.add(n0.mul(x0)).add(n1.mul(x1));
                    b = b.add(n2.mul(x2)).add(n3.mul(x3));
                    if (i == 0) { a0 = a; b0 = b; } else if (i == 1) { a1 = a; b1 = b; } else if (i == 2) { a2 = a; b2 = b; } else { a3 = a; b3 = b; }
                }
            }
            for (int i = 0; i < 4; i++) {
                long at = (i == 0 ? o0 : i == 1 ? o1 : i == 2 ? o2 : o3) + go;
                ShortVector sa = i == 0 ? a0 : i == 1 ? a1 : i == 2 ? a2 : a3, sb = i == 0 ? b0 : i == 1 ? b1 : i == 2 ? b2 : b3;
                IntVector i0 = sa.reinterpretAsInts(), i1 = sb.reinterpretAsInts();
                IntVector even = i0.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                        .add(i1.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16));
                IntVector odd = i0.lanewise(VectorOperators.ASHR, 16).add(i1.lanewise(VectorOperators.ASHR, 16));
                FloatVector c = i == 0 ? c0 : i == 1 ? c1 : i == 2 ? c2 : c3;
                if (halves) { // a 32-bit lane is one block: its two halves' sums make its sum, scaled once
                    IntVector block = even.add(odd);
                    if (k) {
                        c = ((FloatVector) block.convertShape(VectorOperators.I2F, F, 0)).mul(FloatVector.fromArray(F, d, gb))
                                .fma(FloatVector.fromMemorySegment(F, s, at, ORDER), c);
                        c = FloatVector.fromArray(F, sumd, gb).fma(FloatVector.fromMemorySegment(F, s, at + 2L * SL, ORDER), c);
                    } else {
                        IntVector h = (IntVector) ShortVector.fromMemorySegment(SH, s, at, ORDER).convertShape(VectorOperators.S2I, I, 0);
                        FloatVector de = h.lanewise(VectorOperators.LSHL, 13).and(0x0fffe000).reinterpretAsFloats().mul(0x1p112f)
                                .reinterpretAsInts().or(h.lanewise(VectorOperators.LSHL, 16).and(0x80000000)).reinterpretAsFloats();
                        block = block.sub(IntVector.fromArray(I, sum8, gb));
                        c = ((FloatVector) block.convertShape(VectorOperators.I2F, F, 0)).mul(FloatVector.fromArray(F, d, gb)).fma(de, c);
                    }
                } else if (k) {
                    c = ((FloatVector) even.convertShape(VectorOperators.I2F, F, 0)).mul(FloatVector.fromArray(F, d, gb))
                            .fma(FloatVector.fromMemorySegment(F, s, at, ORDER), c);
                    c = FloatVector.fromArray(F, sumd, gb).fma(FloatVector.fromMemorySegment(F, s, at + 4L * SL, ORDER), c);
                    c = ((FloatVector) odd.convertShape(VectorOperators.I2F, F, 0)).mul(FloatVector.fromArray(F, d, gb + L))
                            .fma(FloatVector.fromMemorySegment(F, s, at + 2L * SL, ORDER), c);
                    c = FloatVector.fromArray(F, sumd, gb + L).fma(FloatVector.fromMemorySegment(F, s, at + 6L * SL, ORDER), c);
                } else {
                    IntVector h = IntVector.fromMemorySegment(I, s, at, ORDER);
                    FloatVector de = h.lanewise(VectorOperators.LSHL, 13).and(0x0fffe000).reinterpretAsFloats().mul(0x1p112f)
                            .reinterpretAsInts().or(h.lanewise(VectorOperators.LSHL, 16).and(0x80000000)).reinterpretAsFloats();
                    FloatVector dO = h.lanewise(VectorOperators.LSHR, 3).and(0x0fffe000).reinterpretAsFloats().mul(0x1p112f)
                            .reinterpretAsInts().or(h.and(0x80000000)).reinterpretAsFloats();
                    even = even.sub(IntVector.fromArray(I, sum8, gb));
                    odd = odd.sub(IntVector.fromArray(I, sum8, gb + L));
                    c = ((FloatVector) even.convertShape(VectorOperators.I2F, F, 0)).mul(FloatVector.fromArray(F, d, gb)).fma(de, c);
                    c = ((FloatVector) odd.convertShape(VectorOperators.I2F, F, 0)).mul(FloatVector.fromArray(F, d, gb + L)).fma(dO, c);
                }
                if (i == 0) c0 = c;
                else if (i == 1) c1 = c;
                else if (i == 2) c2 = c;
                else c3 = c;
            }
        }
        for (int i = 0; i < 4; i++) {
            FloatVector c = i == 0 ? c0 : i == 1 ? c1 : i == 2 ? c2 : c3;
            c = L > 8 ? c.add(c.rearrange(SWAP8)) : c;
            c = L > 4 ? c.add(c.rearrange(SWAP4)) : c;
            c = c.add(c.rearrange(SWAP2));
            c = c.add(c.rearrange(SWAP1));
            float total = c.lane(0);
            int r = i == 0 ? r0 : i == 1 ? r1 : i == 2 ? r2 : r3;
            out[o + r * stride] = total;
        }
    }

    /**
     * Groups [g0, g1) of row {@code row} of a matrix in a nibble layout dotted with tokens t .. t+3, their accumulators
     * carried in acc[ao + i·L ..]: each weight vector is unpacked once for four tokens. Per token, exactly the
     * operations of {@link #rows4Q4} in the same order, so a token's result does not depend on the batch it came in.
     */
    static void dot4Q4(Int8Matrix w, long row, Input in, int t, int g0, int g1, float[] acc, int ao) {
        MemorySegment s = w.data;
        long off = row * w.rowBytes;
        boolean k = w.mins; // float scales and mins (Q4_K, Q4_1), else fp16 scales (Q4_0)
        boolean halves = w.halves;
        int gs = w.groupBytes, qa = w.quantAt, steps = halves ? 4 : 8;
        short[] xq = in.q;
        int[] sum8 = in.sum8;
        float[] d = in.d, sumd = in.sumd;
        int cols = in.cols, nb = in.blocks;
        FloatVector c0 = FloatVector.fromArray(F, acc, ao), c1 = FloatVector.fromArray(F, acc, ao + L);
        FloatVector c2 = FloatVector.fromArray(F, acc, ao + 2 * L), c3 = FloatVector.fromArray(F, acc, ao + 3 * L);
        for (int g = g0; g < g1; g++) {
            long go = off + (long) g * gs;
            int gb = t * nb + g * (halves ? L : SL);
            ShortVector a0 = ShortVector.zero(S), b0 = a0, a1 = a0, b1 = a0, a2 = a0, b2 = a0, a3 = a0, b3 = a0;
            for (int v = 0; v < steps; v++) {
                int xb = t * cols + g * steps * 4 * SL + v * 4 * SL;
                ShortVector wv = ShortVector.fromMemorySegment(S, s, go + qa + (long) v * 2 * SL, ORDER);
                ShortVector n0 = wv.and((short) 0xf), n1 = wv.lanewise(VectorOperators.LSHR, 4).and((short) 0xf);
                ShortVector n2 = wv.lanewise(VectorOperators.LSHR, 8).and((short) 0xf), n3 = wv.lanewise(VectorOperators.LSHR, 12);
                int x1 = xb + cols, x2 = x1 + cols, x3 = x2 + cols;
                a0 = a0.add(n0.mul(ShortVector.fromArray(S, xq, xb))).add(n1.mul(ShortVector.fromArray(S, xq, xb + SL)));
                b0 = b0.add(n2.mul(ShortVector.fromArray(S, xq, xb + 2 * SL))).add(n3.mul(ShortVector.fromArray(S, xq, xb + 3 * SL)));
                a1 = a1.add(n0.mul(ShortVector.fromArray(S, xq, x1))).add(n1.mul(ShortVector.fromArray(S, xq, x1 + SL)));
                b1 = b1.add(n2.mul(ShortVector.fromArray(S, xq, x1 + 2 * SL))).add(n3.mul(ShortVector.fromArray(S, xq, x1 + 3 * SL)));
                a2 = a2.add(n0.mul(ShortVector.fromArray(S, xq, x2))).add(n1.mul(ShortVector.fromArray(S, xq, x2 + SL)));
                b2 = b2.add(n2.mul(ShortVector.fromArray(S, xq, x2 + 2 * SL))).add(n3.mul(ShortVector.fromArray(S, xq, x2 + 3 * SL)));
                a3 = a3.add(n0.mul(ShortVector.fromArray(S, xq, x3))).add(n1.mul(ShortVector.fromArray(S, xq, x3 + SL)));
                b3 = b3.add(n2.mul(ShortVector.fromArray(S, xq, x3 + 2 * SL))).add(n3.mul(ShortVector.fromArray(S, xq, x3 + 3 * SL)));
            }
            // Q4_0's fp16 scales as floats, or Q4_K's float scales and mins.
            FloatVector de, dO, me, mO;
            if (halves) { // one per block (a 32-bit lane)
                if (k) {
                    de = FloatVector.fromMemorySegment(F, s, go, ORDER);
                    me = FloatVector.fromMemorySegment(F, s, go + 2L * SL, ORDER);
                } else {
                    IntVector h = (IntVector) ShortVector.fromMemorySegment(SH, s, go, ORDER).convertShape(VectorOperators.S2I, I, 0);
                    de = h.lanewise(VectorOperators.LSHL, 13).and(0x0fffe000).reinterpretAsFloats().mul(0x1p112f)
                            .reinterpretAsInts().or(h.lanewise(VectorOperators.LSHL, 16).and(0x80000000)).reinterpretAsFloats();
                    me = de;
                }
                dO = de;
                mO = me;
            } else if (k) {
                de = FloatVector.fromMemorySegment(F, s, go, ORDER);
                dO = FloatVector.fromMemorySegment(F, s, go + 2L * SL, ORDER);
                me = FloatVector.fromMemorySegment(F, s, go + 4L * SL, ORDER);
                mO = FloatVector.fromMemorySegment(F, s, go + 6L * SL, ORDER);
            } else {
                IntVector h = IntVector.fromMemorySegment(I, s, go, ORDER);
                de = h.lanewise(VectorOperators.LSHL, 13).and(0x0fffe000).reinterpretAsFloats().mul(0x1p112f)
                        .reinterpretAsInts().or(h.lanewise(VectorOperators.LSHL, 16).and(0x80000000)).reinterpretAsFloats();
                dO = h.lanewise(VectorOperators.LSHR, 3).and(0x0fffe000).reinterpretAsFloats().mul(0x1p112f)
                        .reinterpretAsInts().or(h.and(0x80000000)).reinterpretAsFloats();
                me = de;
                mO = dO;
            }
            for (int i = 0; i < 4; i++) {
                // The group end of token i, as in rows4Q4 (a constant-count loop that C2 unrolls, so the vectors stay
                // in registers).
                ShortVector sa = i == 0 ? a0 : i == 1 ? a1 : i == 2 ? a2 : a3, sb = i == 0 ? b0 : i == 1 ? b1 : i == 2 ? b2 : b3;
                int at = gb + i * nb;
                IntVector i0 = sa.reinterpretAsInts(), i1 = sb.reinterpretAsInts();
                IntVector even = i0.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                        .add(i1.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16));
                IntVector odd = i0.lanewise(VectorOperators.ASHR, 16).add(i1.lanewise(VectorOperators.ASHR, 16));
                FloatVector c = i == 0 ? c0 : i == 1 ? c1 : i == 2 ? c2 : c3;
                if (halves) {
                    IntVector block = even.add(odd);
                    if (!k) block = block.sub(IntVector.fromArray(I, sum8, at));
                    c = ((FloatVector) block.convertShape(VectorOperators.I2F, F, 0)).mul(FloatVector.fromArray(F, d, at)).fma(de, c);
                    if (k) c = FloatVector.fromArray(F, sumd, at).fma(me, c);
                } else if (k) {
                    c = ((FloatVector) even.convertShape(VectorOperators.I2F, F, 0)).mul(FloatVector.fromArray(F, d, at)).fma(de, c);
                    c = FloatVector.fromArray(F, sumd, at).fma(me, c);
                    c = ((FloatVector) odd.convertShape(VectorOperators.I2F, F, 0)).mul(FloatVector.fromArray(F, d, at + L)).fma(dO, c);
                    c = FloatVector.fromArray(F, sumd, at + L).fma(mO, c);
                } else {
                    even = even.sub(IntVector.fromArray(I, sum8, at));
                    odd = odd.sub(IntVector.fromArray(I, sum8, at + L));
                    c = ((FloatVector) even.convertShape(VectorOperators.I2F, F, 0)).mul(FloatVector.fromArray(F, d, at)).fma(de, c);
                    c = ((FloatVector) odd.convertShape(VectorOperators.I2F, F, 0)).mul(FloatVector.fromArray(F, d, at + L)).fma(dO, c);
                }
                if (i == 0) c0 = c;
                else if (i == 1) c1 = c;
                else if (i == 2) c2 = c;
                else c3 = c;
            }
        }
        c0.intoArray(acc, ao);
        c1.intoArray(acc, ao + L);
        c2.intoArray(acc, ao + 2 * L);
        c3.intoArray(acc, ao + 3 * L);
    }

    /**
     * Rows r0 .. r3 of a matrix in a byte layout dotted with token t, as {@link #rows4Q4}. The layouts in blocks of 16
     * run as Q8_0's with 16 steps a group: both halves of an activation block meet its scale.
     */
    static void rows4Q8(Int8Matrix w, int r0, int r1, int r2, int r3, Input in, int t, float[] out, int o, int stride) {
        MemorySegment s = w.data;
        long o0 = r0 * w.rowBytes, o1 = r1 * w.rowBytes, o2 = r2 * w.rowBytes, o3 = r3 * w.rowBytes;
        boolean six = w.sixteens, halves = w.halves, paired = six || halves, fp16 = !w.floatScales, mins = w.mins;
        int gs = w.groupBytes, qa = w.quantAt, steps = paired ? 16 : 32, oddD = six ? 0 : L;
        short[] xq = in.q;
        float[] d = in.d, minEven = six ? in.sumd1 : in.sumd, minOdd = six ? in.sumd2 : in.sumd;
        ShortVector bias = ShortVector.fromArray(S, EVEN_BIAS, 0);
        int biases = 32768 * (steps / 2); // what the even lanes' bias adds up to over a group
        int xt = t * in.cols, bt = t * in.blocks;
        FloatVector c0 = FloatVector.zero(F), c1 = c0, c2 = c0, c3 = c0;
        for (int g = 0; g < w.groups; g++) {
            long go = (long) g * gs;
            int gb = bt + g * (paired ? L : SL);
            IntVector e0 = IntVector.zero(I), d0 = e0, e1 = e0, d1 = e0, e2 = e0, d2 = e0, e3 = e0, d3 = e0;
            for (int j = 0; j < steps; j += 2) {
                int xb = xt + g * steps * SL + j * SL;
                long q = go + qa + (long) j * SL;
                ShortVector x0 = ShortVector.fromArray(S, xq, xb), x1 = ShortVector.fromArray(S, xq, xb + SL);
                for (int i = 0; i < 4; i++) {
                    long at = (i == 0 ? o0 : i == 1 ? o1 : i == 2 ? o2 : o3) + q;
                    ShortVector w0 = (ShortVector) ByteVector.fromMemorySegment(BH, s, at, ORDER).convertShape(VectorOperators.B2S, S, 0);
                    ShortVector w1 = (ShortVector) ByteVector.fromMemorySegment(BH, s, at + SL, ORDER).convertShape(VectorOperators.B2S, S, 0);
                    IntVector p = w0.mul(x0).add(w1.mul(x1)).add(bias).reinterpretAsInts();
                    IntVector even = i == 0 ? e0 : i == 1 ? e1 : i == 2 ? e2 : e3, odd = i == 0 ? d0 : i == 1 ? d1 : i == 2 ? d2 : d3;
                    even = even.add(p);
                    odd = odd.add(p.lanewise(VectorOperators.ASHR, 16));
                    if (i == 0) { e0 = even; d0 = odd; } else if (i == 1) { e1 = even; d1 = odd; } else if (i == 2) { e2 = even; d2 = odd; } else { e3 = even; d3 = odd; }
                }
            }
            for (int i = 0; i < 4; i++) {
                long at = (i == 0 ? o0 : i == 1 ? o1 : i == 2 ? o2 : o3) + go;
                if (halves) { // a 32-bit lane is one block: its two halves' sums make its sum, scaled once
                    IntVector odd = i == 0 ? d0 : i == 1 ? d1 : i == 2 ? d2 : d3;
                    IntVector block = (i == 0 ? e0 : i == 1 ? e1 : i == 2 ? e2 : e3).sub(odd.lanewise(VectorOperators.LSHL, 16))
                            .sub(biases).add(odd);
                    FloatVector dh;
                    if (fp16) {
                        IntVector h = (IntVector) ShortVector.fromMemorySegment(SH, s, at, ORDER).convertShape(VectorOperators.S2I, I, 0);
                        dh = h.lanewise(VectorOperators.LSHL, 13).and(0x0fffe000).reinterpretAsFloats().mul(0x1p112f)
                                .reinterpretAsInts().or(h.lanewise(VectorOperators.LSHL, 16).and(0x80000000)).reinterpretAsFloats();
                    } else {
                        dh = FloatVector.fromMemorySegment(F, s, at, ORDER);
                    }
                    FloatVector c = i == 0 ? c0 : i == 1 ? c1 : i == 2 ? c2 : c3;
                    c = ((FloatVector) block.convertShape(VectorOperators.I2F, F, 0)).mul(FloatVector.fromArray(F, d, gb)).fma(dh, c);
                    if (mins) c = FloatVector.fromArray(F, minEven, gb).fma(FloatVector.fromMemorySegment(F, s, at + 2L * SL, ORDER), c);
                    if (i == 0) c0 = c;
                    else if (i == 1) c1 = c;
                    else if (i == 2) c2 = c;
                    else c3 = c;
                    continue;
                }
                FloatVector de, dO;
                if (!fp16) {
                    de = FloatVector.fromMemorySegment(F, s, at, ORDER);
                    dO = FloatVector.fromMemorySegment(F, s, at + 2L * SL, ORDER);
                } else {
                    IntVector h = IntVector.fromMemorySegment(I, s, at, ORDER);
                    de = h.lanewise(VectorOperators.LSHL, 13).and(0x0fffe000).reinterpretAsFloats().mul(0x1p112f)
                            .reinterpretAsInts().or(h.lanewise(VectorOperators.LSHL, 16).and(0x80000000)).reinterpretAsFloats();
                    dO = h.lanewise(VectorOperators.LSHR, 3).and(0x0fffe000).reinterpretAsFloats().mul(0x1p112f)
                            .reinterpretAsInts().or(h.and(0x80000000)).reinterpretAsFloats();
                }
                IntVector odd = i == 0 ? d0 : i == 1 ? d1 : i == 2 ? d2 : d3;
                IntVector even = (i == 0 ? e0 : i == 1 ? e1 : i == 2 ? e2 : e3).sub(odd.lanewise(VectorOperators.LSHL, 16)).sub(biases);
                FloatVector c = i == 0 ? c0 : i == 1 ? c1 : i == 2 ? c2 : c3;
                c = ((FloatVector) even.convertShape(VectorOperators.I2F, F, 0)).mul(FloatVector.fromArray(F, d, gb)).fma(de, c);
                if (mins) c = FloatVector.fromArray(F, minEven, gb).fma(FloatVector.fromMemorySegment(F, s, at + 4L * SL, ORDER), c);
                c = ((FloatVector) odd.convertShape(VectorOperators.I2F, F, 0)).mul(FloatVector.fromArray(F, d, gb + oddD)).fma(dO, c);
                if (mins) c = FloatVector.fromArray(F, minOdd, gb + oddD).fma(FloatVector.fromMemorySegment(F, s, at + 6L * SL, ORDER), c);
                if (i == 0) c0 = c;
                else if (i == 1) c1 = c;
                else if (i == 2) c2 = c;
                else c3 = c;
            }
        }
        for (int i = 0; i < 4; i++) {
            FloatVector c = i == 0 ? c0 : i == 1 ? c1 : i == 2 ? c2 : c3;
            c = L > 8 ? c.add(c.rearrange(SWAP8)) : c;
            c = L > 4 ? c.add(c.rearrange(SWAP4)) : c;
            c = c.add(c.rearrange(SWAP2));
            c = c.add(c.rearrange(SWAP1));
            float total = c.lane(0);
            int r = i == 0 ? r0 : i == 1 ? r1 : i == 2 ? r2 : r3;
            out[o + r * stride] = total;
        }
    }

    /** Groups [g0, g1) of row {@code row} of a matrix in a byte layout with tokens t .. t+3, as {@link #dot4Q4}. */
    static void dot4Q8(Int8Matrix w, long row, Input in, int t, int g0, int g1, float[] acc, int ao) {
        MemorySegment s = w.data;
        long off = row * w.rowBytes;
        boolean six = w.sixteens, halves = w.halves, paired = six || halves, fp16 = !w.floatScales, mins = w.mins;
        int gs = w.groupBytes, qa = w.quantAt, steps = paired ? 16 : 32, oddD = six ? 0 : L;
        short[] xq = in.q;
        float[] d = in.d, minEven = six ? in.sumd1 : in.sumd, minOdd = six ? in.sumd2 : in.sumd;
        ShortVector bias = ShortVector.fromArray(S, EVEN_BIAS, 0);
        int biases = 32768 * (steps / 2); // what the even lanes' bias adds up to over a group
        int cols = in.cols, nb = in.blocks;
        FloatVector c0 = FloatVector.fromArray(F, acc, ao), c1 = FloatVector.fromArray(F, acc, ao + L);
        FloatVector c2 = FloatVector.fromArray(F, acc, ao + 2 * L), c3 = FloatVector.fromArray(F, acc, ao + 3 * L);
        for (int g = g0; g < g1; g++) {
            long go = off + (long) g * gs;
            int gb = t * nb + g * (paired ? L : SL);
            IntVector e0 = IntVector.zero(I), o0 = e0, e1 = e0, o1 = e0, e2 = e0, o2 = e0, e3 = e0, o3 = e0;
            for (int j = 0; j < steps; j += 2) {
                int xb = t * cols + g * steps * SL + j * SL;
                long q = go + qa + (long) j * SL;
                ShortVector w0 = (ShortVector) ByteVector.fromMemorySegment(BH, s, q, ORDER).convertShape(VectorOperators.B2S, S, 0);
                ShortVector w1 = (ShortVector) ByteVector.fromMemorySegment(BH, s, q + SL, ORDER).convertShape(VectorOperators.B2S, S, 0);
                int x1 = xb + cols, x2 = x1 + cols, x3 = x2 + cols;
                IntVector p0 = w0.mul(ShortVector.fromArray(S, xq, xb)).add(w1.mul(ShortVector.fromArray(S, xq, xb + SL))).add(bias).reinterpretAsInts();
                IntVector p1 = w0.mul(ShortVector.fromArray(S, xq, x1)).add(w1.mul(ShortVector.fromArray(S, xq, x1 + SL))).add(bias).reinterpretAsInts();
                IntVector p2 = w0.mul(ShortVector.fromArray(S, xq, x2)).add(w1.mul(ShortVector.fromArray(S, xq, x2 + SL))).add(bias).reinterpretAsInts();
                IntVector p3 = w0.mul(ShortVector.fromArray(S, xq, x3)).add(w1.mul(ShortVector.fromArray(S, xq, x3 + SL))).add(bias).reinterpretAsInts();
                e0 = e0.add(p0);
                o0 = o0.add(p0.lanewise(VectorOperators.ASHR, 16));
                e1 = e1.add(p1);
                o1 = o1.add(p1.lanewise(VectorOperators.ASHR, 16));
                e2 = e2.add(p2);
                o2 = o2.add(p2.lanewise(VectorOperators.ASHR, 16));
                e3 = e3.add(p3);
                o3 = o3.add(p3.lanewise(VectorOperators.ASHR, 16));
            }
            FloatVector de, dO, me = null, mO = null;
            if (halves) { // one per block (a 32-bit lane)
                if (mins) me = FloatVector.fromMemorySegment(F, s, go + 2L * SL, ORDER);
                if (fp16) {
                    IntVector h = (IntVector) ShortVector.fromMemorySegment(SH, s, go, ORDER).convertShape(VectorOperators.S2I, I, 0);
                    de = h.lanewise(VectorOperators.LSHL, 13).and(0x0fffe000).reinterpretAsFloats().mul(0x1p112f)
                            .reinterpretAsInts().or(h.lanewise(VectorOperators.LSHL, 16).and(0x80000000)).reinterpretAsFloats();
                } else {
                    de = FloatVector.fromMemorySegment(F, s, go, ORDER);
                }
                dO = de;
                mO = me;
            } else {
                if (mins) {
                    me = FloatVector.fromMemorySegment(F, s, go + 4L * SL, ORDER);
                    mO = FloatVector.fromMemorySegment(F, s, go + 6L * SL, ORDER);
                }
                if (!fp16) {
                    de = FloatVector.fromMemorySegment(F, s, go, ORDER);
                    dO = FloatVector.fromMemorySegment(F, s, go + 2L * SL, ORDER);
                } else {
                    IntVector h = IntVector.fromMemorySegment(I, s, go, ORDER);
                    de = h.lanewise(VectorOperators.LSHL, 13).and(0x0fffe000).reinterpretAsFloats().mul(0x1p112f)
                            .reinterpretAsInts().or(h.lanewise(VectorOperators.LSHL, 16).and(0x80000000)).reinterpretAsFloats();
                    dO = h.lanewise(VectorOperators.LSHR, 3).and(0x0fffe000).reinterpretAsFloats().mul(0x1p112f)
                            .reinterpretAsInts().or(h.and(0x80000000)).reinterpretAsFloats();
                }
            }
            for (int i = 0; i < 4; i++) {
                IntVector odd = i == 0 ? o0 : i == 1 ? o1 : i == 2 ? o2 : o3;
                IntVector even = (i == 0 ? e0 : i == 1 ? e1 : i == 2 ? e2 : e3).sub(odd.lanewise(VectorOperators.LSHL, 16)).sub(biases);
                int at = gb + i * nb;
                FloatVector c = i == 0 ? c0 : i == 1 ? c1 : i == 2 ? c2 : c3;
                if (halves) {
                    c = ((FloatVector) even.add(odd).convertShape(VectorOperators.I2F, F, 0)).mul(FloatVector.fromArray(F, d, at)).fma(de, c);
                    if (mins) c = FloatVector.fromArray(F, minEven, at).fma(me, c);
                } else {
                    c = ((FloatVector) even.convertShape(VectorOperators.I2F, F, 0)).mul(FloatVector.fromArray(F, d, at)).fma(de, c);
                    if (mins) c = FloatVector.fromArray(F, minEven, at).fma(me, c);
                    c = ((FloatVector) odd.convertShape(VectorOperators.I2F, F, 0)).mul(FloatVector.fromArray(F, d, at + oddD)).fma(dO, c);
                    if (mins) c = FloatVector.fromArray(F, minOdd, at + oddD).fma(mO, c);
                }
                if (i == 0) c0 = c;
                else if (i == 1) c1 = c;
                else if (i == 2) c2 = c;
                else c3 = c;
            }
        }
        c0.intoArray(acc, ao);
        c1.intoArray(acc, ao + L);
        c2.intoArray(acc, ao + 2 * L);
        c3.intoArray(acc, ao + 3 * L);
    }

    /**
     * The end of {@link #dot4Q4} or {@link #dot4Q8} for row r and tokens t .. t+3: each token's accumulator (acc[ao +
     * i·L ..]) summed over its lanes as {@link #rows4Q4} does, into out[o + i·stride].
     */
    private static void finish4(float[] acc, int ao, float[] out, int o, int stride) {
        for (int i = 0; i < 4; i++) {
            FloatVector c = FloatVector.fromArray(F, acc, ao + i * L);
            c = L > 8 ? c.add(c.rearrange(SWAP8)) : c;
            c = L > 4 ? c.add(c.rearrange(SWAP4)) : c;
            c = c.add(c.rearrange(SWAP2));
            c = c.add(c.rearrange(SWAP1));
            out[o + i * stride] = c.lane(0);
        }
    }

    /** Rows per block in {@link #rows}: a block's rows of a chunk stay in L1 across the tiles of tokens. */
    private static final int ROW_BLOCK = 16;
    /** Groups per chunk of the k axis in {@link #rows}: four tokens' activations of a chunk take 16 KB, in L1. */
    private static final int GROUP_CHUNK = Math.max(1, 16384 / (4 * 32 * SL * 2));

    /**
     * out[outOff + t·stride + r] for rows [r0, r1) and all prepared tokens: blocks of rows against tiles of four tokens,
     * the k axis in chunks, so a tile's activations for a chunk (in L1) serve a block of rows. The accumulators wait in
     * memory between chunks: the same operations per token as {@link #rows4Q4} and {@link #rows4Q8}.
     */
    static void rows(Int8Matrix w, Input in, int r0, int r1, float[] out, int outOff, int stride) {
        boolean q4 = !w.layout.bytes;
        int n = in.tokens;
        float[] acc = new float[ROW_BLOCK * 4 * L];
        for (int rb = r0; rb < r1; rb += ROW_BLOCK) {
            int re = Math.min(r1, rb + ROW_BLOCK);
            int t = 0;
            for (; t + 4 <= n; t += 4) {
                java.util.Arrays.fill(acc, 0f);
                for (int g0 = 0; g0 < w.groups; g0 += GROUP_CHUNK) {
                    int g1 = Math.min(w.groups, g0 + GROUP_CHUNK);
                    for (int r = rb; r < re; r++) {
                        if (q4) dot4Q4(w, r, in, t, g0, g1, acc, (r - rb) * 4 * L);
                        else dot4Q8(w, r, in, t, g0, g1, acc, (r - rb) * 4 * L);
                    }
                }
                for (int r = rb; r < re; r++) finish4(acc, (r - rb) * 4 * L, out, outOff + t * stride + r, stride);
            }
            for (; t < n; t++) rowsOfToken(w, in, t, rb, re, out, outOff + t * stride);
        }
    }

    /**
     * Rows [r0, r1) of token t into out[o + r], four neighbouring rows at a time; a last incomplete four repeats its
     * last row (the same result written again), so one kernel per type serves every row.
     */
    private static void rowsOfToken(Int8Matrix w, Input in, int t, int r0, int r1, float[] out, int o) {
        for (int r = r0, last = r1 - 1; r < r1; r += 4) {
            int b = Math.min(r + 1, last), c = Math.min(r + 2, last), d = Math.min(r + 3, last);
            if (w.layout.bytes) rows4Q8(w, r, b, c, d, in, t, out, o, 1);
            else rows4Q4(w, r, b, c, d, in, t, out, o, 1);
        }
    }

    /** matvec's rows [r0, r1): in fours, from four quarters of the range (see {@link #rows4Q4}). */
    static void matvecRows(Int8Matrix w, Input in, int r0, int r1, float[] out, int outOff) {
        int quarter = (r1 - r0) / 4;
        boolean q8 = w.layout.bytes;
        for (int i = 0; i < quarter; i++) {
            int r = r0 + i;
            if (q8) rows4Q8(w, r, r + quarter, r + 2 * quarter, r + 3 * quarter, in, 0, out, outOff, 1);
            else rows4Q4(w, r, r + quarter, r + 2 * quarter, r + 3 * quarter, in, 0, out, outOff, 1);
        }
        rowsOfToken(w, in, 0, r0 + 4 * quarter, r1, out, outOff);
    }
}
