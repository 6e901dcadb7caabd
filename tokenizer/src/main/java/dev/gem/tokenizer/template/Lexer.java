package dev.gem.tokenizer.template;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a template into text and tag tokens the way Jinja2's lexer does for Hugging Face's environment
 * ({@code trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=False}):
 * <ul>
 *   <li>{@code {%-}, {@code {{-}, {@code {#-} strip all whitespace before the tag; {@code -%}} etc. all whitespace after;</li>
 *   <li>trim_blocks: the first newline after a block or comment tag ({@code %}}, {@code #}}, not {@code }}}) is dropped;</li>
 *   <li>lstrip_blocks: spaces and tabs from the start of a line up to a block or comment tag are dropped
 *       ({@code {%+} keeps them);</li>
 *   <li>one trailing newline at the end of the template is dropped.</li>
 * </ul>
 */
final class Lexer {
    private static final String[] OPERATORS = {"//", "**", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "~", "<", ">",
            "=", "(", ")", "[", "]", "{", "}", ",", ".", ":", "|"};

    private final String src;
    private final List<Token> out = new ArrayList<>();
    private final int[] lineStarts;
    private int pos;

    private Lexer(String source) {
        String s = source.replace("\r\n", "\n").replace('\r', '\n');
        if (s.endsWith("\n")) s = s.substring(0, s.length() - 1);
        src = s;
        List<Integer> starts = new ArrayList<>(List.of(0));
        for (int i = 0; i < s.length(); i++) if (s.charAt(i) == '\n') starts.add(i + 1);
        lineStarts = starts.stream().mapToInt(Integer::intValue).toArray();
    }

    static List<Token> tokenize(String source) {
        Lexer lexer = new Lexer(source);
        lexer.run();
        return lexer.out;
    }

    private void run() {
        boolean lineStarting = true;
        while (pos < src.length()) {
            int start = nextTagStart(pos);
            if (start < 0) {
                emit(Token.Kind.TEXT, src.substring(pos), pos);
                break;
            }
            String text = src.substring(pos, start);
            char type = src.charAt(start + 1);
            char modifier = start + 2 < src.length() ? src.charAt(start + 2) : 0;
            if (modifier == '-') {
                text = text.stripTrailing();
            } else if (modifier != '+' && type != '{') {
                int lineStart = text.lastIndexOf('\n') + 1;
                String tail = text.substring(lineStart);
                if ((lineStart > 0 || lineStarting) && !tail.isEmpty() && tail.isBlank()) text = text.substring(0, lineStart);
            }
            if (!text.isEmpty()) emit(Token.Kind.TEXT, text, pos);
            pos = start + 2 + (modifier == '-' || modifier == '+' ? 1 : 0);
            String consumed;
            if (type == '#') {
                int end = src.indexOf("#}", pos);
                if (end < 0) throw error(start, "unclosed comment");
                pos = end + 2;
                consumed = afterClose(end, true);
            } else if (type == '%' && isRaw()) {
                consumed = raw(start);
            } else {
                emit(type == '{' ? Token.Kind.OUTPUT_START : Token.Kind.BLOCK_START, type == '{' ? "{{" : "{%", start);
                consumed = expressionTokens(type == '{' ? "}}" : "%}", start);
            }
            lineStarting = consumed.endsWith("\n");
        }
        emit(Token.Kind.EOF, "", src.length());
    }

    private int nextTagStart(int from) {
        for (int i = src.indexOf('{', from); i >= 0 && i + 1 < src.length(); i = src.indexOf('{', i + 1)) {
            char c = src.charAt(i + 1);
            if (c == '{' || c == '%' || c == '#') return i;
        }
        return -1;
    }

    /** Lexes the inside of a tag up to its closing delimiter; returns what the close consumed after itself. */
    private String expressionTokens(String close, int tagStart) {
        int depth = 0; // brackets open inside the tag: "}}" in {{ {'a': {'b': 1}} }} closes a dict, not the tag
        while (true) {
            while (pos < src.length() && Character.isWhitespace(src.charAt(pos))) pos++;
            if (pos >= src.length()) throw error(tagStart, "unclosed tag (expected '" + close + "')");
            boolean strip = src.startsWith("-" + close, pos), keep = src.startsWith("+" + close, pos);
            if (depth == 0 && (strip || keep || src.startsWith(close, pos))) {
                int closeAt = pos + (strip || keep ? 1 : 0);
                emit(close.equals("}}") ? Token.Kind.OUTPUT_END : Token.Kind.BLOCK_END, close, closeAt);
                pos = closeAt + 2;
                if (strip) return skipWhitespace();
                return close.equals("%}") && !keep ? trimNewline() : "";
            }
            char c = src.charAt(pos);
            if (c == '\'' || c == '"') string(c);
            else if (Character.isDigit(c)) number();
            else if (Character.isLetter(c) || c == '_') {
                int s = pos;
                while (pos < src.length() && (Character.isLetterOrDigit(src.charAt(pos)) || src.charAt(pos) == '_')) pos++;
                emit(Token.Kind.NAME, src.substring(s, pos), s);
            } else {
                String op = null;
                for (String o : OPERATORS) if (src.startsWith(o, pos)) { op = o; break; }
                if (op == null) throw error(pos, "unexpected character '" + c + "'");
                if (op.equals("(") || op.equals("[") || op.equals("{")) depth++;
                if ((op.equals(")") || op.equals("]") || op.equals("}")) && depth > 0) depth--;
                emit(Token.Kind.OPERATOR, op, pos);
                pos += op.length();
            }
        }
    }

    private String afterClose(int closeAt, boolean trims) {
        if (src.charAt(closeAt - 1) == '-' && closeAt - 1 >= 0) return skipWhitespace();
        return trims && src.charAt(closeAt - 1) != '+' ? trimNewline() : "";
    }

    private String skipWhitespace() {
        int s = pos;
        while (pos < src.length() && Character.isWhitespace(src.charAt(pos))) pos++;
        return src.substring(s, pos);
    }

    private String trimNewline() {
        if (pos < src.length() && src.charAt(pos) == '\n') {
            pos++;
            return "\n";
        }
        return "";
    }

    private boolean isRaw() {
        int p = pos;
        while (p < src.length() && Character.isWhitespace(src.charAt(p))) p++;
        return src.startsWith("raw", p) && !Character.isLetterOrDigit(src.charAt(Math.min(p + 3, src.length() - 1)));
    }

    /** {% raw %}...{% endraw %}: the body is text, whitespace control applying at both tags. */
    private String raw(int tagStart) {
        int close = src.indexOf("%}", pos);
        if (close < 0) throw error(tagStart, "unclosed raw tag");
        pos = close + 2;
        afterClose(close, true);
        int end = pos;
        while (true) {
            end = src.indexOf("{%", end);
            if (end < 0) throw error(tagStart, "missing endraw");
            int p = end + 2 + (end + 2 < src.length() && (src.charAt(end + 2) == '-' || src.charAt(end + 2) == '+') ? 1 : 0);
            while (p < src.length() && Character.isWhitespace(src.charAt(p))) p++;
            if (src.startsWith("endraw", p)) break;
            end += 2;
        }
        String body = src.substring(pos, end);
        if (src.charAt(end + 2) == '-') body = body.stripTrailing();
        if (!body.isEmpty()) emit(Token.Kind.TEXT, body, pos);
        int endClose = src.indexOf("%}", end);
        pos = endClose + 2;
        return afterClose(endClose, true);
    }

    private void string(char quote) {
        int s = pos++;
        StringBuilder sb = new StringBuilder();
        while (true) {
            if (pos >= src.length()) throw error(s, "unterminated string");
            char c = src.charAt(pos++);
            if (c == quote) break;
            if (c != '\\') {
                sb.append(c);
                continue;
            }
            if (pos >= src.length()) throw error(s, "unterminated string");
            char e = src.charAt(pos++);
            switch (e) {
                case 'n' -> sb.append('\n');
                case 't' -> sb.append('\t');
                case 'r' -> sb.append('\r');
                case 'b' -> sb.append('\b');
                case 'f' -> sb.append('\f');
                case 'v' -> sb.append('\u000B');
                case 'a' -> sb.append('\u0007');
                case '0' -> sb.append('\0');
                case '\\', '\'', '"' -> sb.append(e);
                case '\n' -> { } // a backslash-newline continues the line
                case 'x' -> sb.append((char) hex(2, s));
                case 'u' -> sb.append((char) hex(4, s));
                case 'U' -> sb.appendCodePoint(hex(8, s));
                default -> sb.append('\\').append(e); // Python keeps unknown escapes as written
            }
        }
        emit(Token.Kind.STRING, sb.toString(), s);
    }

    private int hex(int digits, int at) {
        if (pos + digits > src.length()) throw error(at, "truncated escape in string");
        int v = Integer.parseInt(src.substring(pos, pos + digits), 16);
        pos += digits;
        return v;
    }

    private void number() {
        int s = pos;
        boolean isFloat = false;
        while (pos < src.length() && (Character.isDigit(src.charAt(pos)) || src.charAt(pos) == '_')) pos++;
        if (pos + 1 < src.length() && src.charAt(pos) == '.' && Character.isDigit(src.charAt(pos + 1))) {
            isFloat = true;
            pos++;
            while (pos < src.length() && (Character.isDigit(src.charAt(pos)) || src.charAt(pos) == '_')) pos++;
        }
        if (pos < src.length() && (src.charAt(pos) == 'e' || src.charAt(pos) == 'E')) {
            int p = pos + 1;
            if (p < src.length() && (src.charAt(p) == '+' || src.charAt(p) == '-')) p++;
            if (p < src.length() && Character.isDigit(src.charAt(p))) {
                isFloat = true;
                pos = p;
                while (pos < src.length() && Character.isDigit(src.charAt(pos))) pos++;
            }
        }
        emit(isFloat ? Token.Kind.FLOAT : Token.Kind.INTEGER, src.substring(s, pos).replace("_", ""), s);
    }

    private void emit(Token.Kind kind, String text, int offset) {
        int line = line(offset);
        out.add(new Token(kind, text, line, offset - lineStarts[line - 1] + 1));
    }

    private int line(int offset) {
        int lo = 0, hi = lineStarts.length - 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (lineStarts[mid] <= offset) lo = mid; else hi = mid - 1;
        }
        return lo + 1;
    }

    private TemplateException error(int offset, String message) {
        int line = line(offset);
        return TemplateException.at(line, offset - lineStarts[line - 1] + 1, message);
    }
}
