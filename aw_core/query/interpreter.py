"""Evaluating a parsed program for one time period."""

from __future__ import annotations

import math
from typing import Any

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
from aw_core.query.errors import QueryError, QueryFunctionError, QueryInterpretError
from aw_core.query.functions import FUNCTIONS, QueryContext, _kind_name
from aw_core.timeutil import format_datetime


class _Returned(Exception):
    def __init__(self, value: Any) -> None:
        self.value = value


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _binary(op: str, left: Any, right: Any, node: Node) -> Any:
    if op == "==":
        if isinstance(left, bool) != isinstance(right, bool):
            return False
        return bool(left == right)
    if op == "+":
        if _is_number(left) and _is_number(right):
            return left + right
        if isinstance(left, list) and isinstance(right, list):
            return left + right
        if isinstance(left, str) and isinstance(right, str):
            return left + right
    elif _is_number(left) and _is_number(right):
        if op in "/%" and right == 0:
            raise QueryInterpretError("division by zero", node.line, node.column)
        if op == "-":
            return left - right
        if op == "*":
            return left * right
        if op == "/":
            return left / right
        return left % right
    raise QueryInterpretError(
        f"cannot apply '{op}' to {_kind_name(left)} and {_kind_name(right)}", node.line, node.column
    )


class Interpreter:
    def __init__(self, ctx: QueryContext) -> None:
        self.ctx = ctx
        self.variables: dict[str, Any] = {
            "TIMEINTERVAL": f"{format_datetime(ctx.start)}/{format_datetime(ctx.end)}",
            "STARTTIME": format_datetime(ctx.start),
            "ENDTIME": format_datetime(ctx.end),
            "NAME": ctx.name,
        }

    def run(self, program: Program) -> Any:
        """Run the statements; the result is a ``return`` value or else the ``RETURN`` variable."""
        try:
            self.block(program.statements)
        except _Returned as returned:
            return returned.value
        if "RETURN" not in self.variables:
            raise QueryInterpretError(
                "the query doesn't assign the RETURN variable or use 'return'; nothing to respond"
            )
        return self.variables["RETURN"]

    def block(self, statements: tuple[Node, ...]) -> None:
        for statement in statements:
            if isinstance(statement, Assign):
                self.variables[statement.name] = self.eval(statement.value)
            elif isinstance(statement, Return):
                raise _Returned(self.eval(statement.value))
            elif isinstance(statement, ExprStatement):
                self.eval(statement.value)
            elif isinstance(statement, If):
                self.if_statement(statement)
            else:  # pragma: no cover - the parser produces nothing else
                raise QueryInterpretError(f"unknown statement {statement!r}")

    def if_statement(self, node: If) -> None:
        for condition, body in node.branches:
            value = self.eval(condition)
            if not isinstance(value, bool):
                raise QueryInterpretError(
                    f"an if condition must be true or false, not {_kind_name(value)}",
                    condition.line,
                    condition.column,
                )
            if value:
                self.block(body)
                return
        self.block(node.otherwise)

    def eval(self, node: Node) -> Any:
        if isinstance(node, Call):
            return self.call(node)
        if isinstance(node, Name):
            try:
                return self.variables[node.name]
            except KeyError:
                hint = (
                    " (a function must be called with parentheses)"
                    if node.name in FUNCTIONS
                    else ""
                )
                raise QueryInterpretError(
                    f"variable '{node.name}' is not defined{hint}", node.line, node.column
                ) from None
        if isinstance(node, Literal):
            return node.value
        if isinstance(node, ListExpr):
            return [self.eval(item) for item in node.items]
        if isinstance(node, DictExpr):
            return {key: self.eval(value) for key, value in node.items}
        if isinstance(node, BinOp):
            return _binary(node.op, self.eval(node.left), self.eval(node.right), node)
        if isinstance(node, Negate):
            value = self.eval(node.operand)
            if not _is_number(value):
                raise QueryInterpretError(
                    f"cannot negate {_kind_name(value)}", node.line, node.column
                )
            return -value
        raise QueryInterpretError(f"cannot evaluate {node!r}")  # pragma: no cover

    def call(self, node: Call) -> Any:
        function = FUNCTIONS.get(node.name)
        if function is None:
            raise QueryInterpretError(
                f"there is no function named '{node.name}'", node.line, node.column
            )
        args = [self.eval(arg) for arg in node.args]
        try:
            result = function.call(self.ctx, args)
        except QueryError as exc:
            if exc.line is None:
                raise type(exc)(exc.message, node.line, node.column) from None
            raise
        except (ValueError, TypeError, OverflowError, RecursionError) as exc:
            raise QueryFunctionError(f"{node.name}(): {exc}", node.line, node.column) from None
        if isinstance(result, float) and not math.isfinite(result):
            raise QueryFunctionError(
                f"{node.name}() gave a non-finite number", node.line, node.column
            )
        return result
