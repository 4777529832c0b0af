"""Request bodies and query parameters of the timers API, validated at the boundary.

Every refusal is a 400 whose ``code`` names the problem and whose ``details.field`` names the
field or parameter: ``invalid_field``, ``unknown_field``, ``invalid_date``, ``invalid_parameter``.
Bodies may carry the entry's read-only fields (``id``, ``user_id``, ``running``, and
``duration`` on a running entry), so an entry read from the API can be sent back as it is; a
``running`` that differs from the entry's is refused (it is not how a timer stops).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

from aw_core.timeutil import MAX_US, duration_us_from_seconds, parse_datetime, to_us
from aw_server.errors import BadRequest
from aw_server.service import validate_bucket_id
from aw_server.timers.model import DEFAULT_BUCKET

MAX_DESCRIPTION = 10_000  # characters; the AW web UI shows it as a one-line label
MAX_NAME = 200
MAX_ID = 64
DEFAULT_PER_PAGE, MAX_PER_PAGE = 50, 500
MAX_PAGE = 2**53 - 1  # beyond it a JSON reader may not keep the number exact
# fields of what the API returns that a body may carry back (see the module docstring)
ENTRY_READ_ONLY = frozenset({"id", "user_id", "running"})
PROJECT_READ_ONLY = frozenset({"id", "created"})
TASK_READ_ONLY = frozenset({"id", "project_id", "created"})
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_COLOR = re.compile(r"#[0-9a-fA-F]{6}")
UNSET: Any = object()  # a field the body does not mention


def invalid(field: str, message: str, code: str = "invalid_field", **details: Any) -> BadRequest:
    return BadRequest(message, code=code, details={"field": field, **details})


def body_object(
    body: object, allowed: frozenset[str], read_only: frozenset[str] = ENTRY_READ_ONLY
) -> dict[str, Any]:
    """The body as an object; a field it may not have is refused by name."""
    if not isinstance(body, dict):
        raise BadRequest("the request body must be a JSON object", code="invalid_body")
    for name in body:
        if name not in allowed and name not in read_only:
            raise invalid(name, f"unknown field {name!r}", "unknown_field")
    return body


# -- fields --------------------------------------------------------------------------------------


def optional_id(body: dict[str, Any], name: str) -> str | None:
    """A project or task id: a string, or null (absent: null)."""
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not 0 < len(value) <= MAX_ID:
        raise invalid(name, f"'{name}' must be an id string (or null)")
    return value


def description(body: dict[str, Any]) -> str | None:
    value = body.get("description")
    if value is None:
        return None
    if not isinstance(value, str):
        raise invalid("description", "'description' must be a string (or null)")
    if len(value) > MAX_DESCRIPTION:
        raise invalid(
            "description",
            f"'description' has {len(value)} characters; at most {MAX_DESCRIPTION} are allowed",
            max_length=MAX_DESCRIPTION,
        )
    return value or None


def name(body: dict[str, Any], *, required: bool) -> str | None:
    value = body.get("name")
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise invalid("name", "'name' must be a non-empty string")
    value = value.strip()
    if len(value) > MAX_NAME:
        raise invalid("name", f"'name' may have at most {MAX_NAME} characters", max_length=MAX_NAME)
    return value


def color(body: dict[str, Any]) -> str | None:
    value = body.get("color")
    if value is None:
        return None
    if not isinstance(value, str) or not _COLOR.fullmatch(value):
        raise invalid("color", "'color' must be a hex color such as '#3b82f6'")
    return value.lower()


def flag(body: dict[str, Any], name: str) -> bool | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, bool):
        raise invalid(name, f"'{name}' must be true or false")
    return value


def instant(body: dict[str, Any], name: str) -> int | None:
    """An ISO 8601 date-time field (no offset means UTC) as microseconds, or None."""
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise invalid(name, f"'{name}' must be an ISO 8601 date-time", "invalid_date")
    try:
        return to_us(parse_datetime(value))
    except ValueError as exc:
        raise invalid(name, f"'{name}': {exc}", "invalid_date", value=value) from None


def duration(body: dict[str, Any]) -> int | None:
    """The ``duration`` field (seconds, >= 0) as microseconds, or None."""
    value = body.get("duration")
    if value is None:
        return None
    try:
        us = duration_us_from_seconds(value)
    except ValueError as exc:
        raise invalid("duration", f"'duration': {exc}") from None
    if us < 0:
        raise invalid("duration", "'duration' must not be negative")
    return us


# -- time entries --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Labels:
    """What a timer is for; UNSET fields (in a change) keep their value."""

    description: Any = UNSET
    project_id: Any = UNSET
    task_id: Any = UNSET


def labels(body: dict[str, Any]) -> Labels:
    return Labels(
        description(body) if "description" in body else UNSET,
        optional_id(body, "project_id") if "project_id" in body else UNSET,
        optional_id(body, "task_id") if "task_id" in body else UNSET,
    )


_LABEL_FIELDS = frozenset({"description", "project_id", "task_id"})
START_FIELDS = _LABEL_FIELDS
ENTRY_FIELDS = _LABEL_FIELDS | {"start", "end", "duration"}


def start_body(body: object) -> Labels:
    return labels(body_object(body, START_FIELDS))


@dataclass(frozen=True)
class Span:
    """Times given in a body, as microseconds, and whether it says the entry runs; None where
    not given."""

    start_us: int | None
    end_us: int | None
    duration_us: int | None
    running: bool | None = None


def span(body: dict[str, Any]) -> Span:
    running = body.get("running")
    return Span(
        instant(body, "start"),
        instant(body, "end"),
        duration(body),
        running if isinstance(running, bool) else None,
    )


def finished_span(given: Span, *, start_us: int, end_us: int | None) -> tuple[int, int]:
    """Start and end of a finished entry from what a body gives, over ``start_us``/``end_us``
    (the entry's current values; ``end_us`` None for a new entry). A new start keeps the end;
    an end and a duration given together must agree (to the millisecond)."""
    start = given.start_us if given.start_us is not None else start_us
    if given.end_us is not None:
        end = given.end_us
        if given.duration_us is not None and abs(end - start - given.duration_us) > 1000:
            raise invalid("duration", "'duration' does not match 'end' minus 'start'")
    elif given.duration_us is not None:
        end = start + given.duration_us
    elif end_us is not None:
        end = end_us
    else:
        raise invalid("end", "a finished entry needs 'end' or 'duration'")
    if end < start:
        raise invalid("end", "'end' must not be before 'start'")
    if end > MAX_US:
        raise invalid("duration", "the entry would end beyond the year 9999")
    return start, end


def new_entry_body(body: object) -> tuple[Labels, tuple[int, int]]:
    obj = body_object(body, ENTRY_FIELDS)
    if obj.get("running") not in (None, False):
        raise invalid("running", "a new entry is finished: start a timer to have one running")
    given = span(obj)
    if given.start_us is None:
        raise invalid("start", "a new entry needs 'start'")
    return labels(obj), finished_span(given, start_us=given.start_us, end_us=None)


def change_body(body: object) -> tuple[Labels, Span]:
    obj = body_object(body, ENTRY_FIELDS)
    return labels(obj), span(obj)


# -- projects and tasks --------------------------------------------------------------------------


@dataclass(frozen=True)
class ProjectFields:
    """A project's fields given in a body; None where not given."""

    name: str | None
    color: str | None
    archived: bool | None


def project_body(body: object, *, new: bool) -> ProjectFields:
    obj = body_object(body, frozenset({"name", "color", "archived"}), PROJECT_READ_ONLY)
    return ProjectFields(name(obj, required=new), color(obj), flag(obj, "archived"))


def task_body(body: object) -> str:
    """The name of a new task."""
    task_name = name(body_object(body, frozenset({"name"}), TASK_READ_ONLY), required=True)
    assert task_name is not None  # required: never None
    return task_name


# -- query parameters ----------------------------------------------------------------------------


def bucket_param(args: Mapping[str, str]) -> str:
    value = args.get("bucket") or DEFAULT_BUCKET
    try:
        return validate_bucket_id(value)
    except BadRequest as exc:
        raise invalid("bucket", exc.message, "invalid_parameter") from None


def int_param(args: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    value = args.get(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise invalid(name, f"'{name}' must be a whole number", "invalid_parameter") from None
    if not low <= number <= high:
        raise invalid(name, f"'{name}' must be {low} to {high}", "invalid_parameter")
    return number


@dataclass(frozen=True)
class Paging:
    page: int
    per_page: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page

    def meta(self, total: int) -> dict[str, int]:
        return {
            "page": self.page,
            "per_page": self.per_page,
            "total": total,
            "total_pages": -(-total // self.per_page),
        }


def paging(args: Mapping[str, str]) -> Paging:
    return Paging(
        int_param(args, "page", 1, 1, MAX_PAGE),
        int_param(args, "per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE),
    )


def _day(args: Mapping[str, str], name: str) -> date | None:
    value = args.get(name)
    if value is None or value == "":
        return None
    try:
        if not _DATE.fullmatch(value):
            raise ValueError
        return date.fromisoformat(value)
    except ValueError:
        raise invalid(
            name, f"'{name}' must be a date YYYY-MM-DD, got {value!r}", "invalid_date", value=value
        ) from None


def _midnight(day: date | None, zone: tzinfo) -> int | None:
    """The start of the day in the zone (DST-safe: a day may have 23 or 25 hours); None for
    no day, or one whose start is outside the representable range (no bound then)."""
    if day is None:
        return None
    try:
        return to_us(datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC))
    except (OverflowError, ValueError):
        return None


@dataclass(frozen=True)
class EntryFilter:
    user_id: str | None
    project_id: str | None
    start_us: int | None  # entries starting at or after
    end_us: int | None  # entries starting before


def entry_filter(args: Mapping[str, str], zone: tzinfo) -> EntryFilter:
    """The list's filters; dates are days of ``zone``, both included."""
    first, last = _day(args, "start_date"), _day(args, "end_date")
    if first is not None and last is not None and first > last:
        raise invalid(
            "end_date",
            "'end_date' must not be before 'start_date'",
            "invalid_date",
            value=str(last),
        )
    try:
        after = last + timedelta(days=1) if last is not None else None
    except OverflowError:
        after = None  # the end of 9999-12-31: no bound
    return EntryFilter(
        user_id=args.get("user_id") or None,
        project_id=args.get("project_id") or None,
        start_us=_midnight(first, zone),
        end_us=_midnight(after, zone),
    )


def force_param(args: Mapping[str, str]) -> bool:
    value = args.get("force", "")
    if value not in ("", "0", "1", "true", "false"):
        raise invalid("force", "'force' must be 1 or 0", "invalid_parameter")
    return value in ("1", "true")


def archived_param(args: Mapping[str, str]) -> bool | None:
    value = args.get("archived", "")
    if value not in ("", "true", "false", "1", "0"):
        raise invalid("archived", "'archived' must be true or false", "invalid_parameter")
    return None if value == "" else value in ("true", "1")
