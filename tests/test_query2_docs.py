"""docs/query2.md's function table matches the language: signatures use positional arguments
only (a keyword argument is a syntax error in query2), their counts match the registry, and
every example parses."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from aw_core.query import FUNCTIONS, QueryParseError, parse

DOC = Path(__file__).parent.parent / "docs" / "query2.md"
ROW = re.compile(r"^\| `(?P<name>\w+)\((?P<args>[^)]*)\)` \|(?P<rest>.*)$", re.MULTILINE)


def function_rows() -> list[re.Match[str]]:
    rows = list(ROW.finditer(DOC.read_text(encoding="utf-8")))
    assert len(rows) > 20  # the table was found
    return rows


def test_keyword_arguments_are_a_parse_error() -> None:
    with pytest.raises(QueryParseError):
        parse('RETURN = find_bucket("a", hostname=null);')


def arg_names(text: str) -> list[str]:
    return [a for a in re.split(r"[\s,\[\]]+", text) if a and a != "..."]


@pytest.mark.parametrize("row", function_rows(), ids=lambda row: row["name"])
def test_documented_signature_matches_the_function(row: re.Match[str]) -> None:
    function = FUNCTIONS[row["name"]]
    args = row["args"]
    assert "=" not in args, f"keyword-style default in {row[0]}"
    optional = args[args.index("[") :] if "[" in args else ""
    required = arg_names(args[: len(args) - len(optional)])
    # `f(a, b, ...)`: the name before "..." is the repeating parameter's first use.
    variadic = "..." in args
    assert variadic == (function.variadic is not None)
    assert len(required) == sum(not p.optional for p in function.params) + variadic
    assert len(arg_names(optional)) == sum(p.optional for p in function.params)


@pytest.mark.parametrize("row", function_rows(), ids=lambda row: row["name"])
def test_documented_examples_parse(row: re.Match[str]) -> None:
    example_column = row["rest"].rsplit("|", 2)[-2]
    examples = re.findall(r"`([^`]+)`", example_column)
    assert examples
    for example in examples:
        parse(f"RETURN = {example};")
