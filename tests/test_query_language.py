"""The query2 language: lexer, parser, interpreter and their error messages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from aw_core.models import Event
from aw_core.query import (
    QueryFunctionError,
    QueryInterpretError,
    QueryParseError,
    UnknownBucket,
    parse_timeperiod,
    run_query,
)

T0 = datetime(2024, 1, 1, tzinfo=UTC)
PERIOD = (T0, T0 + timedelta(days=1))


class FakeSource:
    """A tiny in-memory datasource for the interpreter."""

    def __init__(self, buckets: dict[str, tuple[str, list[Event]]] | None = None) -> None:
        self.buckets = buckets or {}

    def bucket_ids(self) -> list[str]:
        return list(self.buckets)

    def readable(self, bucket_id: str) -> bool:
        return True

    def bucket_hostname(self, bucket_id: str) -> str | None:
        return self.buckets[bucket_id][0] if bucket_id in self.buckets else None

    def get_events(self, bucket_id: str, start: datetime, end: datetime) -> list[Event]:
        if bucket_id not in self.buckets:
            raise UnknownBucket(bucket_id)
        # inclusive at both bounds, like the server's datasource (unclipped: enough here)
        return [e for e in self.buckets[bucket_id][1] if e.timestamp <= end and e.end >= start]

    def count_events(self, bucket_id: str, start: datetime, end: datetime) -> int:
        return len(self.get_events(bucket_id, start, end))


def run(program: str, source: FakeSource | None = None) -> Any:
    return run_query(program, [PERIOD], source or FakeSource())[0]


@pytest.mark.parametrize(
    "program, expected",
    [
        ("RETURN = 1;", 1),
        ("RETURN = 1", 1),
        ("return 2;", 2),
        ("return 2", 2),
        ("RETURN = 1.5;", 1.5),
        ("RETURN = -3;", -3),
        ("RETURN = 'single';", "single"),
        ('RETURN = "double";', "double"),
        ('RETURN = "a;b#c";', "a;b#c"),
        (r'RETURN = "say \"hi\"";', 'say "hi"'),
        (r"RETURN = 'it\'s';", "it's"),
        (r'RETURN = "\w+\d";', r"\w+\d"),
        ('RETURN = "multi\nline";', "multi\nline"),
        ("RETURN = [true, false, True, False, null];", [True, False, True, False, None]),
        ('RETURN = {"a": [1, {"b": 2}], "c": "d",};', {"a": [1, {"b": 2}], "c": "d"}),
        ("RETURN = [1, 2,];", [1, 2]),
        ("RETURN = [];", []),
        ("RETURN = {};", {}),
        ("RETURN = 1 + 2 * 3;", 7),
        ("RETURN = (1 + 2) * 3;", 9),
        ("RETURN = 7 / 2;", 3.5),
        ("RETURN = 7 % 3;", 1),
        ("RETURN = 10 - 2 - 3;", 5),
        ("RETURN = -(2 + 3);", -5),
        ("RETURN = [1] + [2, 3];", [1, 2, 3]),
        ('RETURN = "ab" + "cd";', "abcd"),
        ("RETURN = 1 == 1;", True),
        ('RETURN = "a" == "b";', False),
        ("RETURN = 1 == true;", False),
        ("x = 1; x = x + 1; RETURN = x;", 2),
        ("# a comment\nRETURN = 1; # trailing\n", 1),
        ("a = 1\nb = 2\nRETURN = a + b", 3),
        ("x = 1; return x; RETURN = 5;", 1),
        ("if true { RETURN = 1; } else { RETURN = 2; }", 1),
        ("if 1 == 2 { RETURN = 1; } elif 2 == 2 { RETURN = 2; } else { RETURN = 3; }", 2),
        ("if false { RETURN = 1; } elif false { RETURN = 2; } else { RETURN = 3; }", 3),
        ("RETURN = 0; if false { RETURN = 1; }", 0),
        ("if true { return 9; } RETURN = 1;", 9),
        ("nop(); RETURN = nop();", 1),
        ("RETURN = contains([1, 2], 2);", True),
        ('RETURN = contains({"k": 1}, "k");', True),
        ("RETURN = contains([1], true);", False),
        ("RETURN = STARTTIME;", "2024-01-01T00:00:00+00:00"),
        ("RETURN = TIMEINTERVAL;", "2024-01-01T00:00:00+00:00/2024-01-02T00:00:00+00:00"),
        ("ünïcode_var = 'ok'; RETURN = ünïcode_var;", "ok"),
    ],
)
def test_programs(program: str, expected: Any) -> None:
    assert run(program) == expected


@pytest.mark.parametrize(
    "program, error, message",
    [
        ("RETURN = ;", QueryParseError, "line 1, column 10: expected a value, found ';'"),
        ("RETURN = [1, 2", QueryParseError, "expected ',' or ']', found the end of the query"),
        ("RETURN = [1 2];", QueryParseError, "expected ',' or ']'"),
        ("RETURN = {1: 2};", QueryParseError, "a dict key must be a string"),
        ('RETURN = {"a" 2};', QueryParseError, "expected ':' after the dict key"),
        ('RETURN = "open;', QueryParseError, "line 1, column 10: string is not closed"),
        ("RETURN = 1 @ 2;", QueryParseError, "unexpected character '@'"),
        ("RETURN = 1 2;", QueryParseError, "expected ';' after the statement"),
        ("x = 1;\n  RETURN = (1;", QueryParseError, "line 2, column 14: expected ')'"),
        ("if true { RETURN = 1;", QueryParseError, "expected '}' to close the block"),
        ("if true RETURN = 1;", QueryParseError, "expected '{'"),
        ("}", QueryParseError, "unexpected '}'"),
        ("x = 1;", QueryInterpretError, "doesn't assign the RETURN variable"),
        ("", QueryInterpretError, "doesn't assign the RETURN variable"),
        ("RETURN = y;", QueryInterpretError, "line 1, column 10: variable 'y' is not defined"),
        ("RETURN = flood;", QueryInterpretError, "must be called with parentheses"),
        ("RETURN = nosuch();", QueryInterpretError, "there is no function named 'nosuch'"),
        ("RETURN = 1 / 0;", QueryInterpretError, "division by zero"),
        ("RETURN = 1 % 0;", QueryInterpretError, "division by zero"),
        ('RETURN = 1 + "a";', QueryInterpretError, "cannot apply '+' to a number and a string"),
        ("RETURN = -[1];", QueryInterpretError, "cannot negate a list"),
        ("if 1 { RETURN = 1; }", QueryInterpretError, "must be true or false"),
        ("RETURN = nop(1);", QueryFunctionError, "nop() takes 0 arguments (1 given)"),
        ("RETURN = flood();", QueryFunctionError, "flood() takes 1 to 2 arguments (0 given)"),
        (
            "RETURN = sort_by_duration(1);",
            QueryFunctionError,
            "'events' must be a list of events, not a number",
        ),
        (
            "RETURN = sort_by_duration([1]);",
            QueryFunctionError,
            "a list with something other than events",
        ),
        ("RETURN = limit_events([], 1.5);", QueryFunctionError, "'count' must be an integer"),
        ('RETURN = query_bucket("nope");', QueryFunctionError, "There's no bucket named 'nope'"),
        (
            'RETURN = find_bucket("nope");',
            QueryFunctionError,
            "Unable to find bucket matching 'nope'",
        ),
        ('RETURN = filter_keyvals_regex([], "k", "(");', QueryFunctionError, "invalid regex"),
        ("RETURN = categorize([], [1]);", QueryFunctionError, "rule 0 must be a pair"),
        (
            'RETURN = categorize([], [["x", {}]]);',
            QueryFunctionError,
            "the category must be a list of strings",
        ),
        (
            'RETURN = categorize([], [[["x"], {"regex": "("}]]);',
            QueryFunctionError,
            "invalid regex",
        ),
        (
            'RETURN = categorize([], [[["x"], {"type": "weird"}]]);',
            QueryFunctionError,
            "unknown rule type",
        ),
        (
            'RETURN = tag([], [[["x"], {"regex": "a"}]]);',
            QueryFunctionError,
            "the tag must be a string",
        ),
    ],
)
def test_errors(program: str, error: type[Exception], message: str) -> None:
    with pytest.raises(error) as info:
        run(program)
    assert message in str(info.value)


def test_error_types_match_python_names() -> None:
    assert QueryParseError("x").type == "QueryParseException"
    assert QueryInterpretError("x").type == "QueryInterpretException"
    assert QueryFunctionError("x").type == "QueryFunctionException"


def test_function_errors_carry_the_call_position() -> None:
    with pytest.raises(QueryFunctionError) as info:
        run('x = 1;\nRETURN =   query_bucket("nope");')
    assert info.value.line == 2 and info.value.column == 12


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    program = "RETURN = " + "[" * 5000 + "]" * 5000 + ";"
    with pytest.raises((QueryParseError, QueryInterpretError)):
        run(program)


def test_buckets_and_multiple_periods() -> None:
    events = [
        Event(timestamp=T0 + timedelta(hours=h), duration=60, data={"h": h}) for h in range(48)
    ]
    source = FakeSource({"b_host": ("host", events), "b_other": ("other", []), "b": ("x", [])})
    periods = [(T0 + timedelta(days=d), T0 + timedelta(days=d + 1)) for d in range(3)]
    counts = run_query('RETURN = query_bucket_eventcount(find_bucket("b_"));', periods, source)
    assert counts == [25, 24, 0]  # bounds are inclusive: the event at hour 24 is in day 0 too
    assert run('RETURN = find_bucket("b");', source) == "b"  # an exact match wins
    assert run('RETURN = find_bucket("b_", "other");', source) == "b_other"
    assert run("RETURN = query_bucket_names();", source) == ["b_host", "b_other", "b"]


@pytest.mark.parametrize(
    "period, ok",
    [
        ("2024-01-01T00:00:00Z/2024-01-02T00:00:00+02:00", True),
        ("2024-01-01/2024-01-02", True),
        ("2024-01-02T00:00:00Z/2024-01-01T00:00:00Z", False),
        ("2024-01-01T00:00:00Z", False),
        ("a/b", False),
        ("2024-01-01T00:00:00Z/2024-01-02T00:00:00Z/x", False),
        (5, False),
    ],
)
def test_timeperiods(period: object, ok: bool) -> None:
    if ok:
        start, end = parse_timeperiod(period)
        assert start < end and start.tzinfo is not None
    else:
        with pytest.raises(QueryParseError):
            parse_timeperiod(period)
