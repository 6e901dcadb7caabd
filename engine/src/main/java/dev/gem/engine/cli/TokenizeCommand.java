package dev.gem.engine.cli;

import dev.gem.engine.ModelFiles;
import dev.gem.format.ModelFile;
import dev.gem.tokenizer.Tokenizer;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.StringJoiner;
import java.util.concurrent.Callable;

/** {@code gem tokenize}: prints the token ids of a text on one line. Works on vocabulary-only GGUF files. */
@Command(name = "tokenize", mixinStandardHelpOptions = true, sortOptions = false, usageHelpAutoWidth = true,
        description = "Prints the token ids of a text, space-separated on one line.")
public final class TokenizeCommand implements Callable<Integer> {

    static final class Source {
        @Option(names = {"-m", "--model"}, paramLabel = "FILE", required = true, description = "GGUF file (or Hugging Face model folder) whose vocabulary to use (weights not needed)")
        Path model;
        @Option(names = "--tokenizer", paramLabel = "FILE", required = true, description = "a Hugging Face tokenizer.json instead of a GGUF")
        Path tokenizerJson;
    }

    static final class Text {
        @Option(names = {"-p", "--prompt"}, paramLabel = "TEXT", required = true, description = "the text")
        String prompt;
        @Option(names = {"-f", "--file"}, paramLabel = "FILE", required = true, description = "read the text from a file")
        Path file;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Source source;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Text text;

    @Option(names = "--no-bos", description = "do not add the BOS token even if the vocabulary asks for it")
    boolean noBos;

    @Option(names = "--no-parse-special", description = "treat special-token text such as <|eot_id|> as plain text")
    boolean noParseSpecial;

    @Override
    public Integer call() throws Exception {
        String s = text.prompt != null ? text.prompt : Files.readString(text.file, StandardCharsets.UTF_8);
        Tokenizer tok;
        if (source.model != null) {
            try (ModelFile f = ModelFiles.open(source.model)) {
                tok = Tokenizer.fromGguf(f.metadata());
            }
        } else {
            tok = Tokenizer.fromHuggingFace(source.tokenizerJson);
        }
        int[] ids = tok.encode(s, !noBos && tok.addsBos(), !noParseSpecial);
        StringJoiner j = new StringJoiner(" ");
        for (int id : ids) j.add(Integer.toString(id));
        System.out.println(j);
        return 0;
    }
}
