package dev.gem.tokenizer.template;

import dev.gem.tokenizer.template.PythonValues.Callable;
import dev.gem.tokenizer.template.PythonValues.Namespace;
import dev.gem.tokenizer.template.PythonValues.Undefined;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.gem.tokenizer.template.PythonValues.str;
import static dev.gem.tokenizer.template.PythonValues.truthy;

/** Attribute and item lookup, slicing, and Jinja2's filters and tests as chat templates use them. */
final class Builtins {

    /** {@code obj.name}: a method of str/dict/list when there is one (as Python's getattr finds it first), else the item. */
    Object attribute(Object target, String name) {
        if (target instanceof Undefined u) throw new IllegalArgumentException("'" + u.name() + "' is undefined");
        if (target instanceof Namespace ns) return ns.values.containsKey(name) ? ns.values.get(name) : new Undefined(name);
        Callable method = StringMethods.bind(target, name);
        if (method != null) return method;
        if (target instanceof Map<?, ?> m) return m.containsKey(name) ? m.get(name) : new Undefined(name);
        return new Undefined(name);
    }

    /** {@code obj[key]}: the item first, then (for a string key) the attribute, as Jinja2's getitem does. */
    Object item(Object target, Object key) {
        if (target instanceof Undefined u) throw new IllegalArgumentException("'" + u.name() + "' is undefined");
        if (target instanceof Map<?, ?> m) {
            String k = key instanceof String s ? s : str(key);
            if (m.containsKey(k)) return m.get(k);
            return key instanceof String s ? attribute(target, s) : new Undefined(k);
        }
        if (target instanceof Namespace ns && key instanceof String s) return attribute(ns, s);
        if ((target instanceof List<?> || target instanceof String) && PythonValues.isNumber(key) && !(key instanceof Double)) {
            List<Object> items = target instanceof String s ? PythonValues.iterate(s) : new ArrayList<>((List<?>) target);
            long i = PythonValues.toLong(key);
            if (i < 0) i += items.size();
            return i >= 0 && i < items.size() ? items.get((int) i) : new Undefined(str(key));
        }
        return key instanceof String s ? attribute(target, s) : new Undefined(str(key));
    }

    Object slice(Object target, Object start, Object stop, Object step) {
        boolean isString = target instanceof String;
        List<Object> items = PythonValues.iterate(target);
        int n = items.size();
        long st = step == null ? 1 : PythonValues.toLong(step);
        if (st == 0) throw new IllegalArgumentException("slice step cannot be zero");
        long lo, hi;
        if (st > 0) {
            lo = bound(start, 0, n, false);
            hi = bound(stop, n, n, false);
        } else {
            lo = bound(start, n - 1, n, true);
            hi = bound(stop, -1, n, true);
        }
        List<Object> out = new ArrayList<>();
        for (long i = lo; st > 0 ? i < hi : i > hi; i += st) out.add(items.get((int) i));
        if (!isString) return out;
        StringBuilder sb = new StringBuilder();
        for (Object c : out) sb.append((String) c);
        return sb.toString();
    }

    private static long bound(Object v, long dflt, int n, boolean negativeStep) {
        if (v == null) return dflt;
        long i = PythonValues.toLong(v);
        if (i < 0) i += n;
        if (negativeStep) return Math.max(-1, Math.min(i, n - 1));
        return Math.max(0, Math.min(i, n));
    }

    // ---- filters

    Object filter(String name, Object v, List<Object> args, Map<String, Object> kw, int line, int column) {
        try {
            return applyFilter(name, v, args, kw);
        } catch (IllegalArgumentException | ClassCastException | IndexOutOfBoundsException e) {
            throw TemplateException.at(line, column, "filter '" + name + "': " + e.getMessage());
        }
    }

    private Object applyFilter(String name, Object v, List<Object> args, Map<String, Object> kw) {
        Arguments a = new Arguments(args, kw);
        switch (name) {
            case "default", "d" -> {
                Object dflt = a.get(0, "default_value", "");
                boolean bool = truthy(a.get(1, "boolean", false));
                return v instanceof Undefined || (bool && !truthy(v)) ? dflt : v;
            }
            case "safe", "string" -> { return name.equals("safe") ? v : str(v); }
            case "tojson" -> {
                Object indent = a.get(0, "indent", null);
                Object separators = a.get(1, "separators", null);
                String item = null, key = null;
                if (separators instanceof List<?> seps) {
                    item = (String) seps.get(0);
                    key = (String) seps.get(1);
                }
                return PythonJson.dumps(v, indent == null ? null : (int) PythonValues.toLong(indent), item, key, truthy(a.get(2, "sort_keys", false)));
            }
            default -> { }
        }
        if (v instanceof Undefined u && !name.equals("length") && !name.equals("count") && !name.equals("list") && !name.equals("join")
                && !name.equals("items") && !name.equals("first") && !name.equals("last"))
            throw new IllegalArgumentException("'" + u.name() + "' is undefined");
        return switch (name) {
            case "trim" -> StringMethods.strip(str(v), a.get(0, "chars", null), true, true);
            case "upper" -> str(v).toUpperCase(java.util.Locale.ROOT);
            case "lower" -> str(v).toLowerCase(java.util.Locale.ROOT);
            case "capitalize" -> StringMethods.capitalize(str(v));
            case "title" -> StringMethods.title(str(v));
            case "length", "count" -> PythonValues.length(v);
            case "first" -> { List<Object> l = PythonValues.iterate(v); yield l.isEmpty() ? new Undefined("first") : l.getFirst(); }
            case "last" -> { List<Object> l = PythonValues.iterate(v); yield l.isEmpty() ? new Undefined("last") : l.getLast(); }
            case "list" -> PythonValues.iterate(v);
            case "items" -> {
                List<Object> pairs = new ArrayList<>();
                if (v instanceof Map<?, ?> m) for (var e : m.entrySet()) pairs.add(StringMethods.pair(e.getKey(), e.getValue()));
                yield pairs;
            }
            case "join" -> {
                String sep = str(a.get(0, "d", ""));
                Object attr = a.get(1, "attribute", null);
                StringBuilder sb = new StringBuilder();
                boolean first = true;
                for (Object x : PythonValues.iterate(v)) {
                    if (!first) sb.append(sep);
                    first = false;
                    sb.append(str(attr == null ? x : item(x, attr)));
                }
                yield sb.toString();
            }
            case "replace" -> {
                Object count = a.get(2, "count", null);
                yield StringMethods.replace(str(v), str(a.get(0, "old", "")), str(a.get(1, "new", "")), count == null ? -1 : PythonValues.toLong(count));
            }
            case "indent" -> indent(str(v), a.get(0, "width", 4L), truthy(a.get(1, "first", false)), truthy(a.get(2, "blank", false)));
            case "int" -> toInt(v, a.get(0, "default", 0L));
            case "float" -> toFloat(v, a.get(0, "default", 0.0));
            case "abs" -> v instanceof Double d ? (Object) Math.abs(d) : (Object) Math.abs(PythonValues.toLong(v));
            case "round" -> round(v, (int) PythonValues.toLong(a.get(0, "precision", 0L)), str(a.get(1, "method", "common")));
            case "map" -> map(v, a);
            case "selectattr", "rejectattr", "select", "reject" -> select(name, v, args);
            case "unique" -> {
                List<Object> out = new ArrayList<>();
                for (Object x : PythonValues.iterate(v)) if (out.stream().noneMatch(y -> PythonValues.equal(x, y))) out.add(x);
                yield out;
            }
            case "reverse" -> v instanceof String s ? new StringBuilder(s).reverse().toString() : PythonValues.iterate(v).reversed();
            case "sort" -> {
                List<Object> l = PythonValues.iterate(v);
                Object attr = a.get(2, "attribute", null);
                Comparator<Object> cmp = (x, y) -> PythonValues.compare(attr == null ? x : item(x, attr), attr == null ? y : item(y, attr));
                l.sort(truthy(a.get(0, "reverse", false)) ? cmp.reversed() : cmp);
                yield l;
            }
            case "sum" -> {
                Object total = a.get(1, "start", 0L);
                Object attr = a.get(0, "attribute", null);
                for (Object x : PythonValues.iterate(v)) total = Arithmetic.apply("+", total, attr == null ? x : item(x, attr));
                yield total;
            }
            case "min", "max" -> {
                List<Object> l = PythonValues.iterate(v);
                if (l.isEmpty()) yield new Undefined(name);
                Object best = l.getFirst();
                for (Object x : l) if (name.equals("min") ? PythonValues.compare(x, best) < 0 : PythonValues.compare(x, best) > 0) best = x;
                yield best;
            }
            case "escape", "e" -> str(v).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&#34;").replace("'", "&#39;");
            case "wordcount" -> (long) str(v).split("\\s+", -1).length - (str(v).isBlank() ? 1 : 0);
            default -> throw new IllegalArgumentException("unknown filter");
        };
    }

    /** Jinja2's indent: every line but the first (unless first=True) gets the indent; blank lines only with blank=True. */
    private static String indent(String s, Object width, boolean first, boolean blank) {
        String pad = width instanceof String w ? w : " ".repeat((int) PythonValues.toLong(width));
        List<String> lines = StringMethods.splitlines(s + "\n");
        StringBuilder rv = new StringBuilder();
        if (blank) {
            rv.append(String.join("\n" + pad, lines));
        } else {
            rv.append(lines.getFirst());
            for (int i = 1; i < lines.size(); i++) rv.append('\n').append(lines.get(i).isEmpty() ? "" : pad + lines.get(i));
        }
        return first ? pad + rv : rv.toString();
    }

    private static Object toInt(Object v, Object dflt) {
        if (v instanceof Long || v instanceof Boolean) return PythonValues.toLong(v);
        if (v instanceof Double d) return (long) d.doubleValue();
        try {
            return Long.parseLong(str(v).strip().replace("_", ""));
        } catch (NumberFormatException e) {
            try {
                return (long) Double.parseDouble(str(v).strip());
            } catch (NumberFormatException e2) {
                return dflt;
            }
        }
    }

    private static Object toFloat(Object v, Object dflt) {
        if (PythonValues.isNumber(v)) return PythonValues.toDouble(v);
        try {
            return Double.parseDouble(str(v).strip());
        } catch (NumberFormatException e) {
            return dflt;
        }
    }

    private static Object round(Object v, int precision, String method) {
        double x = PythonValues.toDouble(v), f = Math.pow(10, precision);
        double r = switch (method) {
            case "ceil" -> Math.ceil(x * f) / f;
            case "floor" -> Math.floor(x * f) / f;
            default -> new java.math.BigDecimal(Double.toString(x)).setScale(precision, java.math.RoundingMode.HALF_UP).doubleValue();
        };
        return r;
    }

    private Object map(Object v, Arguments a) {
        List<Object> out = new ArrayList<>();
        Object attr = a.kw.get("attribute");
        for (Object x : PythonValues.iterate(v)) {
            if (attr != null) {
                Object got = item(x, attr);
                out.add(got instanceof Undefined && a.kw.containsKey("default") ? a.kw.get("default") : got);
            } else {
                String filter = str(a.args.getFirst());
                out.add(applyFilter(filter, x, a.args.subList(1, a.args.size()), Map.of()));
            }
        }
        return out;
    }

    /** select/reject(test, args) and selectattr/rejectattr(attribute, test, args); no test means truthiness. */
    private Object select(String name, Object v, List<Object> args) {
        boolean byAttribute = name.endsWith("attr"), keep = name.startsWith("select");
        int testAt = byAttribute ? 1 : 0;
        List<Object> out = new ArrayList<>();
        for (Object x : PythonValues.iterate(v)) {
            Object subject = byAttribute ? item(x, args.getFirst()) : x;
            boolean pass = args.size() > testAt
                    ? test(str(args.get(testAt)), subject, args.subList(testAt + 1, args.size()), 0, 0)
                    : truthy(subject);
            if (pass == keep) out.add(x);
        }
        return out;
    }

    // ---- tests

    boolean test(String name, Object v, List<Object> args, int line, int column) {
        Object arg = args.isEmpty() ? null : args.getFirst();
        return switch (name) {
            case "defined" -> !(v instanceof Undefined);
            case "undefined" -> v instanceof Undefined;
            case "none" -> v == null;
            case "boolean" -> v instanceof Boolean;
            case "true" -> Boolean.TRUE.equals(v);
            case "false" -> Boolean.FALSE.equals(v);
            case "integer" -> v instanceof Long;
            case "float" -> v instanceof Double;
            case "number" -> PythonValues.isNumber(v);
            case "string" -> v instanceof String;
            case "mapping" -> v instanceof Map;
            case "iterable" -> v instanceof String || v instanceof List || v instanceof Map || v instanceof Undefined;
            case "sequence" -> v instanceof String || v instanceof List || v instanceof Map;
            case "callable" -> v instanceof Callable;
            case "sameas" -> v == arg || (v instanceof Boolean && v.equals(arg)) || (v instanceof Long && v.equals(arg));
            case "eq", "equalto", "==" -> PythonValues.equal(v, arg);
            case "ne", "!=" -> !PythonValues.equal(v, arg);
            case "lt", "lessthan", "<" -> PythonValues.compare(v, arg) < 0;
            case "le", "<=" -> PythonValues.compare(v, arg) <= 0;
            case "gt", "greaterthan", ">" -> PythonValues.compare(v, arg) > 0;
            case "ge", ">=" -> PythonValues.compare(v, arg) >= 0;
            case "in" -> Arithmetic.contains(arg, v);
            case "odd" -> PythonValues.toLong(v) % 2 != 0;
            case "even" -> PythonValues.toLong(v) % 2 == 0;
            case "divisibleby" -> PythonValues.toLong(v) % PythonValues.toLong(arg) == 0;
            case "lower" -> v instanceof String s && s.equals(s.toLowerCase(java.util.Locale.ROOT));
            case "upper" -> v instanceof String s && s.equals(s.toUpperCase(java.util.Locale.ROOT));
            case "escaped" -> false;
            default -> throw TemplateException.at(line, column, "unknown test '" + name + "'");
        };
    }

    /** Positional-or-keyword arguments of a filter, as Python binds them. */
    record Arguments(List<Object> args, Map<String, Object> kw) {
        Object get(int position, String name, Object dflt) {
            if (position < args.size()) return args.get(position);
            return kw.containsKey(name) ? kw.get(name) : dflt;
        }
    }

    /** {@code namespace(a=1)} or {@code namespace(some_dict)}. */
    static Namespace namespace(List<Object> args, Map<String, Object> kwargs) {
        Map<String, Object> values = new LinkedHashMap<>();
        if (!args.isEmpty() && args.getFirst() instanceof Map<?, ?> m) m.forEach((k, x) -> values.put(str(k), x));
        values.putAll(kwargs);
        return new Namespace(values);
    }
}
