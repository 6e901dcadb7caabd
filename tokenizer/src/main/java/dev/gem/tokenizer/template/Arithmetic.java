package dev.gem.tokenizer.template;

import dev.gem.tokenizer.template.PythonValues.Undefined;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static dev.gem.tokenizer.template.PythonValues.isNumber;
import static dev.gem.tokenizer.template.PythonValues.typeName;

/** Python's binary operators and comparisons (int stays int, / is true division, // and % floor). */
final class Arithmetic {
    private Arithmetic() {}

    static Object apply(String op, Object a, Object b) {
        if (op.equals("~")) return PythonValues.str(a) + PythonValues.str(b);
        if (a instanceof Undefined u) throw new IllegalArgumentException("'" + u.name() + "' is undefined");
        if (b instanceof Undefined u) throw new IllegalArgumentException("'" + u.name() + "' is undefined");
        if (op.equals("+")) {
            if (a instanceof String x && b instanceof String y) return x + y;
            if (a instanceof List<?> x && b instanceof List<?> y) {
                List<Object> r = new ArrayList<>(x);
                r.addAll(y);
                return r;
            }
        }
        if (op.equals("*")) {
            if (a instanceof String s && b instanceof Long n) return s.repeat((int) Math.max(0, n));
            if (a instanceof Long n && b instanceof String s) return s.repeat((int) Math.max(0, n));
        }
        if (!isNumber(a) || !isNumber(b))
            throw new IllegalArgumentException("unsupported operand type(s) for " + op + ": '" + typeName(a) + "' and '" + typeName(b) + "'");
        boolean integers = !(a instanceof Double) && !(b instanceof Double);
        if (integers) {
            long x = PythonValues.toLong(a), y = PythonValues.toLong(b);
            return switch (op) {
                case "+" -> x + y;
                case "-" -> x - y;
                case "*" -> x * y;
                case "/" -> (double) x / nonZero(y);
                case "//" -> Math.floorDiv(x, nonZero(y));
                case "%" -> Math.floorMod(x, nonZero(y));
                case "**" -> y >= 0 ? (Object) (long) Math.pow(x, y) : Math.pow(x, y);
                default -> throw new IllegalArgumentException("unknown operator " + op);
            };
        }
        double x = PythonValues.toDouble(a), y = PythonValues.toDouble(b);
        return switch (op) {
            case "+" -> x + y;
            case "-" -> x - y;
            case "*" -> x * y;
            case "/" -> x / nonZero(y);
            case "//" -> Math.floor(x / nonZero(y));
            case "%" -> x - Math.floor(x / nonZero(y)) * y;
            case "**" -> Math.pow(x, y);
            default -> throw new IllegalArgumentException("unknown operator " + op);
        };
    }

    private static long nonZero(long y) {
        if (y == 0) throw new ArithmeticException("division by zero");
        return y;
    }

    private static double nonZero(double y) {
        if (y == 0) throw new ArithmeticException("float division by zero");
        return y;
    }

    static Object negate(Object v) {
        if (v instanceof Double d) return -d;
        if (isNumber(v)) return -PythonValues.toLong(v);
        throw new IllegalArgumentException("bad operand type for unary -: '" + typeName(v) + "'");
    }

    static boolean compare(String op, Object a, Object b) {
        return switch (op) {
            case "==" -> PythonValues.equal(a, b);
            case "!=" -> !PythonValues.equal(a, b);
            case "<" -> PythonValues.compare(a, b) < 0;
            case ">" -> PythonValues.compare(a, b) > 0;
            case "<=" -> PythonValues.compare(a, b) <= 0;
            case ">=" -> PythonValues.compare(a, b) >= 0;
            case "in" -> contains(b, a);
            case "not in" -> !contains(b, a);
            default -> throw new IllegalArgumentException("unknown comparison " + op);
        };
    }

    static boolean contains(Object container, Object item) {
        return switch (container) {
            case String s when item instanceof String x -> s.contains(x);
            case String s -> throw new IllegalArgumentException("'in <string>' requires string as left operand, not " + typeName(item));
            case List<?> l -> l.stream().anyMatch(x -> PythonValues.equal(x, item));
            case Map<?, ?> m -> m.containsKey(item instanceof String ? item : PythonValues.str(item));
            case Undefined u -> false;
            case null, default -> throw new IllegalArgumentException("argument of type '" + typeName(container) + "' is not iterable");
        };
    }
}
