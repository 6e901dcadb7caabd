package dev.gem.format;

import dev.gem.tensor.DType;
import dev.gem.tensor.LE;
import dev.gem.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.*;

class SafetensorsFileTest {
    @TempDir
    Path tmp;

    /** A file with a 2x3 F32 matrix, a BF16 vector, an I8 scalar and metadata. */
    private Path sample() throws IOException {
        Path p = tmp.resolve("sample.safetensors");
        new SafetensorsWriter()
                .putMetadata("format", "pt")
                .addF32("w", new long[]{2, 3}, new float[]{1, 2, 3, 4, 5, 6})
                .add("b", DType.BF16, new long[]{2}, new byte[]{(byte) 0x80, 0x3f, 0x00, (byte) 0xc0}) // 1.0, -2.0
                .add("s", DType.I8, new long[]{}, new byte[]{-7})
                .write(p);
        return p;
    }

    @Test
    void readsTensorsAsGgufOrderedViews() throws IOException {
        try (SafetensorsFile f = SafetensorsFile.open(sample())) {
            assertEquals("pt", f.metadata().getString("format"));
            assertEquals(java.util.List.of("w", "b", "s"), java.util.List.copyOf(f.tensors().keySet()));
            Tensor w = f.require("w");
            assertEquals(DType.F32, w.type());
            assertArrayEquals(new long[]{3, 2}, w.dims(), "row-major [2, 3] becomes GGUF [3, 2]");
            assertEquals(3, w.cols());
            assertEquals(2, w.rows());
            assertEquals(4f, w.data().get(LE.FLOAT, 3 * 4), "row 1 starts after the 3 values of row 0");
            Tensor b = f.require("b");
            assertEquals(DType.BF16, b.type());
            assertEquals((short) 0xc000, b.data().get(LE.SHORT, 2));
            Tensor s = f.require("s");
            assertEquals(DType.I8, s.type());
            assertArrayEquals(new long[]{1}, s.dims(), "a scalar is one value");
            assertEquals(-7, s.data().get(LE.BYTE, 0));
            assertEquals(0, f.dataOffset() % 8);
        }
    }

    /** Writes {@code header} (as given, unpadded) and {@code dataBytes} zero bytes of data. */
    private Path withHeader(String header, int dataBytes, String name) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        Path p = tmp.resolve(name);
        Files.write(p, b.array());
        return p;
    }

    private static String failure(Path p) {
        ModelFileException e = assertThrows(ModelFileException.class, () -> SafetensorsFile.open(p).close());
        assertTrue(e.getMessage().startsWith(p.toString()), "message names the file: " + e.getMessage());
        return e.getMessage();
    }

    private static void assertMentions(String message, String... parts) {
        for (String part : parts) assertTrue(message.contains(part), "'" + part + "' missing from: " + message);
    }

    @Test
    void truncatedCopiesFailClearlyAtEveryLength() throws IOException {
        byte[] all = Files.readAllBytes(sample());
        for (int cut = 0; cut < all.length; cut++) {
            Path p = tmp.resolve("cut" + cut + ".safetensors");
            Files.write(p, Arrays.copyOf(all, cut));
            String msg = failure(p);
            assertTrue(msg.contains("header length") || msg.contains("not a safetensors") || msg.contains("beyond the end"), msg);
        }
    }

    @Test
    void headerLengthBeyondTheFileOrHuge() throws IOException {
        byte[] all = Files.readAllBytes(sample());
        ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN).putLong(0, Long.MAX_VALUE);
        Path p = tmp.resolve("huge.safetensors");
        Files.write(p, all);
        assertMentions(failure(p), "header length", "does not fit");
        ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN).putLong(0, -1L);
        Files.write(p, all);
        assertMentions(failure(p), "header length 18446744073709551615");
    }

    @Test
    void badJson() throws IOException {
        assertMentions(failure(withHeader("{\"w\": {\"dtype\": \"F32\",", 0, "cut.json")), "not valid JSON");
        assertMentions(failure(withHeader("[1, 2]", 0, "array.json")), "not a JSON object");
        assertMentions(failure(withHeader("{} {}", 0, "two.json")), "after the header object");
        assertMentions(failure(withHeader("{\"w\": 5}", 0, "entry.json")), "tensor w", "not an object");
        assertMentions(failure(withHeader("{\"w\": {\"shape\": [1], \"data_offsets\": [0, 4]}}", 4, "nodtype.json")), "tensor w", "dtype");
        assertMentions(failure(withHeader("{\"w\": {\"dtype\": \"F32\", \"shape\": [1.5], \"data_offsets\": [0, 4]}}", 4, "frac.json")),
                "tensor w", "non-negative integers");
        assertMentions(failure(withHeader("{\"w\": {\"dtype\": \"F32\", \"shape\": [-1], \"data_offsets\": [0, 4]}}", 4, "neg.json")),
                "tensor w", "non-negative integers");
        assertMentions(failure(withHeader("{\"w\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0]}}", 4, "offs.json")),
                "tensor w", "data_offsets");
        assertMentions(failure(withHeader("{\"__metadata__\": {\"a\": 1}}", 0, "md.json")), "__metadata__.a", "must be a string");
        String deep = "[".repeat(5000) + "]".repeat(5000);
        assertMentions(failure(withHeader("{\"w\": " + deep + "}", 0, "deep.json")), "not valid JSON");
    }

    @Test
    void offsetsOutOfBoundsOrOverlapping() throws IOException {
        assertMentions(failure(withHeader("{\"w\": {\"dtype\": \"F32\", \"shape\": [4], \"data_offsets\": [0, 16]}}", 8, "short.st")),
                "tensor w", "beyond the end of the file");
        assertMentions(failure(withHeader("{\"w\": {\"dtype\": \"F32\", \"shape\": [4], \"data_offsets\": [16, 0]}}", 16, "backwards.st")),
                "tensor w", "end before they begin");
        assertMentions(failure(withHeader("{\"w\": {\"dtype\": \"F32\", \"shape\": [4], \"data_offsets\": [0, 12]}}", 16, "size.st")),
                "tensor w", "holds 12 bytes", "needs 16");
        assertMentions(failure(withHeader("{\"a\": {\"dtype\": \"F32\", \"shape\": [4], \"data_offsets\": [0, 16]},"
                        + " \"b\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [12, 20]}}", 20, "overlap.st")),
                "tensors a and b overlap");
        assertMentions(failure(withHeader("{\"w\": {\"dtype\": \"F32\", \"shape\": [4611686018427387904, 4], \"data_offsets\": [0, 16]}}",
                16, "big.st")), "tensor w", "impossibly large");
        assertMentions(failure(withHeader("{\"w\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 99999999999999999999]}}",
                16, "offbig.st")), "tensor w", "data offset");
    }

    @Test
    void unknownAndUnsupportedDtypes() throws IOException {
        assertMentions(failure(withHeader("{\"w\": {\"dtype\": \"Q9\", \"shape\": [1], \"data_offsets\": [0, 1]}}", 1, "q9.st")),
                "tensor w", "unknown dtype 'Q9'");
        assertMentions(failure(withHeader("{\"w\": {\"dtype\": \"U8\", \"shape\": [1], \"data_offsets\": [0, 1]}}", 1, "u8.st")),
                "tensor w", "dtype U8", "does not read");
    }

    @Test
    void duplicateNames() throws IOException {
        assertMentions(failure(withHeader("{\"w\": {\"dtype\": \"I8\", \"shape\": [1], \"data_offsets\": [0, 1]},"
                + " \"w\": {\"dtype\": \"I8\", \"shape\": [1], \"data_offsets\": [1, 2]}}", 2, "dup.st")), "tensor w appears twice");
    }

    @Test
    void emptyTensorsAndGapsAreAllowed() throws IOException {
        Path p = withHeader("{\"e\": {\"dtype\": \"F32\", \"shape\": [0, 4], \"data_offsets\": [4, 4]},"
                + " \"w\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [4, 8]}}", 8, "gap.st");
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertEquals(0, f.require("e").elementCount());
            assertEquals(1, f.require("w").elementCount());
        }
    }

    @Test
    void missingFileAndDirectory() {
        assertThrows(NoSuchFileException.class, () -> SafetensorsFile.open(tmp.resolve("nope.safetensors")));
        assertMentions(assertThrows(ModelFileException.class, () -> SafetensorsFile.open(tmp)).getMessage(), "directory");
    }

    @Test
    void closingUnmaps() throws IOException {
        SafetensorsFile f = SafetensorsFile.open(sample());
        Tensor w = f.require("w");
        f.close();
        assertThrows(IllegalStateException.class, () -> w.data().get(LE.FLOAT, 0));
        f.close(); // idempotent
    }
}
