package dev.gem.format;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A safetensors file, read in place: one memory-mapped segment, the JSON header parsed with Jackson, every tensor a
 * view into the mapping. The format is an 8-byte little-endian header length, the header (an object of
 * {@code name: {dtype, shape, data_offsets}} plus an optional {@code __metadata__} of string pairs), then the data;
 * offsets count from the end of the header.
 *
 * <p>Shapes are row-major in safetensors ({@code [rows, cols]}) and are reversed here into GGUF order
 * ({@code [cols, rows]}), which describes the same bytes. {@code __metadata__} becomes string metadata; tensor names
 * stay as the file has them.
 *
 * <p>Like {@link GgufFile}, every structural problem is a {@link ModelFileException} naming the file and the tensor,
 * and nothing is allocated in proportion to a length before that length is checked against the file.
 */
public final class SafetensorsFile implements ModelFile {
    /** The largest header the reference implementation accepts; a bigger one is corruption, not a model. */
    public static final long MAX_HEADER_BYTES = 100_000_000;
    private static final String METADATA_KEY = "__metadata__";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonFactory FACTORY = JSON.getFactory();

    private final String name;
    private final Arena arena;
    private final Metadata metadata;
    private final Map<String, Tensor> tensors;
    private final long dataOffset;

    private record Entry(String name, DType type, long[] dims, long begin, long end) {}

    private SafetensorsFile(String name, Arena arena, MemorySegment segment) throws ModelFileException {
        this.name = name;
        this.arena = arena;
        long size = segment.byteSize();
        if (size < 8) throw new ModelFileException(name, "not a safetensors file: only " + size + " bytes (the header length alone takes 8)");
        long headerLen = segment.get(LE.LONG, 0);
        if (headerLen < 2 || headerLen > size - 8)
            throw new ModelFileException(name, "header length " + Long.toUnsignedString(headerLen) + " at offset 0 does not fit in the "
                    + size + "-byte file: truncated or not a safetensors file");
        if (headerLen > MAX_HEADER_BYTES)
            throw new ModelFileException(name, "header of " + headerLen + " bytes exceeds the " + MAX_HEADER_BYTES + "-byte limit of the format");
        dataOffset = 8 + headerLen;
        byte[] header = segment.asSlice(8, headerLen).toArray(LE.BYTE);
        metadata = new Metadata(name);
        List<Entry> entries = parseHeader(header);
        long dataBytes = size - dataOffset;
        checkLayout(entries, dataBytes);
        Map<String, Tensor> map = new LinkedHashMap<>();
        for (Entry e : entries) map.put(e.name, new Tensor(e.name, e.type, e.dims, segment.asSlice(dataOffset + e.begin, e.end - e.begin)));
        tensors = Collections.unmodifiableMap(map);
    }

    /** Maps and parses a file. The caller owns the result and must close it. */
    public static SafetensorsFile open(Path path) throws IOException {
        String name = path.toString();
        if (!Files.exists(path)) throw new NoSuchFileException(name, null, "no such file");
        if (Files.isDirectory(path)) throw new ModelFileException(name, "is a directory, not a safetensors file");
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            MemorySegment seg = ch.size() == 0 ? MemorySegment.ofArray(new byte[0]) : ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            return new SafetensorsFile(name, arena, seg);
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /**
     * Walks the top-level object with a streaming parser, so a repeated tensor name is caught (a tree parser would
     * keep the last one silently) and each entry is checked as it is read.
     */
    private List<Entry> parseHeader(byte[] header) throws ModelFileException {
        List<Entry> entries = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        try (JsonParser p = FACTORY.createParser(header)) {
            if (p.nextToken() != JsonToken.START_OBJECT) throw new ModelFileException(name, "header is not a JSON object");
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String key = p.currentName();
                p.nextToken();
                JsonNode value = JSON.readTree(p);
                if (!seen.add(key)) throw new ModelFileException(name, "tensor " + key + " appears twice in the header");
                if (key.equals(METADATA_KEY)) readMetadata(value);
                else entries.add(entry(key, value));
            }
            if (p.currentToken() != JsonToken.END_OBJECT) throw new ModelFileException(name, "header is not a JSON object");
            JsonToken trailing = p.nextToken();
            if (trailing != null) throw new ModelFileException(name, "unexpected " + trailing + " after the header object");
        } catch (JacksonException e) {
            throw new ModelFileException(name, "header is not valid JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw e instanceof ModelFileException m ? m : new ModelFileException(name, "cannot read the header: " + e.getMessage(), e);
        }
        return entries;
    }

    private void readMetadata(JsonNode value) throws ModelFileException {
        if (!value.isObject()) throw new ModelFileException(name, METADATA_KEY + " must be an object of strings");
        for (var it = value.properties().iterator(); it.hasNext(); ) {
            var field = it.next();
            if (!field.getValue().isTextual())
                throw new ModelFileException(name, METADATA_KEY + "." + field.getKey() + " must be a string, not " + field.getValue().getNodeType());
            metadata.put(field.getKey(), GgufType.STRING, field.getValue().asText());
        }
    }

    private Entry entry(String tensor, JsonNode v) throws ModelFileException {
        if (!v.isObject()) throw bad(tensor, "its header entry is not an object");
        JsonNode dtype = v.get("dtype"), shape = v.get("shape"), offsets = v.get("data_offsets");
        if (dtype == null || !dtype.isTextual()) throw bad(tensor, "has no dtype string");
        DType type = dtype(tensor, dtype.asText());
        if (shape == null || !shape.isArray()) throw bad(tensor, "has no shape array");
        if (shape.size() > 8) throw bad(tensor, "has " + shape.size() + " dimensions");
        long[] dims = new long[Math.max(1, shape.size())];
        dims[0] = 1; // a rank-0 (scalar) tensor holds one value
        long elements = 1;
        for (int i = 0; i < shape.size(); i++) {
            JsonNode d = shape.get(i);
            if (!d.canConvertToExactIntegral() || !d.canConvertToLong() || d.asLong() < 0)
                throw bad(tensor, "has shape " + shape + ": dimensions must be non-negative integers");
            dims[shape.size() - 1 - i] = d.asLong(); // row-major [rows, cols] -> GGUF [cols, rows]
            try {
                elements = Math.multiplyExact(elements, d.asLong());
            } catch (ArithmeticException e) {
                throw bad(tensor, "has shape " + shape + ", impossibly large");
            }
        }
        if (offsets == null || !offsets.isArray() || offsets.size() != 2)
            throw bad(tensor, "needs data_offsets [begin, end]");
        long begin = offset(tensor, offsets.get(0)), end = offset(tensor, offsets.get(1));
        if (end < begin) throw bad(tensor, "has data_offsets [" + begin + ", " + end + "] that end before they begin");
        long need;
        try {
            need = Math.multiplyExact(elements, type.blockBytes);
        } catch (ArithmeticException e) {
            throw bad(tensor, "has shape " + shape + ", impossibly large");
        }
        if (end - begin != need)
            throw bad(tensor, "holds " + (end - begin) + " bytes but shape " + shape + " of " + dtype.asText() + " needs " + need);
        return new Entry(tensor, type, dims, begin, end);
    }

    private long offset(String tensor, JsonNode n) throws ModelFileException {
        if (n == null || !n.canConvertToExactIntegral() || !n.canConvertToLong() || n.asLong() < 0)
            throw bad(tensor, "has a data offset that is not a non-negative integer: " + n);
        return n.asLong();
    }

    /** The DType of a safetensors dtype name; GEM reads the float types and the signed integers its table has. */
    private DType dtype(String tensor, String s) throws ModelFileException {
        return switch (s) {
            case "F64" -> DType.F64;
            case "F32" -> DType.F32;
            case "F16" -> DType.F16;
            case "BF16" -> DType.BF16;
            case "I64" -> DType.I64;
            case "I32" -> DType.I32;
            case "I16" -> DType.I16;
            case "I8" -> DType.I8;
            case "U8", "U16", "U32", "U64", "BOOL", "F8_E4M3", "F8_E5M2", "F8_E8M0", "F6_E2M3", "F6_E3M2", "F4", "C64" ->
                    throw bad(tensor, "has dtype " + s + ", which GEM does not read (it reads F64, F32, F16, BF16, I64, I32, I16, I8)");
            default -> throw bad(tensor, "has unknown dtype '" + s + "'");
        };
    }

    /** Every tensor lies inside the data section and no two share bytes. */
    private void checkLayout(List<Entry> entries, long dataBytes) throws ModelFileException {
        for (Entry e : entries) {
            if (e.end > dataBytes)
                throw new ModelFileException(name, "tensor " + e.name + " (bytes " + e.begin + " to " + e.end + " of the data) lies beyond the end of the file ("
                        + dataBytes + " data bytes): the file is truncated or corrupt");
        }
        List<Entry> byOffset = new ArrayList<>(entries);
        byOffset.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        Entry prev = null;
        for (Entry e : byOffset) {
            if (e.begin == e.end) continue; // an empty tensor occupies nothing
            if (prev != null && e.begin < prev.end)
                throw new ModelFileException(name, "tensors " + prev.name + " and " + e.name + " overlap (bytes " + e.begin + " to " + prev.end + ")");
            prev = e;
        }
        entries.sort(Comparator.comparingLong(Entry::begin)); // file order
    }

    private ModelFileException bad(String tensor, String problem) {
        return new ModelFileException(name, "tensor " + tensor + " " + problem);
    }

    @Override
    public String name() { return name; }

    /** The {@code __metadata__} strings. */
    @Override
    public Metadata metadata() { return metadata; }

    /** Tensors under their own names, in data order. */
    @Override
    public Map<String, Tensor> tensors() { return tensors; }

    /** Where tensor data starts: 8 + the header length. */
    public long dataOffset() { return dataOffset; }

    @Override
    public void close() {
        if (arena.scope().isAlive()) arena.close();
    }
}
