package dev.gem.engine;

/**
 * Which domain adapter a request uses: chosen per token by the model's domain router ({@link #auto()}), none at all
 * ({@link #none()}), or one domain's adapter for every token and every layer ({@link #of}).
 */
public record DomainSelection(Kind kind, String domain) {
    public enum Kind { AUTO, NONE, FIXED }

    public DomainSelection {
        if (kind == null) throw new IllegalArgumentException("kind is required");
        if ((kind == Kind.FIXED) != (domain != null))
            throw new IllegalArgumentException(kind == Kind.FIXED ? "a fixed selection names its domain" : kind + " names no domain");
    }

    /** Per token, by the domain router: routed tokens get their domain's adapter from the router layer on. */
    public static DomainSelection auto() { return new DomainSelection(Kind.AUTO, null); }

    /** The base model alone. */
    public static DomainSelection none() { return new DomainSelection(Kind.NONE, null); }

    /** Domain {@code name}'s adapter on every token. */
    public static DomainSelection of(String name) { return new DomainSelection(Kind.FIXED, name); }

    /** "auto", "none", or a domain name (the form of the command line's --domain). */
    public static DomainSelection parse(String s) {
        return switch (s.trim()) {
            case "auto" -> auto();
            case "none" -> none();
            default -> of(s.trim());
        };
    }

    @Override
    public String toString() {
        return kind == Kind.FIXED ? domain : kind.name().toLowerCase(java.util.Locale.ROOT);
    }
}
