package dev.gem.tokenizer.template;

import dev.gem.format.GgufType;
import dev.gem.format.Metadata;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Language details the reference templates lean on, each checked against what Python's Jinja2 gives. */
class ChatTemplateTest {

    private static String render(String template, Map<String, Object> extra) {
        return ChatTemplate.parse(template).render(List.of(), null, false, extra);
    }

    private static String render(String template) {
        return render(template, Map.of());
    }

    @Test
    void whitespaceControlTrimBlocksAndLstripBlocks() {
        assertEquals("a\nb", render("{% if true %}\na\n{% endif %}\nb"));
        assertEquals("x\ny\n", render("x\n    {% if true %}\ny\n    {% endif %}"));
        assertEquals("ab", render("a  \n {{- 'b' }}"));
        assertEquals("a  b", render("a  {{ 'b' }}"), "lstrip_blocks leaves {{ }} alone");
        assertEquals("ab", render("{{ 'a' -}}\n   b"));
        assertEquals("1", render("{# comment #}\n1"));
        assertEquals("  x", render("{%+ if true %}  x{% endif %}".replace("{%+ if true %}", "  {%+ if true %}").substring(2)));
        assertEquals("end", render("end\n"), "one trailing newline is dropped");
    }

    @Test
    void pythonValuesPrintAsPythonPrintsThem() {
        assertEquals("None True False 1.5 1e-05 12300000000000.0 1e+16 [1, 'a', None] {'k': \"it's\"}",
                render("{{ none }} {{ true }} {{ false }} {{ 1.5 }} {{ 0.00001 }} {{ 123.0e11 }} {{ 1e16 }} {{ [1, 'a', none] }} {{ {'k': \"it's\"} }}"));
        assertEquals("3 2.5 2 0 8", render("{{ 1 + 2 }} {{ 5 / 2 }} {{ 5 // 2 }} {{ -7 % 3 - 2 }} {{ 2 ** 3 }}"));
    }

    @Test
    void stringMethodsSlicingAndFilters() {
        assertEquals("x|\n x \n|b,c|True", render("{{ ' x '.strip() }}|{{ '\\n x \\n'.strip(' ') }}|{{ 'a,b,c'.split(',')[1:] | join(',') }}|{{ 'abc'.startswith(('x', 'a')) }}"));
        assertEquals("cba|🦙b|2", render("{{ 'abc'[::-1] }}|{{ '🦙bc'[:2] }}|{{ '🦙b' | length }}"));
        assertEquals("[\"a\", {\"k\": 1, \"é\": [true, null]}]", render("{{ ['a', {'k': 1, 'é': [true, none]}] | tojson }}"));
        assertEquals("{\n  \"a\": 1\n}", render("{{ {'a': 1} | tojson(indent=2) }}"));
        assertEquals("A b|Hello World|x\n    y|d", render("{{ 'a B' | capitalize }}|{{ 'hello world' | title }}|{{ 'x\\ny' | indent }}|{{ undefined_thing | default('d') }}"));
        assertEquals("u2", render("{% set ms = [{'r': 'u'}, {'r': 'a'}, {'r': 'u'}] %}{{ (ms | selectattr('r', 'equalto', 'u') | list)[0].r }}{{ ms | rejectattr('r', 'eq', 'a') | list | length }}"));
        assertEquals("a=1;b=2;", render("{% for k, v in {'a': 1, 'b': 2}.items() %}{{ k }}={{ v }};{% endfor %}"));
    }

    @Test
    void loopsScopesNamespacesAndMacros() {
        assertEquals("1/3F 2/3 3/3L", render("{% for x in [1, 2, 3] %}{{ loop.index }}/{{ loop.length }}{{ 'F' if loop.first }}{{ 'L' if loop.last }}{{ ' ' if not loop.last }}{% endfor %}"));
        assertEquals("0", render("{% set n = 0 %}{% for x in [1, 2] %}{% set n = n + x %}{% endfor %}{{ n }}"), "set in a loop does not leak");
        assertEquals("3", render("{% set ns = namespace(n=0) %}{% for x in [1, 2] %}{% set ns.n = ns.n + x %}{% endfor %}{{ ns.n }}"));
        assertEquals("13", render("{% for x in [1, 2, 3, 4] %}{% if x == 2 %}{% continue %}{% endif %}{% if x == 4 %}{% break %}{% endif %}{{ x }}{% endfor %}"));
        assertEquals("empty", render("{% for x in [] %}{{ x }}{% else %}empty{% endfor %}"));
        assertEquals("<b>hi</b>", render("{% macro b(t, tag='b') %}<{{ tag }}>{{ t }}</{{ tag }}>{% endmacro %}{{ b('hi') }}"));
        assertEquals("AB", render("{% set s %}a{{ 'b' }}{% endset %}{{ s | upper }}"));
        assertEquals("True False True", render("{{ 1 < 2 < 3 }} {{ 1 < 3 < 2 }} {{ 'b' not in ['a'] }}"));
        assertEquals("True True", render("{{ x is defined and x is none }} {{ y is not defined }}", java.util.Collections.singletonMap("x", null)));
    }

    @Test
    void raiseExceptionSurfacesTheTemplatesMessage() {
        TemplateException e = assertThrows(TemplateException.class, () -> render("{{ raise_exception('Roles must alternate') }}"));
        assertTrue(e.raisedByTemplate());
        assertEquals("Roles must alternate", e.getMessage());
    }

    @Test
    void syntaxAndRuntimeErrorsNameLineAndColumn() {
        TemplateException e = assertThrows(TemplateException.class, () -> ChatTemplate.parse("ok\n{% if x %}\n  {{ x + }}\n{% endif %}"));
        assertEquals("chat template line 3:10: unexpected '}}'", e.getMessage());
        assertFalse(e.raisedByTemplate());
        e = assertThrows(TemplateException.class, () -> ChatTemplate.parse("{% for x in y %}never closed"));
        assertTrue(e.getMessage().contains("line 1:") && e.getMessage().contains("endfor"), e.getMessage());
        e = assertThrows(TemplateException.class, () -> render("line one\n{{ 'a' + 1 }}"));
        assertEquals("chat template line 2:8: unsupported operand type(s) for +: 'str' and 'int'", e.getMessage());
        e = assertThrows(TemplateException.class, () -> render("{{ missing.attr }}"));
        assertTrue(e.getMessage().contains("'missing' is undefined"), e.getMessage());
    }

    @Test
    void strftimeNowReadsTheClock() {
        ChatTemplate t = ChatTemplate.parse("{{ strftime_now('%d %b %Y') }}").withClock(() -> LocalDateTime.of(2024, 7, 26, 9, 0));
        assertEquals("26 Jul 2024", t.render(List.of(), null, false, null));
    }

    @Test
    void buildsFromGgufMetadataAndTokenizerConfig() throws IOException {
        Metadata md = new Metadata("chat.gguf");
        md.put("tokenizer.chat_template", GgufType.STRING, "{{ bos_token }}{% for m in messages %}{{ m.content }}{{ eos_token }}{% endfor %}");
        md.putArray("tokenizer.ggml.tokens", GgufType.STRING, new String[] {"<s>", "</s>", "x"});
        md.put("tokenizer.ggml.bos_token_id", GgufType.UINT32, 0L);
        md.put("tokenizer.ggml.eos_token_id", GgufType.UINT32, 1L);
        List<Map<String, Object>> messages = ChatMessages.parse("[{\"role\": \"user\", \"content\": \"hi\"}]");
        assertEquals("<s>hi</s>", ChatTemplate.fromGguf(md).render(messages, null, true, null));

        Path qwen3 = Path.of(System.getProperty("gem.testdata", "../../shared/testdata")).resolve("tokenizers/qwen3/tokenizer_config.json");
        String out = ChatTemplate.fromTokenizerConfig(qwen3).render(messages, null, true, Map.of("enable_thinking", false));
        assertEquals("<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n", out);
    }

    @Test
    void openAiArgumentStringsCanBeParsedIntoObjects() throws IOException {
        List<Map<String, Object>> messages = ChatMessages.parse("""
                [{"role": "assistant", "content": null, "tool_calls": [{"id": "c1", "type": "function",
                  "function": {"name": "f", "arguments": "{\\"x\\": 1}"}}]}]""");
        String template = "{% for c in messages[0].tool_calls %}{{ c.function.arguments | tojson }}{% endfor %}";
        assertEquals("\"{\\\"x\\\": 1}\"", ChatTemplate.parse(template).render(messages, null, false, null));
        assertEquals("{\"x\": 1}", ChatTemplate.parse(template).render(ChatMessages.withParsedArguments(messages), null, false, null));
    }
}
