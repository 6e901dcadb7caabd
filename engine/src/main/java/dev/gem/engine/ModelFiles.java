package dev.gem.engine;

import dev.gem.format.GgufFile;
import dev.gem.format.HuggingFaceModel;
import dev.gem.format.ModelFile;
import dev.gem.format.ModelFileException;
import dev.gem.tokenizer.HuggingFaceVocabulary;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Opens whatever a user points GEM at: a GGUF file, or a Hugging Face model folder read as the GGUF it converts to. */
public final class ModelFiles {
    private ModelFiles() {}

    /** A GGUF file or a Hugging Face folder (config.json, tokenizer.json, safetensors). The caller must close it. */
    public static ModelFile open(Path path) throws IOException {
        if (Files.isDirectory(path)) {
            if (!HuggingFaceModel.isModelFolder(path))
                throw new ModelFileException(path.toString(), "is a folder without config.json: give a GGUF file or a Hugging Face model folder");
            return openHuggingFace(path);
        }
        return GgufFile.open(path);
    }

    /**
     * A view of {@code file} whose close does nothing, for opening several {@link Model}s over one file in turn (a model
     * closes its file when it is closed).
     */
    public static ModelFile borrow(ModelFile file) {
        return new ModelFile() {
            @Override public String name() { return file.name(); }
            @Override public dev.gem.format.Metadata metadata() { return file.metadata(); }
            @Override public java.util.Map<String, dev.gem.tensor.Tensor> tensors() { return file.tensors(); }
            @Override public void close() { }
        };
    }

    /**
     * A Hugging Face folder with its tokenizer (SentencePiece tokenizer.model or byte-level BPE tokenizer.json, chosen
     * as the converter chooses for the architecture) turned into GGUF tokenizer metadata.
     */
    public static HuggingFaceModel openHuggingFace(Path dir) throws IOException {
        return HuggingFaceModel.open(dir, (folder, md) -> {
            for (var e : HuggingFaceVocabulary.entries(folder, md.getString("general.architecture"))) e.putInto(md);
        });
    }
}
