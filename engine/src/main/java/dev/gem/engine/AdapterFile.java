package dev.gem.engine;

import java.nio.file.Path;

/**
 * A LoRA adapter file (llama.cpp's GGUF adapter format) to load with a model, bound to a domain name.
 *
 * @param scale the user scale llama.cpp calls the adapter scale (1 = as trained)
 */
public record AdapterFile(String domain, Path path, float scale) {
    public AdapterFile {
        if (domain == null || path == null) throw new IllegalArgumentException("an adapter needs a domain name and a file");
        if (!Float.isFinite(scale)) throw new IllegalArgumentException("adapter scale must be a number, got " + scale);
    }

    /** "NAME=FILE" or "NAME=FILE@SCALE", the form of the command line's --adapter. */
    public static AdapterFile parse(String spec) {
        int eq = spec.indexOf('=');
        if (eq <= 0 || eq == spec.length() - 1)
            throw new IllegalArgumentException("adapter '" + spec + "' should be NAME=FILE or NAME=FILE@SCALE");
        String file = spec.substring(eq + 1);
        float scale = 1f;
        int at = file.lastIndexOf('@');
        if (at > 0) {
            try {
                scale = Float.parseFloat(file.substring(at + 1));
                file = file.substring(0, at);
            } catch (NumberFormatException e) {
                // an '@' inside the path
            }
        }
        return new AdapterFile(spec.substring(0, eq), Path.of(file), scale);
    }
}
