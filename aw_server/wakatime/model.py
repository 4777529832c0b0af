"""A WakaTime heartbeat as this server keeps it: normalised, with its machine and dedupe key."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import orjson

PLACEHOLDERS = {
    "project": "<<LAST_PROJECT>>",
    "language": "<<LAST_LANGUAGE>>",
    "branch": "<<LAST_BRANCH>>",
}
TYPES = ("file", "app", "domain", "url", "event")


@dataclass(frozen=True, slots=True)
class Heartbeat:
    machine: str  # X-Machine-Name, "unknown" when missing
    time_us: int  # epoch microseconds
    entity: str
    type: str  # one of TYPES
    category: str
    project: str | None = None
    branch: str | None = None
    language: str | None = None
    editor: str | None = None
    os: str | None = None
    is_write: bool | None = None
    lineno: int | None = None
    cursorpos: int | None = None
    lines: int | None = None
    line_additions: int | None = None
    line_deletions: int | None = None
    project_root_count: int | None = None
    dependencies: tuple[str, ...] = ()
    user_agent: str | None = None

    def aw_key(self) -> tuple[str | None, ...]:
        """What aw_data holds, as a tuple: heartbeats with equal keys merge into one event."""
        return (
            self.entity,
            self.project,
            self.language,
            self.branch,
            self.category,
            self.type,
            self.editor,
            self.os,
        )

    def aw_data(self) -> dict[str, Any]:
        """The event data of the ActivityWatch view: only what stays the same while one file is
        edited (cursor, line counts and write flags would keep equal heartbeats from merging)."""
        return {
            "file": self.entity,
            "project": self.project,
            "language": self.language,
            "branch": self.branch,
            "category": self.category,
            "type": self.type,
            "editor": self.editor,
            "os": self.os,
        }

    def digest(self) -> str:
        """The de-duplication key: the same heartbeat sent twice (an offline queue replaying
        it) has the same digest."""
        fields = (
            self.machine,
            self.entity,
            self.type,
            self.category,
            self.project,
            self.branch,
            self.language,
            self.is_write,
            self.time_us,
        )
        return hashlib.sha256(orjson.dumps(fields)).hexdigest()

    def to_wire(self, heartbeat_id: str) -> dict[str, Any]:
        """The heartbeat as WakaTime's API shows it."""
        return {
            "id": heartbeat_id,
            "entity": self.entity,
            "type": self.type,
            "category": self.category,
            "time": self.time_us / 1_000_000,
            "project": self.project,
            "branch": self.branch,
            "language": self.language,
            "dependencies": list(self.dependencies),
            "lines": self.lines,
            "lineno": self.lineno,
            "cursorpos": self.cursorpos,
            "is_write": self.is_write,
            "line_additions": self.line_additions,
            "line_deletions": self.line_deletions,
            "project_root_count": self.project_root_count,
            "user_agent": self.user_agent,
            "machine_name": self.machine,
            "editor": self.editor,
            "operating_system": self.os,
        }
