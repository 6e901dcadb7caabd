package dev.gem.tokenizer.template;

/**
 * A chat template that cannot be parsed or rendered. Syntax and runtime errors carry the template's line and column;
 * an error the template raised itself ({@code raise_exception('...')}, e.g. "Conversation roles must alternate") carries
 * exactly the template's message and {@link #raisedByTemplate()} is true.
 */
public final class TemplateException extends RuntimeException {
    private final boolean raisedByTemplate;

    TemplateException(String message, boolean raisedByTemplate) {
        super(message);
        this.raisedByTemplate = raisedByTemplate;
    }

    static TemplateException at(int line, int column, String message) {
        return new TemplateException("chat template line " + line + ":" + column + ": " + message, false);
    }

    static TemplateException raised(String message) {
        return new TemplateException(message, true);
    }

    /** True when the template itself called raise_exception; the message is then the template's own. */
    public boolean raisedByTemplate() {
        return raisedByTemplate;
    }
}
