package dev.gem.tokenizer.template;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * OpenAI-style chat messages from JSON, as the Java structures {@link ChatTemplate#render} takes: each message a map
 * with {@code role}, {@code content}, and where present {@code tool_calls} ({@code id}, {@code type},
 * {@code function: {name, arguments}}), {@code tool_call_id}, {@code name}, {@code reasoning_content}. Numbers become
 * Long/Double, objects keep their key order.
 */
public final class ChatMessages {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ChatMessages() {}

    /** A conversation file: either a JSON array of messages or an object with a "messages" array. */
    public static List<Map<String, Object>> read(Path json) throws IOException {
        JsonNode root = JSON.readTree(json.toFile());
        return messages(root.isArray() ? root : root.path("messages"), json.toString());
    }

    /** The "tools" array of a conversation object, or null when it has none. */
    public static List<Map<String, Object>> readTools(Path json) throws IOException {
        JsonNode tools = JSON.readTree(json.toFile()).path("tools");
        return tools.isArray() ? messages(tools, json.toString()) : null;
    }

    /** Parses messages (or tools) from a JSON array text. */
    public static List<Map<String, Object>> parse(String jsonArray) throws IOException {
        return messages(JSON.readTree(jsonArray), "JSON text");
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> messages(JsonNode array, String source) throws IOException {
        if (!array.isArray()) throw new IOException(source + ": expected an array of messages");
        List<Map<String, Object>> out = new ArrayList<>();
        for (JsonNode m : array) {
            if (!m.isObject()) throw new IOException(source + ": a message is not a JSON object: " + m);
            out.add((Map<String, Object>) ChatTemplate.normalize(JSON.convertValue(m, Map.class)));
        }
        return out;
    }

    /**
     * Tool-call arguments as templates want them. The OpenAI API sends {@code arguments} as a JSON string; most HF
     * templates expect a mapping (Qwen2.5 writes {@code arguments | tojson}). Returns a copy in which every string
     * argument that is a JSON object is replaced by that object.
     */
    @SuppressWarnings("unchecked")
    public static List<Map<String, Object>> withParsedArguments(List<Map<String, Object>> messages) {
        List<Map<String, Object>> out = (List<Map<String, Object>>) ChatTemplate.normalize(messages);
        for (Map<String, Object> m : out) {
            if (!(m.get("tool_calls") instanceof List<?> calls)) continue;
            for (Object call : calls) {
                if (!(call instanceof Map<?, ?> c) || !(c.get("function") instanceof Map<?, ?> f)) continue;
                if (!(f.get("arguments") instanceof String s)) continue;
                try {
                    JsonNode parsed = JSON.readTree(s);
                    if (parsed.isObject()) ((Map<String, Object>) f).put("arguments", ChatTemplate.normalize(JSON.convertValue(parsed, Map.class)));
                } catch (IOException notJson) {
                    // left as the string it is
                }
            }
        }
        return out;
    }
}
