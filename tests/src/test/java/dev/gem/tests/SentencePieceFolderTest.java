package dev.gem.tests;

import dev.gem.engine.ModelFiles;
import dev.gem.format.ModelFile;
import dev.gem.tokenizer.Tokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The Llama 2 folder (tokenizer.model, cut to the config's 1024 ids) tokenizes as llama.cpp tokenizes with the GGUF
 * converted from it (hf-llama2.tokens.txt, from tests/fixtures/regenerate-import.sh), read directly and through
 * {@code gem tokenize -m FOLDER}.
 */
class SentencePieceFolderTest {
    static final String TEXT = "Once upon a time, there was a little girl named Lily.";

    @TempDir
    Path tmp;

    @Test
    void llama2FolderTokenizesAsLlamaCpp() throws IOException {
        int[] expected = Arrays.stream(Files.readString(ArchitectureFixturesTest.fixture("hf-llama2.tokens.txt")).trim().split(" "))
                .mapToInt(Integer::parseInt).toArray();
        Path folder = HuggingFaceFolders.assemble("hf-llama2", ArchitectureFixturesTest.fixture(""), TestData.root(), tmp);
        try (ModelFile f = ModelFiles.open(folder)) {
            Tokenizer t = Tokenizer.fromGguf(f.metadata());
            assertEquals(1024, t.vocabSize());
            assertArrayEquals(expected, t.encode(TEXT, false, false));
            assertEquals(TEXT, t.decode(expected));
        }
        CliTest.Run r = CliTest.run("tokenize", "-m", folder.toString(), "--no-bos", "-p", TEXT);
        assertEquals(0, r.code(), r.err());
        assertEquals(String.join(" ", Arrays.stream(expected).mapToObj(Integer::toString).toList()), r.out().trim());
    }
}
