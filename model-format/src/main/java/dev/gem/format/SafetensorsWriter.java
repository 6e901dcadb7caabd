package dev.gem.format;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gem.tensor.DType;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a safetensors file (tensors in the order added, header padded with spaces to a multiple of 8 as the reference
 * writer does). Small by design: GEM reads Hugging Face checkpoints and writes GGUF; this exists so tests and fixtures
 * can build checkpoints without Python.
 */
public final class SafetensorsWriter {
    private static final ObjectMapper JSON = new ObjectMapper();

    private record Entry(String name, String dtype, long[] shape, byte[] data) {}

    private final List<Entry> entries = new ArrayList<>();
    private final Map<String, String> metadata = new LinkedHashMap<>();

    public SafetensorsWriter putMetadata(String key, String value) {
        metadata.put(key, value);
        return this;
    }

    /**
     * Adds a tensor.
     *
     * @param shape row-major, as safetensors and PyTorch write it ({@code [rows, cols]})
     * @param data  the raw little-endian bytes
     */
    public SafetensorsWriter add(String name, DType type, long[] shape, byte[] data) {
        String dtype = switch (type) {
            case F64, F32, F16, BF16, I64, I32, I16, I8 -> type.name();
            default -> throw new IllegalArgumentException("safetensors has no dtype for " + type);
        };
        entries.add(new Entry(name, dtype, shape.clone(), data.clone()));
        return this;
    }

    /** Adds an F32 tensor from floats. */
    public SafetensorsWriter addF32(String name, long[] shape, float[] values) {
        ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) b.putFloat(v);
        return add(name, DType.F32, shape, b.array());
    }

    public void write(Path path) throws IOException {
        ObjectNode header = JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode md = header.putObject("__metadata__");
            metadata.forEach(md::put);
        }
        long offset = 0;
        for (Entry e : entries) {
            ObjectNode t = header.putObject(e.name);
            t.put("dtype", e.dtype);
            ArrayNode shape = t.putArray("shape");
            for (long d : e.shape) shape.add(d);
            t.putArray("data_offsets").add(offset).add(offset + e.data.length);
            offset += e.data.length;
        }
        byte[] json = JSON.writeValueAsBytes(header);
        int padded = (json.length + 7) / 8 * 8;
        byte[] head = new byte[padded];
        java.util.Arrays.fill(head, (byte) ' ');
        System.arraycopy(json, 0, head, 0, json.length);
        try (OutputStream out = Files.newOutputStream(path)) {
            out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded).array());
            out.write(head);
            for (Entry e : entries) out.write(e.data);
        }
    }
}
