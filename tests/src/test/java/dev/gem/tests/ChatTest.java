package dev.gem.tests;

import dev.gem.engine.Chat;
import dev.gem.engine.ChatReply;
import dev.gem.engine.GenerateOptions;
import dev.gem.engine.Model;
import dev.gem.engine.ModelOptions;
import dev.gem.engine.Session;
import dev.gem.engine.sample.SamplerSettings;
import dev.gem.engine.synth.Shape;
import dev.gem.engine.synth.SyntheticModel;
import dev.gem.tensor.DType;
import dev.gem.tokenizer.HuggingFaceGgufMetadata;
import dev.gem.tokenizer.template.ChatTemplate;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Chat on a small random-weight model that carries Qwen3's real vocabulary and chat template (written by gem synth),
 * so rendering, special-token parsing, cache reuse across turns and context-full handling run for real.
 */
class ChatTest {
    @TempDir
    static Path dir;
    static Path model;

    @BeforeAll
    static void writeModel() throws IOException {
        model = dir.resolve("qwen3-chat.gguf");
        var vocab = HuggingFaceGgufMetadata.toMetadata(
                HuggingFaceGgufMetadata.entries(TestData.root().resolve("tokenizers/qwen3/tokenizer.json")), "qwen3");
        SyntheticModel.write(Shape.NAMED.get("tiny-qwen3"), DType.F32, vocab, 3000, 5, model, null);
    }

    static GenerateOptions greedy(int n) {
        return GenerateOptions.defaults().withMaxTokens(n).withSampler(SamplerSettings.greedy());
    }

    @Test
    void turnsReuseTheCacheAndMatchAFreshRenderingBitForBit() throws IOException {
        try (Model m = Model.load(model, ModelOptions.defaults().withThreads(2)); Chat chat = Chat.open(m)) {
            assertFalse(chat.usesDefaultTemplate());
            chat.system("You are terse.");
            ChatReply first = chat.send("Hello there", greedy(8), null);
            ChatReply second = chat.send("And again?", greedy(8), null);
            assertEquals(5, chat.messages().size());
            assertEquals(first.text(), chat.messages().get(2).get("content"));
            // The second turn fed only the new part; the same conversation rendered and fed from scratch must produce
            // the same reply, token for token.
            String rendered = ChatTemplate.fromGguf(m.file().metadata()).render(chat.messages().subList(0, 4), null, true, null);
            assertTrue(rendered.startsWith("<|im_start|>system\nYou are terse.<|im_end|>\n<|im_start|>user\nHello there<|im_end|>"), rendered);
            int[] ids = m.tokenizer().encode(rendered, false, true);
            assertTrue(second.generation().promptTokens() < ids.length, "the second turn should reuse the cached prefix, fed "
                    + second.generation().promptTokens() + " of " + ids.length);
            try (Session fresh = m.newSession()) {
                var r = fresh.generate(ids, greedy(8).withAddBos(false), null);
                assertArrayEquals(r.tokens(), second.generation().tokens());
            }
        }
    }

    @Test
    void aFullContextDropsTheOldestTurnsAndATooLongMessageIsAClearError() throws IOException {
        try (Model m = Model.load(model, ModelOptions.defaults().withThreads(1).withContextSize(96)); Chat chat = Chat.open(m)) {
            chat.system("Be brief.");
            for (int i = 0; i < 8; i++) chat.send("message number " + i + " with a few words", greedy(6), null);
            assertEquals("system", chat.messages().getFirst().get("role"), "the system message is kept");
            assertTrue(chat.messages().size() < 1 + 2 * 8, "old turns were dropped: " + chat.messages().size());
            assertEquals("message number 7 with a few words", chat.messages().get(chat.messages().size() - 2).get("content"));
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> chat.send("word ".repeat(200), greedy(4), null));
            assertTrue(e.getMessage().contains("does not fit in the context of 96 tokens"), e.getMessage());
            chat.send("still works", greedy(2), null);
        }
    }

    @Test
    void templateCommandRendersLikeHuggingFace() throws IOException {
        Path res = Path.of("..", "tokenizer", "src", "test", "resources", "dev", "gem", "tokenizer", "chat-templates");
        CliTest.Run r = CliTest.run("template", "-m", model.toString(), "--messages",
                res.resolve("conversations/multi-turn.json").toString(), "--add-generation-prompt");
        assertEquals(0, r.code(), r.err());
        assertEquals(Files.readString(expected(res, "multi-turn", true)), r.out());
    }

    static Path expected(Path res, String conversation, boolean generationPrompt) {
        return res.resolve("expected/qwen3/" + conversation + (generationPrompt ? ".gen.txt" : ".nogen.txt"));
    }
}
