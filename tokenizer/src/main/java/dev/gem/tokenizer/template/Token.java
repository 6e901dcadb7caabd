package dev.gem.tokenizer.template;

/** One lexical token; {@code line}/{@code column} (1-based) locate it in the template source for error messages. */
record Token(Kind kind, String text, int line, int column) {
    enum Kind {
        TEXT, OUTPUT_START, OUTPUT_END, BLOCK_START, BLOCK_END,
        NAME, STRING, INTEGER, FLOAT, OPERATOR, EOF
    }

    boolean is(Kind k, String t) {
        return kind == k && text.equals(t);
    }

    boolean isName(String t) {
        return is(Kind.NAME, t);
    }

    boolean isOp(String t) {
        return is(Kind.OPERATOR, t);
    }
}
