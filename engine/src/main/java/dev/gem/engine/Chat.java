package dev.gem.engine;

import dev.gem.format.ModelFileException;
import dev.gem.tokenizer.Tokenizer;
import dev.gem.tokenizer.template.ChatTemplate;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A conversation with a model, rendered through the model's own chat template ({@code tokenizer.chat_template}) exactly
 * as Hugging Face would render it. Each turn re-renders the whole history and feeds only what differs from what the
 * session already holds, so earlier turns are not recomputed. When history and reply no longer fit in the context,
 * the oldest turns (after any system message) are dropped.
 *
 * <pre>{@code
 * try (Model model = Model.load(path); Chat chat = Chat.open(model)) {
 *     chat.system("You are terse.");
 *     ChatReply r = chat.send("What is GGUF?", GenerateOptions.defaults(), (id, text) -> { System.out.print(text); return true; });
 * }
 * }</pre>
 */
public final class Chat implements AutoCloseable {
    /** ChatML, the format llama.cpp falls back to for models that carry no template. */
    public static final String CHATML = "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

    private final Model model;
    private final ChatTemplate template;
    private final Session session;
    private final List<Map<String, Object>> messages = new ArrayList<>();
    private final List<Integer> fed = new ArrayList<>();
    private final boolean defaultTemplate;

    private Chat(Model model, ChatTemplate template, boolean defaultTemplate) {
        this.model = model;
        this.template = template;
        this.defaultTemplate = defaultTemplate;
        this.session = model.newSession();
    }

    /** A chat using the model's own template, or ChatML when the file has none (see {@link #usesDefaultTemplate}). */
    public static Chat open(Model model) throws ModelFileException {
        var md = model.file().metadata();
        if (md.has("tokenizer.chat_template")) return new Chat(model, ChatTemplate.fromGguf(md), false);
        return new Chat(model, ChatTemplate.parse(CHATML), true);
    }

    /** A chat with an explicit template (e.g. from a tokenizer_config.json). */
    public static Chat open(Model model, ChatTemplate template) {
        return new Chat(model, template, false);
    }

    /** True when the model has no chat template and ChatML stands in. */
    public boolean usesDefaultTemplate() { return defaultTemplate; }

    /** Sets (or replaces) the system message at the start of the conversation. */
    public Chat system(String text) {
        if (!messages.isEmpty() && "system".equals(messages.getFirst().get("role"))) messages.removeFirst();
        messages.addFirst(message("system", text));
        return this;
    }

    /** The conversation so far, as the template sees it. */
    public List<Map<String, Object>> messages() { return List.copyOf(messages); }

    /** Forgets the conversation (the system message too). */
    public void reset() {
        messages.clear();
        fed.clear();
        session.reset();
    }

    /** The session underneath (for routing statistics and the like). */
    public Session session() { return session; }

    /**
     * Adds a user message and generates the assistant's reply, streaming it to {@code listener}. Stops at the model's
     * end-of-turn tokens (EOS, EOT, EOM) or {@code options.maxTokens()}.
     *
     * @throws IllegalStateException when the newest message alone does not fit in the context
     */
    public ChatReply send(String userText, GenerateOptions options, TokenListener listener) {
        messages.add(message("user", userText));
        int[] prompt = fitPrompt(options.maxTokens());
        int common = 0;
        while (common < prompt.length && common < fed.size() && common < session.position() && fed.get(common) == prompt[common]) common++;
        if (common == prompt.length) common--; // at least one token must be fed to get logits
        session.rewind(common);
        while (fed.size() > common) fed.removeLast();
        int[] rest = java.util.Arrays.copyOfRange(prompt, common, prompt.length);
        int room = session.contextSize() - prompt.length;
        GenerateOptions opts = options.withMaxTokens(Math.min(options.maxTokens(), Math.max(0, room))).withAddBos(false);
        GenerationResult r = session.generate(rest, opts, listener);
        for (int t : rest) fed.add(t);
        for (int i = 0; i < r.tokens().length; i++) {
            // the last generated token was never fed (the loop stops before feeding it)
            if (i < r.tokens().length - 1 || r.stopReason() == GenerationResult.StopReason.END_OF_GENERATION) fed.add(r.tokens()[i]);
        }
        if (fed.size() > session.position()) fed.subList(session.position(), fed.size()).clear();
        messages.add(message("assistant", r.text()));
        return new ChatReply(r.text(), r);
    }

    /** Renders and tokenizes the conversation, dropping the oldest turns until it fits with room to reply. */
    private int[] fitPrompt(int wantReply) {
        int ctx = session.contextSize();
        int reserve = Math.min(wantReply, ctx / 4);
        while (true) {
            int[] ids = tokenize(template.render(messages, null, true, null));
            if (ids.length + reserve <= ctx) return ids;
            int first = !messages.isEmpty() && "system".equals(messages.getFirst().get("role")) ? 1 : 0;
            if (messages.size() - first <= 1) {
                messages.removeLast();
                throw new IllegalStateException("the message is " + ids.length + " tokens with its template; with room for a reply it does not fit in the context of "
                        + ctx + " tokens (raise --ctx-size or shorten the message)");
            }
            messages.remove(first); // the oldest turn goes first
            fed.clear();            // the history changed at its start: nothing cached can be reused
            session.reset();
        }
    }

    private int[] tokenize(String rendered) {
        Tokenizer tok = model.tokenizer();
        String bosText = tok.bos() >= 0 ? tok.token(tok.bos()) : null;
        boolean templateHasBos = bosText != null && !bosText.isEmpty() && rendered.startsWith(bosText);
        return tok.encode(rendered, tok.addsBos() && !templateHasBos, true);
    }

    private static Map<String, Object> message(String role, String content) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("role", role);
        m.put("content", content);
        return m;
    }

    @Override
    public void close() {
        session.close();
    }
}
