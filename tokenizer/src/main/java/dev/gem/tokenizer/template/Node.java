package dev.gem.tokenizer.template;

import java.util.List;

/** The template's syntax tree: statements render output, expressions compute values. Line numbers are for errors. */
sealed interface Node {

    // ---- statements

    record Text(String text) implements Node {}

    record Output(Expr value) implements Node {}

    record If(List<Expr> conditions, List<List<Node>> bodies, List<Node> otherwise) implements Node {}

    /** {@code for targets in iterable [if filter]} ... {@code [else]} ... */
    record For(List<String> targets, Expr iterable, Expr filter, List<Node> body, List<Node> otherwise, int line) implements Node {}

    /** {@code set a = x}, {@code set a, b = x}, {@code set ns.attr = x}; a block set has {@code body} and no value. */
    record Assign(List<String> targets, String attribute, Expr value, List<Node> body, int line) implements Node {}

    record Macro(String name, List<String> params, List<Expr> defaults, List<Node> body) implements Node {}

    /** {@code break} / {@code continue} (jinja2.ext.loopcontrols). */
    record LoopControl(boolean isBreak) implements Node {}

    /** Bodies that render as they are: {@code generation} (transformers' assistant-mask tag), {@code filter} is separate. */
    record Block(List<Node> body) implements Node {}

    record FilterBlock(String filter, List<Expr> args, List<Node> body, int line) implements Node {}

    // ---- expressions

    sealed interface Expr extends Node {}

    record Literal(Object value) implements Expr {}

    record Name(String name, int line, int column) implements Expr {}

    record ListExpr(List<Expr> items) implements Expr {}

    record TupleExpr(List<Expr> items) implements Expr {}

    record DictExpr(List<Expr> keys, List<Expr> values) implements Expr {}

    record Attribute(Expr target, String name, int line, int column) implements Expr {}

    record Subscript(Expr target, Expr index, int line, int column) implements Expr {}

    /** {@code target[start:stop:step]}; absent parts are null. */
    record Slice(Expr target, Expr start, Expr stop, Expr step) implements Expr {}

    record Call(Expr callee, List<Expr> args, List<String> kwNames, List<Expr> kwValues, int line, int column) implements Expr {}

    record Filter(Expr value, String name, List<Expr> args, List<String> kwNames, List<Expr> kwValues, int line, int column) implements Expr {}

    record Test(Expr value, String name, List<Expr> args, boolean negated, int line, int column) implements Expr {}

    record Unary(String op, Expr operand, int line, int column) implements Expr {}

    record Binary(String op, Expr left, Expr right, int line, int column) implements Expr {}

    /** {@code a < b <= c}: Python's chained comparison. */
    record Compare(Expr first, List<String> ops, List<Expr> rest, int line, int column) implements Expr {}

    record Conditional(Expr condition, Expr then, Expr otherwise) implements Expr {}
}
