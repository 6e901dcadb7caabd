package dev.gem.tokenizer;

/** A token's kind, numbered as GGUF's {@code tokenizer.ggml.token_type} numbers them. */
public enum TokenType {
    UNDEFINED, NORMAL, UNKNOWN, CONTROL, USER_DEFINED, UNUSED, BYTE;

    /** The type for a GGUF code; codes GEM does not know are UNDEFINED, as llama.cpp treats them. */
    public static TokenType ofCode(int code) {
        TokenType[] all = values();
        return code >= 0 && code < all.length ? all[code] : UNDEFINED;
    }

    /** Tokens that are written as literal text in a prompt when special-token parsing is on (or always, for USER_DEFINED). */
    boolean isSpecial() {
        return this == CONTROL || this == USER_DEFINED || this == UNKNOWN;
    }

    /** Tokens whose text is only shown when the caller asks for special tokens to be rendered. */
    boolean isHidden() {
        return this == CONTROL || this == UNKNOWN;
    }
}
