package dev.gem.tests;

import dev.gem.engine.cli.Cli;
import dev.gem.format.GgufFile;
import dev.gem.format.GgufWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The command line in-process: exit codes, messages, and the tokenize command's output. */
class CliTest {
    @TempDir
    Path tmp;

    record Run(int code, String out, String err) {}

    static synchronized Run run(String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code = Cli.run(args);
            return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    @Test
    void tokenizePrintsIdsOnOneLine() {
        Run r = run("tokenize", "-m", TestData.model("stories260K.gguf").toString(), "-p", "Once upon a time");
        assertEquals(0, r.code(), r.err());
        assertEquals("1 403 407 261 378", r.out().strip());
        r = run("tokenize", "-m", TestData.model("stories260K.gguf").toString(), "--no-bos", "-p", "Once upon a time");
        assertEquals("403 407 261 378", r.out().strip());
    }

    @Test
    void tokenizeWorksOnVocabularyOnlyFilesAndTokenizerJson() throws IOException {
        Path text = tmp.resolve("t.txt");
        Files.writeString(text, "Hello world");
        Run r = run("tokenize", "-m", TestData.root().resolve("vocab/ggml-vocab-gpt-2.gguf").toString(), "-f", text.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals("15496 995", r.out().strip());
        r = run("tokenize", "--tokenizer", TestData.root().resolve("tokenizers/llama3/tokenizer.json").toString(), "--no-bos", "-p", "Hello world");
        assertEquals(0, r.code(), r.err());
        assertEquals("9906 1917", r.out().strip());
    }

    @Test
    void greedyGenerationStreamsTextAndSummarizes() {
        Run r = run("-m", TestData.model("stories260K.gguf").toString(), "-p", "Once upon a time", "-n", "20", "--temp", "0", "-t", "2");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("Once upon a time, there was a little girl named Lily."), r.out());
        assertTrue(r.err().contains("gem: load: ") && r.err().contains("prompt: 5 tokens") && r.err().contains("generated: 20 tokens") && r.err().contains("tok/s"), r.err());
    }

    @Test
    void missingModelFileIsAClearError() {
        Run r = run("-m", tmp.resolve("absent.gguf").toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("file not found") && r.err().contains("absent.gguf"), r.err());
    }

    @Test
    void badFlagIsAClearErrorWithExitCode2() {
        Run r = run("--no-such-flag");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("Unknown option") && r.err().contains("--help"), r.err());
        r = run("--temp", "warm");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--temp"), r.err());
    }

    @Test
    void unsupportedArchitectureIsNamed() throws IOException {
        Path src = TestData.model("stories260K.gguf");
        Path p = tmp.resolve("mamba.gguf");
        try (GgufFile f = GgufFile.open(src)) {
            GgufWriter w = new GgufWriter().putAll(f.metadata()).putString("general.architecture", "mamba");
            for (var t : f.tensors().values()) w.addTensor(t.name(), t.type(), t.dims(), t.data());
            w.write(p, null);
        }
        Run r = run("-m", p.toString(), "-n", "1");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("unsupported architecture 'mamba'") && r.err().contains("llama"), r.err());
    }

    @Test
    void notAGgufFileIsNamed() throws IOException {
        Path p = tmp.resolve("notes.txt");
        Files.writeString(p, "these are not weights");
        Run r = run("-m", p.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains(p.toString()) && r.err().contains("not a GGUF file"), r.err());
    }

    @Test
    void versionNamesTheKernelBackend() {
        Run r = run("--version");
        assertEquals(0, r.code());
        assertTrue(r.out().contains("kernels: vector-") && r.out().contains("-bit vectors"), r.out());
    }

    @Test
    void helpExplainsTheOptions() {
        Run r = run("--help");
        assertEquals(0, r.code());
        for (String opt : new String[]{"--model", "--prompt", "--n-predict", "--temp", "--top-k", "--top-p", "--min-p", "--seed", "--threads", "tokenize"})
            assertTrue(r.out().contains(opt), "help mentions " + opt);
    }
}
