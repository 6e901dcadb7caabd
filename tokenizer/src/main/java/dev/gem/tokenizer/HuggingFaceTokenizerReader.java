package dev.gem.tokenizer;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Reads a Hugging Face {@code tokenizer.json} holding a byte-level BPE model. The vocabulary and merges (hundreds of
 * thousands of entries) are streamed with Jackson's parser rather than built as a tree, which keeps a 10 MB file to a
 * fraction of a second; the small sections (added tokens, normalizer, pre-tokenizer, post-processor) are read as trees.
 */
final class HuggingFaceTokenizerReader {
    /** Without field-name canonicalization: the vocabulary's 100k+ keys would only bloat the symbol table (2x slower). */
    private static final ObjectMapper JSON = new ObjectMapper(JsonFactory.builder()
            .disable(JsonFactory.Feature.CANONICALIZE_FIELD_NAMES).disable(JsonFactory.Feature.INTERN_FIELD_NAMES).build());

    // Package-private so that HuggingFaceGgufMetadata can describe the same parse in GGUF terms.
    final String source;
    final List<String> vocabTexts = new ArrayList<>(1 << 18);
    final IdBuffer vocabIds = new IdBuffer();
    final List<String> merges = new ArrayList<>(1 << 18); // left and right, alternating
    private boolean ignoreMerges;
    /** Whether merges were written as ["left", "right"] pairs (newer files) rather than "left right" strings. */
    boolean mergesAsPairs;
    String modelType;
    JsonNode addedTokens, normalizer, preTokenizer, postProcessor;
    /** tokenizer_config.json, or an empty object when there is none ({@link #hasConfig} tells which). */
    JsonNode config;
    boolean hasConfig;

    private HuggingFaceTokenizerReader(String source) {
        this.source = source;
    }

    static Tokenizer read(Path path) throws IOException {
        return parse(path).tokenizer();
    }

    /** Reads tokenizer.json and, when present, the tokenizer_config.json beside it (else {@link #config} is empty). */
    static HuggingFaceTokenizerReader parse(Path path) throws IOException {
        HuggingFaceTokenizerReader reader = new HuggingFaceTokenizerReader(path.toString());
        Path config = path.resolveSibling("tokenizer_config.json");
        try (JsonParser p = JSON.createParser(path.toFile())) {
            reader.parse(p);
            reader.hasConfig = Files.isRegularFile(config);
            reader.config = reader.hasConfig ? JSON.readTree(config.toFile()) : JSON.createObjectNode();
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            throw new IOException(path + " (or its tokenizer_config.json): not valid JSON: " + e.getOriginalMessage(), e);
        }
        return reader;
    }

    Tokenizer tokenizer() throws IOException {
        return build(config);
    }

    private void parse(JsonParser p) throws IOException {
        expect(p, p.nextToken(), JsonToken.START_OBJECT);
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            p.nextToken();
            switch (field) {
                case "model" -> parseModel(p);
                case "added_tokens" -> addedTokens = p.readValueAsTree();
                case "normalizer" -> normalizer = p.readValueAsTree();
                case "pre_tokenizer" -> preTokenizer = p.readValueAsTree();
                case "post_processor" -> postProcessor = p.readValueAsTree();
                default -> p.skipChildren();
            }
        }
    }

    private void parseModel(JsonParser p) throws IOException {
        expect(p, p.currentToken(), JsonToken.START_OBJECT);
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            JsonToken value = p.nextToken();
            switch (field) {
                case "type" -> modelType = p.getText();
                case "ignore_merges" -> ignoreMerges = value == JsonToken.VALUE_TRUE;
                case "vocab" -> {
                    expect(p, value, JsonToken.START_OBJECT);
                    while (p.nextToken() == JsonToken.FIELD_NAME) {
                        vocabTexts.add(p.currentName());
                        p.nextToken();
                        vocabIds.add(p.getIntValue());
                    }
                }
                case "merges" -> {
                    expect(p, value, JsonToken.START_ARRAY);
                    for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) parseMerge(p, t);
                }
                case "byte_fallback" -> { if (value == JsonToken.VALUE_TRUE) throw unsupported("byte_fallback BPE (SentencePiece-style)"); }
                case "continuing_subword_prefix", "end_of_word_suffix" -> {
                    if (value == JsonToken.VALUE_STRING && !p.getText().isEmpty()) throw unsupported(field + " '" + p.getText() + "'");
                }
                default -> p.skipChildren();
            }
        }
    }

    /** A merge is "left right" (older files) or ["left", "right"] (newer ones, which allow spaces in tokens). */
    private void parseMerge(JsonParser p, JsonToken t) throws IOException {
        if (t == JsonToken.VALUE_STRING) {
            mergesAsPairs = false;
            String line = p.getText();
            int space = line.indexOf(' ', 1);
            if (space < 0) throw new IOException(source + ": merge '" + line + "' is not two tokens separated by a space");
            merges.add(line.substring(0, space));
            merges.add(line.substring(space + 1));
        } else {
            mergesAsPairs = true;
            expect(p, t, JsonToken.START_ARRAY);
            p.nextToken();
            merges.add(p.getText());
            p.nextToken();
            merges.add(p.getText());
            expect(p, p.nextToken(), JsonToken.END_ARRAY);
        }
    }

    /** The pre-tokenizer's regexes in order, as GEM's {@link PreTokenizer} applies them. */
    List<String> splitRegexes() throws IOException {
        List<String> regexes = new ArrayList<>();
        if (!collectSplits(preTokenizer, regexes)) throw unsupported("a pre-tokenizer without ByteLevel: " + preTokenizer);
        return regexes;
    }

    private Tokenizer build(JsonNode config) throws IOException {
        if (!"BPE".equals(modelType)) throw unsupported("model type " + modelType + " (GEM reads byte-level BPE)");
        List<String> regexes = splitRegexes();
        Vocabulary v = vocabulary();
        MergeTable table = new MergeTable(merges.size() / 2);
        for (int i = 0; i < merges.size(); i += 2) {
            if (!table.add(v, merges.get(i), merges.get(i + 1), i / 2))
                throw new IOException(source + ": merge #" + i / 2 + " '" + merges.get(i) + " " + merges.get(i + 1) + "' names a token outside the vocabulary");
        }
        boolean llama3 = regexes.equals(List.of(PreTokenizer.LLAMA3));
        specials(v, config, llama3);
        return new BpeTokenizer(v, new PreTokenizer(regexes), table, ignoreMerges, normalization(normalizer));
    }

    private Vocabulary vocabulary() {
        int[] ids = vocabIds.toArray();
        int size = 0;
        for (int id : ids) size = Math.max(size, id + 1);
        if (addedTokens != null) for (JsonNode t : addedTokens) size = Math.max(size, t.path("id").asInt() + 1);
        String[] texts = new String[size];
        TokenType[] types = new TokenType[size];
        Arrays.fill(types, TokenType.UNUSED); // ids no entry names
        for (int i = 0; i < ids.length; i++) {
            texts[ids[i]] = vocabTexts.get(i);
            types[ids[i]] = TokenType.NORMAL;
        }
        if (addedTokens != null) for (JsonNode t : addedTokens) {
            int id = t.path("id").asInt();
            texts[id] = t.path("content").asText();
            types[id] = t.path("special").asBoolean() ? TokenType.CONTROL : TokenType.USER_DEFINED;
        }
        Vocabulary v = new Vocabulary(source, texts, new float[size], types);
        if (addedTokens != null) for (JsonNode t : addedTokens)
            v.setStrip(t.path("id").asInt(), t.path("lstrip").asBoolean(), t.path("rstrip").asBoolean());
        return v;
    }

    /**
     * BOS/EOS come from tokenizer_config.json; a TemplateProcessing post-processor also says which are added. Llama 3's
     * regex means llama.cpp's llama-bpe vocabulary, which always adds BOS.
     */
    private void specials(Vocabulary v, JsonNode config, boolean llama3) throws IOException {
        v.bos = tokenId(v, config.path("bos_token"));
        v.eos = tokenId(v, config.path("eos_token"));
        v.pad = tokenId(v, config.path("pad_token"));
        v.unk = tokenId(v, config.path("unk_token"));
        boolean templateBos = false, templateEos = false;
        JsonNode single = postProcessor == null ? null : postProcessor.path("single");
        if (postProcessor != null && "TemplateProcessing".equals(postProcessor.path("type").asText()) && single.size() > 0) {
            JsonNode first = single.get(0).path("SpecialToken"), last = single.get(single.size() - 1).path("SpecialToken");
            if (!first.isMissingNode()) {
                templateBos = true;
                if (v.bos < 0) v.bos = v.id(first.path("id").asText());
            }
            if (!last.isMissingNode() && single.size() > 1) {
                templateEos = true;
                if (v.eos < 0) v.eos = v.id(last.path("id").asText());
            }
        }
        v.addBos = config.path("add_bos_token").asBoolean(templateBos || (llama3 && v.bos >= 0));
        v.addEos = config.path("add_eos_token").asBoolean(templateEos);
        if (v.addBos && v.bos < 0) throw new IOException(source + ": BOS is to be added, but no BOS token is named");
        v.resolveEndOfGeneration();
    }

    /** A token named by its text, either as a string or as {"content": ...}; -1 when null or absent. */
    private static int tokenId(Vocabulary v, JsonNode node) {
        String text = node.isTextual() ? node.asText() : node.path("content").isTextual() ? node.path("content").asText() : null;
        return text == null ? -1 : v.id(text);
    }

    /** Collects Split regexes in order; true when a ByteLevel step is present (adding GPT-2's regex if it uses one). */
    private boolean collectSplits(JsonNode node, List<String> regexes) throws IOException {
        if (node == null || node.isNull()) return false;
        switch (node.path("type").asText()) {
            case "Sequence" -> {
                boolean byteLevel = false;
                for (JsonNode child : node.path("pretokenizers")) byteLevel |= collectSplits(child, regexes);
                return byteLevel;
            }
            case "Split" -> {
                if (!"Isolated".equals(node.path("behavior").asText()) || node.path("invert").asBoolean())
                    throw unsupported("Split pre-tokenizer other than Isolated: " + node);
                JsonNode pattern = node.path("pattern");
                regexes.add(pattern.has("Regex") ? pattern.get("Regex").asText() : java.util.regex.Pattern.quote(pattern.path("String").asText()));
                return false;
            }
            case "Digits" -> {
                regexes.add(node.path("individual_digits").asBoolean() ? "\\p{N}" : "\\p{N}+");
                return false;
            }
            case "ByteLevel" -> {
                if (node.path("add_prefix_space").asBoolean()) throw unsupported("ByteLevel with add_prefix_space");
                if (node.path("use_regex").asBoolean(true)) regexes.add(PreTokenizer.GPT2);
                return true;
            }
            default -> throw unsupported("pre-tokenizer " + node.path("type").asText());
        }
    }

    private Normalizer.Form normalization(JsonNode node) throws IOException {
        if (node == null || node.isNull()) return null;
        String type = node.path("type").asText();
        return switch (type) {
            case "NFC", "NFD", "NFKC", "NFKD" -> Normalizer.Form.valueOf(type);
            case "Sequence" -> {
                Normalizer.Form form = null;
                for (JsonNode child : node.path("normalizers")) {
                    Normalizer.Form f = normalization(child);
                    if (f != null && form != null && f != form) throw unsupported("several Unicode normalizations");
                    if (f != null) form = f;
                }
                yield form;
            }
            default -> throw unsupported("normalizer " + type);
        };
    }

    private IOException unsupported(String what) {
        return new IOException(source + ": unsupported tokenizer.json: " + what);
    }

    private void expect(JsonParser p, JsonToken actual, JsonToken expected) throws IOException {
        if (actual != expected)
            throw new IOException(source + ": expected " + expected + " but found " + actual + " at " + p.currentLocation());
    }
}
