package dev.gem.tokenizer.template;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gem.format.Metadata;
import dev.gem.format.ModelFileException;

import java.io.IOException;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * A model's chat template (Jinja2), rendered as Hugging Face transformers' {@code apply_chat_template} renders it:
 * trim_blocks and lstrip_blocks on, loop controls, {@code raise_exception}, {@code strftime_now}, HF's {@code tojson},
 * and a context of {@code messages}, {@code tools} (None when not given), {@code documents} (None),
 * {@code add_generation_prompt}, {@code bos_token}/{@code eos_token} and any extra keyword arguments.
 * Parsed once; {@link #render} may be called from several threads.
 */
public final class ChatTemplate {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String source;
    private final List<Node> tree;
    private final String bosToken, eosToken;
    private final Supplier<LocalDateTime> clock;

    private ChatTemplate(String source, List<Node> tree, String bosToken, String eosToken, Supplier<LocalDateTime> clock) {
        this.source = source;
        this.tree = tree;
        this.bosToken = bosToken;
        this.eosToken = eosToken;
        this.clock = clock;
    }

    /** @throws TemplateException with line:column for a syntax error */
    public static ChatTemplate parse(String source) {
        return new ChatTemplate(source, Parser.parse(source), null, null, LocalDateTime::now);
    }

    /** The template in {@code tokenizer.chat_template}, with BOS/EOS texts from the GGUF vocabulary. */
    public static ChatTemplate fromGguf(Metadata md) throws ModelFileException {
        ChatTemplate t = parse(md.getString("tokenizer.chat_template"));
        String[] tokens = md.has("tokenizer.ggml.tokens") ? md.getStringArray("tokenizer.ggml.tokens") : new String[0];
        return t.withSpecialTokens(token(md, tokens, "tokenizer.ggml.bos_token_id"), token(md, tokens, "tokenizer.ggml.eos_token_id"));
    }

    private static String token(Metadata md, String[] tokens, String key) throws ModelFileException {
        if (!md.has(key)) return null;
        long id = md.getLong(key);
        return id >= 0 && id < tokens.length ? tokens[(int) id] : null;
    }

    /** The {@code chat_template} of a Hugging Face tokenizer_config.json, with its bos_token and eos_token. */
    public static ChatTemplate fromTokenizerConfig(Path tokenizerConfigJson) throws IOException {
        JsonNode config = JSON.readTree(tokenizerConfigJson.toFile());
        JsonNode template = config.path("chat_template");
        if (template.isArray()) {
            for (JsonNode named : template) if (named.path("name").asText().equals("default")) template = named.path("template");
        }
        if (!template.isTextual()) throw new IOException(tokenizerConfigJson + ": no chat_template");
        return parse(template.asText()).withSpecialTokens(tokenText(config.path("bos_token")), tokenText(config.path("eos_token")));
    }

    private static String tokenText(JsonNode node) {
        if (node.isTextual()) return node.asText();
        return node.path("content").isTextual() ? node.path("content").asText() : null;
    }

    /** The same template with these BOS/EOS texts (null leaves the variable undefined, as HF does for a missing token). */
    public ChatTemplate withSpecialTokens(String bos, String eos) {
        return new ChatTemplate(source, tree, bos, eos, clock);
    }

    /** The same template with the clock {@code strftime_now} reads (tests pin it). */
    public ChatTemplate withClock(Supplier<LocalDateTime> now) {
        return new ChatTemplate(source, tree, bosToken, eosToken, now);
    }

    public String source() { return source; }

    /**
     * @param messages            OpenAI-style messages (see {@link ChatMessages})
     * @param tools               tool (function) schemas, or null
     * @param addGenerationPrompt end with the opening of an assistant turn
     * @param extra               further template variables (e.g. {@code enable_thinking}); may be null
     * @throws TemplateException  when rendering fails; {@link TemplateException#raisedByTemplate()} for raise_exception
     */
    public String render(List<Map<String, Object>> messages, List<Map<String, Object>> tools, boolean addGenerationPrompt,
                         Map<String, Object> extra) {
        Interpreter.Scope globals = new Interpreter.Scope(null);
        globals.vars.put("raise_exception", (PythonValues.Callable) (args, kwargs) -> {
            throw TemplateException.raised(args.isEmpty() ? "" : PythonValues.str(args.getFirst()));
        });
        globals.vars.put("strftime_now", (PythonValues.Callable) (args, kwargs) -> Strftime.format(PythonValues.str(args.getFirst()), clock.get()));
        globals.vars.put("namespace", (PythonValues.Callable) Builtins::namespace);
        globals.vars.put("range", (PythonValues.Callable) (args, kwargs) -> range(args));
        globals.vars.put("dict", (PythonValues.Callable) (args, kwargs) -> new LinkedHashMap<>(kwargs));
        Map<String, Object> context = globals.vars;
        context.put("messages", normalize(messages));
        context.put("tools", normalize(tools));
        context.put("documents", null);
        context.put("add_generation_prompt", addGenerationPrompt);
        if (bosToken != null) context.put("bos_token", bosToken);
        if (eosToken != null) context.put("eos_token", eosToken);
        if (extra != null) extra.forEach((k, v) -> context.put(k, normalize(v)));
        return new Interpreter(new Builtins()).render(tree, globals);
    }

    private static List<Object> range(List<Object> args) {
        long start = 0, stop, step = 1;
        if (args.size() == 1) stop = PythonValues.toLong(args.getFirst());
        else {
            start = PythonValues.toLong(args.get(0));
            stop = PythonValues.toLong(args.get(1));
            if (args.size() > 2) step = PythonValues.toLong(args.get(2));
        }
        if (step == 0) throw new IllegalArgumentException("range() arg 3 must not be zero");
        List<Object> out = new ArrayList<>();
        for (long i = start; step > 0 ? i < stop : i > stop; i += step) out.add(i);
        return out;
    }

    /** Copies caller data into the interpreter's value types: Long and Double numbers, ArrayList, LinkedHashMap. */
    static Object normalize(Object v) {
        return switch (v) {
            case null -> null;
            case Integer i -> (long) i;
            case Short s -> (long) s;
            case Byte b -> (long) b;
            case Float f -> (double) f;
            case java.math.BigInteger b -> b.longValue();
            case java.math.BigDecimal b -> b.doubleValue();
            case Map<?, ?> m -> {
                Map<String, Object> out = new LinkedHashMap<>();
                m.forEach((k, x) -> out.put(String.valueOf(k), normalize(x)));
                yield out;
            }
            case List<?> l -> {
                List<Object> out = new ArrayList<>(l.size());
                for (Object x : l) out.add(normalize(x));
                yield out;
            }
            case Object[] a -> normalize(List.of(a));
            case CharSequence s -> s.toString();
            default -> v;
        };
    }
}
