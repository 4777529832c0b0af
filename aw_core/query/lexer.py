"""Turning query text into tokens, with their line and column."""

from __future__ import annotations

from dataclasses import dataclass

from aw_core.query.errors import QueryParseError

KEYWORDS = {"if", "elif", "else", "return", "true", "false", "True", "False", "null"}
# Two-character operators first, so "==" is not read as "=" "=".
SYMBOLS = ["==", "(", ")", "[", "]", "{", "}", ",", ":", ";", "=", "+", "-", "*", "/", "%"]


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # "number", "string", "name", "keyword", a symbol, or "end"
    value: object
    line: int
    column: int


def _is_name_start(char: str) -> bool:
    return char.isalpha() or char == "_"


def tokenize(text: str) -> list[Token]:
    """Split a program into tokens; ``#`` starts a comment that runs to the end of the line.

    Strings use single or double quotes; as in the official servers, a backslash escapes only
    the string's own quote character and every other backslash is kept as it is, so regexes
    such as ``"\\w+"`` reach the regex engine unchanged.
    """
    tokens: list[Token] = []
    i, line, line_start = 0, 1, 0
    length = len(text)
    while i < length:
        char = text[i]
        column = i - line_start + 1
        if char == "\n":
            i += 1
            line, line_start = line + 1, i
        elif char.isspace():
            i += 1
        elif char == "#":
            while i < length and text[i] != "\n":
                i += 1
        elif char in "'\"":
            start_line = line
            value, i, line, line_start = _read_string(text, i, line, line_start)
            tokens.append(Token("string", value, start_line, column))
        elif char.isdigit():
            start = i
            while i < length and text[i].isdigit():
                i += 1
            is_float = i < length and text[i] == "." and i + 1 < length and text[i + 1].isdigit()
            if is_float:
                i += 1
                while i < length and text[i].isdigit():
                    i += 1
            literal = text[start:i]
            tokens.append(
                Token("number", float(literal) if is_float else int(literal), line, column)
            )
        elif _is_name_start(char):
            start = i
            while i < length and (_is_name_start(text[i]) or text[i].isdigit()):
                i += 1
            word = text[start:i]
            tokens.append(Token("keyword" if word in KEYWORDS else "name", word, line, column))
        else:
            for symbol in SYMBOLS:
                if text.startswith(symbol, i):
                    tokens.append(Token(symbol, symbol, line, column))
                    i += len(symbol)
                    break
            else:
                raise QueryParseError(f"unexpected character {char!r}", line, column)
    tokens.append(Token("end", None, line, i - line_start + 1))
    return tokens


def _read_string(text: str, i: int, line: int, line_start: int) -> tuple[str, int, int, int]:
    quote = text[i]
    start_line, start_column = line, i - line_start + 1
    i += 1
    parts: list[str] = []
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text) and text[i + 1] == quote:
            parts.append(quote)
            i += 2
            continue
        if char == quote:
            return "".join(parts), i + 1, line, line_start
        if char == "\n":
            line, line_start = line + 1, i + 1
        parts.append(char)
        i += 1
    raise QueryParseError("string is not closed", start_line, start_column)
