package dev.gem.format;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gem.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * The safetensors files of a Hugging Face model folder, opened together: {@code model.safetensors}, or the shards a
 * {@code model.safetensors.index.json} lists (every tensor of its weight map must be found, and no other), or failing
 * both every {@code model*.safetensors}, as the converter finds them. Each shard is one mapping; tensors keep their
 * Hugging Face names.
 */
final class HuggingFaceShards implements AutoCloseable {
    static final String INDEX = "model.safetensors.index.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final List<SafetensorsFile> files = new ArrayList<>();
    /** Every tensor by name, shard by shard in file order. */
    final Map<String, Tensor> tensors = new LinkedHashMap<>();
    /** The shard file each tensor came from, for messages. */
    final Map<String, String> origin = new LinkedHashMap<>();

    static HuggingFaceShards open(Path dir) throws IOException {
        HuggingFaceShards s = new HuggingFaceShards();
        try {
            s.load(dir);
            return s;
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
    }

    private void load(Path dir) throws IOException {
        Path index = dir.resolve(INDEX);
        Map<String, String> weightMap = Files.isRegularFile(index) ? weightMap(index) : null;
        List<String> parts = weightMap != null ? new ArrayList<>(new TreeSet<>(weightMap.values())) : partNames(dir);
        for (String part : parts) {
            Path p = dir.resolve(part).normalize();
            if (!p.startsWith(dir.normalize()) || part.contains("/") || part.contains("\\"))
                throw new ModelFileException(index.toString(), "shard name '" + part + "' points outside the model folder");
            if (!Files.isRegularFile(p))
                throw new ModelFileException(weightMap != null ? index.toString() : dir.toString(), "shard " + part + " is missing: the download is incomplete");
            SafetensorsFile f = SafetensorsFile.open(p);
            files.add(f);
            for (var e : f.tensors().entrySet()) {
                String before = origin.putIfAbsent(e.getKey(), part);
                if (before != null)
                    throw new ModelFileException(dir.toString(), "tensor " + e.getKey() + " appears in both " + before + " and " + part);
                tensors.put(e.getKey(), e.getValue());
            }
        }
        if (weightMap != null) {
            for (var e : weightMap.entrySet())
                if (!tensors.containsKey(e.getKey()))
                    throw new ModelFileException(index.toString(), "tensor " + e.getKey() + " should be in " + e.getValue() + " but no shard has it: the download is incomplete or the index is stale");
            for (String name : tensors.keySet())
                if (!weightMap.containsKey(name))
                    throw new ModelFileException(index.toString(), "tensor " + name + " (in " + origin.get(name) + ") is not in the index's weight_map");
        }
    }

    private static Map<String, String> weightMap(Path index) throws IOException {
        JsonNode root;
        try {
            root = JSON.readTree(index.toFile());
        } catch (JacksonException e) {
            throw new ModelFileException(index.toString(), "not valid JSON: " + e.getOriginalMessage(), e);
        }
        JsonNode map = root == null ? null : root.get("weight_map");
        if (map == null || !map.isObject()) throw new ModelFileException(index.toString(), "has no weight_map object");
        Map<String, String> m = new LinkedHashMap<>();
        for (var it = map.properties().iterator(); it.hasNext(); ) {
            var e = it.next();
            if (!e.getValue().isTextual())
                throw new ModelFileException(index.toString(), "weight_map entry of " + e.getKey() + " is not a file name: " + e.getValue());
            m.put(e.getKey(), e.getValue().asText());
        }
        if (m.isEmpty()) throw new ModelFileException(index.toString(), "weight_map is empty");
        return m;
    }

    /** model.safetensors, else every model*.safetensors in name order. */
    private static List<String> partNames(Path dir) throws IOException {
        if (Files.isRegularFile(dir.resolve("model.safetensors"))) return List.of("model.safetensors");
        List<String> parts;
        try (Stream<Path> s = Files.list(dir)) {
            parts = s.map(p -> p.getFileName().toString())
                    .filter(n -> n.startsWith("model") && n.endsWith(".safetensors")).sorted().toList();
        }
        if (parts.isEmpty()) {
            boolean torch;
            try (Stream<Path> s = Files.list(dir)) {
                torch = s.anyMatch(p -> p.getFileName().toString().endsWith(".bin") || p.getFileName().toString().endsWith(".pth"));
            }
            throw new ModelFileException(dir.toString(), "no model.safetensors (nor shards with a " + INDEX + ")"
                    + (torch ? "; PyTorch .bin/.pth checkpoints are not read: save the model with safetensors" : ""));
        }
        return parts;
    }

    List<SafetensorsFile> files() { return Collections.unmodifiableList(files); }

    @Override
    public void close() {
        for (SafetensorsFile f : files) f.close();
    }
}
