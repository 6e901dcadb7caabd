package dev.gem.tokenizer;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class StreamDecoderTest {

    @Test
    void holdsBackPartialCharactersFromByteFallbackTokens() {
        Tokenizer t = TestData.tokenizer("llama-spm");
        // " 🦙!" = ▁ <0xF0> <0x9F> <0xA6> <0x99> !
        int[] ids = t.encode("🦙!", false, false);
        List<String> parts = new ArrayList<>();
        StreamDecoder d = t.streamDecoder();
        for (int id : ids) parts.add(d.next(id));
        assertEquals(List.of(" ", "", "", "", "🦙", "!"), parts);
        assertEquals("", d.flush());
    }

    @Test
    void holdsBackPartialCharactersSplitAcrossByteLevelTokens() {
        Tokenizer t = TestData.tokenizer("gpt-2");
        String text = " this is 🦙.cpp and Ä and 😶\u200d🌫️";
        StreamDecoder d = t.streamDecoder();
        StringBuilder streamed = new StringBuilder();
        for (int id : t.encode(text, false, false)) {
            String part = d.next(id);
            for (int i = 0; i < part.length(); i++) assertEquals(false, part.charAt(i) == '\uFFFD', "emitted a broken character");
            streamed.append(part);
        }
        streamed.append(d.flush());
        assertEquals(text, streamed.toString());
    }

    @Test
    void keepsTheLeadingSpaceOfAContinuation() {
        Tokenizer t = TestData.tokenizer("stories260K");
        StreamDecoder d = t.streamDecoder();
        assertEquals("", d.next(1)); // BOS is hidden
        assertEquals(" Once", d.next(403));
        assertEquals(" upon", d.next(407));
    }

    @Test
    void flushShowsAnIncompleteTailAsReplacementCharacter() {
        Tokenizer t = TestData.tokenizer("llama-spm");
        StreamDecoder d = t.streamDecoder();
        assertEquals("", d.next(243)); // <0xF0>, the first of four bytes
        assertEquals("", d.next(162));
        assertEquals("\uFFFD", d.flush());
        assertEquals(" A", d.next(t.encode("A", false, false)[0])); // and starts afresh
    }

    @Test
    void rendersControlTokensOnlyWhenAsked() {
        Tokenizer t = TestData.tokenizer("qwen2");
        int imEnd = t.encode("<|im_end|>", false, true)[0];
        assertEquals("", t.streamDecoder().next(imEnd));
        assertEquals("<|im_end|>", t.streamDecoder(true).next(imEnd));
    }
}
