package dev.gem.format;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Turns a Hugging Face model folder's tokenizer files (tokenizer.json, tokenizer_config.json) into
 * {@code tokenizer.ggml.*} metadata. The tokenizer module knows how; model-format may not depend on it, so whoever
 * opens a {@link HuggingFaceModel} passes this in.
 */
@FunctionalInterface
public interface TokenizerImport {
    void addTo(Path modelFolder, Metadata md) throws IOException;
}
