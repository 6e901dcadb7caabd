package dev.gem.tokenizer;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gem.format.GgufType;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * gguf-py's {@code SpecialVocab}: the special token ids, add_*_token flags, chat templates and normalizer flags that
 * convert_hf_to_gguf.py writes after the vocabulary, whatever the tokenizer kind. Read from the model folder as it reads
 * them: tokenizer.json's post-processor and added tokens (when there is a tokenizer.json), tokenizer_config.json
 * (token names, add flags, template), chat_template.jinja / .json, and config.json's {@code *_token_id}.
 */
final class SpecialVocab {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String P = "tokenizer.ggml.";
    /** gguf-py SpecialVocab's default special_token_types, in its order. */
    static final List<String> DEFAULT_TYPES = List.of("bos", "eos", "unk", "sep", "pad", "cls", "mask");
    /** The GGUF key of each {type}_token_id that gguf-py can write ("seperator" is the real spelling). */
    private static final Map<String, String> ID_KEYS = Map.of("bos", "bos_token_id", "eos", "eos_token_id",
            "unk", "unknown_token_id", "sep", "seperator_token_id", "pad", "padding_token_id", "cls", "cls_token_id",
            "mask", "mask_token_id", "eot", "eot_token_id", "eom", "eom_token_id");

    private final Path folder;
    /** tokenizer_config.json as SpecialVocab mutates it (it fills in cls/sep/eot tokens it infers); empty when absent. */
    private final ObjectNode config;
    private final JsonNode modelConfig;
    private final JsonNode addedTokens, postProcessor, normalizer;
    private final boolean hasTokenizerJson;
    private final int nVocab;
    private final List<String> specialTypes;
    private final Map<String, Integer> specialIds = new LinkedHashMap<>();
    private final Map<String, Boolean> addSpecial = new LinkedHashMap<>();

    /** The parts of tokenizer.json SpecialVocab looks at; all null when the folder has no tokenizer.json. */
    record TokenizerJson(JsonNode addedTokens, JsonNode postProcessor, JsonNode normalizer) {
        static final TokenizerJson NONE = new TokenizerJson(null, null, null);
    }

    /**
     * @param tokenizerConfig tokenizer_config.json, or an empty object when there is none
     * @param nVocab          ids at or above this are skipped, as gguf-py does when given n_vocab; -1 for no limit
     * @param types           the special token types to look up (gguf-py's special_token_types)
     */
    SpecialVocab(Path folder, TokenizerJson tokenizer, boolean hasTokenizerJson, JsonNode tokenizerConfig, int nVocab,
                 List<String> types) throws IOException {
        this.folder = folder;
        this.config = tokenizerConfig != null && tokenizerConfig.deepCopy() instanceof ObjectNode o ? o : JSON.createObjectNode();
        Path configJson = folder.resolve("config.json");
        this.modelConfig = Files.isRegularFile(configJson) ? JSON.readTree(configJson.toFile()) : JSON.createObjectNode();
        this.addedTokens = tokenizer.addedTokens;
        this.postProcessor = tokenizer.postProcessor;
        this.normalizer = tokenizer.normalizer;
        this.hasTokenizerJson = hasTokenizerJson;
        this.nVocab = nVocab;
        this.specialTypes = new ArrayList<>(types);
        load();
    }

    /** SpecialVocab over a folder: reads tokenizer.json (only its small sections) and tokenizer_config.json if present. */
    static SpecialVocab of(Path folder, int nVocab, List<String> types) throws IOException {
        Path tj = folder.resolve("tokenizer.json"), tc = folder.resolve("tokenizer_config.json");
        boolean hasJson = Files.isRegularFile(tj);
        TokenizerJson t = hasJson ? readSections(tj) : TokenizerJson.NONE;
        JsonNode config = Files.isRegularFile(tc) ? readJson(tc) : null;
        return new SpecialVocab(folder, t, hasJson, config, nVocab, types);
    }

    static JsonNode readJson(Path file) throws IOException {
        try {
            return JSON.readTree(file.toFile());
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            throw new IOException(file + ": not valid JSON: " + e.getOriginalMessage(), e);
        }
    }

    /** added_tokens, post_processor and normalizer of a tokenizer.json, streaming past its (large) model section. */
    static TokenizerJson readSections(Path file) throws IOException {
        JsonNode added = null, post = null, norm = null;
        try (JsonParser p = JSON.createParser(file.toFile())) {
            if (p.nextToken() != JsonToken.START_OBJECT) throw new IOException(file + ": not a JSON object");
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                p.nextToken();
                switch (field) {
                    case "added_tokens" -> added = p.readValueAsTree();
                    case "post_processor" -> post = p.readValueAsTree();
                    case "normalizer" -> norm = p.readValueAsTree();
                    default -> p.skipChildren();
                }
            }
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            throw new IOException(file + ": not valid JSON: " + e.getOriginalMessage(), e);
        }
        return new TokenizerJson(added, post, norm);
    }

    /** gguf-py's _set_special_token: the first id for a type wins; ids outside the vocabulary are skipped. */
    void setSpecialToken(String type, int id) {
        if (id < 0 || (nVocab >= 0 && id >= nVocab)) return;
        specialIds.putIfAbsent(type, id);
    }

    /** add_to_gguf: ids, add flags, chat template, normalizer flag, in that order (no merges: the caller writes those). */
    void addTo(List<GgufEntry> out) throws IOException {
        addTo(out, true);
    }

    /** As {@link #addTo(List)}; without the chat template for a second SpecialVocab whose template was cleared. */
    void addTo(List<GgufEntry> out, boolean withChatTemplate) throws IOException {
        for (var e : specialIds.entrySet()) {
            String key = ID_KEYS.get(e.getKey());
            if (key != null) out.add(GgufEntry.of(P + key, GgufType.UINT32, (long) e.getValue())); // else gguf-py has no writer
        }
        for (var e : addSpecial.entrySet()) {
            // gguf-py only has add_bos/eos/sep_token writers; SpecialVocab skips the others with a warning.
            if (List.of("bos", "eos", "sep").contains(e.getKey()))
                out.add(GgufEntry.of(P + "add_" + e.getKey() + "_token", GgufType.BOOL, e.getValue()));
        }
        if (withChatTemplate) addChatTemplates(out);
        if (lowercases(normalizer)) out.add(GgufEntry.of(P + "normalizer.lowercase", GgufType.BOOL, true));
    }

    /**
     * _try_load_from_tokenizer_json and _try_load_from_config_json: the post-processor says which special tokens are
     * added; tokenizer_config.json names the tokens (ids come from added_tokens) and may override the add flags;
     * config.json's *_token_id fill what is still missing.
     */
    private void load() {
        if (hasTokenizerJson) readPostProcessor();
        if (!config.isEmpty()) {
            for (String type : specialTypes) {
                JsonNode add = config.path("add_" + type + "_token");
                if (add.isBoolean()) addSpecial.put(type, add.asBoolean());
                JsonNode entry = config.path(type + "_token");
                String content = entry.isTextual() ? entry.asText() : entry.path("content").isTextual() ? entry.path("content").asText() : null;
                if (content == null || addedTokens == null) continue;
                for (JsonNode t : addedTokens) {
                    if (t.path("content").asText().equals(content)) {
                        setSpecialToken(type, t.path("id").asInt());
                        break;
                    }
                }
            }
        }
        fromModelConfig();
    }

    private void readPostProcessor() {
        JsonNode bos = config.path("bos_token"), cls = config.path("cls_token"), eos = config.path("eos_token"), sep = config.path("sep_token");
        if (!truthy(bos) && truthy(cls) && !config.isEmpty()) config.set("bos_token", bos = cls);
        if (!truthy(eos) && truthy(sep) && !config.isEmpty()) config.set("eos_token", eos = sep);
        if (postProcessor == null || postProcessor.isNull()) return;
        JsonNode processors = postProcessor.has("processors") ? postProcessor.get("processors") : JSON.createArrayNode().add(postProcessor);
        for (JsonNode processor : processors) {
            String type = processor.path("type").asText();
            if (type.equals("RobertaProcessing")) {
                addSpecial.put("bos", true);
                addSpecial.put("eos", true);
                addSpecial.put("sep", true);
                if (!truthy(cls) && !config.isEmpty()) config.set("cls_token", cls = processor.has("cls") ? processor.get("cls").get(0) : bos);
                if (!truthy(sep) && !config.isEmpty()) config.set("sep_token", sep = processor.has("sep") ? processor.get("sep").get(0) : eos);
            } else if (type.equals("TemplateProcessing")) {
                JsonNode[] updated = templateProcessing(processor, bos, cls, eos, sep);
                bos = updated[0];
                eos = updated[1];
            }
        }
    }

    /** SpecialVocab's "crude parsing" of TemplateProcessing; returns the possibly changed bos and eos. */
    private JsonNode[] templateProcessing(JsonNode processor, JsonNode bos, JsonNode cls, JsonNode eos, JsonNode sep) {
        JsonNode single = processor.path("single"), pair = processor.path("pair");
        String first = null, last = null;
        if (single.size() > 1) {
            first = specialTokenId(single.get(0));
            if (first != null) {
                if (config.isEmpty()) bos = JSON.getNodeFactory().textNode(first);
                addSpecial.put("bos", sameText(first, bos) || sameText(first, cls));
            }
            last = specialTokenId(single.get(single.size() - 1));
            if (last != null) {
                if (config.isEmpty()) {
                    eos = JSON.getNodeFactory().textNode(last);
                } else if (!sameText(last, eos)) {
                    // The config's EOS ends turns; the post-processor's last token becomes EOS (Llama 3.x style).
                    String spare = !specialTypes.contains("eot") ? "eot" : !specialTypes.contains("eom") ? "eom" : null;
                    if (spare != null) {
                        specialTypes.add(spare);
                        config.set(spare + "_token", eos);
                    }
                    config.put("eos_token", last);
                    eos = config.get("eos_token");
                }
                addSpecial.put("eos", sameText(last, eos));
            }
        }
        if (pair.size() > 0) {
            int start = first != null && first.equals(specialTokenId(pair.get(0))) ? 1 : 0;
            int stop = last != null && last.equals(specialTokenId(pair.get(pair.size() - 1))) ? pair.size() - 1 : pair.size();
            if (stop > start) {
                String a = pair.get(start).path("Sequence").path("id").asText(null), b = pair.get(stop - 1).path("Sequence").path("id").asText(null);
                if ("A".equals(a) && "B".equals(b) && stop - start > 2) {
                    boolean addSep = false;
                    String middle = specialTokenId(pair.get(start + 1));
                    if (middle != null && (sameText(middle, sep) || sameText(middle, eos)) && last == null) addSep = true;
                    if (stop - start - 2 == 2) {
                        String second = specialTokenId(pair.get(start + 2));
                        if (second != null && (sameText(second, sep) || sameText(second, eos))) addSep = true;
                    }
                    addSpecial.put("sep", addSep);
                    if (addSep && !truthy(sep) && !config.isEmpty()) config.set("sep_token", eos);
                }
            }
        }
        return new JsonNode[] {bos, eos};
    }

    private void fromModelConfig() {
        for (String type : specialTypes) {
            JsonNode id = modelConfig.path(type + "_token_id");
            if (id.isMissingNode() || id.isNull()) id = modelConfig.path("text_config").path(type + "_token_id");
            if (id.isIntegralNumber()) setSpecialToken(type, id.asInt());
        }
    }

    /** gguf-py's add_chat_template: a string, or a list of named templates (default plus tokenizer.chat_template.NAME). */
    private void addChatTemplates(List<GgufEntry> out) throws IOException {
        if (config.isEmpty()) return;
        JsonNode template = config.get("chat_template");
        if (template == null) {
            Path jinja = folder.resolve("chat_template.jinja"), json = folder.resolve("chat_template.json");
            if (Files.isRegularFile(jinja)) template = JSON.getNodeFactory().textNode(Files.readString(jinja));
            else if (Files.isRegularFile(json)) template = readJson(json).get("chat_template");
        }
        if (template == null || template.isNull()) return;
        if (template.isTextual()) {
            out.add(GgufEntry.of("tokenizer.chat_template", GgufType.STRING, template.asText()));
            return;
        }
        String fallback = null;
        List<String> names = new ArrayList<>();
        for (JsonNode choice : template) {
            String name = choice.path("name").asText("").replaceAll("[^A-Za-z0-9]", "_");
            JsonNode text = choice.get("template");
            if (name.isEmpty() || text == null || text.isNull()) continue;
            if (name.equals("default")) fallback = text.asText();
            else if (!names.contains(name)) {
                names.add(name);
                out.add(GgufEntry.of("tokenizer.chat_template." + name, GgufType.STRING, text.asText()));
            }
        }
        if (!names.isEmpty()) out.add(GgufEntry.array("tokenizer.chat_templates", GgufType.STRING, names.toArray(String[]::new)));
        if (fallback != null) out.add(GgufEntry.of("tokenizer.chat_template", GgufType.STRING, fallback));
    }

    private static boolean lowercases(JsonNode normalizer) {
        if (normalizer == null || normalizer.isNull()) return false;
        return switch (normalizer.path("type").asText()) {
            case "Lowercase" -> true;
            case "BertNormalizer" -> normalizer.path("lowercase").asBoolean(true);
            case "Sequence" -> {
                boolean any = false;
                for (JsonNode n : normalizer.path("normalizers")) any |= lowercases(n);
                yield any;
            }
            default -> false;
        };
    }

    private static String specialTokenId(JsonNode piece) {
        JsonNode id = piece.path("SpecialToken").path("id");
        return id.isTextual() && !id.asText().isEmpty() ? id.asText() : null;
    }

    /** Python's equality of a token name with a config value: a dict-valued token never equals a string. */
    private static boolean sameText(String text, JsonNode value) {
        return value != null && value.isTextual() && value.asText().equals(text);
    }

    /** Python truthiness of a JSON value as SpecialVocab tests it. */
    private static boolean truthy(JsonNode v) {
        if (v == null || v.isMissingNode() || v.isNull()) return false;
        if (v.isTextual()) return !v.asText().isEmpty();
        if (v.isContainerNode()) return !v.isEmpty();
        if (v.isBoolean()) return v.asBoolean();
        return v.asDouble() != 0;
    }
}
