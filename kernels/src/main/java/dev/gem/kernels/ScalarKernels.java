package dev.gem.kernels;

import dev.gem.quant.BlockCodec;
import dev.gem.quant.Codecs;
import dev.gem.tensor.DType;
import dev.gem.tensor.Tensor;

/**
 * The reference backend: plain Java loops, quantized rows decoded through the quant module's scalar codecs.
 * Every SIMD kernel is tested against this one; it is also what runs when the Vector API is unavailable.
 */
public class ScalarKernels extends Kernels {
    private static final ThreadLocal<float[]> ROW = ThreadLocal.withInitial(() -> new float[0]);

    @Override
    public String name() { return "scalar"; }

    @Override
    public int vectorBits() { return 0; }

    @Override
    public boolean supports(DType type) { return Codecs.supports(type); }

    @Override
    public float dot(Tensor w, long row, float[] x, int xOff) {
        int n = w.cols();
        float[] buf = rowBuffer(n);
        Codecs.of(w.type()).dequantize(w.data(), row * w.rowBytes(), buf, 0, n);
        return dot(buf, 0, x, xOff, n);
    }

    @Override
    public void row(Tensor w, long row, float[] out, int outOff) {
        BlockCodec c = Codecs.of(w.type());
        c.dequantize(w.data(), row * w.rowBytes(), out, outOff, w.cols());
    }

    private static float[] rowBuffer(int n) {
        float[] b = ROW.get();
        if (b.length < n) {
            b = new float[n];
            ROW.set(b);
        }
        return b;
    }

    @Override
    public float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        float s = 0;
        for (int i = 0; i < n; i++) s += a[aOff + i] * b[bOff + i];
        return s;
    }

    @Override
    public void axpy(float a, float[] x, int xOff, float[] y, int yOff, int n) {
        for (int i = 0; i < n; i++) y[yOff + i] += a * x[xOff + i];
    }

    @Override
    public void rmsnorm(float[] out, int outOff, float[] x, int xOff, float[] w, int n, float eps) {
        float ss = 0;
        for (int i = 0; i < n; i++) ss += x[xOff + i] * x[xOff + i];
        float scale = (float) (1.0 / Math.sqrt(ss / n + eps));
        for (int i = 0; i < n; i++) out[outOff + i] = x[xOff + i] * scale * (w == null ? 1f : w[i]);
    }

    @Override
    public void softmax(float[] x, int off, int n) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) max = Math.max(max, x[off + i]);
        float sum = 0;
        for (int i = 0; i < n; i++) {
            float e = (float) Math.exp(x[off + i] - max);
            x[off + i] = e;
            sum += e;
        }
        float inv = 1f / sum;
        for (int i = 0; i < n; i++) x[off + i] *= inv;
    }

    @Override
    public void swiglu(float[] gate, int gOff, float[] up, int uOff, int n) {
        for (int i = 0; i < n; i++) {
            float g = gate[gOff + i];
            gate[gOff + i] = g / (1f + (float) Math.exp(-g)) * up[uOff + i];
        }
    }

    @Override
    public void add(float[] y, int yOff, float[] x, int xOff, int n) {
        for (int i = 0; i < n; i++) y[yOff + i] += x[xOff + i];
    }
}
