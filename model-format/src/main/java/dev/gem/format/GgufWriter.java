package dev.gem.format;

import dev.gem.tensor.DType;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Writes GGUF v3. Metadata and tensor descriptions are collected first; tensor data is produced one tensor at a time
 * when {@link #write} runs, so a multi-gigabyte model never has to sit in memory at once.
 * The file is written beside the target and renamed into place only when complete, so an existing file is never
 * left half-overwritten.
 */
public final class GgufWriter {
    private final Map<String, Entry> metadata = new LinkedHashMap<>();
    private final List<TensorEntry> tensors = new ArrayList<>();
    private int alignment = GgufFile.DEFAULT_ALIGNMENT;

    private record Entry(GgufType type, Object value, GgufType elementType) {}

    /** Fills {@code out} (exactly the tensor's byte size) with the tensor's data; it may use several threads. */
    public interface Filler {
        void fill(MemorySegment out) throws IOException;
    }

    private record TensorEntry(String name, DType type, long[] dims, long bytes, Filler filler) {}

    public GgufWriter alignment(int a) {
        if (a <= 0 || Integer.bitCount(a) != 1) throw new IllegalArgumentException("alignment must be a power of two");
        alignment = a;
        put("general.alignment", GgufType.UINT32, (long) a);
        return this;
    }

    /** Adds or replaces a key; value types as in {@link Metadata}. */
    public GgufWriter put(String key, GgufType type, Object value) {
        metadata.put(key, new Entry(type, value, null));
        return this;
    }

    /** Adds an array with an explicit element type (an {@code int[]} may be stored as UINT8 ... INT32). */
    public GgufWriter putArray(String key, GgufType elementType, Object array) {
        metadata.put(key, new Entry(GgufType.ARRAY, array, elementType));
        return this;
    }

    public GgufWriter putString(String key, String v) { return put(key, GgufType.STRING, v); }

    public GgufWriter putU32(String key, long v) { return put(key, GgufType.UINT32, v); }

    public GgufWriter putI32(String key, int v) { return put(key, GgufType.INT32, v); }

    public GgufWriter putF32(String key, float v) { return put(key, GgufType.FLOAT32, v); }

    public GgufWriter putBool(String key, boolean v) { return put(key, GgufType.BOOL, v); }

    /** Copies every key of {@code md} with its original type. */
    public GgufWriter putAll(Metadata md) {
        for (String k : md.keys()) {
            if (k.equals("general.alignment")) continue;
            metadata.put(k, new Entry(md.type(k), md.get(k), md.elementType(k)));
        }
        return this;
    }

    public GgufWriter remove(String key) {
        metadata.remove(key);
        return this;
    }

    public GgufWriter addTensor(String name, DType type, long[] dims, Filler filler) {
        long n = 1;
        for (long d : dims) n = Math.multiplyExact(n, d);
        tensors.add(new TensorEntry(name, type, dims.clone(), type.bytesFor(n), filler));
        return this;
    }

    /** Adds a tensor whose bytes already exist (a slice of another file, say). */
    public GgufWriter addTensor(String name, DType type, long[] dims, MemorySegment data) {
        return addTensor(name, type, dims, out -> out.copyFrom(data));
    }

    public int tensorCount() { return tensors.size(); }

    /** Writes the file; {@code progress} (may be null) hears each tensor's name after it is written. */
    public void write(Path path, Consumer<String> progress) throws IOException {
        Path tmp = path.resolveSibling(path.getFileName() + ".partial");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            Header h = new Header();
            h.bytes(new byte[]{'G', 'G', 'U', 'F'});
            h.i32(3);
            h.i64(tensors.size());
            h.i64(metadata.size());
            for (var e : metadata.entrySet()) {
                h.string(e.getKey());
                h.i32(e.getValue().type.id);
                h.value(e.getValue().type, e.getValue().value, e.getValue().elementType, e.getKey());
            }
            long off = 0;
            for (TensorEntry t : tensors) {
                h.string(t.name);
                h.i32(t.dims.length);
                for (long d : t.dims) h.i64(d);
                h.i32(t.type.ggufId);
                h.i64(off);
                off = align(off + t.bytes);
            }
            long headerLen = h.size();
            h.bytes(new byte[(int) (align(headerLen) - headerLen)]);
            ByteBuffer hb = h.buffer();
            while (hb.hasRemaining()) ch.write(hb);
            long pos = ch.position();
            for (TensorEntry t : tensors) {
                try (Arena a = Arena.ofShared()) { // shared: a filler may split the work across threads
                    long padded = align(t.bytes);
                    MemorySegment seg = a.allocate(Math.max(1, padded), 64);
                    t.filler.fill(seg.asSlice(0, t.bytes));
                    ByteBuffer bb = seg.asSlice(0, padded).asByteBuffer();
                    while (bb.hasRemaining()) pos += ch.write(bb, pos);
                }
                if (progress != null) progress.accept(t.name);
            }
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private long align(long x) {
        return (x + alignment - 1) / alignment * alignment;
    }

    /** A growable little-endian byte buffer for the header. */
    private static final class Header {
        private ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);

        private void ensure(long n) {
            if (buf.remaining() >= n) return;
            long cap = Math.max((long) buf.capacity() * 2, buf.position() + n);
            if (cap > Integer.MAX_VALUE - 8) throw new IllegalStateException("GGUF header over 2 GB");
            ByteBuffer b = ByteBuffer.allocate((int) cap).order(ByteOrder.LITTLE_ENDIAN);
            buf.flip();
            b.put(buf);
            buf = b;
        }

        long size() { return buf.position(); }

        ByteBuffer buffer() { return buf.duplicate().flip(); }

        void bytes(byte[] b) { ensure(b.length); buf.put(b); }

        void i32(int v) { ensure(4); buf.putInt(v); }

        void i64(long v) { ensure(8); buf.putLong(v); }

        void string(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            i64(b.length);
            bytes(b);
        }

        void value(GgufType t, Object v, GgufType elementType, String key) {
            switch (t) {
                case UINT8, INT8 -> { ensure(1); buf.put((byte) ((Number) v).intValue()); }
                case UINT16, INT16 -> { ensure(2); buf.putShort((short) ((Number) v).intValue()); }
                case UINT32, INT32 -> i32((int) ((Number) v).longValue());
                case FLOAT32 -> { ensure(4); buf.putFloat(((Number) v).floatValue()); }
                case BOOL -> { ensure(1); buf.put((byte) ((Boolean) v ? 1 : 0)); }
                case STRING -> string((String) v);
                case UINT64, INT64 -> i64(((Number) v).longValue());
                case FLOAT64 -> { ensure(8); buf.putDouble(((Number) v).doubleValue()); }
                case ARRAY -> array(v, elementType, key);
            }
        }

        private void array(Object v, GgufType et, String key) {
            if (et != null && v instanceof int[] a && et != GgufType.INT32) {
                i32(et.id);
                i64(a.length);
                for (int x : a) value(et, x, null, key);
                return;
            }
            if (et == GgufType.UINT64 && v instanceof long[] a) {
                i32(et.id);
                i64(a.length);
                for (long x : a) i64(x);
                return;
            }
            switch (v) {
                case String[] a -> { i32(GgufType.STRING.id); i64(a.length); for (String s : a) string(s); }
                case float[] a -> { i32(GgufType.FLOAT32.id); i64(a.length); ensure(4L * a.length); for (float x : a) buf.putFloat(x); }
                case int[] a -> { i32(GgufType.INT32.id); i64(a.length); ensure(4L * a.length); for (int x : a) buf.putInt(x); }
                case long[] a -> { i32(GgufType.INT64.id); i64(a.length); ensure(8L * a.length); for (long x : a) buf.putLong(x); }
                case double[] a -> { i32(GgufType.FLOAT64.id); i64(a.length); ensure(8L * a.length); for (double x : a) buf.putDouble(x); }
                case boolean[] a -> { i32(GgufType.BOOL.id); i64(a.length); ensure(a.length); for (boolean x : a) buf.put((byte) (x ? 1 : 0)); }
                case Object[] a -> {
                    if (a.length == 0) throw new IllegalArgumentException("metadata " + key + ": cannot write an empty array of arrays");
                    i32(GgufType.ARRAY.id);
                    i64(a.length);
                    for (Object x : a) array(x, null, key);
                }
                default -> throw new IllegalArgumentException("metadata " + key + ": cannot write array of " + v.getClass().getSimpleName());
            }
        }
    }
}
