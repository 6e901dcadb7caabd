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
 * <p>Vector kernels: F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, IQ4_NL, IQ4_XS
 * ({@link #vectorized}). Other types the quant module decodes (Q8_1, Q8_K, MXFP4, ...) are delegated to the scalar
 * reference, so results never change silently; {@link #supports} is true exactly for the union.
 *
 * <p>Tails (row lengths that are not a multiple of the lane count) are handled by scalar code, never masked loads.
 * Quantized rows are whole blocks of 32 or 256, multiples of every lane count.
 *
 * <p>Row decoding ({@link #row}) performs the same float operations as the scalar codecs (a multiply, then an add or
 * subtract; never fused), so it is bit-exact; the dot products sum in a different order and fuse the multiply-adds,
 * so they agree with the reference within float summation error.
 *
 * <h2>Matrix products</h2>
 * {@link #matvec} and {@link #matmul} run {@link Int8Matvec} on matrices repacked by {@link #prepare} (every type with a
 * {@link Layout}; activations rounded to 8-bit integers as llama.cpp does) and {@link FloatMatvec} on every other matrix (decoded
 * rows times float activations). Both compute a token's outputs with the same operations whatever the batch, so
 * batched prompts and token-by-token decoding agree bit for bit.
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
    /** 16 byte lanes (always available at 128 bits and up): a whole 16-entry lookup table per vector. */
    static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128;
    /** Float vectors per 16-byte vector. */
    static final int PARTS16 = 16 / L;
    /** ggml's kvalues_iq4nl, the 16 levels of IQ4_NL and IQ4_XS, as a lookup table. */
    private static final ByteVector IQ4_LEVELS = ByteVector.fromArray(B16, dev.gem.quant.NonLinear4Bit.levels(), 0);
    /** Ints with the shape of {@link #B}: used to broadcast a 32-bit word of fifth bits. */
    private static final VectorSpecies<Integer> BI = B.withLanes(int.class);
    /** Lane k of a byte vector takes byte k/8 of a broadcast word: bytes of fifth bits to their 8 lanes each. */
    private static final VectorShuffle<Byte> SPREAD = VectorShuffle.fromOp(B, k -> k / 8);
    /** Lane k holds 1 << (k % 8): the bit it tests in its byte of fifth bits. */
    private static final ByteVector LANE_BIT = laneBits();

    /**
     * Shuffles pairing lane i with lane i ^ 8, i ^ 4, i ^ 2, i ^ 1 (those below the lane count). Adding an accumulator
     * to its swapped self four times leaves the sum of all lanes in every lane, always in the same pairwise order. The
     * matrix kernels sum their accumulators this way rather than with {@code reduceLanes}, whose order may differ
     * between the interpreter and C2: a token's result would then depend on which kernel (single-token or batched)
     * happened to be compiled when it ran, and batch invariance would hold only eventually. The folds are written out
     * in each kernel: a vector passed to a method C2 does not inline is allocated.
     */
    static final VectorShuffle<Float> SWAP8 = swap(8), SWAP4 = swap(4), SWAP2 = swap(2), SWAP1 = swap(1);

    private static VectorShuffle<Float> swap(int d) {
        return VectorShuffle.fromOp(F, i -> d < L ? i ^ d : i);
    }

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

    /**
     * The CPU's preferred vector width as the JVM reports it, rounded down to a width GEM has kernels for (512, 256 or
     * 128; an SVE machine may report other sizes); below 128 bits, the reported width itself.
     */
    public static int preferredBits() {
        int p = FloatVector.SPECIES_PREFERRED.vectorBitSize();
        for (int w : new int[] {512, 256, 128}) if (p >= w) return w;
        return p;
    }

    /** The widest vector the JVM can use on this CPU. */
    public static int maxBits() {
        return FloatVector.SPECIES_MAX.vectorBitSize();
    }

    private static int initialBits() {
        int max = maxBits();
        int preferred = Math.max(128, preferredBits());
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
            case F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, IQ4_NL, IQ4_XS -> true;
            default -> false;
        };
    }

    @Override
    public boolean supports(DType type) {
        return vectorized(type) || REFERENCE.supports(type);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Matrix products

    /** Repacked copies of prepared matrices, by tensor identity; weak, so a closed model's copies go with its tensors. */
    private static final java.util.Map<Tensor, Int8Matrix> REPACKED =
            java.util.Collections.synchronizedMap(new java.util.WeakHashMap<>());
    /** The calling thread's rounded activations for the integer kernels. */
    private static final ThreadLocal<Int8Matvec.Input> INPUT = ThreadLocal.withInitial(Int8Matvec.Input::new);

    /**
     * Repacks matrices of every type with a {@link Layout} for the integer matvec kernels ({@link Int8Matvec}): in
     * generation 2 to 6 times the float kernel's speed (Q4_0 3.6, Q8_0 1.8, Q4_K 4), at the cost of a copy of the matrix
     * in {@code memory} (the file's size for Q4_0 and Q8_0, up to 4.6 times it for Q2_K).
     */
    @Override
    public boolean prepare(dev.gem.kernels.ThreadPool pool, Tensor w,
                           java.util.function.LongFunction<java.lang.foreign.MemorySegment> memory) {
        if (REPACKED.containsKey(w)) return true;
        Int8Matrix m = Int8Matrix.pack(w, pool, memory);
        if (m == null) return false;
        REPACKED.put(w, m);
        return true;
    }

    @Override
    public DType matvecActivations(Tensor w) {
        return REPACKED.containsKey(w) ? DType.Q8_0 : DType.F32;
    }

    @Override
    public void matvec(dev.gem.kernels.ThreadPool pool, Tensor w, float[] x, int xOff, float[] out, int outOff) {
        Int8Matrix m = REPACKED.get(w);
        if (m == null) {
            pool.forRange(w.rows(), w.cols(), (start, end) -> FloatMatvec.matvec(this, w, x, xOff, start, end, out, outOff));
            return;
        }
        Int8Matvec.Input in = INPUT.get();
        in.prepare(pool, m.layout, x, xOff, m.cols, 1);
        pool.forRange(m.rows, m.cols, (start, end) -> Int8Matvec.matvecRows(m, in, start, end, out, outOff));
    }

    /**
     * Repacked matrices run the integer kernels four tokens at a time, other matrices {@link FloatMatvec}:
     * either way the same operations per token as {@link #matvec}, so a token's result does not depend on its batch.
     */
    @Override
    public void matmul(dev.gem.kernels.ThreadPool pool, Tensor w, float[] x, int n, float[] out) {
        Int8Matrix m = REPACKED.get(w);
        if (m == null) {
            pool.forRange(w.rows(), (long) w.cols() * n, (start, end) -> FloatMatvec.matmul(this, w, x, n, start, end, out));
            return;
        }
        Int8Matvec.Input in = INPUT.get();
        in.prepare(pool, m.layout, x, 0, m.cols, n);
        pool.forRange(m.rows, (long) m.cols * n, (start, end) -> Int8Matvec.rows(m, in, start, end, out, 0, m.rows));
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
            case Q2_K -> dotQ2_K(s, off, x, xOff, n / 256);
            case Q3_K -> dotQ3_K(s, off, x, xOff, n / 256);
            case Q4_K -> dotQ4_K(s, off, x, xOff, n / 256, false);
            case Q5_K -> dotQ4_K(s, off, x, xOff, n / 256, true);
            case Q6_K -> dotQ6_K(s, off, x, xOff, n / 256);
            case IQ4_NL -> dotIQ4_NL(s, off, x, xOff, n / 32);
            case IQ4_XS -> dotIQ4_XS(s, off, x, xOff, n / 256);
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
        float sum = sum(acc);
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
        float sum = sum(acc);
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
        float sum = sum(acc);
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

    static float dotQ8_0(MemorySegment s, long off, float[] x, int xo, int blocks) {
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
        return sum(acc);
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

    static float dotQ4_0(MemorySegment s, long off, float[] x, int xo, int blocks) {
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++, off += 18, xo += 32) {
            FloatVector block = nibbleBlockDot(s, off + 2, false, 0, 8, x, xo);
            acc = block.fma(FloatVector.broadcast(F, Float.float16ToFloat(s.get(LE.SHORT, off))), acc);
        }
        return sum(acc);
    }

    private static float dotQ4_1(MemorySegment s, long off, float[] x, int xo, int blocks) {
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++, off += 20, xo += 32) {
            FloatVector block = nibbleBlockDot(s, off + 4, false, 0, 0, x, xo);
            acc = block.fma(FloatVector.broadcast(F, Float.float16ToFloat(s.get(LE.SHORT, off))), acc);
            acc = sumX(x, xo, 32).fma(FloatVector.broadcast(F, Float.float16ToFloat(s.get(LE.SHORT, off + 2))), acc);
        }
        return sum(acc);
    }

    private static float dotQ5_0(MemorySegment s, long off, float[] x, int xo, int blocks) {
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++, off += 22, xo += 32) {
            int qh = s.get(LE.INT, off + 2);
            FloatVector block = nibbleBlockDot(s, off + 6, true, qh, 16, x, xo);
            acc = block.fma(FloatVector.broadcast(F, Float.float16ToFloat(s.get(LE.SHORT, off))), acc);
        }
        return sum(acc);
    }

    private static float dotQ5_1(MemorySegment s, long off, float[] x, int xo, int blocks) {
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++, off += 24, xo += 32) {
            int qh = s.get(LE.INT, off + 4);
            FloatVector block = nibbleBlockDot(s, off + 8, true, qh, 0, x, xo);
            acc = block.fma(FloatVector.broadcast(F, Float.float16ToFloat(s.get(LE.SHORT, off))), acc);
            acc = sumX(x, xo, 32).fma(FloatVector.broadcast(F, Float.float16ToFloat(s.get(LE.SHORT, off + 2))), acc);
        }
        return sum(acc);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // K-quants and the non-linear 4-bit formats: super-blocks of 256 (IQ4_NL: blocks of 32) in groups of 16 or 32
    // with their own scales. A group's Σ q·x is summed in lanes and scaled once; the affine types (Q2_K, Q4_K, Q5_K)
    // subtract min·Σx per group. L ≤ 16 divides every group, so each float vector lies in one group.

    private static int u8(MemorySegment s, long at) {
        return s.get(LE.BYTE, at) & 0xff;
    }

    private static float half(MemorySegment s, long at) {
        return Float.float16ToFloat(s.get(LE.SHORT, at));
    }

    private static FloatVector splat(float v) {
        return FloatVector.broadcast(F, v);
    }

    /** Σ x over {@code n} (16 or 32) activations, as lanes. */
    private static FloatVector sumX(float[] x, int xo, int n) {
        FloatVector sum = FloatVector.fromArray(F, x, xo);
        for (int j = L; j < n; j += L) sum = sum.add(FloatVector.fromArray(F, x, xo + j));
        return sum;
    }

    /** Bit {@code bit} of each byte lane, moved to bit {@code to}. */
    private static ByteVector bitTo(ByteVector v, int bit, int to) {
        return v.lanewise(VectorOperators.LSHR, bit).and((byte) 1).lanewise(VectorOperators.LSHL, to);
    }

    // Q4_K / Q5_K: 6-bit scale and min of group j packed in 12 bytes (ggml's get_scale_min_k4), read once per
    // super-block as a long and an int (scaleK4, minK4 below).

    /**
     * Quants of Q4_K (0..15) or Q5_K (0..31) for elements 64c + 32·high + k .. +BL: nibbles of qs[32c + k ..] (low
     * for the first 32 of the 64, high for the rest), with Q5_K's fifth bit g = 2c + high of qh[k ..].
     */
    private static ByteVector quantsK4(MemorySegment s, long off, boolean five, int c, int high, int k) {
        long qs = off + (five ? 48 : 16) + 32L * c + k;
        ByteVector q = ByteVector.fromMemorySegment(B, s, qs, ORDER);
        q = high == 0 ? q.and((byte) 0x0f) : q.lanewise(VectorOperators.LSHR, 4);
        if (five) q = q.or(bitTo(ByteVector.fromMemorySegment(B, s, off + 16 + k, ORDER), 2 * c + high, 4));
        return q;
    }

    private static float dotQ4_K(MemorySegment s, long off, float[] x, int xo, int blocks, boolean five) {
        int blockBytes = five ? 176 : 144;
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++, off += blockBytes, xo += 256) {
            float d = half(s, off), dmin = half(s, off + 2);
            long lo = s.get(LE.LONG, off + 4);
            int hi = s.get(LE.INT, off + 12);
            for (int g = 0; g < 8; g++) {
                int c = g / 2, high = g % 2;
                FloatVector sum = FloatVector.zero(F);
                for (int k = 0; k < 32; k += BL) {
                    ByteVector q = quantsK4(s, off, five, c, high, k);
                    for (int p = 0; p < PARTS; p++)
                        sum = toFloat(q, p).fma(FloatVector.fromArray(F, x, xo + 32 * g + k + p * L), sum);
                }
                acc = sum.fma(splat(d * scaleK4(lo, hi, g)), acc);
                acc = sumX(x, xo + 32 * g, 32).fma(splat(-(dmin * minK4(lo, hi, g))), acc);
            }
        }
        return sum(acc);
    }

    /**
     * Decodes as ggml's dequantize_row_q4_K / q5_K do (d·scale·q − dmin·min per group of 32, a multiply then a
     * subtraction). The twelve scale bytes are read once per super-block as a long and an int, and each 16-byte load of
     * quants serves both groups of 32 whose nibbles it holds: the decoder was two thirds of a matvec's time, mostly
     * in per-group byte reads of the scales.
     */
    private static void rowQ4_K(MemorySegment s, long off, float[] out, int o, int blocks, boolean five) {
        int blockBytes = five ? 176 : 144;
        for (int b = 0; b < blocks; b++, off += blockBytes, o += 256) {
            float d = half(s, off), dmin = half(s, off + 2);
            long lo = s.get(LE.LONG, off + 4);  // scale bytes 0..7
            int hi = s.get(LE.INT, off + 12);   // scale bytes 8..11
            for (int c = 0; c < 4; c++) {
                // groups 2c (low nibbles) and 2c + 1 (high nibbles); get_scale_min_k4 for j = 2c, 2c + 1
                int g0 = 2 * c, g1 = g0 + 1;
                FloatVector dl0 = splat(d * scaleK4(lo, hi, g0)), ml0 = splat(dmin * minK4(lo, hi, g0));
                FloatVector dl1 = splat(d * scaleK4(lo, hi, g1)), ml1 = splat(dmin * minK4(lo, hi, g1));
                long qs = off + (five ? 48 : 16) + 32L * c;
                for (int k = 0; k < 32; k += BL) {
                    ByteVector q = ByteVector.fromMemorySegment(B, s, qs + k, ORDER);
                    ByteVector q0 = q.and((byte) 0x0f), q1 = q.lanewise(VectorOperators.LSHR, 4);
                    if (five) {
                        ByteVector h = ByteVector.fromMemorySegment(B, s, off + 16 + k, ORDER);
                        q0 = q0.or(bitTo(h, g0, 4));
                        q1 = q1.or(bitTo(h, g1, 4));
                    }
                    for (int p = 0; p < PARTS; p++) {
                        toFloat(q0, p).mul(dl0).sub(ml0).intoArray(out, o + 32 * g0 + k + p * L);
                        toFloat(q1, p).mul(dl1).sub(ml1).intoArray(out, o + 32 * g1 + k + p * L);
                    }
                }
            }
        }
    }

    /** Byte j (0..11) of a K-quant's twelve scale bytes, held as a long (bytes 0..7) and an int (8..11). */
    private static int scaleByte(long lo, int hi, int j) {
        return j < 8 ? (int) (lo >>> (8 * j)) & 0xff : (hi >>> (8 * (j - 8))) & 0xff;
    }

    private static int scaleK4(long lo, int hi, int j) {
        return j < 4 ? scaleByte(lo, hi, j) & 63 : (scaleByte(lo, hi, j + 4) & 0xf) | (scaleByte(lo, hi, j - 4) >>> 6) << 4;
    }

    private static int minK4(long lo, int hi, int j) {
        return j < 4 ? scaleByte(lo, hi, j + 4) & 63 : (scaleByte(lo, hi, j + 4) >>> 4) | (scaleByte(lo, hi, j) >>> 6) << 4;
    }

    /**
     * Q6_K quants minus 32 for elements 16g + kk .. +BL (group g of 16: half h = g/8, quarter s = g%8/2): low nibble
     * from ql[64h + 32·(s%2) + l] (high nibble for s ≥ 2), top two bits at bit 2s of qh[32h + l], l = 16·(g%2) + kk.
     */
    private static ByteVector quantsQ6_K(MemorySegment s, long off, int g, int kk) {
        int h = g / 8, sq = g % 8 / 2, l = 16 * (g % 2) + kk;
        ByteVector ql = ByteVector.fromMemorySegment(B, s, off + 64L * h + 32 * (sq % 2) + l, ORDER);
        ByteVector qh = ByteVector.fromMemorySegment(B, s, off + 128 + 32L * h + l, ORDER);
        ByteVector low = sq < 2 ? ql.and((byte) 0x0f) : ql.lanewise(VectorOperators.LSHR, 4);
        ByteVector top = qh.lanewise(VectorOperators.LSHR, 2 * sq).and((byte) 3).lanewise(VectorOperators.LSHL, 4);
        return low.or(top).sub((byte) 32);
    }

    private static float dotQ6_K(MemorySegment s, long off, float[] x, int xo, int blocks) {
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++, off += 210, xo += 256) {
            float d = half(s, off + 208);
            for (int g = 0; g < 16; g++) {
                FloatVector sum = FloatVector.zero(F);
                for (int kk = 0; kk < 16; kk += BL) {
                    ByteVector q = quantsQ6_K(s, off, g, kk);
                    for (int p = 0; p < PARTS; p++)
                        sum = toFloat(q, p).fma(FloatVector.fromArray(F, x, xo + 16 * g + kk + p * L), sum);
                }
                acc = sum.fma(splat(d * s.get(LE.BYTE, off + 192 + g)), acc);
            }
        }
        return sum(acc);
    }

    private static void rowQ6_K(MemorySegment s, long off, float[] out, int o, int blocks) {
        for (int b = 0; b < blocks; b++, off += 210, o += 256) {
            float d = half(s, off + 208);
            for (int g = 0; g < 16; g++) {
                FloatVector dl = splat(d * s.get(LE.BYTE, off + 192 + g));
                for (int kk = 0; kk < 16; kk += BL) {
                    ByteVector q = quantsQ6_K(s, off, g, kk);
                    for (int p = 0; p < PARTS; p++) toFloat(q, p).mul(dl).intoArray(out, o + 16 * g + kk + p * L);
                }
            }
        }
    }

    /**
     * The two low bits of Q2_K and Q3_K for elements 16g + kk .. +BL: bits 2s of qs[32h + l] (h = g/8, s = g%8/2,
     * l = 16·(g%2) + kk), qs at {@code qs}.
     */
    private static ByteVector lowBits2(MemorySegment s, long qs, int g, int kk) {
        int h = g / 8, sq = g % 8 / 2, l = 16 * (g % 2) + kk;
        ByteVector v = ByteVector.fromMemorySegment(B, s, qs + 32L * h + l, ORDER);
        return v.lanewise(VectorOperators.LSHR, 2 * sq).and((byte) 3);
    }

    private static float dotQ2_K(MemorySegment s, long off, float[] x, int xo, int blocks) {
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++, off += 84, xo += 256) {
            float d = half(s, off + 80), dmin = half(s, off + 82);
            for (int g = 0; g < 16; g++) {
                FloatVector sum = FloatVector.zero(F);
                for (int kk = 0; kk < 16; kk += BL) {
                    ByteVector q = lowBits2(s, off + 16, g, kk);
                    for (int p = 0; p < PARTS; p++)
                        sum = toFloat(q, p).fma(FloatVector.fromArray(F, x, xo + 16 * g + kk + p * L), sum);
                }
                int sc = u8(s, off + g);
                acc = sum.fma(splat(d * (sc & 0xf)), acc);
                acc = sumX(x, xo + 16 * g, 16).fma(splat(-(dmin * (sc >>> 4))), acc);
            }
        }
        return sum(acc);
    }

    private static void rowQ2_K(MemorySegment s, long off, float[] out, int o, int blocks) {
        for (int b = 0; b < blocks; b++, off += 84, o += 256) {
            float d = half(s, off + 80), dmin = half(s, off + 82);
            for (int g = 0; g < 16; g++) {
                int sc = u8(s, off + g);
                FloatVector dl = splat(d * (sc & 0xf)), ml = splat(dmin * (sc >>> 4));
                for (int kk = 0; kk < 16; kk += BL) {
                    ByteVector q = lowBits2(s, off + 16, g, kk);
                    for (int p = 0; p < PARTS; p++)
                        toFloat(q, p).mul(dl).sub(ml).intoArray(out, o + 16 * g + kk + p * L);
                }
            }
        }
    }

    /** Q3_K's signed 6-bit scale of group j: low four bits in scales[j % 8], top two at bits 2·(j/4) of scales[8 + j%4]. */
    private static int scaleQ3_K(MemorySegment s, long sc, int j) {
        int low = j < 8 ? u8(s, sc + j) & 0xf : u8(s, sc + j - 8) >>> 4;
        int high = (u8(s, sc + 8 + j % 4) >>> (2 * (j / 4))) & 3;
        return (low | high << 4) - 32;
    }

    /** Q3_K quants (-4..3) for elements 16g + kk .. +BL: two low bits as Q2_K, plus 4 when bit g/2 of hmask[l] is set. */
    private static ByteVector quantsQ3_K(MemorySegment s, long off, int g, int kk) {
        ByteVector hm = ByteVector.fromMemorySegment(B, s, off + 16L * (g % 2) + kk, ORDER);
        return lowBits2(s, off + 32, g, kk).or(bitTo(hm, g / 2, 2)).sub((byte) 4);
    }

    private static float dotQ3_K(MemorySegment s, long off, float[] x, int xo, int blocks) {
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++, off += 110, xo += 256) {
            float d = half(s, off + 108);
            for (int g = 0; g < 16; g++) {
                FloatVector sum = FloatVector.zero(F);
                for (int kk = 0; kk < 16; kk += BL) {
                    ByteVector q = quantsQ3_K(s, off, g, kk);
                    for (int p = 0; p < PARTS; p++)
                        sum = toFloat(q, p).fma(FloatVector.fromArray(F, x, xo + 16 * g + kk + p * L), sum);
                }
                acc = sum.fma(splat(d * scaleQ3_K(s, off + 96, g)), acc);
            }
        }
        return sum(acc);
    }

    private static void rowQ3_K(MemorySegment s, long off, float[] out, int o, int blocks) {
        // The twelve scale bytes are copied out first and the sixteen scales computed from the copy: reading them from
        // the segment in the loop (scaleQ3_K), C2's profiled bounds-check predicate assumed one branch for all sixteen
        // groups, overshot the last block of a tensor by a byte, and trapped on every call (0.15 GB/s).
        float[] dl = new float[16];
        byte[] sc = new byte[12];
        for (int b = 0; b < blocks; b++) {
            long bo = off + 110L * b;
            int ob = o + 256 * b;
            float d = half(s, bo + 108);
            MemorySegment.copy(s, LE.BYTE, bo + 96, sc, 0, 12);
            for (int g = 0; g < 16; g++) {
                int low = g < 8 ? sc[g] & 0xf : (sc[g - 8] & 0xff) >>> 4;
                int high = ((sc[8 + g % 4] & 0xff) >>> (2 * (g / 4))) & 3;
                dl[g] = d * ((low | high << 4) - 32);
            }
            for (int g = 0; g < 16; g++) {
                FloatVector scale = splat(dl[g]);
                for (int kk = 0; kk < 16; kk += BL) {
                    ByteVector q = quantsQ3_K(s, bo, g, kk);
                    for (int p = 0; p < PARTS; p++) toFloat(q, p).mul(scale).intoArray(out, ob + 16 * g + kk + p * L);
                }
            }
        }
    }

    /** Part {@code part} (of {@link #PARTS16}) of a 16-byte vector as L float lanes. */
    private static FloatVector toFloat16(ByteVector v, int part) {
        return (FloatVector) v.convertShape(VectorOperators.B2F, F, part);
    }

    /**
     * Σ level·x over 32 elements whose 4-bit indices are the 16 bytes at {@code qs} (element j low nibble, j+16 high),
     * the levels looked up 16 at a time in a 16-lane table.
     */
    private static FloatVector levelsDot(MemorySegment s, long qs, float[] x, int xo) {
        ByteVector q = ByteVector.fromMemorySegment(B16, s, qs, ORDER);
        ByteVector lo = q.and((byte) 0x0f).selectFrom(IQ4_LEVELS);
        ByteVector hi = q.lanewise(VectorOperators.LSHR, 4).selectFrom(IQ4_LEVELS);
        FloatVector sum = FloatVector.zero(F);
        for (int p = 0; p < PARTS16; p++) {
            sum = toFloat16(lo, p).fma(FloatVector.fromArray(F, x, xo + p * L), sum);
            sum = toFloat16(hi, p).fma(FloatVector.fromArray(F, x, xo + 16 + p * L), sum);
        }
        return sum;
    }

    private static void levelsRow(MemorySegment s, long qs, FloatVector dl, float[] out, int o) {
        ByteVector q = ByteVector.fromMemorySegment(B16, s, qs, ORDER);
        ByteVector lo = q.and((byte) 0x0f).selectFrom(IQ4_LEVELS);
        ByteVector hi = q.lanewise(VectorOperators.LSHR, 4).selectFrom(IQ4_LEVELS);
        for (int p = 0; p < PARTS16; p++) {
            toFloat16(lo, p).mul(dl).intoArray(out, o + p * L);
            toFloat16(hi, p).mul(dl).intoArray(out, o + 16 + p * L);
        }
    }

    private static float dotIQ4_NL(MemorySegment s, long off, float[] x, int xo, int blocks) {
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++, off += 18, xo += 32)
            acc = levelsDot(s, off + 2, x, xo).fma(splat(half(s, off)), acc);
        return sum(acc);
    }

    private static void rowIQ4_NL(MemorySegment s, long off, float[] out, int o, int blocks) {
        for (int b = 0; b < blocks; b++, off += 18, o += 32) levelsRow(s, off + 2, splat(half(s, off)), out, o);
    }

    /** IQ4_XS group scale g (0..63, biased by 32): low four bits in nibble g%2 of scales_l[g/2], top two at bits 2g of scales_h. */
    private static int scaleIQ4_XS(MemorySegment s, long off, int g) {
        int low = (u8(s, off + 4 + g / 2) >>> (4 * (g % 2))) & 0xf;
        int high = ((s.get(LE.SHORT, off + 2) & 0xffff) >>> (2 * g)) & 3;
        return low | high << 4;
    }

    private static float dotIQ4_XS(MemorySegment s, long off, float[] x, int xo, int blocks) {
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++, off += 136, xo += 256) {
            float d = half(s, off);
            for (int g = 0; g < 8; g++)
                acc = levelsDot(s, off + 8 + 16L * g, x, xo + 32 * g).fma(splat(d * (scaleIQ4_XS(s, off, g) - 32)), acc);
        }
        return sum(acc);
    }

    private static void rowIQ4_XS(MemorySegment s, long off, float[] out, int o, int blocks) {
        for (int b = 0; b < blocks; b++, off += 136, o += 256) {
            float d = half(s, off);
            for (int g = 0; g < 8; g++)
                levelsRow(s, off + 8 + 16L * g, splat(d * (scaleIQ4_XS(s, off, g) - 32)), out, o + 32 * g);
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Row decoding: bit for bit what the scalar codecs produce (same float operations, no fusing).

    @Override
    public void row(Tensor w, long row, float[] out, int outOff) {
        decode(w, row, 0, w.cols(), out, outOff);
    }

    /**
     * Columns [col0, col0 + n) of row {@code row}, decoded to floats as {@link #row} does; col0 and n are multiples of
     * the type's block size (the matrix products decode a chunk of the k axis at a time).
     */
    void decode(Tensor w, long row, int col0, int n, float[] out, int outOff) {
        MemorySegment s = w.data();
        DType t = w.type();
        long off = row * w.rowBytes() + t.bytesFor(col0);
        switch (t) {
            case F32 -> MemorySegment.copy(s, LE.FLOAT, off, out, outOff, n);
            case F16 -> rowF16(s, off, out, outOff, n);
            case BF16 -> rowBF16(s, off, out, outOff, n);
            case Q8_0 -> rowQ8_0(s, off, out, outOff, n / 32);
            case Q4_0 -> rowNibbles(s, off, 18, 2, false, 0, 8, false, out, outOff, n / 32);
            case Q4_1 -> rowNibbles(s, off, 20, 4, false, 0, 0, true, out, outOff, n / 32);
            case Q5_0 -> rowNibbles(s, off, 22, 6, true, 2, 16, false, out, outOff, n / 32);
            case Q5_1 -> rowNibbles(s, off, 24, 8, true, 4, 0, true, out, outOff, n / 32);
            case Q2_K -> rowQ2_K(s, off, out, outOff, n / 256);
            case Q3_K -> rowQ3_K(s, off, out, outOff, n / 256);
            case Q4_K -> rowQ4_K(s, off, out, outOff, n / 256, false);
            case Q5_K -> rowQ4_K(s, off, out, outOff, n / 256, true);
            case Q6_K -> rowQ6_K(s, off, out, outOff, n / 256);
            case IQ4_NL -> rowIQ4_NL(s, off, out, outOff, n / 32);
            case IQ4_XS -> rowIQ4_XS(s, off, out, outOff, n / 256);
            default -> dev.gem.quant.Codecs.of(t).dequantize(s, off, out, outOff, n);
        }
    }

    /** F16 bits of a row chunk, copied out of the segment so the conversion loop below runs over an array. */
    private static final ThreadLocal<short[]> HALVES = ThreadLocal.withInitial(() -> new short[FloatMatvec.CHUNK]);

    /**
     * A plain loop of Float.float16ToFloat over an array, which C2 compiles to the hardware conversion (vcvtph2ps)
     * where the CPU has one: the emulation in {@link #halfToFloat} (ten vector operations per vector) ran the
     * float path at 12.6 GB/s cache-hot.
     */
    private static void rowF16(MemorySegment s, long off, float[] out, int o, int n) {
        short[] h = HALVES.get();
        if (h.length < n) HALVES.set(h = new short[n]);
        MemorySegment.copy(s, LE.SHORT, off, h, 0, n);
        for (int i = 0; i < n; i++) out[o + i] = Float.float16ToFloat(h[i]);
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
        float sum = sum(s0.add(s1).add(s2.add(s3)));
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
        float ss = sum(acc);
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

    /** Cached positions decoded per step of {@link #attendHeads}: their rows stay in L1 while every head reads them. */
    private static final int ATTEND_CHUNK = 64;
    /** Per-thread rows of decoded fp16 keys or values, {@link #ATTEND_CHUNK} at a time. */
    private static final ThreadLocal<float[]> ATTEND_ROWS = ThreadLocal.withInitial(() -> new float[ATTEND_CHUNK * 128]);

    /**
     * The heads of one key/value head over the fp16 cache, with the single-head arithmetic (so the same bits:
     * {@code dot} per position, softmax, then {@code y = v·p + y} lane by lane in position order). Each chunk of cached
     * rows is decoded once for all the heads ({@link #decodeHalves}), and each output accumulates in registers, four
     * vectors at a time, rather than being loaded and stored at every position. Per (head, position) at 1,700 positions:
     * 70–80 ns for the single-head path, which decoded every row once per head; 23 ns here.
     */
    @Override
    public void attendHeads(int heads, float[] q, int qOff, short[] keys, int kOff, int kStride, short[] values, int vOff,
                            int vStride, int from, int to, int headDim, int headDimV, float scale, float softcap,
                            float[] scratch, float[] out, int outOff) {
        if (headDimV % L != 0) {
            super.attendHeads(heads, q, qOff, keys, kOff, kStride, values, vOff, vStride, from, to, headDim, headDimV,
                    scale, softcap, scratch, out, outOff);
            return;
        }
        float[] rows = ATTEND_ROWS.get();
        int width = Math.max(headDim, headDimV);
        if (rows.length < ATTEND_CHUNK * width) ATTEND_ROWS.set(rows = new float[ATTEND_CHUNK * width]);
        for (int t0 = from; t0 < to; t0 += ATTEND_CHUNK) {
            int n = Math.min(ATTEND_CHUNK, to - t0);
            for (int j = 0; j < n; j++) decodeHalves(keys, kOff + (t0 + j) * kStride, rows, j * headDim, headDim);
            for (int h = 0; h < heads; h++)
                for (int j = 0, s = h * to + t0; j < n; j++)
                    scratch[s + j] = dot(q, qOff + h * headDim, rows, j * headDim, headDim) * scale;
        }
        for (int h = 0; h < heads; h++) {
            int s = h * to;
            if (softcap > 0) for (int t = from; t < to; t++) scratch[s + t] = softcap * (float) Math.tanh(scratch[s + t] / softcap);
            softmax(scratch, s + from, to - from);
        }
        java.util.Arrays.fill(out, outOff, outOff + heads * headDimV, 0f);
        for (int t0 = from; t0 < to; t0 += ATTEND_CHUNK) {
            int n = Math.min(ATTEND_CHUNK, to - t0);
            for (int j = 0; j < n; j++) decodeHalves(values, vOff + (t0 + j) * vStride, rows, j * headDimV, headDimV);
            for (int h = 0; h < heads; h++) {
                int c = 0;
                for (; c + 4 * L <= headDimV; c += 4 * L) {
                    int o = outOff + h * headDimV + c, s = h * to + t0;
                    FloatVector y0 = FloatVector.fromArray(F, out, o), y1 = FloatVector.fromArray(F, out, o + L);
                    FloatVector y2 = FloatVector.fromArray(F, out, o + 2 * L), y3 = FloatVector.fromArray(F, out, o + 3 * L);
                    for (int j = 0, r = c; j < n; j++, r += headDimV) {
                        FloatVector p = FloatVector.broadcast(F, scratch[s + j]);
                        y0 = FloatVector.fromArray(F, rows, r).fma(p, y0);
                        y1 = FloatVector.fromArray(F, rows, r + L).fma(p, y1);
                        y2 = FloatVector.fromArray(F, rows, r + 2 * L).fma(p, y2);
                        y3 = FloatVector.fromArray(F, rows, r + 3 * L).fma(p, y3);
                    }
                    y0.intoArray(out, o);
                    y1.intoArray(out, o + L);
                    y2.intoArray(out, o + 2 * L);
                    y3.intoArray(out, o + 3 * L);
                }
                for (; c < headDimV; c += L) { // widths that are not a multiple of four vectors (96 at 512 bits)
                    int o = outOff + h * headDimV + c, s = h * to + t0;
                    FloatVector y = FloatVector.fromArray(F, out, o);
                    for (int j = 0, r = c; j < n; j++, r += headDimV)
                        y = FloatVector.fromArray(F, rows, r).fma(FloatVector.broadcast(F, scratch[s + j]), y);
                    y.intoArray(out, o);
                }
            }
        }
    }

    /**
     * dst[o ..] = the fp16 bits src[off ..] decoded, in vector registers ({@link #halfToFloat}, exact). On rows as short
     * as a head (64) this beat C2's hardware-conversion loop, whose set-up dominated: 24 ns a row.
     */
    private static void decodeHalves(short[] src, int off, float[] dst, int o, int n) {
        int i = 0;
        for (int end = F.loopBound(n); i < end; i += L) halfToFloat(ShortVector.fromArray(S, src, off + i)).intoArray(dst, o + i);
        for (; i < n; i++) dst[o + i] = Float.float16ToFloat(src[off + i]);
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
            FloatVector e = exp(FloatVector.fromArray(F, x, off + i).sub(mv));
            e.intoArray(x, off + i);
            acc = acc.add(e);
        }
        float sum = sum(acc);
        for (; i < n; i++) {
            float e = exp(x[off + i] - max);
            x[off + i] = e;
            sum += e;
        }
        FloatVector inv = FloatVector.broadcast(F, 1f / sum);
        for (i = 0; i < end; i += L) FloatVector.fromArray(F, x, off + i).mul(inv).intoArray(x, off + i);
        float invS = 1f / sum;
        for (; i < n; i++) x[off + i] *= invS;
    }

    /** x[off+i] = exp(x[off+i]), deterministically (see {@link #exp(FloatVector)}; tested against Math.exp). */
    static void exp(float[] x, int off, int n) {
        int i = 0;
        for (int end = F.loopBound(n); i < end; i += L)
            exp(FloatVector.fromArray(F, x, off + i)).intoArray(x, off + i);
        for (; i < n; i++) x[off + i] = exp(x[off + i]);
    }

    /*
     * Determinism. GEM promises that a token's logits do not depend on how tokens were batched or on when the JIT
     * compiled a kernel (self-speculative decoding verifies drafts in a batch and must reproduce token-by-token output
     * bit for bit). Two Vector API operations break that: reduceLanes(ADD) on floats may associate differently in
     * interpreted and compiled code, and lanewise(EXP) is a different approximation (SVML) once compiled than the
     * Math.exp it falls back to. So sums fold lanes in a fixed tree of exact lane-wise adds ({@link #sum}), and exp is a polynomial
     * built only from exact IEEE operations, which give the same bits in every execution mode.
     */
    /** The sum of a vector's lanes, always in the same order: lane j takes lane j ^ d, for d = L/2 .. 1. */
    static float sum(FloatVector v) {
        v = L > 8 ? v.add(v.rearrange(SWAP8)) : v;
        v = L > 4 ? v.add(v.rearrange(SWAP4)) : v;
        v = v.add(v.rearrange(SWAP2));
        v = v.add(v.rearrange(SWAP1));
        return v.lane(0);
    }

    private static final float EXP_HI = 88.72284f, EXP_LO = -103.97208f;
    private static final float LOG2E = 1.44269504088896341f, LN2_HI = 0.693359375f, LN2_LO = -2.12194440e-4f;
    private static final float P0 = 1.9875691500e-4f, P1 = 1.3981999507e-3f, P2 = 8.3334519073e-3f,
            P3 = 4.1665795894e-2f, P4 = 1.6666665459e-1f, P5 = 5.0000001201e-1f;

    /**
     * e^x to about one ulp (Cephes' expf: x = k ln2 + r, |r| <= ln2/2, a polynomial for e^r, then 2^k applied as two
     * exponent-bit factors so results down to the subnormal range stay exact), from exact IEEE operations only, so
     * every execution mode gives the same bits. Below the subnormal range the result is 0, above the float range +inf,
     * and NaN stays NaN.
     */
    static FloatVector exp(FloatVector x) {
        VectorMask<Float> under = x.compare(VectorOperators.LT, EXP_LO), over = x.compare(VectorOperators.GT, EXP_HI);
        FloatVector c = x.max(EXP_LO).min(EXP_HI); // NaN propagates through max/min
        FloatVector t = c.fma(LOG2E, 0.5f);
        FloatVector k = (FloatVector) t.convert(VectorOperators.F2I, 0).convert(VectorOperators.I2F, 0);
        k = k.sub(1f, k.compare(VectorOperators.GT, t)); // floor(t): truncation rounds negatives up
        FloatVector r = k.fma(FloatVector.broadcast(F, -LN2_HI), c);
        r = k.fma(FloatVector.broadcast(F, -LN2_LO), r);
        FloatVector r2 = r.mul(r);
        FloatVector p = r.fma(P0, P1).fma(r, FloatVector.broadcast(F, P2)).fma(r, FloatVector.broadcast(F, P3))
                .fma(r, FloatVector.broadcast(F, P4)).fma(r, FloatVector.broadcast(F, P5));
        p = p.fma(r2, r).add(1f);
        IntVector ki = (IntVector) k.convert(VectorOperators.F2I, 0);
        IntVector half = ki.lanewise(VectorOperators.ASHR, 1);
        FloatVector s1 = half.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector s2 = ki.sub(half).add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        return p.mul(s1).mul(s2).blend(0f, under).blend(Float.POSITIVE_INFINITY, over);
    }

    /** The scalar twin of {@link #exp(FloatVector)}: the same operations in the same order, so tails agree. */
    static float exp(float x) {
        if (x < EXP_LO) return 0f;
        if (x > EXP_HI) return Float.POSITIVE_INFINITY;
        if (Float.isNaN(x)) return x;
        float t = Math.fma(x, LOG2E, 0.5f);
        float k = (float) (int) t;
        if (k > t) k -= 1f;
        float r = Math.fma(k, -LN2_HI, x);
        r = Math.fma(k, -LN2_LO, r);
        float r2 = r * r;
        float p = Math.fma(r, P0, P1);
        p = Math.fma(p, r, P2);
        p = Math.fma(p, r, P3);
        p = Math.fma(p, r, P4);
        p = Math.fma(p, r, P5);
        p = Math.fma(p, r2, r) + 1f;
        int ki = (int) k, half = ki >> 1;
        return p * Float.intBitsToFloat((half + 127) << 23) * Float.intBitsToFloat((ki - half + 127) << 23);
    }

    private static final VectorSpecies<Long> LONGS = VectorSpecies.of(long.class, VectorShape.forBitSize(BITS));

    /** Four vectors per step: enough loads in flight to reach the memory's bandwidth (plain 8-byte loads reach 40%). */
    @Override
    public long streamSum(MemorySegment s, long from, long to) {
        VectorSpecies<Long> species = LONGS;
        int step = species.vectorByteSize();
        jdk.incubator.vector.LongVector a = jdk.incubator.vector.LongVector.zero(species), b = a, c = a, d = a;
        long o = from;
        for (; o + 4L * step <= to; o += 4L * step) {
            a = a.add(jdk.incubator.vector.LongVector.fromMemorySegment(species, s, o, ORDER));
            b = b.add(jdk.incubator.vector.LongVector.fromMemorySegment(species, s, o + step, ORDER));
            c = c.add(jdk.incubator.vector.LongVector.fromMemorySegment(species, s, o + 2L * step, ORDER));
            d = d.add(jdk.incubator.vector.LongVector.fromMemorySegment(species, s, o + 3L * step, ORDER));
        }
        long sum = a.add(b).add(c).add(d).reduceLanes(VectorOperators.ADD);
        return sum + super.streamSum(s, o, to);
    }

    @Override
    public void swiglu(float[] gate, int gOff, float[] up, int uOff, int n) {
        FloatVector one = FloatVector.broadcast(F, 1f);
        int i = 0;
        for (int end = F.loopBound(n); i < end; i += L) {
            FloatVector g = FloatVector.fromArray(F, gate, gOff + i);
            FloatVector silu = g.div(one.add(exp(g.neg())));
            silu.mul(FloatVector.fromArray(F, up, uOff + i)).intoArray(gate, gOff + i);
        }
        for (; i < n; i++) {
            float g = gate[gOff + i];
            gate[gOff + i] = g / (1f + exp(-g)) * up[uOff + i];
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
