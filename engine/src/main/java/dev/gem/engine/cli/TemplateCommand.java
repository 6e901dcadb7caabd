package dev.gem.engine.cli;

import dev.gem.format.GgufFile;
import dev.gem.tokenizer.template.ChatMessages;
import dev.gem.tokenizer.template.ChatTemplate;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code gem template}: renders a conversation through a model's chat template, to compare with Hugging Face's rendering. */
@Command(name = "template", mixinStandardHelpOptions = true, sortOptions = false, usageHelpAutoWidth = true,
        description = {"Renders a conversation (OpenAI-style messages JSON) through a chat template and prints the prompt",
                "text exactly as the model would be given it."},
        footer = {"", "Example:", "  gem template -m model.gguf --messages chat.json --add-generation-prompt"})
public final class TemplateCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    static final class Source {
        @Option(names = {"-m", "--model"}, paramLabel = "FILE", required = true, description = "GGUF whose tokenizer.chat_template to use")
        Path model;
        @Option(names = "--tokenizer-config", paramLabel = "FILE", required = true, description = "a Hugging Face tokenizer_config.json")
        Path tokenizerConfig;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Source source;

    @Option(names = "--messages", paramLabel = "FILE", required = true, description = "JSON array of messages (role, content, tool_calls, ...)")
    Path messages;

    @Option(names = "--tools", paramLabel = "FILE", description = "JSON array of tool (function) schemas")
    Path tools;

    @Option(names = "--add-generation-prompt", description = "end with the opening of an assistant turn")
    boolean addGenerationPrompt;

    @Override
    public Integer call() throws Exception {
        ChatTemplate template;
        if (source.model != null) {
            try (GgufFile f = GgufFile.open(source.model)) {
                if (!f.metadata().has("tokenizer.chat_template"))
                    throw new IllegalArgumentException(source.model + " has no chat template (tokenizer.chat_template)");
                template = ChatTemplate.fromGguf(f.metadata());
            }
        } else {
            template = ChatTemplate.fromTokenizerConfig(source.tokenizerConfig);
        }
        List<Map<String, Object>> msgs = ChatMessages.read(messages);
        List<Map<String, Object>> toolList = tools == null ? null : ChatMessages.readTools(tools);
        var out = spec.commandLine().getOut();
        out.print(template.render(msgs, toolList, addGenerationPrompt, null));
        out.flush();
        return 0;
    }
}
