package dev.gem.kernels.simd;

import dev.gem.kernels.Kernels;
import dev.gem.kernels.ScalarKernels;
import dev.gem.tensor.DType;
import dev.gem.tensor.LE;
import dev.gem.tensor.Tensor;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * The Vector API backend. Weights are read straight from their {@link MemorySegment} (usually the mapped model file)
 * with little-endian vector loads; activations are {@code float[]}; accumulation is by fused multiply-add with the
 * block scale applied once per block.
 *
 * <h2>One width per JVM</h2>
 * C2 only turns Vector API calls into machine instructions when the species is a compile-time constant, so every
 * species here is a {@code static final} field fixed when the class initialises: the width comes from
 * {@code -Dgem.vectorBits} (128, 256 or 512) and otherwise is the CPU's preferred width. {@link #create(int)} refuses
 * any other width, so a JVM runs exactly one width; tests cover each width in its own JVM. Code may branch on the lane
 * counts below, which are constants too.
 *
 * <h2>Byte lanes</h2>
 * Quantized blocks are unpacked in byte lanes and widened to floats with {@code B2F}. A float vector of {@code L}
 * lanes is fed from a byte vector of {@code BL = max(L, 8)} lanes (the Vector API has no 32-bit byte vector), so at 128
 * bits each byte vector is widened in {@code PARTS = 2} halves; at 256 and 512 bits in one.
 *
 * <p>Tails (row lengths that are not a multiple of the lane count) are handled by scalar code, never masked loads.
 * Types without a vector kernel are delegated to the scalar reference, so results never change silently.
 */
public final class VectorKernels extends Kernels {
    private static final ByteOrder ORDER = ByteOrder.LITTLE_ENDIAN;

    /** The width this class was initialised at (the only width {@link #create} accepts in this JVM). */
    static final int BITS = initialBits();

    static final VectorSpecies<Float> F = VectorSpecies.of(float.class, VectorShape.forBitSize(BITS));
    static final int L = F.length();
    static final VectorSpecies<Integer> I = F.withLanes(int.class);
    /** L shorts: half-width vectors feeding F16/BF16 conversion to L floats. */
    static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(Math.max(64, BITS / 2)));
    /** Byte lanes per quant load: L, but at least 8 (the narrowest byte vector). */
    static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(Math.max(64, BITS / 4)));
    static final int BL = B.length();
    /** Float vectors per byte vector. */
    static final int PARTS = BL / L;
    /** Ints with the shape of {@link #B}: used to broadcast a 32-bit word of fifth bits. */
    private static final VectorSpecies<Integer> BI = B.withLanes(int.class);
    /** Lane k of a byte vector takes byte k/8 of a broadcast word: bytes of fifth bits to their 8 lanes each. */
    private static final VectorShuffle<Byte> SPREAD = VectorShuffle.fromOp(B, k -> k / 8);
    /** Lane k holds 1 << (k % 8): the bit it tests in its byte of fifth bits. */
    private static final ByteVector LANE_BIT = laneBits();

    private static final ScalarKernels REFERENCE = new ScalarKernels();

    private VectorKernels() {}

    /**
     * The vector backend at {@code bits} (128, 256 or 512). The width must be one the CPU has and the one this class was
     * initialised at ({@code -Dgem.vectorBits}, else the preferred width): species are constants, fixed per JVM.
     */
    public static VectorKernels create(int bits) {
        if (bits != 128 && bits != 256 && bits != 512)
            throw new IllegalArgumentException("vector width must be 128, 256 or 512 bits, not " + bits);
        int max = maxBits();
        if (bits > max)
            throw new IllegalArgumentException("this CPU (as the JVM sees it) has vectors of at most " + max
                    + " bits, so -Dgem.vectorBits=" + bits + " cannot run; use " + max + " or less");
        if (bits != BITS)
            throw new IllegalStateException("the vector kernels of this JVM were initialised at " + BITS
                    + " bits (from -Dgem.vectorBits or the CPU's preferred width) and cannot switch to " + bits
                    + ": vector species are compile-time constants, one width per JVM");
        return new VectorKernels();
    }

    /** The width this JVM's vector kernels were initialised at: the only one {@link #create} accepts. */
    public static int initialisedBits() {
        return BITS;
    }

    /** The CPU's preferred vector width in bits, as the JVM reports it. */
    public static int preferredBits() {
        return FloatVector.SPECIES_PREFERRED.vectorBitSize();
    }

    /** The widest vector the JVM can use on this CPU. */
    public static int maxBits() {
        return FloatVector.SPECIES_MAX.vectorBitSize();
    }

    private static int initialBits() {
        int max = Math.max(128, maxBits());
        int preferred = Math.max(128, Math.min(preferredBits(), max));
        String p = System.getProperty("gem.vectorBits");
        if (p == null) return preferred;
        try {
            int bits = Integer.parseInt(p.trim());
            // 0 (scalar) or a width the CPU lacks: Backend will not use this class at that width, and create() reports
            // the problem; the species still need some valid width.
            if ((bits == 128 || bits == 256 || bits == 512) && bits <= max) return bits;
        } catch (NumberFormatException e) {
            // Backend reports a malformed value.
        }
        return preferred;
    }

    private static ByteVector laneBits() {
        byte[] b = new byte[BL];
        for (int k = 0; k < BL; k++) b[k] = (byte) (1 << (k % 8));
        return ByteVector.fromArray(B, b, 0);
    }

    @Override
    public String name() { return "vector-" + BITS; }

    @Override
    public int vectorBits() { return BITS; }

    /** Whether {@code type} has a SIMD kernel here (the other types {@link #supports} runs on the scalar reference). */
    public static boolean vectorized(DType type) {
        return switch (type) {
            case F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1 -> true;
            default -> false;
        };
    }

    @Override
    public boolean supports(DType type) {
        return vectorized(type) || REFERENCE.supports(type);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Weight rows · activations

    @Override
    public float dot(Tensor w, long row, float[] x, int xOff) {
        MemorySegment s = w.data();
        long off = row * w.rowBytes();
        int n = w.cols();
        return switch (w.type()) {
            case F32 -> dotF32(s, off, x, xOff, n);
            case F16 -> dotF16(s, off, x, xOff, n);
            case BF16 -> dotBF16(s, off, x, xOff, n);
            case Q8_0 -> dotQ8_0(s, off, x, xOff, n / 32);
            case Q4_0 -> dotQ4_0(s, off, x, xOff, n / 32);
            case Q4_1 -> dotQ4_1(s, off, x, xOff, n / 32);
            case Q5_0 -> dotQ5_0(s, off, x, xOff, n / 32);
            case Q5_1 -> dotQ5_1(s, off, x, xOff, n / 32);
            default -> REFERENCE.dot(w, row, x, xOff);
        };
    }

    private static float dotF32(MemorySegment s, long off, float[] x, int xo, int n) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (int end = F.loopBound(n); i < end; i += L) {
            FloatVector wv = FloatVector.fromMemorySegment(F, s, off + 4L * i, ORDER);
            acc = wv.fma(FloatVector.fromArray(F, x, xo + i), acc);
        }
        float sum = acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) sum += s.get(LE.FLOAT, off + 4L * i) * x[xo + i];
        return sum;
    }

    private static float dotF16(MemorySegment s, long off, float[] x, int xo, int n) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (int end = F.loopBound(n); i < end; i += L) {
            FloatVector wv = halfToFloat(ShortVector.fromMemorySegment(S, s, off + 2L * i, ORDER));
            acc = wv.fma(FloatVector.fromArray(F, x, xo + i), acc);
        }
        float sum = acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) sum += Float.float16ToFloat(s.get(LE.SHORT, off + 2L * i)) * x[xo + i];
        return sum;
    }

    private static float dotBF16(MemorySegment s, long off, float[] x, int xo, int n) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (int end = F.loopBound(n); i < end; i += L) {
            FloatVector wv = bf16ToFloat(ShortVector.fromMemorySegment(S, s, off + 2L * i, ORDER));
            acc = wv.fma(FloatVector.fromArray(F, x, xo + i), acc);
        }
        float sum = acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) sum += bf16(s.get(LE.SHORT, off + 2L * i)) * x[xo + i];
        return sum;
    }

    /**
     * IEEE half to float in integer lanes: shifting exponent and mantissa into float position and multiplying by
     * 2^112 (the difference of the exponent biases) is exact for normal and subnormal halves alike; infinities and NaNs
     * (exponent 31) instead get the all-ones float exponent; the sign is copied last.
     */
    static FloatVector halfToFloat(ShortVector h16) {
        IntVector h = (IntVector) h16.convertShape(VectorOperators.S2I, I, 0);
        IntVector magnitude = h.and(0x7fff).lanewise(VectorOperators.LSHL, 13);
        IntVector finite = magnitude.reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts();
        VectorMask<Integer> special = h.and(0x7c00).compare(VectorOperators.EQ, 0x7c00);
        IntVector bits = finite.blend(magnitude.or(0x7f800000), special);
        return bits.or(h.and(0x8000).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats();
    }

    /** bfloat16 is the top half of a float. */
    static FloatVector bf16ToFloat(ShortVector b16) {
        IntVector b = (IntVector) b16.convertShape(VectorOperators.S2I, I, 0);
        return b.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    private static float bf16(short bits) {
        return Float.intBitsToFloat((bits & 0xffff) << 16);
    }

    /** Part {@code part} (of {@link #PARTS}) of a byte vector as L float lanes. */
    private static FloatVector toFloat(ByteVector v, int part) {
        return (FloatVector) v.convertShape(VectorOperators.B2F, F, part);
    }

    /**
     * The Q5 fifth bits of elements j0 .. j0+BL as a lane mask (j0 a multiple of 8): lane k is set when bit j0+k of qh is.
     */
    private static VectorMask<Byte> fifthBits(int qh, int j0) {
        ByteVector spread = IntVector.broadcast(BI, qh >>> j0).reinterpretAsBytes().rearrange(SPREAD);
        return spread.and(LANE_BIT).compare(VectorOperators.NE, (byte) 0);
    }

    private static float dotQ8_0(MemorySegment s, long off, float[] x, int xo, int blocks) {
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++, off += 34, xo += 32) {
            FloatVector block = FloatVector.zero(F);
            for (int c = 0; c < 32; c += BL) {
                ByteVector q = ByteVector.fromMemorySegment(B, s, off + 2 + c, ORDER);
                for (int p = 0; p < PARTS; p++)
                    block = toFloat(q, p).fma(FloatVector.fromArray(F, x, xo + c + p * L), block);
            }
            float d = Float.float16ToFloat(s.get(LE.SHORT, off));
            acc = block.fma(FloatVector.broadcast(F, d), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    /**
     * Σ q_j·x_j over one 32-element block of nibbles (byte j: element j low, element j+16 high), as lanes. With
     * {@code fifth}, bit j of {@code qh} adds 16 to element j; {@code bias} is then subtracted from every quant.
     */
    private static FloatVector nibbleBlockDot(MemorySegment s, long qs, boolean fifth, int qh, int bias,
                                              float[] x, int xo) {
        FloatVector sum = FloatVector.zero(F);
        for (int c = 0; c < 16; c += BL) {
            ByteVector q = ByteVector.fromMemorySegment(B, s, qs + c, ORDER);
            ByteVector lo = q.and((byte) 0x0f);
            ByteVector hi = q.lanewise(VectorOperators.LSHR, 4);
            if (fifth) {
                lo = lo.lanewise(VectorOperators.OR, (byte) 0x10, fifthBits(qh, c));
                hi = hi.lanewise(VectorOperators.OR, (byte) 0x10, fifthBits(qh, 16 + c));
            }
            if (bias != 0) {
                lo = lo.sub((byte) bias);
                hi = hi.sub((byte) bias);
            }
            for (int p = 0; p < PARTS; p++) {
                sum = toFloat(lo, p).fma(FloatVector.fromArray(F, x, xo + c + p * L), sum);
                sum = toFloat(hi, p).fma(FloatVector.fromArray(F, x, xo + 16 + c + p * L), sum);
            }
        }
        return sum;
    }

    /** Σ x_j over one block, as lanes: the offset term m·Σx of the "_1" formats. */
    private static FloatVector blockSum(float[] x, int xo) {
        FloatVector sum = FloatVector.fromArray(F, x, xo);
        for (int j = L; j < 32; j += L) sum = sum.add(FloatVector.fromArray(F, x, xo + j));
        return sum;
    }

    private static float dotQ4_0(MemorySegment s, long off, float[] x, int xo, int blocks) {
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++, off += 18, xo += 32) {
            FloatVector block = nibbleBlockDot(s, off + 2, false, 0, 8, x, xo);
            acc = block.fma(FloatVector.broadcast(F, Float.float16ToFloat(s.get(LE.SHORT, off))), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    private static float dotQ4_1(MemorySegment s, long off, float[] x, int xo, int blocks) {
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++, off += 20, xo += 32) {
            FloatVector block = nibbleBlockDot(s, off + 4, false, 0, 0, x, xo);
            acc = block.fma(FloatVector.broadcast(F, Float.float16ToFloat(s.get(LE.SHORT, off))), acc);
            acc = blockSum(x, xo).fma(FloatVector.broadcast(F, Float.float16ToFloat(s.get(LE.SHORT, off + 2))), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    private static float dotQ5_0(MemorySegment s, long off, float[] x, int xo, int blocks) {
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++, off += 22, xo += 32) {
            int qh = s.get(LE.INT, off + 2);
            FloatVector block = nibbleBlockDot(s, off + 6, true, qh, 16, x, xo);
            acc = block.fma(FloatVector.broadcast(F, Float.float16ToFloat(s.get(LE.SHORT, off))), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    private static float dotQ5_1(MemorySegment s, long off, float[] x, int xo, int blocks) {
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++, off += 24, xo += 32) {
            int qh = s.get(LE.INT, off + 4);
            FloatVector block = nibbleBlockDot(s, off + 8, true, qh, 0, x, xo);
            acc = block.fma(FloatVector.broadcast(F, Float.float16ToFloat(s.get(LE.SHORT, off))), acc);
            acc = blockSum(x, xo).fma(FloatVector.broadcast(F, Float.float16ToFloat(s.get(LE.SHORT, off + 2))), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Row decoding: bit for bit what the scalar codecs produce (same float operations, no fusing).

    @Override
    public void row(Tensor w, long row, float[] out, int outOff) {
        MemorySegment s = w.data();
        long off = row * w.rowBytes();
        int n = w.cols();
        switch (w.type()) {
            case F32 -> MemorySegment.copy(s, LE.FLOAT, off, out, outOff, n);
            case F16 -> rowF16(s, off, out, outOff, n);
            case BF16 -> rowBF16(s, off, out, outOff, n);
            case Q8_0 -> rowQ8_0(s, off, out, outOff, n / 32);
            case Q4_0 -> rowNibbles(s, off, 18, 2, false, 0, 8, false, out, outOff, n / 32);
            case Q4_1 -> rowNibbles(s, off, 20, 4, false, 0, 0, true, out, outOff, n / 32);
            case Q5_0 -> rowNibbles(s, off, 22, 6, true, 2, 16, false, out, outOff, n / 32);
            case Q5_1 -> rowNibbles(s, off, 24, 8, true, 4, 0, true, out, outOff, n / 32);
            default -> REFERENCE.row(w, row, out, outOff);
        }
    }

    private static void rowF16(MemorySegment s, long off, float[] out, int o, int n) {
        int i = 0;
        for (int end = F.loopBound(n); i < end; i += L)
            halfToFloat(ShortVector.fromMemorySegment(S, s, off + 2L * i, ORDER)).intoArray(out, o + i);
        for (; i < n; i++) out[o + i] = Float.float16ToFloat(s.get(LE.SHORT, off + 2L * i));
    }

    private static void rowBF16(MemorySegment s, long off, float[] out, int o, int n) {
        int i = 0;
        for (int end = F.loopBound(n); i < end; i += L)
            bf16ToFloat(ShortVector.fromMemorySegment(S, s, off + 2L * i, ORDER)).intoArray(out, o + i);
        for (; i < n; i++) out[o + i] = bf16(s.get(LE.SHORT, off + 2L * i));
    }

    private static void rowQ8_0(MemorySegment s, long off, float[] out, int o, int blocks) {
        for (int b = 0; b < blocks; b++, off += 34, o += 32) {
            FloatVector d = FloatVector.broadcast(F, Float.float16ToFloat(s.get(LE.SHORT, off)));
            for (int c = 0; c < 32; c += BL) {
                ByteVector q = ByteVector.fromMemorySegment(B, s, off + 2 + c, ORDER);
                for (int p = 0; p < PARTS; p++) toFloat(q, p).mul(d).intoArray(out, o + c + p * L);
            }
        }
    }

    /**
     * Decodes the 4- and 5-bit formats: value = (q - bias)·d, plus m when {@code hasMin} (d at byte 0, m at byte 2,
     * qh at {@code qhAt} when {@code fifth}, nibbles at {@code qsAt}).
     */
    private static void rowNibbles(MemorySegment s, long off, int blockBytes, int qsAt, boolean fifth, int qhAt,
                                   int bias, boolean hasMin, float[] out, int o, int blocks) {
        for (int b = 0; b < blocks; b++, off += blockBytes, o += 32) {
            FloatVector d = FloatVector.broadcast(F, Float.float16ToFloat(s.get(LE.SHORT, off)));
            FloatVector m = FloatVector.broadcast(F, hasMin ? Float.float16ToFloat(s.get(LE.SHORT, off + 2)) : 0f);
            int qh = fifth ? s.get(LE.INT, off + qhAt) : 0;
            for (int c = 0; c < 16; c += BL) {
                ByteVector q = ByteVector.fromMemorySegment(B, s, off + qsAt + c, ORDER);
                ByteVector lo = q.and((byte) 0x0f);
                ByteVector hi = q.lanewise(VectorOperators.LSHR, 4);
                if (fifth) {
                    lo = lo.lanewise(VectorOperators.OR, (byte) 0x10, fifthBits(qh, c));
                    hi = hi.lanewise(VectorOperators.OR, (byte) 0x10, fifthBits(qh, 16 + c));
                }
                if (bias != 0) {
                    lo = lo.sub((byte) bias);
                    hi = hi.sub((byte) bias);
                }
                for (int p = 0; p < PARTS; p++) {
                    FloatVector vl = toFloat(lo, p).mul(d), vh = toFloat(hi, p).mul(d);
                    if (hasMin) {
                        vl = vl.add(m);
                        vh = vh.add(m);
                    }
                    vl.intoArray(out, o + c + p * L);
                    vh.intoArray(out, o + 16 + c + p * L);
                }
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Float operations on activations

    @Override
    public float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        // Four independent accumulators hide the FMA latency; the order of summation differs from the scalar loop
        // only within the bounds the tests check.
        FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0;
        int i = 0;
        for (int end = n - 4 * L; i <= end; i += 4 * L) {
            s0 = FloatVector.fromArray(F, a, aOff + i).fma(FloatVector.fromArray(F, b, bOff + i), s0);
            s1 = FloatVector.fromArray(F, a, aOff + i + L).fma(FloatVector.fromArray(F, b, bOff + i + L), s1);
            s2 = FloatVector.fromArray(F, a, aOff + i + 2 * L).fma(FloatVector.fromArray(F, b, bOff + i + 2 * L), s2);
            s3 = FloatVector.fromArray(F, a, aOff + i + 3 * L).fma(FloatVector.fromArray(F, b, bOff + i + 3 * L), s3);
        }
        for (int end = F.loopBound(n); i < end; i += L)
            s0 = FloatVector.fromArray(F, a, aOff + i).fma(FloatVector.fromArray(F, b, bOff + i), s0);
        float sum = s0.add(s1).add(s2.add(s3)).reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) sum += a[aOff + i] * b[bOff + i];
        return sum;
    }

    @Override
    public void axpy(float a, float[] x, int xOff, float[] y, int yOff, int n) {
        FloatVector av = FloatVector.broadcast(F, a);
        int i = 0;
        for (int end = F.loopBound(n); i < end; i += L)
            FloatVector.fromArray(F, x, xOff + i).fma(av, FloatVector.fromArray(F, y, yOff + i)).intoArray(y, yOff + i);
        for (; i < n; i++) y[yOff + i] += a * x[xOff + i];
    }

    @Override
    public void rmsnorm(float[] out, int outOff, float[] x, int xOff, float[] w, int n, float eps) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        int end = F.loopBound(n);
        for (; i < end; i += L) {
            FloatVector v = FloatVector.fromArray(F, x, xOff + i);
            acc = v.fma(v, acc);
        }
        float ss = acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) ss += x[xOff + i] * x[xOff + i];
        float scale = (float) (1.0 / Math.sqrt(ss / n + eps));
        FloatVector sv = FloatVector.broadcast(F, scale);
        // Same operation order as the scalar reference, (x·scale)·w, so out may alias x element by element.
        for (i = 0; i < end; i += L) {
            FloatVector v = FloatVector.fromArray(F, x, xOff + i).mul(sv);
            if (w != null) v = v.mul(FloatVector.fromArray(F, w, i));
            v.intoArray(out, outOff + i);
        }
        for (; i < n; i++) out[outOff + i] = x[xOff + i] * scale * (w == null ? 1f : w[i]);
    }

    @Override
    public void softmax(float[] x, int off, int n) {
        if (n <= 0) return;
        int end = F.loopBound(n);
        int i = 0;
        float max = Float.NEGATIVE_INFINITY;
        if (end > 0) {
            FloatVector m = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
            for (; i < end; i += L) m = m.max(FloatVector.fromArray(F, x, off + i));
            max = m.reduceLanes(VectorOperators.MAX);
        }
        for (; i < n; i++) max = Math.max(max, x[off + i]);

        FloatVector mv = FloatVector.broadcast(F, max);
        FloatVector acc = FloatVector.zero(F);
        for (i = 0; i < end; i += L) {
            FloatVector e = FloatVector.fromArray(F, x, off + i).sub(mv).lanewise(VectorOperators.EXP);
            e.intoArray(x, off + i);
            acc = acc.add(e);
        }
        float sum = acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            float e = (float) Math.exp(x[off + i] - max);
            x[off + i] = e;
            sum += e;
        }
        FloatVector inv = FloatVector.broadcast(F, 1f / sum);
        for (i = 0; i < end; i += L) FloatVector.fromArray(F, x, off + i).mul(inv).intoArray(x, off + i);
        float invS = 1f / sum;
        for (; i < n; i++) x[off + i] *= invS;
    }

    /** x[off+i] = exp(x[off+i]) with the Vector API's EXP (tested against Math.exp; see ExpAccuracyTest). */
    static void exp(float[] x, int off, int n) {
        int i = 0;
        for (int end = F.loopBound(n); i < end; i += L)
            FloatVector.fromArray(F, x, off + i).lanewise(VectorOperators.EXP).intoArray(x, off + i);
        for (; i < n; i++) x[off + i] = (float) Math.exp(x[off + i]);
    }

    @Override
    public void swiglu(float[] gate, int gOff, float[] up, int uOff, int n) {
        FloatVector one = FloatVector.broadcast(F, 1f);
        int i = 0;
        for (int end = F.loopBound(n); i < end; i += L) {
            FloatVector g = FloatVector.fromArray(F, gate, gOff + i);
            FloatVector silu = g.div(one.add(g.neg().lanewise(VectorOperators.EXP)));
            silu.mul(FloatVector.fromArray(F, up, uOff + i)).intoArray(gate, gOff + i);
        }
        for (; i < n; i++) {
            float g = gate[gOff + i];
            gate[gOff + i] = g / (1f + (float) Math.exp(-g)) * up[uOff + i];
        }
    }

    @Override
    public void add(float[] y, int yOff, float[] x, int xOff, int n) {
        int i = 0;
        for (int end = F.loopBound(n); i < end; i += L)
            FloatVector.fromArray(F, y, yOff + i).add(FloatVector.fromArray(F, x, xOff + i)).intoArray(y, yOff + i);
        for (; i < n; i++) y[yOff + i] += x[xOff + i];
    }
}
