package dev.gem.quant;

import dev.gem.tensor.DType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * A codec for a block format, written one block at a time against a plain byte array holding that block. Copying each
 * block out of (or into) the segment keeps every format's code a direct transcription of its byte layout; speed is the
 * kernels' job.
 */
abstract class BlockwiseCodec implements BlockCodec {
    private final DType type;

    BlockwiseCodec(DType type) {
        this.type = type;
    }

    @Override
    public final DType type() {
        return type;
    }

    /** Decodes one block of {@code type().blockBytes} bytes into {@code type().blockSize} floats at {@code dst[dstOff]}. */
    abstract void decodeBlock(byte[] block, float[] dst, int dstOff);

    /** Encodes {@code type().blockSize} floats from {@code src[srcOff]} into a zero-filled {@code block}. */
    abstract void encodeBlock(float[] src, int srcOff, byte[] block);

    @Override
    public final void dequantize(MemorySegment src, long off, float[] dst, int dstOff, int n) {
        int blocks = blocks(n);
        byte[] block = new byte[type.blockBytes];
        for (int b = 0; b < blocks; b++) {
            MemorySegment.copy(src, ValueLayout.JAVA_BYTE, off + (long) b * type.blockBytes, block, 0, type.blockBytes);
            decodeBlock(block, dst, dstOff + b * type.blockSize);
        }
    }

    @Override
    public final void quantize(float[] src, int srcOff, MemorySegment dst, long off, int n) {
        int blocks = blocks(n);
        byte[] block = new byte[type.blockBytes];
        for (int b = 0; b < blocks; b++) {
            Arrays.fill(block, (byte) 0);
            encodeBlock(src, srcOff + b * type.blockSize, block);
            MemorySegment.copy(block, 0, dst, ValueLayout.JAVA_BYTE, off + (long) b * type.blockBytes, type.blockBytes);
        }
    }

    private int blocks(int n) {
        if (n < 0 || !type.fitsBlocks(n))
            throw new IllegalArgumentException(n + " values is not a whole number of " + type + " blocks of " + type.blockSize);
        return n / type.blockSize;
    }

    // Little-endian field access inside a block, as ggml's packed C structs lay them out on every platform it supports.

    static int u8(byte[] b, int i) {
        return b[i] & 0xff;
    }

    static int u16(byte[] b, int i) {
        return (b[i] & 0xff) | (b[i + 1] & 0xff) << 8;
    }

    static void putU16(byte[] b, int i, int v) {
        b[i] = (byte) v;
        b[i + 1] = (byte) (v >>> 8);
    }

    static int i32(byte[] b, int i) {
        return u16(b, i) | u16(b, i + 2) << 16;
    }

    static void putI32(byte[] b, int i, int v) {
        putU16(b, i, v);
        putU16(b, i + 2, v >>> 16);
    }

    static float half(byte[] b, int i) {
        return Float.float16ToFloat((short) u16(b, i));
    }

    /** Stores {@code v} as IEEE half, rounding to nearest-even like ggml's GGML_FP32_TO_FP16. */
    static void putHalf(byte[] b, int i, float v) {
        putU16(b, i, Float.floatToFloat16(v));
    }
}
