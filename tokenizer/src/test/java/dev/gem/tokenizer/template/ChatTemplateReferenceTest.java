package dev.gem.tokenizer.template;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every template in chat-templates/templates against every conversation, with and without the generation prompt, must
 * give byte for byte the rendering in expected/ (made by render-expected.mjs with @huggingface/jinja, cross-checked
 * with minijinja-js; see the README there), or the same raise_exception message.
 */
class ChatTemplateReferenceTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static Path root() {
        try {
            return Path.of(ChatTemplateReferenceTest.class.getResource("/dev/gem/tokenizer/chat-templates").toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    @TestFactory
    Stream<DynamicTest> rendersEveryTemplateExactlyAsTheReference() throws IOException {
        Path root = root();
        @SuppressWarnings("unchecked")
        Map<String, Map<String, String>> special = JSON.readValue(root.resolve("templates/special-tokens.json").toFile(), Map.class);
        List<DynamicTest> tests = new ArrayList<>();
        try (Stream<Path> templates = Files.list(root.resolve("templates")); Stream<Path> convs = Files.list(root.resolve("conversations"))) {
            List<Path> conversations = convs.sorted().toList();
            for (Path t : templates.filter(p -> p.toString().endsWith(".jinja")).sorted().toList()) {
                String name = t.getFileName().toString().replace(".jinja", "");
                Map<String, String> tokens = special.getOrDefault(name, Map.of());
                ChatTemplate template = ChatTemplate.parse(Files.readString(t)).withSpecialTokens(tokens.get("bos_token"), tokens.get("eos_token"));
                for (Path c : conversations) {
                    for (boolean gen : new boolean[] {false, true}) {
                        String base = c.getFileName().toString().replace(".json", "") + (gen ? ".gen" : ".nogen");
                        tests.add(DynamicTest.dynamicTest(name + " " + base, () -> check(template, root.resolve("expected/" + name), base, c, gen)));
                    }
                }
            }
        }
        return tests.stream();
    }

    @SuppressWarnings("unchecked")
    private static void check(ChatTemplate template, Path expectedDir, String base, Path conversation, boolean gen) throws IOException {
        Map<String, Object> conv = JSON.readValue(conversation.toFile(), Map.class);
        List<Map<String, Object>> messages = ChatMessages.read(conversation);
        List<Map<String, Object>> tools = ChatMessages.readTools(conversation);
        Map<String, Object> extra = (Map<String, Object>) conv.get("extra");
        Path expected = expectedDir.resolve(base + ".txt"), error = expectedDir.resolve(base + ".error.txt");
        if (Files.exists(expected)) {
            assertEquals(Files.readString(expected), template.render(messages, tools, gen, extra));
        } else {
            TemplateException e = assertThrows(TemplateException.class, () -> template.render(messages, tools, gen, extra));
            assertTrue(e.raisedByTemplate(), e.getMessage());
            assertEquals(Files.readString(error), e.getMessage());
        }
    }

    static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
