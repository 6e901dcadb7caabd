package dev.gem.tokenizer.template;

import dev.gem.tokenizer.template.Node.*;
import dev.gem.tokenizer.template.Token.Kind;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** Recursive descent over the lexer's tokens, with Jinja2's operator precedence. */
final class Parser {
    private static final Set<String> COMPARISONS = Set.of("==", "!=", "<", ">", "<=", ">=");
    private final List<Token> tokens;
    private int at;

    private Parser(List<Token> tokens) {
        this.tokens = tokens;
    }

    static List<Node> parse(String source) {
        Parser p = new Parser(Lexer.tokenize(source));
        List<Node> body = p.body(Set.of());
        if (p.peek().kind() != Kind.EOF) throw p.error(p.peek(), "unexpected '" + p.peek().text() + "'");
        return body;
    }

    // ---- statements

    /** Nodes up to a block tag whose name is in {@code enders} (left unconsumed) or the end of the template. */
    private List<Node> body(Set<String> enders) {
        List<Node> nodes = new ArrayList<>();
        while (true) {
            Token t = peek();
            switch (t.kind()) {
                case EOF -> {
                    if (!enders.isEmpty()) throw error(t, "unexpected end of template, expected " + String.join(" or ", enders.stream().sorted().toList()));
                    return nodes;
                }
                case TEXT -> {
                    next();
                    nodes.add(new Text(t.text()));
                }
                case OUTPUT_START -> {
                    next();
                    Expr e = tuple(true);
                    expect(Kind.OUTPUT_END, "}}");
                    nodes.add(new Output(e));
                }
                case BLOCK_START -> {
                    Token name = tokens.get(at + 1);
                    if (name.kind() == Kind.NAME && enders.contains(name.text())) return nodes;
                    next();
                    nodes.add(statement());
                }
                default -> throw error(t, "unexpected '" + t.text() + "'");
            }
        }
    }

    private Node statement() {
        Token keyword = next();
        if (keyword.kind() != Kind.NAME) throw error(keyword, "expected a statement name");
        return switch (keyword.text()) {
            case "if" -> ifStatement();
            case "for" -> forStatement(keyword);
            case "set" -> setStatement(keyword);
            case "macro" -> macro();
            case "break", "continue" -> {
                expect(Kind.BLOCK_END, "%}");
                yield new LoopControl(keyword.text().equals("break"));
            }
            case "generation" -> {
                expect(Kind.BLOCK_END, "%}");
                List<Node> body = body(Set.of("endgeneration"));
                end("endgeneration");
                yield new Block(body);
            }
            case "filter" -> {
                Token name = expectName();
                List<Expr> args = new ArrayList<>();
                if (peek().isOp("(")) callArguments(args, new ArrayList<>(), new ArrayList<>());
                expect(Kind.BLOCK_END, "%}");
                List<Node> body = body(Set.of("endfilter"));
                end("endfilter");
                yield new FilterBlock(name.text(), args, body, keyword.line());
            }
            default -> throw error(keyword, "unknown tag '" + keyword.text() + "'");
        };
    }

    private Node ifStatement() {
        List<Expr> conditions = new ArrayList<>();
        List<List<Node>> bodies = new ArrayList<>();
        conditions.add(tuple(true));
        expect(Kind.BLOCK_END, "%}");
        while (true) {
            bodies.add(body(Set.of("elif", "else", "endif")));
            next();
            String tag = next().text();
            if (tag.equals("elif")) {
                conditions.add(tuple(true));
                expect(Kind.BLOCK_END, "%}");
            } else if (tag.equals("else")) {
                expect(Kind.BLOCK_END, "%}");
                List<Node> otherwise = body(Set.of("endif"));
                end("endif");
                return new If(conditions, bodies, otherwise);
            } else {
                expect(Kind.BLOCK_END, "%}");
                return new If(conditions, bodies, List.of());
            }
        }
    }

    private Node forStatement(Token keyword) {
        List<String> targets = new ArrayList<>();
        boolean paren = peek().isOp("(") && next() != null;
        do targets.add(expectName().text()); while (peek().isOp(",") && next() != null);
        if (paren) expect(Kind.OPERATOR, ")");
        if (!next().isName("in")) throw error(tokens.get(at - 1), "expected 'in' in for loop");
        Expr iterable = tuple(false);
        Expr filter = null;
        if (peek().isName("if")) {
            next();
            filter = tuple(true);
        }
        if (peek().isName("recursive")) throw error(peek(), "recursive loops are not supported");
        expect(Kind.BLOCK_END, "%}");
        List<Node> body = body(Set.of("else", "endfor"));
        List<Node> otherwise = List.of();
        next();
        if (next().text().equals("else")) {
            expect(Kind.BLOCK_END, "%}");
            otherwise = body(Set.of("endfor"));
            end("endfor");
        } else {
            expect(Kind.BLOCK_END, "%}");
        }
        return new For(targets, iterable, filter, body, otherwise, keyword.line());
    }

    private Node setStatement(Token keyword) {
        List<String> targets = new ArrayList<>();
        targets.add(expectName().text());
        String attribute = null;
        if (peek().isOp(".")) {
            next();
            attribute = expectName().text();
        } else {
            while (peek().isOp(",")) {
                next();
                targets.add(expectName().text());
            }
        }
        if (peek().isOp("=")) {
            next();
            Expr value = tuple(true);
            expect(Kind.BLOCK_END, "%}");
            return new Assign(targets, attribute, value, null, keyword.line());
        }
        expect(Kind.BLOCK_END, "%}");
        List<Node> body = body(Set.of("endset"));
        end("endset");
        return new Assign(targets, attribute, null, body, keyword.line());
    }

    private Node macro() {
        String name = expectName().text();
        List<String> params = new ArrayList<>();
        List<Expr> defaults = new ArrayList<>();
        expect(Kind.OPERATOR, "(");
        while (!peek().isOp(")")) {
            params.add(expectName().text());
            if (peek().isOp("=")) {
                next();
                defaults.add(expression(true));
            } else {
                if (!defaults.isEmpty()) throw error(peek(), "non-default parameter follows default parameter");
            }
            if (!peek().isOp(")")) expect(Kind.OPERATOR, ",");
        }
        next();
        expect(Kind.BLOCK_END, "%}");
        List<Node> body = body(Set.of("endmacro"));
        end("endmacro");
        return new Macro(name, params, defaults, body);
    }

    /** Consumes {@code {% name [anything] %}} closing a block. */
    private void end(String name) {
        expect(Kind.BLOCK_START, "{%");
        Token t = next();
        if (!t.isName(name)) throw error(t, "expected '" + name + "'");
        while (peek().kind() == Kind.NAME) next(); // {% endmacro name %}
        expect(Kind.BLOCK_END, "%}");
    }

    // ---- expressions

    /** An expression, or several separated by commas (a tuple). */
    private Expr tuple(boolean withCondition) {
        Expr first = expression(withCondition);
        if (!peek().isOp(",")) return first;
        List<Expr> items = new ArrayList<>(List.of(first));
        while (peek().isOp(",")) {
            next();
            if (endsExpression(peek())) break;
            items.add(expression(withCondition));
        }
        return new TupleExpr(items);
    }

    private static boolean endsExpression(Token t) {
        return t.kind() == Kind.BLOCK_END || t.kind() == Kind.OUTPUT_END || t.isOp(")") || t.isOp("]") || t.isOp("}");
    }

    private Expr expression(boolean withCondition) {
        Expr e = or();
        if (withCondition && peek().isName("if")) {
            next();
            Expr condition = or();
            Expr otherwise = null;
            if (peek().isName("else")) {
                next();
                otherwise = expression(true);
            }
            return new Conditional(condition, e, otherwise);
        }
        return e;
    }

    private Expr or() {
        Expr e = and();
        while (peek().isName("or")) {
            Token t = next();
            e = new Binary("or", e, and(), t.line(), t.column());
        }
        return e;
    }

    private Expr and() {
        Expr e = not();
        while (peek().isName("and")) {
            Token t = next();
            e = new Binary("and", e, not(), t.line(), t.column());
        }
        return e;
    }

    private Expr not() {
        if (peek().isName("not")) {
            Token t = next();
            return new Unary("not", not(), t.line(), t.column());
        }
        return compare();
    }

    private Expr compare() {
        Token start = peek();
        Expr first = math1();
        List<String> ops = new ArrayList<>();
        List<Expr> rest = new ArrayList<>();
        while (true) {
            Token t = peek();
            if (t.kind() == Kind.OPERATOR && COMPARISONS.contains(t.text())) {
                next();
                ops.add(t.text());
            } else if (t.isName("in")) {
                next();
                ops.add("in");
            } else if (t.isName("not") && tokens.get(at + 1).isName("in")) {
                next();
                next();
                ops.add("not in");
            } else {
                break;
            }
            rest.add(math1());
        }
        return ops.isEmpty() ? first : new Compare(first, ops, rest, start.line(), start.column());
    }

    private Expr math1() {
        Expr e = concat();
        while (peek().isOp("+") || peek().isOp("-")) {
            Token t = next();
            e = new Binary(t.text(), e, concat(), t.line(), t.column());
        }
        return e;
    }

    private Expr concat() {
        Expr e = math2();
        while (peek().isOp("~")) {
            Token t = next();
            e = new Binary("~", e, math2(), t.line(), t.column());
        }
        return e;
    }

    private Expr math2() {
        Expr e = pow();
        while (peek().isOp("*") || peek().isOp("/") || peek().isOp("//") || peek().isOp("%")) {
            Token t = next();
            e = new Binary(t.text(), e, pow(), t.line(), t.column());
        }
        return e;
    }

    private Expr pow() {
        Expr e = unary(true);
        while (peek().isOp("**")) {
            Token t = next();
            e = new Binary("**", e, unary(true), t.line(), t.column());
        }
        return e;
    }

    private Expr unary(boolean withFilter) {
        Token t = peek();
        Expr e;
        if (t.isOp("-") || t.isOp("+")) {
            next();
            e = new Unary(t.text(), unary(false), t.line(), t.column());
        } else {
            e = postfix(primary());
        }
        return withFilter ? filters(e) : e;
    }

    private Expr primary() {
        Token t = next();
        switch (t.kind()) {
            case STRING -> {
                StringBuilder sb = new StringBuilder(t.text());
                while (peek().kind() == Kind.STRING) sb.append(next().text()); // adjacent literals concatenate
                return new Literal(sb.toString());
            }
            case INTEGER -> {
                return new Literal(Long.parseLong(t.text()));
            }
            case FLOAT -> {
                return new Literal(Double.parseDouble(t.text()));
            }
            case NAME -> {
                return switch (t.text()) {
                    case "true", "True" -> new Literal(Boolean.TRUE);
                    case "false", "False" -> new Literal(Boolean.FALSE);
                    case "none", "None" -> new Literal(null);
                    default -> new Name(t.text(), t.line(), t.column());
                };
            }
            case OPERATOR -> {
                switch (t.text()) {
                    case "(" -> {
                        if (peek().isOp(")")) {
                            next();
                            return new TupleExpr(List.of());
                        }
                        Expr e = tuple(true);
                        expect(Kind.OPERATOR, ")");
                        return e;
                    }
                    case "[" -> {
                        List<Expr> items = new ArrayList<>();
                        while (!peek().isOp("]")) {
                            items.add(expression(true));
                            if (!peek().isOp("]")) expect(Kind.OPERATOR, ",");
                        }
                        next();
                        return new ListExpr(items);
                    }
                    case "{" -> {
                        List<Expr> keys = new ArrayList<>(), values = new ArrayList<>();
                        while (!peek().isOp("}")) {
                            keys.add(expression(true));
                            expect(Kind.OPERATOR, ":");
                            values.add(expression(true));
                            if (!peek().isOp("}")) expect(Kind.OPERATOR, ",");
                        }
                        next();
                        return new DictExpr(keys, values);
                    }
                    default -> { }
                }
            }
            default -> { }
        }
        throw error(t, t.kind() == Kind.EOF ? "unexpected end of template" : "unexpected '" + t.text() + "'");
    }

    private Expr postfix(Expr e) {
        while (true) {
            Token t = peek();
            if (t.isOp(".")) {
                next();
                Token name = next();
                if (name.kind() != Kind.NAME && name.kind() != Kind.INTEGER) throw error(name, "expected an attribute name");
                e = name.kind() == Kind.INTEGER ? new Subscript(e, new Literal(Long.parseLong(name.text())), t.line(), t.column())
                        : new Attribute(e, name.text(), t.line(), t.column());
            } else if (t.isOp("[")) {
                next();
                e = subscript(e, t);
            } else if (t.isOp("(")) {
                List<Expr> args = new ArrayList<>(), kwValues = new ArrayList<>();
                List<String> kwNames = new ArrayList<>();
                callArguments(args, kwNames, kwValues);
                e = new Call(e, args, kwNames, kwValues, t.line(), t.column());
            } else {
                return e;
            }
        }
    }

    private Expr subscript(Expr target, Token open) {
        Expr[] parts = new Expr[3];
        int part = 0;
        boolean slice = false;
        while (!peek().isOp("]")) {
            if (peek().isOp(":")) {
                next();
                slice = true;
                if (++part > 2) throw error(peek(), "too many ':' in slice");
                continue;
            }
            parts[part] = expression(true);
        }
        next();
        if (!slice) {
            if (parts[0] == null) throw error(open, "empty subscript");
            return new Subscript(target, parts[0], open.line(), open.column());
        }
        return new Slice(target, parts[0], parts[1], parts[2]);
    }

    private void callArguments(List<Expr> args, List<String> kwNames, List<Expr> kwValues) {
        expect(Kind.OPERATOR, "(");
        while (!peek().isOp(")")) {
            if (peek().kind() == Kind.NAME && tokens.get(at + 1).isOp("=")) {
                kwNames.add(next().text());
                next();
                kwValues.add(expression(true));
            } else {
                if (!kwNames.isEmpty()) throw error(peek(), "positional argument follows keyword argument");
                args.add(expression(true));
            }
            if (!peek().isOp(")")) expect(Kind.OPERATOR, ",");
        }
        next();
    }

    /** {@code | filter(args)} and {@code is [not] test [arg]}, left to right. */
    private Expr filters(Expr e) {
        while (true) {
            Token t = peek();
            if (t.isOp("|")) {
                next();
                String name = dottedName();
                List<Expr> args = new ArrayList<>(), kwValues = new ArrayList<>();
                List<String> kwNames = new ArrayList<>();
                if (peek().isOp("(")) callArguments(args, kwNames, kwValues);
                e = new Filter(e, name, args, kwNames, kwValues, t.line(), t.column());
            } else if (t.isName("is")) {
                next();
                boolean negated = peek().isName("not") && next() != null;
                Token name = next();
                if (name.kind() != Kind.NAME && !name.isName("none") && name.kind() != Kind.OPERATOR)
                    throw error(name, "expected a test name");
                List<Expr> args = new ArrayList<>();
                if (peek().isOp("(")) {
                    callArguments(args, new ArrayList<>(), new ArrayList<>());
                } else if (startsTestArgument(peek())) {
                    args.add(postfix(primary()));
                }
                e = new Test(e, name.text(), args, negated, t.line(), t.column());
            } else {
                return e;
            }
        }
    }

    private static boolean startsTestArgument(Token t) {
        if (t.kind() == Kind.NAME) return !Set.of("else", "or", "and", "is", "if", "in", "not").contains(t.text());
        return t.kind() == Kind.STRING || t.kind() == Kind.INTEGER || t.kind() == Kind.FLOAT || t.isOp("[") || t.isOp("{");
    }

    private String dottedName() {
        StringBuilder sb = new StringBuilder(expectName().text());
        while (peek().isOp(".") && tokens.get(at + 1).kind() == Kind.NAME) {
            next();
            sb.append('.').append(next().text());
        }
        return sb.toString();
    }

    // ---- token helpers

    private Token peek() {
        return tokens.get(at);
    }

    private Token next() {
        Token t = tokens.get(at);
        if (t.kind() != Kind.EOF) at++;
        return t;
    }

    private Token expectName() {
        Token t = next();
        if (t.kind() != Kind.NAME) throw error(t, "expected a name but found '" + t.text() + "'");
        return t;
    }

    private void expect(Kind kind, String text) {
        Token t = next();
        if (t.kind() != kind || (kind == Kind.OPERATOR && !t.text().equals(text)))
            throw error(t, "expected '" + text + "' but found " + (t.kind() == Kind.EOF ? "the end of the template" : "'" + t.text() + "'"));
    }

    private TemplateException error(Token t, String message) {
        return TemplateException.at(t.line(), t.column(), message);
    }
}
