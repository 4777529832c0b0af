"""Query errors. ``type`` names match the official Python server's exception classes."""

from __future__ import annotations


class QueryError(Exception):
    type = "QueryException"

    def __init__(self, message: str, line: int | None = None, column: int | None = None) -> None:
        where = f"line {line}, column {column}: " if line is not None else ""
        super().__init__(where + message)
        self.message = where + message
        self.line = line
        self.column = column


class QueryParseError(QueryError):
    type = "QueryParseException"


class QueryInterpretError(QueryError):
    type = "QueryInterpretException"


class QueryFunctionError(QueryError):
    type = "QueryFunctionException"
