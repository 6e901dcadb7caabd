package dev.gem.format;

import dev.gem.tensor.DType;
import dev.gem.tensor.LE;
import dev.gem.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class GgufFileTest {
    @TempDir
    Path tmp;

    static Path testdata() {
        return Path.of(System.getProperty("gem.testdata", "../../shared/testdata"));
    }

    static Path stories() { return testdata().resolve("models/stories260K.gguf"); }

    @Test
    void readsStories260K() throws IOException {
        try (GgufFile f = GgufFile.open(stories())) {
            assertEquals(3, f.version());
            assertEquals(48, f.tensors().size());
            Metadata md = f.metadata();
            assertEquals("llama", md.getString("general.architecture"));
            assertEquals(64, md.getInt("llama.embedding_length"));
            assertEquals(5, md.getInt("llama.block_count"));
            assertEquals(512, md.getStringArray("tokenizer.ggml.tokens").length);
            assertEquals(512, md.getFloatArray("tokenizer.ggml.scores").length);
            Tensor emb = f.require("token_embd.weight");
            assertEquals(DType.F32, emb.type());
            assertArrayEquals(new long[]{64, 512}, emb.dims());
            assertEquals(0, f.dataOffset() % f.alignment());
            // every tensor lies inside the file and the last one ends at (or just before) its end
            long end = 0;
            for (Tensor t : f.tensors().values()) end = Math.max(end, t.data().address() - f.segment().address() + t.byteSize());
            assertTrue(end <= f.segment().byteSize());
        }
    }

    @Test
    void quantizedFilesUseEachTensorsOwnType() throws IOException {
        try (GgufFile f = GgufFile.open(testdata().resolve("models/stories260K-Q4_0.gguf"))) {
            long q4 = f.tensors().values().stream().filter(t -> t.type() == DType.Q4_0).count();
            long f32 = f.tensors().values().stream().filter(t -> t.type() == DType.F32).count();
            assertEquals(32, q4);
            assertEquals(16, f32);
        }
    }

    private Path copy(byte[] bytes, String name) throws IOException {
        Path p = tmp.resolve(name);
        Files.write(p, bytes);
        return p;
    }

    private static String failure(Path p) {
        ModelFileException e = assertThrows(ModelFileException.class, () -> GgufFile.open(p).close());
        assertTrue(e.getMessage().startsWith(p.toString()), "message names the file: " + e.getMessage());
        return e.getMessage();
    }

    @Test
    void truncatedCopiesFailClearlyAtEveryLength() throws IOException {
        byte[] all = Files.readAllBytes(stories());
        try (GgufFile f = GgufFile.open(stories())) {
            long headerEnd = f.dataOffset();
            // cuts inside the header and inside the tensor data
            for (long cut : List.of(0L, 3L, 4L, 7L, 12L, 20L, 24L, 100L, 1000L, 10_000L, headerEnd - 1, headerEnd + 5, (long) all.length - 1)) {
                Path p = copy(java.util.Arrays.copyOf(all, (int) cut), "cut" + cut + ".gguf");
                String msg = failure(p);
                assertTrue(msg.contains("truncated") || msg.contains("not a GGUF") || msg.contains("beyond the end"), msg);
            }
        }
    }

    @Test
    void badMagicVersionAndTypes() throws IOException {
        byte[] all = Files.readAllBytes(stories());
        byte[] b = all.clone();
        b[0] = 'X';
        assertTrue(failure(copy(b, "magic.gguf")).contains("bad magic"));

        b = all.clone();
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(4, 7);
        assertTrue(failure(copy(b, "v7.gguf")).contains("unsupported GGUF version 7"));

        b = all.clone();
        ByteBuffer.wrap(b).order(ByteOrder.BIG_ENDIAN).putInt(4, 3);
        assertTrue(failure(copy(b, "be.gguf")).contains("big-endian"));

        // the first tensor's type id sits right after its name and dims; find it through a parse of the original
        try (GgufFile f = GgufFile.open(stories())) {
            int typeAt = offsetOfFirstTensorType(all);
            b = all.clone();
            ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(typeAt, 99);
            assertTrue(failure(copy(b, "type.gguf")).contains("unknown tensor type id 99"));

            b = all.clone();
            ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(typeAt + 4, 1L << 40);
            assertTrue(failure(copy(b, "offset.gguf")).contains("beyond the end of the file"));
            assertNotNull(f.tensors().keySet().iterator().next());
        }
    }

    @Test
    void hugeCountsAreRejectedWithoutAllocating() throws IOException {
        byte[] b = Files.readAllBytes(stories());
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(16, Long.MAX_VALUE / 2); // metadata count
        assertTrue(failure(copy(b, "count.gguf")).contains("cannot fit"));
        b = Files.readAllBytes(stories());
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(24, 1L << 50); // length of the first key
        assertTrue(failure(copy(b, "strlen.gguf")).contains("truncated header"));
    }

    @Test
    void missingFileAndDirectory() {
        assertThrows(java.nio.file.NoSuchFileException.class, () -> GgufFile.open(tmp.resolve("nope.gguf")));
        assertTrue(assertThrows(ModelFileException.class, () -> GgufFile.open(tmp)).getMessage().contains("directory"));
    }

    @Test
    void missingKeyAndWrongTypeNameTheKey() throws IOException {
        try (GgufFile f = GgufFile.open(stories())) {
            ModelFileException e = assertThrows(ModelFileException.class, () -> f.metadata().getInt("llama.no_such_key"));
            assertTrue(e.getMessage().contains("missing required metadata key llama.no_such_key"));
            e = assertThrows(ModelFileException.class, () -> f.metadata().getInt("general.architecture"));
            assertTrue(e.getMessage().contains("general.architecture"));
            assertTrue(assertThrows(ModelFileException.class, () -> f.require("blk.99.attn_q.weight")).getMessage().contains("missing tensor blk.99.attn_q.weight"));
        }
    }

    @Test
    void writerRoundTripsEveryValueType() throws IOException {
        Path p = tmp.resolve("rt.gguf");
        float[] data = new float[64];
        for (int i = 0; i < data.length; i++) data[i] = i * 0.5f;
        new GgufWriter()
                .putString("general.architecture", "test")
                .put("u8", GgufType.UINT8, 200)
                .put("i8", GgufType.INT8, -5)
                .put("u16", GgufType.UINT16, 60000)
                .put("i16", GgufType.INT16, -30000)
                .putU32("u32", 4_000_000_000L)
                .putI32("i32", -7)
                .putF32("f32", 1.5f)
                .putBool("bool", true)
                .put("u64", GgufType.UINT64, 1L << 40)
                .put("i64", GgufType.INT64, -(1L << 40))
                .put("f64", GgufType.FLOAT64, 2.25)
                .put("strs", GgufType.ARRAY, new String[]{"a", "ü", ""})
                .put("floats", GgufType.ARRAY, new float[]{1f, 2f})
                .putArray("bytes", GgufType.UINT8, new int[]{1, 255})
                .put("nested", GgufType.ARRAY, new Object[]{new int[]{1, 2}, new int[]{3}})
                .addTensor("t", DType.F32, new long[]{16, 4}, out -> {
                    for (int i = 0; i < data.length; i++) out.set(LE.FLOAT, 4L * i, data[i]);
                })
                .write(p, null);
        try (GgufFile f = GgufFile.open(p)) {
            Metadata md = f.metadata();
            assertEquals(200, md.getInt("u8"));
            assertEquals(-5, md.getInt("i8"));
            assertEquals(60000, md.getInt("u16"));
            assertEquals(-30000, md.getInt("i16"));
            assertEquals(4_000_000_000L, md.getLong("u32"));
            assertEquals(-7, md.getInt("i32"));
            assertEquals(1.5f, md.getFloat("f32"));
            assertTrue(md.getBool("bool", false));
            assertEquals(1L << 40, md.getLong("u64"));
            assertEquals(-(1L << 40), md.getLong("i64"));
            assertEquals(2.25f, md.getFloat("f64"));
            assertArrayEquals(new String[]{"a", "ü", ""}, md.getStringArray("strs"));
            assertArrayEquals(new float[]{1f, 2f}, md.getFloatArray("floats"));
            assertArrayEquals(new int[]{1, 255}, md.getIntArray("bytes"));
            assertEquals(GgufType.UINT8, md.elementType("bytes"));
            assertArrayEquals(new int[]{3}, (int[]) ((Object[]) md.get("nested"))[1]);
            Tensor t = f.require("t");
            assertEquals(4, t.rows());
            for (int i = 0; i < data.length; i++) assertEquals(data[i], t.data().get(LE.FLOAT, 4L * i));
        }
    }

    @Test
    void writerNeverLeavesAHalfWrittenFile() throws IOException {
        Path p = tmp.resolve("keep.gguf");
        Files.writeString(p, "precious");
        GgufWriter w = new GgufWriter().putString("general.architecture", "x")
                .addTensor("t", DType.F32, new long[]{4}, out -> { throw new IOException("generator failed"); });
        assertThrows(IOException.class, () -> w.write(p, null));
        assertEquals("precious", Files.readString(p));
        assertFalse(Files.exists(tmp.resolve("keep.gguf.partial")));
    }

    /** GGUF v1 used 32-bit counts and lengths; GEM reads it. */
    @Test
    void readsVersion1() throws IOException {
        ByteBuffer b = ByteBuffer.allocate(256).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(GgufFile.MAGIC).putInt(1).putInt(1).putInt(1);
        byte[] key = "general.architecture".getBytes(StandardCharsets.UTF_8);
        b.putInt(key.length).put(key).putInt(GgufType.STRING.id);
        byte[] val = "llama".getBytes(StandardCharsets.UTF_8);
        b.putInt(val.length).put(val);
        byte[] tn = "w".getBytes(StandardCharsets.UTF_8);
        b.putInt(tn.length).put(tn).putInt(1).putInt(8).putInt(DType.F32.ggufId).putLong(0);
        int header = b.position();
        int data = (header + 31) / 32 * 32;
        b.position(data);
        for (int i = 0; i < 8; i++) b.putFloat(i);
        Path p = copy(java.util.Arrays.copyOf(b.array(), b.position()), "v1.gguf");
        try (GgufFile f = GgufFile.open(p)) {
            assertEquals(1, f.version());
            assertEquals("llama", f.metadata().getString("general.architecture"));
            assertEquals(7f, f.require("w").data().get(LE.FLOAT, 28));
        }
    }

    /** Offsets are longs end to end: a tensor 2.5 GB into a (sparse) file is found and read. */
    @Test
    void filesOver2GbWork() throws IOException {
        Path p = tmp.resolve("big.gguf");
        long tensorOffset = 5L << 29; // 2.5 GiB
        ByteBuffer b = ByteBuffer.allocate(256).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(GgufFile.MAGIC).putInt(3).putLong(1).putLong(0);
        byte[] tn = "far".getBytes(StandardCharsets.UTF_8);
        b.putLong(tn.length).put(tn).putInt(1).putLong(4).putInt(DType.F32.ggufId).putLong(tensorOffset);
        int dataStart = (b.position() + 31) / 32 * 32;
        try (RandomAccessFile raf = new RandomAccessFile(p.toFile(), "rw")) {
            raf.write(b.array(), 0, b.position());
            raf.setLength(dataStart + tensorOffset + 16);
            raf.seek(dataStart + tensorOffset + 12);
            raf.write(new byte[]{0, 0, (byte) 0x80, 0x3f}); // 1.0f little-endian
        }
        try (GgufFile f = GgufFile.open(p)) {
            Tensor t = f.require("far");
            assertEquals(1f, t.data().get(LE.FLOAT, 12));
            assertTrue(f.segment().byteSize() > Integer.MAX_VALUE);
        } finally {
            Files.deleteIfExists(p);
        }
    }

    /** Byte offset of the first tensor info's type field, found by walking the header of a known-good file. */
    private static int offsetOfFirstTensorType(byte[] file) {
        ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        b.position(8);
        b.getLong();
        long kv = b.getLong();
        for (long i = 0; i < kv; i++) {
            skipString(b);
            skipValue(b, b.getInt());
        }
        skipString(b);
        int nd = b.getInt();
        b.position(b.position() + 8 * nd);
        return b.position();
    }

    private static void skipString(ByteBuffer b) {
        long n = b.getLong();
        b.position(b.position() + (int) n);
    }

    private static void skipValue(ByteBuffer b, int type) {
        switch (type) {
            case 0, 1, 7 -> b.get();
            case 2, 3 -> b.getShort();
            case 4, 5, 6 -> b.getInt();
            case 10, 11, 12 -> b.getLong();
            case 8 -> skipString(b);
            case 9 -> {
                int et = b.getInt();
                long n = b.getLong();
                for (long i = 0; i < n; i++) skipValue(b, et);
            }
            default -> throw new IllegalStateException("type " + type);
        }
    }
}
