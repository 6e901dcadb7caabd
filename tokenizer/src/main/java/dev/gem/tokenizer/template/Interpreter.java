package dev.gem.tokenizer.template;

import dev.gem.tokenizer.template.Node.*;
import dev.gem.tokenizer.template.PythonValues.Callable;
import dev.gem.tokenizer.template.PythonValues.Namespace;
import dev.gem.tokenizer.template.PythonValues.Undefined;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.gem.tokenizer.template.PythonValues.truthy;

/** Walks the syntax tree with Jinja2's scoping: a for loop's body gets a fresh scope per iteration, if does not. */
final class Interpreter {
    /** Thrown by break/continue to the innermost for loop; no stack trace, it is control flow. */
    private static final class LoopSignal extends RuntimeException {
        final boolean isBreak;

        LoopSignal(boolean isBreak) {
            super(null, null, false, false);
            this.isBreak = isBreak;
        }
    }

    private static final LoopSignal BREAK = new LoopSignal(true), CONTINUE = new LoopSignal(false);

    /** Variables of one scope; lookups fall back to the enclosing one. */
    static final class Scope {
        final Map<String, Object> vars = new HashMap<>();
        final Scope parent;

        Scope(Scope parent) {
            this.parent = parent;
        }

        Object lookup(String name) {
            for (Scope s = this; s != null; s = s.parent) if (s.vars.containsKey(name)) return s.vars.get(name);
            return new Undefined(name);
        }
    }

    private final Builtins builtins;
    private StringBuilder out = new StringBuilder();

    Interpreter(Builtins builtins) {
        this.builtins = builtins;
    }

    String render(List<Node> template, Scope globals) {
        out = new StringBuilder();
        try {
            execute(template, new Scope(globals));
        } catch (LoopSignal s) {
            throw new TemplateException("chat template: " + (s.isBreak ? "break" : "continue") + " outside a for loop", false);
        }
        return out.toString();
    }

    // ---- statements

    private void execute(List<Node> nodes, Scope scope) {
        for (Node n : nodes) execute(n, scope);
    }

    private void execute(Node node, Scope scope) {
        switch (node) {
            case Text t -> out.append(t.text());
            case Output o -> out.append(PythonValues.str(eval(o.value(), scope)));
            case If i -> {
                for (int k = 0; k < i.conditions().size(); k++) {
                    if (truthy(eval(i.conditions().get(k), scope))) {
                        execute(i.bodies().get(k), scope);
                        return;
                    }
                }
                execute(i.otherwise(), scope);
            }
            case For f -> forLoop(f, scope);
            case Assign s -> assign(s, scope);
            case Macro m -> scope.vars.put(m.name(), macro(m, scope));
            case LoopControl c -> throw c.isBreak() ? BREAK : CONTINUE;
            case Block b -> execute(b.body(), scope);
            case FilterBlock f -> {
                String text = capture(f.body(), scope);
                List<Object> args = new ArrayList<>();
                for (Expr a : f.args()) args.add(eval(a, scope));
                out.append(PythonValues.str(builtins.filter(f.filter(), text, args, Map.of(), f.line(), 0)));
            }
            case Expr e -> out.append(PythonValues.str(eval(e, scope)));
        }
    }

    private String capture(List<Node> body, Scope scope) {
        StringBuilder saved = out;
        out = new StringBuilder();
        try {
            execute(body, scope);
            return out.toString();
        } finally {
            out = saved;
        }
    }

    private void forLoop(For f, Scope scope) {
        Object iterable = eval(f.iterable(), scope);
        List<Object> items;
        try {
            items = PythonValues.iterate(iterable);
        } catch (IllegalArgumentException e) {
            throw TemplateException.at(f.line(), 1, e.getMessage());
        }
        if (f.filter() != null) {
            List<Object> kept = new ArrayList<>();
            for (Object item : items) {
                Scope s = new Scope(scope);
                bind(f.targets(), item, s, f.line());
                if (truthy(eval(f.filter(), s))) kept.add(item);
            }
            items = kept;
        }
        if (items.isEmpty()) {
            execute(f.otherwise(), scope);
            return;
        }
        int n = items.size();
        for (int i = 0; i < n; i++) {
            Scope s = new Scope(scope);
            bind(f.targets(), items.get(i), s, f.line());
            s.vars.put("loop", loopObject(items, i));
            try {
                execute(f.body(), s);
            } catch (LoopSignal signal) {
                if (signal.isBreak) break;
            }
        }
    }

    private Map<String, Object> loopObject(List<Object> items, int i) {
        int n = items.size();
        Map<String, Object> loop = new LinkedHashMap<>();
        loop.put("index", (long) i + 1);
        loop.put("index0", (long) i);
        loop.put("revindex", (long) (n - i));
        loop.put("revindex0", (long) (n - i - 1));
        loop.put("first", i == 0);
        loop.put("last", i == n - 1);
        loop.put("length", (long) n);
        loop.put("depth", 1L);
        loop.put("depth0", 0L);
        loop.put("previtem", i > 0 ? items.get(i - 1) : new Undefined("previtem"));
        loop.put("nextitem", i + 1 < n ? items.get(i + 1) : new Undefined("nextitem"));
        loop.put("cycle", (Callable) (args, kwargs) -> args.isEmpty() ? new Undefined("cycle") : args.get(i % args.size()));
        return loop;
    }

    private void bind(List<String> targets, Object value, Scope scope, int line) {
        if (targets.size() == 1) {
            scope.vars.put(targets.getFirst(), value);
            return;
        }
        List<Object> parts;
        try {
            parts = PythonValues.iterate(value);
        } catch (IllegalArgumentException e) {
            throw TemplateException.at(line, 1, "cannot unpack " + PythonValues.typeName(value));
        }
        if (parts.size() != targets.size())
            throw TemplateException.at(line, 1, "expected " + targets.size() + " values to unpack, got " + parts.size());
        for (int i = 0; i < targets.size(); i++) scope.vars.put(targets.get(i), parts.get(i));
    }

    private void assign(Assign s, Scope scope) {
        Object value = s.value() != null ? eval(s.value(), scope) : capture(s.body(), scope);
        if (s.attribute() != null) {
            Object target = scope.lookup(s.targets().getFirst());
            if (!(target instanceof Namespace ns))
                throw TemplateException.at(s.line(), 1, "cannot assign attribute on non-namespace object '" + s.targets().getFirst() + "'");
            ns.values.put(s.attribute(), value);
            return;
        }
        bind(s.targets(), value, scope, s.line());
    }

    private Callable macro(Macro m, Scope definedIn) {
        return (args, kwargs) -> {
            Scope s = new Scope(definedIn);
            if (args.size() > m.params().size()) throw new IllegalArgumentException("macro '" + m.name() + "' takes " + m.params().size() + " arguments");
            int firstDefault = m.params().size() - m.defaults().size();
            for (int i = 0; i < m.params().size(); i++) {
                String p = m.params().get(i);
                Object v = i < args.size() ? args.get(i) : kwargs.containsKey(p) ? kwargs.get(p)
                        : i >= firstDefault ? eval(m.defaults().get(i - firstDefault), s) : new Undefined(p);
                s.vars.put(p, v);
            }
            return capture(m.body(), s);
        };
    }

    // ---- expressions

    Object eval(Expr e, Scope scope) {
        return switch (e) {
            case Literal l -> l.value();
            case Name n -> scope.lookup(n.name());
            case ListExpr l -> evalAll(l.items(), scope);
            case TupleExpr t -> evalAll(t.items(), scope);
            case DictExpr d -> {
                Map<String, Object> m = new LinkedHashMap<>();
                for (int i = 0; i < d.keys().size(); i++) m.put(PythonValues.str(eval(d.keys().get(i), scope)), eval(d.values().get(i), scope));
                yield m;
            }
            case Attribute a -> guarded(a.line(), a.column(), () -> builtins.attribute(eval(a.target(), scope), a.name()));
            case Subscript s -> guarded(s.line(), s.column(), () -> builtins.item(eval(s.target(), scope), eval(s.index(), scope)));
            case Slice s -> builtins.slice(eval(s.target(), scope), optional(s.start(), scope), optional(s.stop(), scope), optional(s.step(), scope));
            case Call c -> call(c, scope);
            case Filter f -> {
                Object value = eval(f.value(), scope);
                List<Object> args = evalAll(f.args(), scope);
                Map<String, Object> kwargs = keywords(f.kwNames(), f.kwValues(), scope);
                yield builtins.filter(f.name(), value, args, kwargs, f.line(), f.column());
            }
            case Test t -> {
                Object value = eval(t.value(), scope);
                boolean result = builtins.test(t.name(), value, evalAll(t.args(), scope), t.line(), t.column());
                yield result != t.negated();
            }
            case Unary u -> switch (u.op()) {
                case "not" -> !truthy(eval(u.operand(), scope));
                case "-" -> guarded(u.line(), u.column(), () -> Arithmetic.negate(eval(u.operand(), scope)));
                default -> eval(u.operand(), scope);
            };
            case Binary b -> binary(b, scope);
            case Compare c -> compare(c, scope);
            case Conditional c -> truthy(eval(c.condition(), scope)) ? eval(c.then(), scope)
                    : c.otherwise() == null ? new Undefined("else") : eval(c.otherwise(), scope);
        };
    }

    private Object optional(Expr e, Scope scope) {
        return e == null ? null : eval(e, scope);
    }

    private List<Object> evalAll(List<Expr> exprs, Scope scope) {
        List<Object> values = new ArrayList<>(exprs.size());
        for (Expr x : exprs) values.add(eval(x, scope));
        return values;
    }

    private Map<String, Object> keywords(List<String> names, List<Expr> values, Scope scope) {
        Map<String, Object> kwargs = new LinkedHashMap<>();
        for (int i = 0; i < names.size(); i++) kwargs.put(names.get(i), eval(values.get(i), scope));
        return kwargs;
    }

    private Object call(Call c, Scope scope) {
        Object callee = eval(c.callee(), scope);
        List<Object> args = evalAll(c.args(), scope);
        Map<String, Object> kwargs = keywords(c.kwNames(), c.kwValues(), scope);
        if (callee instanceof Undefined u) throw TemplateException.at(c.line(), c.column(), "'" + u.name() + "' is undefined");
        if (!(callee instanceof Callable f)) throw TemplateException.at(c.line(), c.column(), "'" + PythonValues.typeName(callee) + "' object is not callable");
        return guarded(c.line(), c.column(), () -> f.call(args, kwargs));
    }

    private Object binary(Binary b, Scope scope) {
        Object left = eval(b.left(), scope);
        switch (b.op()) {
            case "and" -> { return truthy(left) ? eval(b.right(), scope) : left; }
            case "or" -> { return truthy(left) ? left : eval(b.right(), scope); }
            default -> { }
        }
        Object right = eval(b.right(), scope);
        return guarded(b.line(), b.column(), () -> Arithmetic.apply(b.op(), left, right));
    }

    private Object compare(Compare c, Scope scope) {
        Object left = eval(c.first(), scope);
        for (int i = 0; i < c.ops().size(); i++) {
            Object right = eval(c.rest().get(i), scope);
            Object l = left;
            String op = c.ops().get(i);
            boolean ok = (Boolean) guarded(c.line(), c.column(), () -> Arithmetic.compare(op, l, right));
            if (!ok) return false;
            left = right;
        }
        return true;
    }

    private interface Step {
        Object run();
    }

    /** Runs one operation, turning Python-style type errors into template errors at the expression's position. */
    private static Object guarded(int line, int column, Step step) {
        try {
            return step.run();
        } catch (IllegalArgumentException | ArithmeticException | IndexOutOfBoundsException | ClassCastException e) {
            throw TemplateException.at(line, column, e.getMessage());
        }
    }
}
