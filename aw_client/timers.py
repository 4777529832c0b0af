"""ClockEye's SDK shape over the server's timers API: ``client.time_entries`` (the timer and the
time entries of a stopwatch bucket) and ``client.projects`` (projects and their tasks).

Answers become small typed values (TimeEntry, Project, Task, Page); refusals raise the client's
errors with the server's ``code`` and ``details`` (NoTimerRunning, BadRequest, Conflict,
NotFound...). Requests go through the client, so they share its session, API key and timeouts.
"""

from __future__ import annotations

import builtins
import enum
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Generic, TypeVar
from urllib.parse import quote

from aw_client.errors import ClientError
from aw_core.timeutil import format_datetime, parse_datetime

if TYPE_CHECKING:
    from aw_client.client import ActivityWatchClient

T = TypeVar("T")
MAX_PER_PAGE = 500  # the server's largest page: whole listings are read in pages this big


class Unset(enum.Enum):
    """The type of UNSET: a field an update leaves as it is (None clears it)."""

    UNSET = enum.auto()


UNSET = Unset.UNSET


class UnexpectedAnswer(ClientError):
    """A successful answer whose body is not what the timers API returns."""


# -- values --------------------------------------------------------------------------------------


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _instant(value: Any) -> datetime | None:
    return None if value is None else parse_datetime(value)


@dataclass(frozen=True)
class TimeEntry:
    """A time entry (an event of the stopwatch bucket); ``end`` is None while it runs, and then
    ``duration`` is the time it has run so far (as the server answered)."""

    id: int
    project_id: str | None
    task_id: str | None
    description: str | None
    start: datetime
    end: datetime | None
    duration: timedelta
    running: bool
    user_id: str | None

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> TimeEntry:
        return cls(
            id=int(value["id"]),
            project_id=_text(value.get("project_id")),
            task_id=_text(value.get("task_id")),
            description=_text(value.get("description")),
            start=parse_datetime(value["start"]),
            end=_instant(value.get("end")),
            duration=timedelta(seconds=float(value["duration"])),
            running=bool(value.get("running")),
            user_id=_text(value.get("user_id")),
        )

    def to_json(self) -> dict[str, Any]:
        """The API's form of the entry."""
        return {
            "id": self.id,
            "project_id": self.project_id,
            "task_id": self.task_id,
            "description": self.description,
            "start": format_datetime(self.start),
            "end": None if self.end is None else format_datetime(self.end),
            "duration": self.duration.total_seconds(),
            "running": self.running,
            "user_id": self.user_id,
        }


@dataclass(frozen=True)
class Project:
    id: str
    name: str
    color: str | None
    archived: bool
    created: datetime

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> Project:
        return cls(
            id=str(value["id"]),
            name=str(value["name"]),
            color=_text(value.get("color")),
            archived=bool(value.get("archived")),
            created=parse_datetime(value["created"]),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "color": self.color,
            "archived": self.archived,
            "created": format_datetime(self.created),
        }


@dataclass(frozen=True)
class Task:
    id: str
    project_id: str
    name: str
    created: datetime

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> Task:
        return cls(
            id=str(value["id"]),
            project_id=str(value["project_id"]),
            name=str(value["name"]),
            created=parse_datetime(value["created"]),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "project_id": self.project_id,
            "name": self.name,
            "created": format_datetime(self.created),
        }


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a listing: its items and where it stands (``total`` items in all)."""

    items: list[T]
    page: int
    per_page: int
    total: int
    total_pages: int

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    @property
    def has_next(self) -> bool:
        return self.page < self.total_pages

    def meta(self) -> dict[str, int]:
        """The API's ``meta`` of the page."""
        return {
            "page": self.page,
            "per_page": self.per_page,
            "total": self.total,
            "total_pages": self.total_pages,
        }


def _parsed(what: str, parse: Callable[[dict[str, Any]], T], value: Any) -> T:
    """``parse(value)``; an answer of another shape is an UnexpectedAnswer, not a KeyError."""
    try:
        if not isinstance(value, dict):
            raise TypeError(f"a JSON {type(value).__name__}")
        return parse(value)
    except (KeyError, TypeError, ValueError) as exc:
        raise UnexpectedAnswer(f"the server did not answer with a {what}: {exc}") from None


def _page(what: str, parse: Callable[[dict[str, Any]], T], value: Any) -> Page[T]:
    def read(body: dict[str, Any]) -> Page[T]:
        meta = body["meta"]
        return Page(
            items=[_parsed(what, parse, item) for item in body["data"]],
            page=int(meta["page"]),
            per_page=int(meta["per_page"]),
            total=int(meta["total"]),
            total_pages=int(meta["total_pages"]),
        )

    return _parsed(f"page of {what}s", read, value)


def _all_pages(fetch: Callable[[int], Page[T]]) -> list[T]:
    """Every item of a listing, read a page at a time."""
    items: list[T] = []
    number = 1
    while True:
        page = fetch(number)
        items.extend(page.items)
        if not page.items or not page.has_next:
            return items
        number += 1


# -- request values ------------------------------------------------------------------------------


def _day(value: date | str | None, name: str) -> str | None:
    """A date parameter as ``YYYY-MM-DD``; strings go as they are (the server checks them)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, datetime):
        # which day an instant falls on depends on a time zone: the server's, not ours
        raise ValueError(f"{name} must be a date or a 'YYYY-MM-DD' string, not a datetime")
    return value.isoformat()


def _when(value: datetime | str, name: str) -> str:
    """A date-time field: an aware datetime, or an ISO 8601 string the server parses."""
    if isinstance(value, str):
        return value
    if value.tzinfo is None:
        raise ValueError(f"{name} must be timezone-aware")
    return format_datetime(value)


def _project_path(project_id: str, rest: str = "") -> str:
    """The path of a project (and what is under it): the id quoted, so no id reaches another
    path; an empty one would name the list of projects."""
    if not project_id:
        raise ValueError("project_id must not be empty")
    return f"projects/{quote(project_id, safe='')}{rest}"


def _seconds(value: timedelta | float) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def _given(**fields: Any) -> dict[str, Any]:
    """The fields that are not UNSET (None included: it clears a field)."""
    return {name: value for name, value in fields.items() if value is not UNSET}


def _present(**fields: Any) -> dict[str, Any]:
    """The fields that are not None."""
    return {name: value for name, value in fields.items() if value is not None}


# -- resources -----------------------------------------------------------------------------------


class _Resource:
    def __init__(self, client: ActivityWatchClient) -> None:
        self._client = client

    def _call(
        self, method: str, path: str, body: Any = None, params: dict[str, Any] | None = None
    ) -> Any:
        """The JSON answer of a request through the client; ``body`` None sends none."""
        if body is None:
            return self._client._json(method, path, params=params)
        return self._client._json(method, path, body, params)


class TimeEntries(_Resource):
    """The timer and the time entries of a stopwatch bucket (the server's default,
    ``aw-stopwatch``, unless ``bucket`` names another ``general.stopwatch`` bucket)."""

    def __init__(self, client: ActivityWatchClient, bucket: str | None = None) -> None:
        super().__init__(client)
        self.bucket = bucket

    def in_bucket(self, bucket: str) -> TimeEntries:
        """The same API over another stopwatch bucket (created on the first start)."""
        return TimeEntries(self._client, bucket)

    def _call(
        self, method: str, path: str, body: Any = None, params: dict[str, Any] | None = None
    ) -> Any:
        return super()._call(method, path, body, {**(params or {}), **_present(bucket=self.bucket)})

    def _entry(self, method: str, path: str, body: Any = None) -> TimeEntry:
        return _parsed("time entry", TimeEntry.from_json, self._call(method, path, body))

    # -- the timer -------------------------------------------------------------------------------

    def start(
        self,
        project_id: str | None = None,
        task_id: str | None = None,
        description: str | None = None,
    ) -> TimeEntry:
        """Start a timer, stopping the one running (if any) first; the new, running entry.

        A task alone names its project. Unknown ids raise BadRequest (``code``
        ``unknown_project`` or ``unknown_task``)."""
        body = _present(project_id=project_id, task_id=task_id, description=description)
        return self._entry("POST", "time-entries/start", body)

    def stop(self) -> TimeEntry:
        """Stop the running timer; the finished entry. NoTimerRunning when none runs."""
        return self._entry("POST", "time-entries/stop")

    def current(self) -> TimeEntry | None:
        """The running timer, or None."""
        value = self._call("GET", "time-entries/current")
        return None if value is None else _parsed("time entry", TimeEntry.from_json, value)

    # -- entries ---------------------------------------------------------------------------------

    def list(
        self,
        project_id: str | None = None,
        start_date: date | str | None = None,
        end_date: date | str | None = None,
        page: int = 1,
        per_page: int = 50,
    ) -> Page[TimeEntry]:
        """One page of entries, newest first. ``start_date``/``end_date`` are days in the
        server's time zone (``[server] timezone``), both included; an entry is in the day it
        starts. ``per_page`` is at most 500."""
        params = _present(
            project_id=project_id,
            start_date=_day(start_date, "start_date"),
            end_date=_day(end_date, "end_date"),
            page=page,
            per_page=per_page,
        )
        return _page(
            "time entry", TimeEntry.from_json, self._call("GET", "time-entries", None, params)
        )

    def create(
        self,
        start: datetime | str,
        end: datetime | str | None = None,
        duration: timedelta | float | None = None,
        *,
        description: str | None = None,
        project_id: str | None = None,
        task_id: str | None = None,
    ) -> TimeEntry:
        """Add a finished entry from ``start`` to ``end``, or lasting ``duration`` (seconds
        or a timedelta); datetimes must be timezone-aware."""
        body = _present(
            start=_when(start, "start"),
            end=None if end is None else _when(end, "end"),
            duration=None if duration is None else _seconds(duration),
            description=description,
            project_id=project_id,
            task_id=task_id,
        )
        return self._entry("POST", "time-entries", body)

    def get(self, entry_id: int) -> TimeEntry:
        """The entry; NotFound if there is none with that id."""
        return self._entry("GET", f"time-entries/{int(entry_id)}")

    def update(
        self,
        entry_id: int,
        *,
        description: str | None | Unset = UNSET,
        project_id: str | None | Unset = UNSET,
        task_id: str | None | Unset = UNSET,
        start: datetime | str | None = None,
        end: datetime | str | None = None,
        duration: timedelta | float | None = None,
    ) -> TimeEntry:
        """Change an entry; what is not given stays. None clears the description, project or
        task. A running entry may only move its start (``end`` raises Conflict)."""
        body = {
            **_given(description=description, project_id=project_id, task_id=task_id),
            **_present(
                start=None if start is None else _when(start, "start"),
                end=None if end is None else _when(end, "end"),
                duration=None if duration is None else _seconds(duration),
            ),
        }
        return self._entry("PATCH", f"time-entries/{int(entry_id)}", body)

    def delete(self, entry_id: int) -> TimeEntry:
        """Delete the entry; what it was."""
        return self._entry("DELETE", f"time-entries/{int(entry_id)}")


class Projects(_Resource):
    """Projects and their tasks (the server's, shared by every stopwatch bucket)."""

    def _project(self, method: str, project_id: str, body: Any = None) -> Project:
        value = self._call(method, _project_path(project_id), body)
        return _parsed("project", Project.from_json, value)

    def list(self, archived: bool | None = None) -> list[Project]:
        """Every project (or only the archived ones, or only the others), by name."""

        def fetch(number: int) -> Page[Project]:
            params = _present(
                archived=None if archived is None else str(archived).lower(),
                page=number,
                per_page=MAX_PER_PAGE,
            )
            return _page("project", Project.from_json, self._call("GET", "projects", None, params))

        return _all_pages(fetch)

    def create(self, name: str, color: str | None = None, archived: bool = False) -> Project:
        """A new project; ``color`` like ``#3b82f6`` (else the next of a palette). A name in use
        (ignoring ASCII case) raises Conflict (``project_exists``)."""
        body = _present(name=name, color=color, archived=archived or None)
        return _parsed("project", Project.from_json, self._call("POST", "projects", body))

    def get(self, project_id: str) -> Project:
        """The project; NotFound if there is none with that id."""
        return self._project("GET", project_id)

    def update(
        self,
        project_id: str,
        *,
        name: str | None = None,
        color: str | None = None,
        archived: bool | None = None,
    ) -> Project:
        """Change a project; what is None stays."""
        return self._project(
            "PATCH", project_id, _present(name=name, color=color, archived=archived)
        )

    def delete(self, project_id: str, force: bool = False) -> int:
        """Delete a project; how many time entries lost it. When entries name it, Conflict
        (``project_has_entries``) unless ``force``, which keeps them without a project."""
        params = {"force": 1} if force else None
        value = self._call("DELETE", _project_path(project_id), None, params)
        return _parsed("deleted project", lambda body: int(body.get("entries_cleared", 0)), value)

    # builtins.list: inside this class, ``list`` is the method above
    def tasks(self, project_id: str) -> builtins.list[Task]:
        """Every task of the project, by name."""
        path = _project_path(project_id, "/tasks")

        def fetch(number: int) -> Page[Task]:
            params = {"page": number, "per_page": MAX_PER_PAGE}
            return _page("task", Task.from_json, self._call("GET", path, None, params))

        return _all_pages(fetch)

    def create_task(self, project_id: str, name: str) -> Task:
        """A new task of the project; a name it has already (ignoring ASCII case) raises
        Conflict (``task_exists``)."""
        value = self._call("POST", _project_path(project_id, "/tasks"), {"name": name})
        return _parsed("task", Task.from_json, value)
