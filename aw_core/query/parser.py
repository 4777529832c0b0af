"""A recursive-descent parser for query2, a superset of the Python and Rust dialects.

program    := statement*
statement  := ";" | if | "return" expr [";"] | NAME "=" expr [";"] | expr [";"]
if         := "if" expr block ("elif" expr block)* ["else" block]
block      := "{" statement* "}"
expr       := sum ("==" sum)*
sum        := product (("+" | "-") product)*
product    := unary (("*" | "/" | "%") unary)*
unary      := "-" unary | primary
primary    := NUMBER | STRING | true | false | True | False | null | NAME | NAME "(" args ")"
            | "[" [expr ("," expr)* [","]] "]" | "{" [STRING ":" expr ("," ...)* [","]] "}"
            | "(" expr ")"
"""

from __future__ import annotations

from aw_core.query.ast import (
    Assign,
    BinOp,
    Call,
    DictExpr,
    ExprStatement,
    If,
    ListExpr,
    Literal,
    Name,
    Negate,
    Node,
    Program,
    Return,
)
from aw_core.query.errors import QueryParseError
from aw_core.query.lexer import Token, tokenize

_CONSTANTS = {"true": True, "True": True, "false": False, "False": False, "null": None}


def _describe(token: Token) -> str:
    if token.kind == "end":
        return "the end of the query"
    if token.kind == "string":
        return f"string {token.value!r}"
    return repr(str(token.value))


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.pos = 0

    @property
    def token(self) -> Token:
        return self.tokens[self.pos]

    def peek(self, offset: int = 1) -> Token:
        return self.tokens[min(self.pos + offset, len(self.tokens) - 1)]

    def advance(self) -> Token:
        token = self.tokens[self.pos]
        if token.kind != "end":
            self.pos += 1
        return token

    def at(self, kind: str, value: object = None) -> bool:
        token = self.token
        return token.kind == kind and (value is None or token.value == value)

    def expect(self, kind: str, what: str) -> Token:
        if not self.at(kind):
            self.fail(f"expected {what}, found {_describe(self.token)}")
        return self.advance()

    def fail(self, message: str, token: Token | None = None) -> None:
        token = token or self.token
        raise QueryParseError(message, token.line, token.column)

    # statements ------------------------------------------------------------------------------

    def program(self) -> Program:
        statements = []
        while not self.at("end"):
            statement = self.statement()
            if statement is not None:
                statements.append(statement)
        return Program(tuple(statements))

    def statement(self) -> Node | None:
        token = self.token
        if token.kind == ";":
            self.advance()
            return None
        if token.kind == "keyword" and token.value == "if":
            return self.if_statement()
        if token.kind == "keyword" and token.value == "return":
            self.advance()
            node: Node = Return(token.line, token.column, self.expression())
        elif token.kind == "name" and self.peek().kind == "=":
            self.advance()
            self.advance()
            node = Assign(token.line, token.column, str(token.value), self.expression())
        elif token.kind == "}":
            self.fail("unexpected '}'")
            raise AssertionError  # unreachable
        else:
            node = ExprStatement(token.line, token.column, self.expression())
        self.end_of_statement()
        return node

    def end_of_statement(self) -> None:
        if self.at(";"):
            self.advance()
        elif not (
            self.at("end") or self.at("}") or self.token.line > self.tokens[self.pos - 1].line
        ):
            self.fail(f"expected ';' after the statement, found {_describe(self.token)}")

    def if_statement(self) -> Node:
        start = self.advance()
        branches = [(self.expression(), self.block())]
        otherwise: tuple[Node, ...] = ()
        while self.at("keyword"):
            if self.token.value == "elif":
                self.advance()
                branches.append((self.expression(), self.block()))
            elif self.token.value == "else":
                self.advance()
                otherwise = self.block()
                break
            else:
                break
        return If(start.line, start.column, tuple(branches), otherwise)

    def block(self) -> tuple[Node, ...]:
        self.expect("{", "'{'")
        statements = []
        while not self.at("}"):
            if self.at("end"):
                self.fail("expected '}' to close the block")
            statement = self.statement()
            if statement is not None:
                statements.append(statement)
        self.advance()
        return tuple(statements)

    # expressions -----------------------------------------------------------------------------

    def expression(self) -> Node:
        node = self.sum()
        while self.at("=="):
            op = self.advance()
            node = BinOp(op.line, op.column, "==", node, self.sum())
        return node

    def sum(self) -> Node:
        node = self.product()
        while self.at("+") or self.at("-"):
            op = self.advance()
            node = BinOp(op.line, op.column, str(op.value), node, self.product())
        return node

    def product(self) -> Node:
        node = self.unary()
        while self.at("*") or self.at("/") or self.at("%"):
            op = self.advance()
            node = BinOp(op.line, op.column, str(op.value), node, self.unary())
        return node

    def unary(self) -> Node:
        if self.at("-"):
            op = self.advance()
            operand = self.unary()
            if (
                isinstance(operand, Literal)
                and isinstance(operand.value, int | float)
                and not isinstance(operand.value, bool)
            ):
                return Literal(op.line, op.column, -operand.value)
            return Negate(op.line, op.column, operand)
        return self.primary()

    def primary(self) -> Node:
        token = self.token
        kind = token.kind
        if kind in ("number", "string"):
            self.advance()
            return Literal(token.line, token.column, token.value)
        if kind == "keyword" and token.value in _CONSTANTS:
            self.advance()
            return Literal(token.line, token.column, _CONSTANTS[str(token.value)])
        if kind == "name":
            self.advance()
            if self.at("("):
                self.advance()
                args = self.items(")", "an argument")
                return Call(token.line, token.column, str(token.value), tuple(args))
            return Name(token.line, token.column, str(token.value))
        if kind == "[":
            self.advance()
            return ListExpr(token.line, token.column, tuple(self.items("]", "a list item")))
        if kind == "{":
            self.advance()
            return self.dict_literal(token)
        if kind == "(":
            self.advance()
            node = self.expression()
            self.expect(")", "')'")
            return node
        self.fail(f"expected a value, found {_describe(token)}")
        raise AssertionError  # unreachable

    def items(self, closer: str, what: str) -> list[Node]:
        items: list[Node] = []
        while not self.at(closer):
            if self.at("end"):
                self.fail(f"expected {what} or '{closer}', found the end of the query")
            items.append(self.expression())
            if self.at(","):
                self.advance()
            elif not self.at(closer):
                self.fail(f"expected ',' or '{closer}', found {_describe(self.token)}")
        self.advance()
        return items

    def dict_literal(self, start: Token) -> Node:
        entries: list[tuple[str, Node]] = []
        while not self.at("}"):
            key = self.token
            if key.kind != "string":
                self.fail(f"a dict key must be a string, found {_describe(key)}")
            self.advance()
            self.expect(":", "':' after the dict key")
            entries.append((str(key.value), self.expression()))
            if self.at(","):
                self.advance()
            elif not self.at("}"):
                self.fail(f"expected ',' or '}}', found {_describe(self.token)}")
        self.advance()
        return DictExpr(start.line, start.column, tuple(entries))


def parse(text: str) -> Program:
    """Parse a whole program; raises QueryParseError with the line and column of the problem."""
    try:
        return _Parser(tokenize(text)).program()
    except RecursionError:
        raise QueryParseError("the query is nested too deeply") from None
