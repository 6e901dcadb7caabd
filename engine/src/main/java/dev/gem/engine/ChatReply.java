package dev.gem.engine;

/** One assistant turn of a {@link Chat}: its text and the generation behind it. */
public record ChatReply(String text, GenerationResult generation) {}
