"""The query2 language: lexer -> parser (AST) -> interpreter, with a registry of functions."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from aw_core.query.ast import Program
from aw_core.query.datasource import BucketForbidden, QueryDatasource, UnknownBucket
from aw_core.query.errors import (
    QueryError,
    QueryFunctionError,
    QueryInterpretError,
    QueryParseError,
)
from aw_core.query.functions import FUNCTIONS, QueryContext
from aw_core.query.interpreter import Interpreter
from aw_core.query.parser import parse
from aw_core.timeutil import parse_datetime

__all__ = [
    "FUNCTIONS",
    "QueryDatasource",
    "QueryError",
    "QueryFunctionError",
    "QueryInterpretError",
    "QueryParseError",
    "UnknownBucket",
    "BucketForbidden",
    "gc_paused",
    "parse",
    "parse_timeperiod",
    "run_period",
    "run_query",
]


def parse_timeperiod(period: object) -> tuple[datetime, datetime]:
    """``"<start>/<end>"`` in ISO 8601 -> (start, end) as aware UTC; QueryParseError if invalid."""
    if not isinstance(period, str):
        raise QueryParseError(f"a timeperiod must be a string 'start/end', not {period!r}")
    parts = period.split("/")
    if len(parts) != 2:
        raise QueryParseError(f"invalid timeperiod {period!r}: expected 'start/end'")
    try:
        start, end = parse_datetime(parts[0]), parse_datetime(parts[1])
    except ValueError as exc:
        raise QueryParseError(f"invalid timeperiod {period!r}: {exc}") from None
    if start > end:
        raise QueryParseError(f"invalid timeperiod {period!r}: the start is after the end")
    return start, end


def run_query(
    program: str,
    timeperiods: list[tuple[datetime, datetime]],
    datasource: QueryDatasource,
    name: str | None = None,
) -> list[Any]:
    """Parse once, then run the program for each period; one result per period."""
    tree = parse(program)
    with gc_paused():
        return [run_period(tree, start, end, datasource, name) for start, end in timeperiods]


def run_period(
    tree: Program,
    start: datetime,
    end: datetime,
    datasource: QueryDatasource,
    name: str | None = None,
) -> Any:
    """Run a parsed program for one period (see gc_paused for running many)."""
    try:
        return Interpreter(QueryContext(datasource, start, end, name)).run(tree)
    except RecursionError:
        raise QueryInterpretError("the query is nested too deeply") from None


_gc_lock = threading.Lock()
_gc_pausers = 0
_gc_was_enabled = False


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while queries run.

    A query allocates hundreds of thousands of events, dicts and tuples that form no cycles
    (reference counting frees them); letting the collector rescan them as they pile up made a
    7-day query cost much more than 7 one-day queries. Concurrent queries share the pause.
    The server also serialises the results inside the pause and drops them before it ends,
    so the collector never sees them at all.
    """
    global _gc_pausers, _gc_was_enabled
    with _gc_lock:
        if _gc_pausers == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_pausers += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pausers -= 1
            if _gc_pausers == 0 and _gc_was_enabled:
                gc.enable()
