package dev.gem.format;

import dev.gem.tensor.DType;
import dev.gem.tensor.LE;
import dev.gem.tensor.Tensor;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A GGUF file (versions 1-3), read in place: the whole file is one memory-mapped segment and every tensor is a view
 * into it. Closing unmaps the file, after which no tensor of it may be touched.
 *
 * <p>Every structural problem is reported as a {@link ModelFileException} naming the file, the offset or tensor, and
 * what is wrong; nothing is allocated in proportion to a count before that count has been checked against the bytes
 * that remain, so a corrupt file cannot make the reader run out of memory.
 */
public final class GgufFile implements ModelFile {
    public static final int MAGIC = 0x46554747; // "GGUF" little-endian
    public static final int DEFAULT_ALIGNMENT = 32;
    private static final int MAX_DIMS = 4;

    private final String name;
    private final Arena arena;
    private final MemorySegment segment;
    private final int version;
    private final Metadata metadata;
    private final Map<String, Tensor> tensors;
    private final long dataOffset;
    private final int alignment;

    private GgufFile(String name, Arena arena, MemorySegment segment) throws ModelFileException {
        this.name = name;
        this.arena = arena;
        this.segment = segment;
        Cursor in = new Cursor(name, segment);
        if (segment.byteSize() < 8) throw new ModelFileException(name, "not a GGUF file: only " + segment.byteSize() + " bytes");
        int magic = in.i32();
        if (magic != MAGIC)
            throw new ModelFileException(name, String.format("not a GGUF file: bad magic 0x%08x at offset 0 (expected \"GGUF\")", magic));
        int v = in.i32();
        if (v > 0xffff && Integer.reverseBytes(v) <= 3)
            throw new ModelFileException(name, "big-endian GGUF files are not supported; convert the model on a little-endian machine");
        if (v < 1 || v > 3) throw new ModelFileException(name, "unsupported GGUF version " + Integer.toUnsignedString(v) + " (GEM reads versions 1 to 3)");
        this.version = v;
        in.wide = v >= 2;
        long tensorCount = in.count("tensor count", 8 + 4 + 8 + 8);
        long kvCount = in.count("metadata count", 8 + 4 + 1);
        metadata = new Metadata(name);
        for (long i = 0; i < kvCount; i++) {
            long at = in.pos;
            String key = in.string("metadata key #" + i);
            int typeId = in.i32();
            GgufType type = GgufType.ofId(typeId);
            if (type == null) throw new ModelFileException(name, "metadata key " + key + " at offset " + at + " has unknown value type " + typeId);
            if (metadata.has(key)) throw new ModelFileException(name, "metadata key " + key + " appears twice");
            if (type == GgufType.ARRAY) {
                long at2 = in.pos;
                Object arr = in.value(type, key);
                metadata.putArray(key, GgufType.ofId(in.seg.get(LE.INT, at2)), arr);
            } else {
                metadata.put(key, type, in.value(type, key));
            }
        }
        alignment = metadata.has("general.alignment") ? metadata.getInt("general.alignment") : DEFAULT_ALIGNMENT;
        if (alignment <= 0 || Integer.bitCount(alignment) != 1)
            throw new ModelFileException(name, "general.alignment = " + alignment + " is not a power of two");

        record Info(String name, DType type, long[] dims, long offset) {}
        Info[] infos = new Info[(int) tensorCount];
        for (int i = 0; i < tensorCount; i++) {
            String tname = in.string("name of tensor #" + i);
            int nd = in.i32();
            if (nd < 1 || nd > MAX_DIMS) throw new ModelFileException(name, "tensor " + tname + " has " + nd + " dimensions (1 to " + MAX_DIMS + " allowed)");
            long[] dims = new long[nd];
            long elements = 1;
            for (int d = 0; d < nd; d++) {
                dims[d] = in.wide ? in.i64() : Integer.toUnsignedLong(in.i32());
                if (dims[d] <= 0) throw new ModelFileException(name, "tensor " + tname + " has dimension " + d + " = " + Long.toUnsignedString(dims[d]));
                try {
                    elements = Math.multiplyExact(elements, dims[d]);
                } catch (ArithmeticException e) {
                    throw new ModelFileException(name, "tensor " + tname + " is impossibly large");
                }
            }
            int typeId = in.i32();
            DType type = DType.ofGgufId(typeId);
            if (type == null) throw new ModelFileException(name, "tensor " + tname + " has unknown tensor type id " + typeId);
            if (!type.fitsBlocks(dims[0]))
                throw new ModelFileException(name, "tensor " + tname + ": row length " + dims[0] + " is not a multiple of the " + type + " block size " + type.blockSize);
            long off = in.i64();
            if (off < 0 || off % alignment != 0)
                throw new ModelFileException(name, "tensor " + tname + " has data offset " + Long.toUnsignedString(off) + ", not a multiple of the alignment " + alignment);
            infos[i] = new Info(tname, type, dims, off);
        }
        dataOffset = (in.pos + alignment - 1) / alignment * alignment;
        Map<String, Tensor> map = new LinkedHashMap<>();
        for (Info t : infos) {
            long bytes;
            try {
                bytes = t.type.bytesFor(elementsOf(t.dims));
            } catch (ArithmeticException e) {
                throw new ModelFileException(name, "tensor " + t.name + " is impossibly large");
            }
            long start = dataOffset + t.offset;
            if (start < 0 || start + bytes > segment.byteSize() || start + bytes < 0)
                throw new ModelFileException(name, "tensor " + t.name + " (" + t.type + ", " + bytes + " bytes at offset " + start
                        + ") lies beyond the end of the file (" + segment.byteSize() + " bytes): the file is truncated or corrupt");
            if (map.containsKey(t.name)) throw new ModelFileException(name, "tensor " + t.name + " appears twice");
            map.put(t.name, new Tensor(t.name, t.type, t.dims, segment.asSlice(start, bytes)));
        }
        tensors = Collections.unmodifiableMap(map);
    }

    private static long elementsOf(long[] dims) {
        long n = 1;
        for (long d : dims) n = Math.multiplyExact(n, d);
        return n;
    }

    /** Maps and parses a file. The caller owns the result and must close it. */
    public static GgufFile open(Path path) throws IOException {
        String name = path.toString();
        if (!Files.exists(path)) throw new NoSuchFileException(name, null, "no such file");
        if (Files.isDirectory(path)) throw new ModelFileException(name, "is a directory, not a GGUF file");
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            MemorySegment seg = ch.size() == 0 ? MemorySegment.NULL.reinterpret(0) : ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            return new GgufFile(name, arena, seg);
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /**
     * Parses a file already in memory (an embedded resource, a test buffer). If {@code owner} is not null it is
     * closed with this file.
     */
    public static GgufFile read(MemorySegment data, String name, Arena owner) throws ModelFileException {
        try {
            return new GgufFile(name, owner, data);
        } catch (ModelFileException | RuntimeException e) {
            if (owner != null) owner.close();
            throw e;
        }
    }

    @Override
    public String name() { return name; }

    public int version() { return version; }

    @Override
    public Metadata metadata() { return metadata; }

    @Override
    public Map<String, Tensor> tensors() { return tensors; }

    public long dataOffset() { return dataOffset; }

    public int alignment() { return alignment; }

    /** The whole mapped file. */
    public MemorySegment segment() { return segment; }

    @Override
    public void close() {
        if (arena != null && arena.scope().isAlive()) arena.close();
    }

    /** A bounds-checked little-endian reader over the header. */
    private static final class Cursor {
        final String file;
        final MemorySegment seg;
        long pos;
        boolean wide = true; // v1 used 32-bit counts and lengths

        Cursor(String file, MemorySegment seg) {
            this.file = file;
            this.seg = seg;
        }

        void need(long n, String what) throws ModelFileException {
            if (n < 0 || pos + n > seg.byteSize())
                throw new ModelFileException(file, "truncated header: " + what + " needs " + n + " bytes at offset " + pos
                        + " but the file ends at " + seg.byteSize());
        }

        int i32() throws ModelFileException {
            need(4, "a 32-bit value");
            int v = seg.get(LE.INT, pos);
            pos += 4;
            return v;
        }

        long i64() throws ModelFileException {
            need(8, "a 64-bit value");
            long v = seg.get(LE.LONG, pos);
            pos += 8;
            return v;
        }

        long count(String what, long minBytesEach) throws ModelFileException {
            long n = wide ? i64() : Integer.toUnsignedLong(i32());
            if (n < 0 || n > Integer.MAX_VALUE - 16 || n * minBytesEach > seg.byteSize() - pos)
                throw new ModelFileException(file, what + " " + Long.toUnsignedString(n) + " at offset " + (pos - (wide ? 8 : 4))
                        + " cannot fit in the remaining " + (seg.byteSize() - pos) + " bytes: truncated or corrupt header");
            return n;
        }

        String string(String what) throws ModelFileException {
            long len = wide ? i64() : Integer.toUnsignedLong(i32());
            if (len < 0 || len > seg.byteSize() - pos)
                throw new ModelFileException(file, "truncated header: " + what + " claims " + Long.toUnsignedString(len)
                        + " bytes at offset " + pos + " but the file ends at " + seg.byteSize());
            byte[] b = seg.asSlice(pos, len).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
            pos += len;
            return new String(b, java.nio.charset.StandardCharsets.UTF_8);
        }

        Object value(GgufType type, String key) throws ModelFileException {
            switch (type) {
                case UINT8: need(1, key); return (int) (seg.get(LE.BYTE, pos++) & 0xff);
                case INT8: need(1, key); return (int) seg.get(LE.BYTE, pos++);
                case UINT16: { need(2, key); int v = seg.get(LE.SHORT, pos) & 0xffff; pos += 2; return v; }
                case INT16: { need(2, key); int v = seg.get(LE.SHORT, pos); pos += 2; return v; }
                case UINT32: return Integer.toUnsignedLong(i32());
                case INT32: return i32();
                case FLOAT32: return Float.intBitsToFloat(i32());
                case BOOL: {
                    need(1, key);
                    byte b = seg.get(LE.BYTE, pos++);
                    if (b != 0 && b != 1) throw new ModelFileException(file, "metadata key " + key + " is a bool with value " + b);
                    return b == 1;
                }
                case STRING: return string("value of " + key);
                case UINT64: case INT64: return i64();
                case FLOAT64: return Double.longBitsToDouble(i64());
                case ARRAY: return array(key);
            }
            throw new AssertionError(type);
        }

        Object array(String key) throws ModelFileException {
            int typeId = i32();
            GgufType et = GgufType.ofId(typeId);
            if (et == null) throw new ModelFileException(file, "metadata key " + key + " is an array of unknown type " + typeId);
            int n = (int) count("length of array " + key, et.minBytes);
            switch (et) {
                case STRING -> {
                    String[] a = new String[n];
                    for (int i = 0; i < n; i++) a[i] = string(key + "[" + i + "]");
                    return a;
                }
                case FLOAT32 -> {
                    need(4L * n, key);
                    float[] a = seg.asSlice(pos, 4L * n).toArray(LE.FLOAT);
                    pos += 4L * n;
                    return a;
                }
                case INT32, UINT32 -> {
                    need(4L * n, key);
                    int[] a = seg.asSlice(pos, 4L * n).toArray(LE.INT);
                    pos += 4L * n;
                    if (et == GgufType.UINT32) {
                        for (int x : a) if (x < 0) return widen(a);
                    }
                    return a;
                }
                case UINT8, INT8, UINT16, INT16 -> {
                    int[] a = new int[n];
                    for (int i = 0; i < n; i++) a[i] = ((Number) value(et, key)).intValue();
                    return a;
                }
                case INT64, UINT64 -> {
                    need(8L * n, key);
                    long[] a = seg.asSlice(pos, 8L * n).toArray(LE.LONG);
                    pos += 8L * n;
                    return a;
                }
                case FLOAT64 -> {
                    need(8L * n, key);
                    double[] a = seg.asSlice(pos, 8L * n).toArray(LE.DOUBLE);
                    pos += 8L * n;
                    return a;
                }
                case BOOL -> {
                    boolean[] a = new boolean[n];
                    for (int i = 0; i < n; i++) a[i] = (Boolean) value(et, key);
                    return a;
                }
                case ARRAY -> {
                    Object[] a = new Object[n];
                    for (int i = 0; i < n; i++) a[i] = array(key + "[" + i + "]");
                    return a;
                }
            }
            throw new AssertionError(et);
        }

        private static long[] widen(int[] a) {
            long[] l = new long[a.length];
            for (int i = 0; i < a.length; i++) l[i] = Integer.toUnsignedLong(a[i]);
            return l;
        }
    }
}
