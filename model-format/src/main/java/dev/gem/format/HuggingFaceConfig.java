package dev.gem.format;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * A Hugging Face {@code config.json} with typed look-ups that name the file and the key when something is missing or
 * malformed. Like the converter's {@code find_hparam}, a look-up may list several names and takes the first present;
 * a JSON {@code null} counts as absent.
 */
public final class HuggingFaceConfig {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String file;
    private final JsonNode root;

    HuggingFaceConfig(String file, JsonNode root) {
        this.file = file;
        this.root = root;
    }

    public static HuggingFaceConfig read(Path path) throws IOException {
        if (!Files.isRegularFile(path)) throw new NoSuchFileException(path.toString(), null, "no config.json: not a Hugging Face model folder");
        JsonNode root;
        try {
            root = JSON.readTree(path.toFile());
        } catch (JacksonException e) {
            throw new ModelFileException(path.toString(), "not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (root == null || !root.isObject()) throw new ModelFileException(path.toString(), "is not a JSON object");
        return new HuggingFaceConfig(path.toString(), root);
    }

    /** Parses JSON text (for tests and in-memory configs). */
    public static HuggingFaceConfig parse(String json, String name) throws ModelFileException {
        try {
            JsonNode root = JSON.readTree(json);
            if (root == null || !root.isObject()) throw new ModelFileException(name, "is not a JSON object");
            return new HuggingFaceConfig(name, root);
        } catch (JacksonException e) {
            throw new ModelFileException(name, "not valid JSON: " + e.getOriginalMessage(), e);
        }
    }

    public String file() { return file; }

    /** The value of the first of {@code keys} that is present and not null, or null. */
    public JsonNode find(String... keys) {
        for (String k : keys) {
            JsonNode v = root.get(k);
            if (v != null && !v.isNull()) return v;
        }
        return null;
    }

    public boolean has(String... keys) {
        return find(keys) != null;
    }

    /** The first present key as an int; an error naming the keys when none is present or it is not an integer. */
    public int requireInt(String... keys) throws ModelFileException {
        return present(optInt(keys), keys);
    }

    public Integer optInt(String... keys) throws ModelFileException {
        JsonNode v = find(keys);
        if (v == null) return null;
        if (!v.canConvertToExactIntegral() || !v.canConvertToInt())
            throw new ModelFileException(file, keyOf(keys) + " should be an integer but is " + v);
        return v.asInt();
    }

    public double requireDouble(String... keys) throws ModelFileException {
        return present(optDouble(keys), keys);
    }

    private <T> T present(T value, String... keys) throws ModelFileException {
        if (value == null) throw new ModelFileException(file, "missing " + String.join(" / ", keys));
        return value;
    }

    public Double optDouble(String... keys) throws ModelFileException {
        JsonNode v = find(keys);
        if (v == null) return null;
        if (!v.isNumber()) throw new ModelFileException(file, keyOf(keys) + " should be a number but is " + v);
        return v.asDouble();
    }

    public String optString(String... keys) throws ModelFileException {
        JsonNode v = find(keys);
        if (v == null) return null;
        if (!v.isTextual()) throw new ModelFileException(file, keyOf(keys) + " should be a string but is " + v);
        return v.asText();
    }

    /**
     * The RoPE parameters as one object, whether the file uses transformers' newer {@code rope_parameters} or the older
     * {@code rope_scaling} plus a top-level {@code rope_theta}; the type is under {@code rope_type} (older files say
     * {@code type}). Empty when the model has none.
     */
    public HuggingFaceConfig ropeParameters() {
        ObjectNode p = JSON.createObjectNode();
        JsonNode src = find("rope_parameters", "rope_scaling");
        if (src != null && src.isObject()) p.setAll((ObjectNode) src);
        if (!p.has("rope_type") && p.has("type")) p.set("rope_type", p.get("type"));
        if (!p.has("rope_theta") && root.has("rope_theta")) p.set("rope_theta", root.get("rope_theta"));
        return new HuggingFaceConfig(file + " (rope parameters)", p);
    }

    private String keyOf(String... keys) {
        for (String k : keys) if (root.has(k) && !root.get(k).isNull()) return k;
        return keys[0];
    }
}
