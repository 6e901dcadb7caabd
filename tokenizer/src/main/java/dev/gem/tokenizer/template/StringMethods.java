package dev.gem.tokenizer.template;

import dev.gem.tokenizer.template.PythonValues.Callable;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static dev.gem.tokenizer.template.PythonValues.str;

/**
 * The Python methods templates call on values: str (strip, split, startswith, ...), dict (items, keys, values, get) and
 * list (index, count). Mutating list/dict methods are absent, as in transformers' immutable sandbox.
 */
final class StringMethods {
    private StringMethods() {}

    /** The bound method {@code target.name}, or null when the type has no such method. */
    static Callable bind(Object target, String name) {
        if (target instanceof String s) return stringMethod(s, name);
        if (target instanceof Map<?, ?> m) {
            return switch (name) {
                case "items" -> (a, k) -> {
                    List<Object> pairs = new ArrayList<>();
                    for (var e : m.entrySet()) pairs.add(pair(e.getKey(), e.getValue()));
                    return pairs;
                };
                case "keys" -> (a, k) -> new ArrayList<Object>(m.keySet());
                case "values" -> (a, k) -> new ArrayList<Object>(m.values());
                case "get" -> (a, k) -> {
                    Object key = a.getFirst();
                    return m.containsKey(key) ? m.get(key) : a.size() > 1 ? a.get(1) : null;
                };
                default -> null;
            };
        }
        if (target instanceof List<?> l) {
            return switch (name) {
                case "index" -> (a, k) -> {
                    for (int i = 0; i < l.size(); i++) if (PythonValues.equal(l.get(i), a.getFirst())) return (long) i;
                    throw new IllegalArgumentException(PythonValues.repr(a.getFirst()) + " is not in list");
                };
                case "count" -> (a, k) -> l.stream().filter(x -> PythonValues.equal(x, a.getFirst())).count();
                default -> null;
            };
        }
        return null;
    }

    static List<Object> pair(Object key, Object value) {
        List<Object> pair = new ArrayList<>(2);
        pair.add(key);
        pair.add(value);
        return pair;
    }

    private static Callable stringMethod(String s, String name) {
        return switch (name) {
            case "strip" -> (a, k) -> strip(s, arg(a, 0), true, true);
            case "lstrip" -> (a, k) -> strip(s, arg(a, 0), true, false);
            case "rstrip" -> (a, k) -> strip(s, arg(a, 0), false, true);
            case "split" -> (a, k) -> split(s, arg(a, 0, k, "sep"), maxsplit(a, k));
            case "startswith" -> (a, k) -> affix(s, a.getFirst(), true);
            case "endswith" -> (a, k) -> affix(s, a.getFirst(), false);
            case "upper" -> (a, k) -> s.toUpperCase(Locale.ROOT);
            case "lower" -> (a, k) -> s.toLowerCase(Locale.ROOT);
            case "title" -> (a, k) -> title(s);
            case "capitalize" -> (a, k) -> capitalize(s);
            case "replace" -> (a, k) -> replace(s, str(a.get(0)), str(a.get(1)), a.size() > 2 ? PythonValues.toLong(a.get(2)) : -1);
            case "find" -> (a, k) -> (long) codePointIndex(s, s.indexOf(str(a.getFirst())));
            case "rfind" -> (a, k) -> (long) codePointIndex(s, s.lastIndexOf(str(a.getFirst())));
            case "count" -> (a, k) -> (long) count(s, str(a.getFirst()));
            case "join" -> (a, k) -> {
                List<String> parts = new ArrayList<>();
                for (Object x : PythonValues.iterate(a.getFirst())) parts.add(str(x));
                return String.join(s, parts);
            };
            case "splitlines" -> (a, k) -> new ArrayList<Object>(splitlines(s));
            case "removeprefix" -> (a, k) -> s.startsWith(str(a.getFirst())) ? s.substring(str(a.getFirst()).length()) : s;
            case "removesuffix" -> (a, k) -> s.endsWith(str(a.getFirst())) && !str(a.getFirst()).isEmpty() ? s.substring(0, s.length() - str(a.getFirst()).length()) : s;
            case "isdigit" -> (a, k) -> !s.isEmpty() && s.codePoints().allMatch(Character::isDigit);
            case "isalpha" -> (a, k) -> !s.isEmpty() && s.codePoints().allMatch(Character::isLetter);
            case "isalnum" -> (a, k) -> !s.isEmpty() && s.codePoints().allMatch(Character::isLetterOrDigit);
            case "isspace" -> (a, k) -> !s.isEmpty() && s.codePoints().allMatch(StringMethods::isPythonSpace);
            case "islower" -> (a, k) -> s.chars().anyMatch(Character::isLetter) && s.equals(s.toLowerCase(Locale.ROOT));
            case "isupper" -> (a, k) -> s.chars().anyMatch(Character::isLetter) && s.equals(s.toUpperCase(Locale.ROOT));
            default -> null;
        };
    }

    private static Object arg(List<Object> a, int i) {
        return i < a.size() ? a.get(i) : null;
    }

    private static Object arg(List<Object> a, int i, Map<String, Object> k, String name) {
        return i < a.size() ? a.get(i) : k.get(name);
    }

    private static long maxsplit(List<Object> a, Map<String, Object> k) {
        Object m = arg(a, 1, k, "maxsplit");
        return m == null ? -1 : PythonValues.toLong(m);
    }

    /** Python's whitespace for str.strip()/split(): Unicode White_Space plus the ASCII separators 0x1c-0x1f. */
    static boolean isPythonSpace(int c) {
        return Character.isWhitespace(c) || Character.isSpaceChar(c) || c == 0x85 || (c >= 0x1c && c <= 0x1f);
    }

    /** str.strip(chars): with chars None, whitespace; otherwise exactly those characters. */
    static String strip(String s, Object chars, boolean left, boolean right) {
        String set = chars == null ? null : str(chars);
        int[] cps = s.codePoints().toArray();
        int lo = 0, hi = cps.length;
        while (left && lo < hi && strippable(cps[lo], set)) lo++;
        while (right && hi > lo && strippable(cps[hi - 1], set)) hi--;
        return new String(cps, lo, hi - lo);
    }

    private static boolean strippable(int c, String set) {
        return set == null ? isPythonSpace(c) : set.codePoints().anyMatch(x -> x == c);
    }

    static List<Object> split(String s, Object sep, long maxsplit) {
        List<Object> out = new ArrayList<>();
        if (sep == null) {
            int i = 0, n = s.length();
            while (true) {
                while (i < n && isPythonSpace(s.charAt(i))) i++;
                if (i >= n) break;
                if (maxsplit >= 0 && out.size() == maxsplit) {
                    out.add(strip(s.substring(i), null, false, true));
                    break;
                }
                int j = i;
                while (j < n && !isPythonSpace(s.charAt(j))) j++;
                out.add(s.substring(i, j));
                i = j;
            }
            return out;
        }
        String d = str(sep);
        if (d.isEmpty()) throw new IllegalArgumentException("empty separator");
        int from = 0;
        while (maxsplit < 0 || out.size() < maxsplit) {
            int at = s.indexOf(d, from);
            if (at < 0) break;
            out.add(s.substring(from, at));
            from = at + d.length();
        }
        out.add(s.substring(from));
        return out;
    }

    private static boolean affix(String s, Object x, boolean prefix) {
        if (x instanceof List<?> options) {
            for (Object o : options) if (prefix ? s.startsWith(str(o)) : s.endsWith(str(o))) return true;
            return false;
        }
        return prefix ? s.startsWith(str(x)) : s.endsWith(str(x));
    }

    static String replace(String s, String old, String now, long count) {
        if (count < 0) return s.replace(old, now);
        StringBuilder sb = new StringBuilder();
        int from = 0;
        for (long done = 0; done < count; done++) {
            int at = s.indexOf(old, from);
            if (at < 0) break;
            sb.append(s, from, at).append(now);
            from = at + old.length();
            if (old.isEmpty()) {
                if (from < s.length()) sb.append(s.charAt(from));
                from++;
            }
        }
        if (from <= s.length()) sb.append(s.substring(Math.min(from, s.length())));
        return sb.toString();
    }

    static String capitalize(String s) {
        if (s.isEmpty()) return s;
        int first = s.codePointAt(0), len = Character.charCount(first);
        return Character.toString(Character.toTitleCase(first)) + s.substring(len).toLowerCase(Locale.ROOT);
    }

    /** Python's str.title(): a letter after a non-letter is upper-cased, every other letter lower-cased. */
    static String title(String s) {
        StringBuilder sb = new StringBuilder();
        boolean previousCased = false;
        for (int c : s.codePoints().toArray()) {
            boolean letter = Character.isLetter(c);
            sb.appendCodePoint(letter ? (previousCased ? Character.toLowerCase(c) : Character.toTitleCase(c)) : c);
            previousCased = letter;
        }
        return sb.toString();
    }

    /** str.splitlines() without keepends. */
    static List<String> splitlines(String s) {
        List<String> lines = new ArrayList<>();
        int start = 0, i = 0;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c == '\n' || c == '\r' || c == '\u000B' || c == '\f' || c == 0x1c || c == 0x1d || c == 0x1e || c == 0x85 || c == '\u2028' || c == '\u2029') {
                lines.add(s.substring(start, i));
                i += (c == '\r' && i + 1 < s.length() && s.charAt(i + 1) == '\n') ? 2 : 1;
                start = i;
            } else {
                i++;
            }
        }
        if (start < s.length()) lines.add(s.substring(start));
        return lines;
    }

    private static int count(String s, String sub) {
        if (sub.isEmpty()) return s.codePointCount(0, s.length()) + 1;
        int n = 0;
        for (int at = s.indexOf(sub); at >= 0; at = s.indexOf(sub, at + sub.length())) n++;
        return n;
    }

    private static int codePointIndex(String s, int charIndex) {
        return charIndex < 0 ? -1 : s.codePointCount(0, charIndex);
    }
}
