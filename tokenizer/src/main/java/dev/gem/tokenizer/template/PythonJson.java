package dev.gem.tokenizer.template;

import java.util.List;
import java.util.Map;

/**
 * The {@code tojson} filter as transformers defines it: {@code json.dumps(x, ensure_ascii=False, indent=indent,
 * separators=separators, sort_keys=sort_keys)}. So keys keep their order, non-ASCII text is written as is, and the
 * separators are Python's defaults: ", " and ": " without indent, "," and ": " with one. (Jinja2's own tojson would
 * sort keys and escape HTML characters; Hugging Face replaces it.)
 */
final class PythonJson {
    private PythonJson() {}

    static String dumps(Object v, Integer indent, String itemSeparator, String keySeparator, boolean sortKeys) {
        StringBuilder sb = new StringBuilder();
        String items = itemSeparator != null ? itemSeparator : indent != null ? "," : ", ";
        String keys = keySeparator != null ? keySeparator : ": ";
        write(sb, v, indent, items, keys, sortKeys, 0);
        return sb.toString();
    }

    private static void write(StringBuilder sb, Object v, Integer indent, String items, String keys, boolean sort, int depth) {
        switch (v) {
            case null -> sb.append("null");
            case Boolean b -> sb.append(b ? "true" : "false");
            case Long l -> sb.append(l);
            case Double d -> sb.append(Double.isNaN(d) ? "NaN" : Double.isInfinite(d) ? (d > 0 ? "Infinity" : "-Infinity") : PythonValues.floatRepr(d));
            case String s -> string(sb, s);
            case List<?> list -> {
                if (list.isEmpty()) {
                    sb.append("[]");
                    return;
                }
                sb.append('[');
                for (int i = 0; i < list.size(); i++) {
                    if (i > 0) sb.append(items);
                    newline(sb, indent, depth + 1);
                    write(sb, list.get(i), indent, items, keys, sort, depth + 1);
                }
                newline(sb, indent, depth);
                sb.append(']');
            }
            case Map<?, ?> map -> {
                if (map.isEmpty()) {
                    sb.append("{}");
                    return;
                }
                List<? extends Map.Entry<?, ?>> entries = List.copyOf(map.entrySet());
                if (sort) entries = entries.stream().sorted((a, b) -> PythonValues.compare(a.getKey(), b.getKey())).toList();
                sb.append('{');
                boolean first = true;
                for (var e : entries) {
                    if (!first) sb.append(items);
                    first = false;
                    newline(sb, indent, depth + 1);
                    Object key = e.getKey();
                    string(sb, key instanceof String s ? s : PythonValues.str(key));
                    sb.append(keys);
                    write(sb, e.getValue(), indent, items, keys, sort, depth + 1);
                }
                newline(sb, indent, depth);
                sb.append('}');
            }
            case PythonValues.Namespace n -> throw new IllegalArgumentException("Object of type Namespace is not JSON serializable");
            case PythonValues.Undefined u -> throw new IllegalArgumentException("Object of type Undefined is not JSON serializable");
            default -> throw new IllegalArgumentException("Object of type " + PythonValues.typeName(v) + " is not JSON serializable");
        }
    }

    private static void newline(StringBuilder sb, Integer indent, int depth) {
        if (indent == null) return;
        sb.append('\n').append(" ".repeat(indent * depth));
    }

    /** json.dumps string escaping with ensure_ascii=False: only quotes, backslashes and control characters. */
    private static void string(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                default -> {
                    if (c < 0x20) sb.append(String.format("\\u%04x", (int) c));
                    else sb.append(c);
                }
            }
        }
        sb.append('"');
    }
}
