package dev.gem.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gem.format.GgufType;
import dev.gem.format.Metadata;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code tokenizer.*} GGUF metadata llama.cpp's convert_hf_to_gguf.py writes for a byte-level BPE
 * {@code tokenizer.json} (its {@code _set_vocab_gpt2}: get_vocab_base, then gguf-py's SpecialVocab), in the order it
 * writes them. Files read beside the tokenizer.json, as the converter reads them from the model folder:
 * tokenizer_config.json (special tokens, add_*_token, chat template), chat_template.jinja / chat_template.json
 * (template, when the config has none) and config.json (vocab_size and *_token_id).
 *
 * <p>Added tokens are written as their content: the converter's decode(encode(token)) round trip for non-normalized
 * added tokens gives the content back, since such a token is matched whole.
 */
public final class HuggingFaceGgufMetadata {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String P = "tokenizer.ggml.";
    /** gguf-py SpecialVocab's default special_token_types, in its order. */
    private static final List<String> SPECIAL_TYPES = List.of("bos", "eos", "unk", "sep", "pad", "cls", "mask");
    /** The GGUF key of each {type}_token_id (gguf-py's add_{type}_token_id; "seperator" is the real spelling). */
    private static final Map<String, String> ID_KEYS = Map.of("bos", "bos_token_id", "eos", "eos_token_id",
            "unk", "unknown_token_id", "sep", "seperator_token_id", "pad", "padding_token_id", "cls", "cls_token_id",
            "mask", "mask_token_id", "eot", "eot_token_id", "eom", "eom_token_id");

    private final HuggingFaceTokenizerReader hf;
    private final Path folder;
    /** tokenizer_config.json as SpecialVocab mutates it (it fills in cls/sep/eot tokens it infers). */
    private final ObjectNode config;
    private final JsonNode modelConfig;
    private final List<String> specialTypes = new ArrayList<>(SPECIAL_TYPES);
    private final Map<String, Integer> specialIds = new LinkedHashMap<>();
    private final Map<String, Boolean> addSpecial = new LinkedHashMap<>();

    private HuggingFaceGgufMetadata(Path tokenizerJson) throws IOException {
        hf = HuggingFaceTokenizerReader.parse(tokenizerJson);
        folder = tokenizerJson.toAbsolutePath().getParent();
        config = hf.config.deepCopy() instanceof ObjectNode o ? o : JSON.createObjectNode();
        Path configJson = folder.resolve("config.json");
        modelConfig = Files.isRegularFile(configJson) ? JSON.readTree(configJson.toFile()) : JSON.createObjectNode();
    }

    /** The entries for a tokenizer.json; the vocabulary size is config.json's vocab_size, else the tokenizer's own. */
    public static List<GgufEntry> entries(Path tokenizerJson) throws IOException {
        return entries(tokenizerJson, -1);
    }

    /**
     * @param vocabSize the model's vocabulary size (ids the tokenizer does not name become {@code [PAD<id>]}, UNUSED);
     *                  -1 for config.json's vocab_size, else the number of tokens the tokenizer has
     */
    public static List<GgufEntry> entries(Path tokenizerJson, int vocabSize) throws IOException {
        return new HuggingFaceGgufMetadata(tokenizerJson).build(vocabSize);
    }

    /** The entries as an in-memory {@link Metadata}, e.g. for {@link Tokenizer#fromGguf}. */
    public static Metadata toMetadata(List<GgufEntry> entries, String name) {
        Metadata md = new Metadata(name);
        for (GgufEntry e : entries) e.putInto(md);
        return md;
    }

    private List<GgufEntry> build(int vocabSize) throws IOException {
        if (!"BPE".equals(hf.modelType)) throw new IOException(hf.source + ": only BPE tokenizer.json files convert to GGUF 'gpt2' (found " + hf.modelType + ")");
        List<GgufEntry> out = new ArrayList<>();
        String pre = PreTokenizerName.detect(hf.tokenizer(), hf.splitRegexes(), hf.source).name();
        out.add(GgufEntry.of(P + "model", GgufType.STRING, "gpt2"));
        out.add(GgufEntry.of(P + "pre", GgufType.STRING, pre));
        addTokens(out, vocabSize);
        out.add(GgufEntry.array(P + "merges", GgufType.STRING, merges()));
        readSpecialTokens();
        for (var e : specialIds.entrySet()) out.add(GgufEntry.of(P + ID_KEYS.get(e.getKey()), GgufType.UINT32, (long) e.getValue()));
        for (var e : addSpecial.entrySet()) {
            // gguf-py only has add_bos/eos/sep_token writers; SpecialVocab skips the others with a warning.
            if (List.of("bos", "eos", "sep").contains(e.getKey()))
                out.add(GgufEntry.of(P + "add_" + e.getKey() + "_token", GgufType.BOOL, e.getValue()));
        }
        addChatTemplates(out);
        if (lowercases(hf.normalizer)) out.add(GgufEntry.of(P + "normalizer.lowercase", GgufType.BOOL, true));
        return out;
    }

    /** get_vocab_base: every id below the vocabulary size, holes as "[PAD<id>]". */
    private void addTokens(List<GgufEntry> out, int vocabSize) throws IOException {
        int[] ids = hf.vocabIds.toArray();
        Map<Integer, JsonNode> added = new LinkedHashMap<>();
        if (hf.addedTokens != null) for (JsonNode t : hf.addedTokens) added.put(t.path("id").asInt(), t);
        java.util.BitSet named = new java.util.BitSet();
        int maxId = -1;
        for (int id : ids) { named.set(id); maxId = Math.max(maxId, id); }
        for (int id : added.keySet()) { named.set(id); maxId = Math.max(maxId, id); }
        int size = vocabSize >= 0 ? vocabSize : modelConfig.path("vocab_size").isInt() ? modelConfig.get("vocab_size").asInt() : named.cardinality();
        if (maxId >= size) throw new IOException(hf.source + ": token id " + maxId + " is not below the vocabulary size " + size);

        String[] texts = new String[size];
        int[] types = new int[size];
        for (int i = 0; i < ids.length; i++) {
            texts[ids[i]] = hf.vocabTexts.get(i);
            types[ids[i]] = TokenType.NORMAL.ordinal();
        }
        for (var e : added.entrySet()) {
            String text = e.getValue().path("content").asText();
            boolean control = e.getValue().path("special").asBoolean() || looksSpecial(text);
            // The converter writes user-defined tokens with SentencePiece's "▁" as a real space (added for Gemma).
            texts[e.getKey()] = control ? text : text.replace('\u2581', ' ');
            types[e.getKey()] = (control ? TokenType.CONTROL : TokenType.USER_DEFINED).ordinal();
        }
        for (int id = 0; id < size; id++) {
            if (texts[id] != null) continue;
            texts[id] = "[PAD" + id + "]";
            types[id] = TokenType.UNUSED.ordinal();
        }
        out.add(GgufEntry.array(P + "tokens", GgufType.STRING, texts));
        out.add(GgufEntry.array(P + "token_type", GgufType.INT32, types));
    }

    /** The converter's does_token_look_special: added tokens some models forget to mark special. */
    static boolean looksSpecial(String t) {
        return t.equals("<pad>") || t.equals("<mask>") || t.equals("<2mass>") || t.equals("[@BOS@]")
                || (t.startsWith("<|") && t.endsWith("|>")) || (t.startsWith("<\uFF5C") && t.endsWith("\uFF5C>"))
                || (t.startsWith("<unused") && t.endsWith(">"));
    }

    /** "left right"; in pair-form merges a space inside a token is written as U+0120, as gguf-py does. */
    private String[] merges() {
        String[] lines = new String[hf.merges.size() / 2];
        for (int i = 0; i < lines.length; i++) {
            String left = hf.merges.get(2 * i), right = hf.merges.get(2 * i + 1);
            if (hf.mergesAsPairs) {
                left = left.replace(' ', '\u0120');
                right = right.replace(' ', '\u0120');
            }
            lines[i] = left + " " + right;
        }
        return lines;
    }

    /**
     * SpecialVocab._try_load_from_tokenizer_json and _try_load_from_config_json: the post-processor says which special
     * tokens are added; tokenizer_config.json names the tokens (ids come from added_tokens) and may override the add
     * flags; config.json's *_token_id fill what is still missing.
     */
    private void readSpecialTokens() {
        JsonNode bos = config.path("bos_token"), cls = config.path("cls_token"), eos = config.path("eos_token"), sep = config.path("sep_token");
        if (!truthy(bos) && truthy(cls) && !config.isEmpty()) config.set("bos_token", bos = cls);
        if (!truthy(eos) && truthy(sep) && !config.isEmpty()) config.set("eos_token", eos = sep);
        if (hf.postProcessor != null && !hf.postProcessor.isNull()) {
            JsonNode processors = hf.postProcessor.has("processors") ? hf.postProcessor.get("processors") : JSON.createArrayNode().add(hf.postProcessor);
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
        if (config.isEmpty()) {
            fromModelConfig();
            return;
        }
        for (String type : specialTypes) {
            JsonNode add = config.path("add_" + type + "_token");
            if (add.isBoolean()) addSpecial.put(type, add.asBoolean());
            JsonNode entry = config.path(type + "_token");
            String content = entry.isTextual() ? entry.asText() : entry.path("content").isTextual() ? entry.path("content").asText() : null;
            if (content == null || hf.addedTokens == null) continue;
            for (JsonNode t : hf.addedTokens) {
                if (t.path("content").asText().equals(content)) {
                    specialIds.putIfAbsent(type, t.path("id").asInt());
                    break;
                }
            }
        }
        fromModelConfig();
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
            if (id.isIntegralNumber() && id.asLong() >= 0) specialIds.putIfAbsent(type, id.asInt());
        }
    }

    /** gguf-py's add_chat_template: a string, or a list of named templates (default plus tokenizer.chat_template.NAME). */
    private void addChatTemplates(List<GgufEntry> out) throws IOException {
        if (config.isEmpty()) return;
        JsonNode template = config.get("chat_template");
        if (template == null) {
            Path jinja = folder.resolve("chat_template.jinja"), json = folder.resolve("chat_template.json");
            if (Files.isRegularFile(jinja)) template = JSON.getNodeFactory().textNode(Files.readString(jinja));
            else if (Files.isRegularFile(json)) template = JSON.readTree(json.toFile()).get("chat_template");
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
