package dev.gem.format;

import java.io.IOException;

/** A model file GEM cannot use. The message always names the file and says what is wrong with it. */
public class ModelFileException extends IOException {
    public ModelFileException(String file, String problem) {
        super(file + ": " + problem);
    }

    public ModelFileException(String file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
    }
}
