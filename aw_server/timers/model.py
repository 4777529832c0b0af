"""Time entries as events of a ``general.stopwatch`` bucket, projects and tasks: plain data, no I/O.

An entry is an event whose ``data`` is ``{label, running, project_id, task_id, description}``.
``label`` is what the AW web UI's Stopwatch page shows and edits, so it is the description's
source of truth; ``running`` is true while the timer runs, and then the stored duration means
nothing (the web UI stores 0): the entry counts up to now.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Any

from aw_core.models import Event
from aw_core.timeutil import from_us

STOPWATCH_TYPE = "general.stopwatch"
DEFAULT_BUCKET = "aw-stopwatch"  # the bucket the AW web UI's Stopwatch page uses
# A single-user server: every entry belongs to the one user, whoever (which key) wrote it.
USER_ID = "me"


def now_us() -> int:
    return time.time_ns() // 1000


def iso(us: int) -> str:
    return from_us(us).isoformat()


def is_running(event: Event) -> bool:
    return event.data.get("running") is True


def entry_data(
    description: str | None, project_id: str | None, task_id: str | None, *, running: bool
) -> dict[str, Any]:
    """The data of an entry's event (the AW web UI reads ``label`` and ``running``)."""
    return {
        "label": description or "",
        "running": running,
        "project_id": project_id,
        "task_id": task_id,
        "description": description,
    }


def _text(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    return value if isinstance(value, str) and value else None


@dataclass(frozen=True)
class Entry:
    """A time entry read from its event; ``end_us`` is None while it runs."""

    id: int
    project_id: str | None
    task_id: str | None
    description: str | None
    start_us: int
    end_us: int | None

    @classmethod
    def of(cls, event: Event) -> Entry:
        data = event.data
        running = is_running(event)
        return cls(
            id=int(event.id or 0),
            project_id=_text(data, "project_id"),
            task_id=_text(data, "task_id"),
            # the label wins: it is what the web UI edits (a web UI timer has no description)
            description=_text(data, "label") or _text(data, "description"),
            start_us=event.start_us,
            end_us=None if running else event.end_us,
        )

    @property
    def running(self) -> bool:
        return self.end_us is None

    def to_json(self, at_us: int) -> dict[str, Any]:
        """The API's form; a running entry's duration counts up to ``at_us``."""
        end = self.end_us if self.end_us is not None else max(at_us, self.start_us)
        return {
            "id": self.id,
            "project_id": self.project_id,
            "task_id": self.task_id,
            "description": self.description,
            "start": iso(self.start_us),
            "end": None if self.end_us is None else iso(self.end_us),
            "duration": (end - self.start_us) / 1_000_000,
            "running": self.running,
            "user_id": USER_ID,
        }


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(8)}"


@dataclass(frozen=True)
class Project:
    id: str
    name: str
    color: str
    archived: bool
    created_us: int

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "color": self.color,
            "archived": self.archived,
            "created": iso(self.created_us),
        }


@dataclass(frozen=True)
class Task:
    id: str
    project_id: str
    name: str
    created_us: int

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "project_id": self.project_id,
            "name": self.name,
            "created": iso(self.created_us),
        }
