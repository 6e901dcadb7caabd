package dev.gem.format;

import dev.gem.tensor.Tensor;

import java.util.Map;

/**
 * A model's metadata and tensors, wherever they come from: a GGUF file, a Hugging Face directory of safetensors, or
 * memory. The engine loads models through this interface only. Closing releases the mappings; tensors must not be
 * used afterwards.
 */
public interface ModelFile extends AutoCloseable {
    /** A name for messages: usually the path. */
    String name();

    Metadata metadata();

    /** All tensors, in file order. */
    Map<String, Tensor> tensors();

    /** The named tensor, or null. */
    default Tensor tensor(String tensorName) {
        return tensors().get(tensorName);
    }

    /** The named tensor, or an error naming the file and the missing tensor. */
    default Tensor require(String tensorName) throws ModelFileException {
        Tensor t = tensor(tensorName);
        if (t == null) throw new ModelFileException(name(), "missing tensor " + tensorName);
        return t;
    }

    @Override
    void close();
}
