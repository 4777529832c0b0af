"""The input side of the heartbeat API: request body, machine name and each heartbeat, checked
and normalised into :class:`Heartbeat` values. Pure: no storage, no Flask.

Two kinds of rejection, as WakaTime answers them:

- the whole request (:class:`BodyError`, with its HTTP status): a body that is not JSON, not a
  heartbeat object or an array of them, an empty array, too many heartbeats, a bad machine name;
- one heartbeat (:class:`ItemError`): the response then carries ``[{"data": null, "error":
  "<why>"}, 400]`` at its place and the other heartbeats are kept.

What clients really send, and so what is accepted:

- ``time``: float epoch seconds (Go CLI, legacy CLI) or a numeric string (the browser
  extension sends ``"1728422364.044"``);
- ``lineno``, ``cursorpos``, ``lines``: strings from the legacy CLI (``"2"``); an empty string
  counts as absent, like ``null``;
- ``is_write``: a boolean, ``"true"``/``"false"``, or ``0``/``1``;
- ``user_agent``, or ``plugin`` (the browser extension's name for the same thing);
- keys this server does not keep (``id``, ``timestamp``, AI fields...) are ignored.
"""

from __future__ import annotations

import math
import re
from typing import Any, Final

import orjson

from aw_server.wakatime.model import PLACEHOLDERS, TYPES, Heartbeat
from aw_server.wakatime.useragent import editor_and_os

MAX_ITEMS: Final = 1000  # the Go CLI sends <= 25 per request and <= 1000 per run
MAX_ENTITY: Final = 4096
MAX_TEXT: Final = 1024  # project, branch, language, category, user agent, each dependency
MAX_DEPENDENCIES: Final = 1000
MAX_MACHINE: Final = 255
MAX_COUNT: Final = 2**53 - 1  # lines, cursor... stay exact in JSON readers that use doubles
FUTURE_US: Final = 3_600_000_000  # WakaTime refuses heartbeats more than 1 h ahead
UNKNOWN_MACHINE: Final = "unknown"

_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)
_INTEGER = re.compile(r"[+-]?\d+", re.ASCII)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


class BodyError(ValueError):
    """The whole request is unusable; ``str(exc)`` is the message, ``status`` the HTTP status."""

    status = 400


class TooManyHeartbeats(BodyError):
    status = 413


class ItemError(ValueError):
    """One heartbeat is rejected; ``str(exc)`` is the ``error`` text answered for it."""


def parse_body(raw: bytes) -> list[object]:
    """The heartbeats of a request body: a JSON array of them, or one heartbeat object."""
    if not raw.strip():
        raise BodyError("the request body is empty; expected a heartbeat or an array of them")
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise BodyError(f"the request body is not valid JSON: {exc}") from None
    if isinstance(value, dict):
        return [value]
    if not isinstance(value, list):
        raise BodyError(f"expected a heartbeat object or an array of them, got {_json_type(value)}")
    if not value:
        raise BodyError("the array holds no heartbeats")
    if len(value) > MAX_ITEMS:
        raise TooManyHeartbeats(
            f"{len(value)} heartbeats in one request; at most {MAX_ITEMS} are accepted"
        )
    return value


def machine_name(header_value: str | None) -> str:
    """The machine of an ``X-Machine-Name`` header, ``"unknown"`` when missing or blank.

    Clients send the name as UTF-8, and WSGI hands header bytes over decoded as latin-1, so
    ``café`` arrives as ``cafÃ©``: it is re-encoded and decoded as UTF-8 (text that is not
    such a mis-decoding is kept as it is). A ``/`` is refused: the name becomes part of a bucket
    id (``aw-watcher-wakatime_<machine>``), which cannot hold one, and replacing it would let
    two machines share a bucket.
    """
    if header_value is None:
        return UNKNOWN_MACHINE
    try:
        name = header_value.encode("latin-1").decode("utf-8")
    except UnicodeError:
        name = header_value
    name = name.strip()
    if not name:
        return UNKNOWN_MACHINE
    if _CONTROL.search(name) or "/" in name:
        raise BodyError("the X-Machine-Name header must not contain control characters or '/'")
    if len(name) > MAX_MACHINE:
        raise BodyError(f"the X-Machine-Name header is longer than {MAX_MACHINE} characters")
    return name


def parse_item(
    obj: object,
    *,
    machine: str,
    header_user_agent: str | None,
    now_us: int,
    max_age_us: int,
) -> Heartbeat:
    """One heartbeat, checked and normalised; raises :class:`ItemError`.

    ``<<LAST_...>>`` placeholders stay as sent in file heartbeats (they are resolved from the
    machine's previous heartbeat, which needs storage) and become None in the others.
    """
    if not isinstance(obj, dict):
        raise ItemError(f"a heartbeat must be a JSON object, got {_json_type(obj)}")
    entity = _entity(obj)
    kind = _type(obj)
    time_us = _time_us(obj, now_us, max_age_us)
    own_agent = _text(obj, "user_agent") or _text(obj, "plugin")
    editor, os = _editor_and_os(own_agent, header_user_agent)
    return Heartbeat(
        machine=machine,
        time_us=time_us,
        entity=entity,
        type=kind,
        category=_category(obj, kind),
        project=_placeholder(_text(obj, "project"), "project", kind),
        branch=_placeholder(_text(obj, "branch"), "branch", kind),
        language=_placeholder(_text(obj, "language"), "language", kind),
        editor=editor,
        os=os,
        is_write=_is_write(obj),
        lineno=_count(obj, "lineno"),
        cursorpos=_count(obj, "cursorpos"),
        lines=_count(obj, "lines"),
        line_additions=_count(obj, "line_additions"),
        line_deletions=_count(obj, "line_deletions"),
        project_root_count=_count(obj, "project_root_count"),
        dependencies=_dependencies(obj),
        user_agent=own_agent or _header_agent(header_user_agent),
    )


def _entity(obj: dict[str, Any]) -> str:
    value = obj.get("entity")
    if value is None:
        raise ItemError("'entity' is required")
    if not isinstance(value, str):
        raise ItemError(f"'entity' must be a string, got {_json_type(value)}")
    if not value.strip():
        raise ItemError("'entity' must not be empty")
    if len(value) > MAX_ENTITY:
        raise ItemError(f"'entity' is longer than {MAX_ENTITY} characters")
    if "\x00" in value:
        raise ItemError("'entity' must not contain a NUL character")
    return value


def _type(obj: dict[str, Any]) -> str:
    value = obj.get("type")
    if value is None:
        raise ItemError(f"'type' is required (one of {', '.join(TYPES)})")
    if not isinstance(value, str):
        raise ItemError(f"'type' must be a string, got {_json_type(value)}")
    kind = value.strip().lower()
    if kind not in TYPES:
        raise ItemError(f"'type' must be one of {', '.join(TYPES)}; got {_show(value)}")
    return kind


def _time_us(obj: dict[str, Any], now_us: int, max_age_us: int) -> int:
    """Epoch microseconds of ``time``: positive, finite, within max age and 1 h ahead."""
    value = obj.get("time")
    if value is None:
        raise ItemError("'time' is required (epoch seconds)")
    seconds = _seconds(value)
    if not seconds > 0:
        raise ItemError(f"'time' must be after 1970-01-01, got {_show(value)}")
    # Compared in seconds first: a value like 1e300 must not become a huge integer.
    if seconds > (now_us + FUTURE_US) / 1e6:
        raise ItemError("'time' is more than 1 hour in the future")
    time_us = round(seconds * 1e6)
    if time_us > now_us + FUTURE_US:
        raise ItemError("'time' is more than 1 hour in the future")
    if time_us < now_us - max_age_us:
        raise ItemError(f"'time' is older than the accepted {_age_text(max_age_us)}")
    return time_us


def _seconds(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ItemError(f"'time' must be a number of epoch seconds, got {_json_type(value)}")
    if isinstance(value, str) and not _NUMBER.fullmatch(value.strip()):
        raise ItemError(f"'time' must be a number of epoch seconds, got {_show(value)}")
    try:
        seconds = float(value)
    except OverflowError:  # an integer too large for a float
        seconds = math.inf
    if not math.isfinite(seconds):
        raise ItemError(f"'time' must be a finite number, got {_show(value)}")
    return seconds


def _text(obj: dict[str, Any], name: str, limit: int = MAX_TEXT) -> str | None:
    """An optional string field, stripped; ``""`` counts as absent."""
    value = obj.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ItemError(f"'{name}' must be a string or null, got {_json_type(value)}")
    if len(value) > limit:
        raise ItemError(f"'{name}' is longer than {limit} characters")
    if "\x00" in value:
        raise ItemError(f"'{name}' must not contain a NUL character")
    return value.strip() or None


def _placeholder(value: str | None, field: str, kind: str) -> str | None:
    """A ``<<LAST_...>>`` placeholder only means something for files (the browser extension
    sends them for every domain): elsewhere it is dropped."""
    if value == PLACEHOLDERS[field] and kind != "file":
        return None
    return value


def _category(obj: dict[str, Any], kind: str) -> str:
    """``category`` in lower case; when absent, ``browsing`` for url/domain, else ``coding``."""
    value = _text(obj, "category")
    if value is not None:
        return value.lower()
    return "browsing" if kind in ("url", "domain") else "coding"


def _count(obj: dict[str, Any], name: str) -> int | None:
    """A non-negative whole number, also sent as a string (``"2"``) or a whole float."""
    value = obj.get(name)
    if value is None or value == "":
        return None
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and _INTEGER.fullmatch(value.strip()):
        number = int(value.strip())
    if number is None or not 0 <= number <= MAX_COUNT:
        raise ItemError(
            f"'{name}' must be a whole number from 0 to {MAX_COUNT}, got {_show(value)}"
        )
    return number


def _is_write(obj: dict[str, Any]) -> bool | None:
    value = obj.get("is_write")
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise ItemError(f"'is_write' must be true, false or null, got {_show(value)}")


def _dependencies(obj: dict[str, Any]) -> tuple[str, ...]:
    value = obj.get("dependencies")
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ItemError(f"'dependencies' must be a list of strings, got {_json_type(value)}")
    if len(value) > MAX_DEPENDENCIES:
        raise ItemError(f"'dependencies' holds more than {MAX_DEPENDENCIES} names")
    for item in value:
        if not isinstance(item, str):
            raise ItemError(f"'dependencies' must be a list of strings, holds {_json_type(item)}")
        if len(item) > MAX_TEXT or "\x00" in item:
            raise ItemError(
                f"each of 'dependencies' must have at most {MAX_TEXT} characters and no NUL"
            )
    return tuple(value)


def _editor_and_os(own: str | None, header: str | None) -> tuple[str | None, str | None]:
    """The heartbeat's own user agent wins; what it does not name comes from the header."""
    editor, os = editor_and_os(own)
    if editor is None or os is None:
        header_editor, header_os = editor_and_os(header)
        editor, os = editor or header_editor, os or header_os
    return editor, os


def _header_agent(value: str | None) -> str | None:
    """The User-Agent header as stored: it belongs to the request, not to one heartbeat, so an
    overlong one is cut rather than failing every heartbeat."""
    if value is None:
        return None
    return value.strip()[:MAX_TEXT] or None


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _show(value: object) -> str:
    """A bad value as the error shows it: JSON, cut short (an entity may be a megabyte)."""
    try:
        text = orjson.dumps(value).decode()
    except TypeError:
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _age_text(age_us: int) -> str:
    seconds = age_us // 1_000_000
    if seconds % 86400 == 0:
        days = seconds // 86400
        return f"{days} day{'s' if days != 1 else ''}"
    return f"{seconds} seconds"
