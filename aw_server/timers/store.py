"""The projects and tasks tables (and a memory version), written inside the caller's storage
transaction like every feature package's tables.

Names are unique per project list (and per project for tasks) ignoring ASCII case, as SQLite's
NOCASE compares them; the memory version compares the same way.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from typing import Any, Protocol

from aw_server.timers.model import Project, Task


class ProjectStore(Protocol):
    def get(self, project_id: str) -> Project | None: ...

    def by_name(self, name: str) -> Project | None:
        """The project of this name, ignoring ASCII case."""
        ...

    def search(
        self, *, archived: bool | None, limit: int, offset: int
    ) -> tuple[list[Project], int]:
        """Projects by name (all, or only those archived or not), and how many match."""
        ...

    def add(self, project: Project) -> None: ...

    def save(self, project: Project) -> None:
        """Store a project's new name, color and archived flag."""
        ...

    def delete(self, project_id: str) -> None:
        """Delete the project and its tasks."""
        ...

    def task(self, task_id: str) -> Task | None: ...

    def task_by_name(self, project_id: str, name: str) -> Task | None: ...

    def tasks(self, project_id: str, *, limit: int, offset: int) -> tuple[list[Task], int]:
        """The project's tasks by name, and how many it has."""
        ...

    def add_task(self, task: Task) -> None: ...


def _create_tables(conn: sqlite3.Connection) -> None:
    conn.execute(
        "CREATE TABLE timer_projects (id TEXT PRIMARY KEY, name TEXT NOT NULL,"
        " color TEXT NOT NULL, archived INTEGER NOT NULL DEFAULT 0, created_us INTEGER NOT NULL)"
    )
    conn.execute(
        "CREATE TABLE timer_tasks (id TEXT PRIMARY KEY,"
        " project_id TEXT NOT NULL REFERENCES timer_projects (id) ON DELETE CASCADE,"
        " name TEXT NOT NULL, created_us INTEGER NOT NULL)"
    )
    conn.execute("CREATE INDEX timer_tasks_project ON timer_tasks (project_id)")


MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_create_tables]

_PROJECT = "SELECT id, name, color, archived, created_us FROM timer_projects"
_TASK = "SELECT id, project_id, name, created_us FROM timer_tasks"
_BY_NAME = "ORDER BY name COLLATE NOCASE, id"


def _project(row: tuple[Any, ...]) -> Project:
    return Project(row[0], row[1], row[2], bool(row[3]), row[4])


def _task(row: tuple[Any, ...]) -> Task:
    return Task(row[0], row[1], row[2], row[3])


class SqlBackend(Protocol):
    def connection(self) -> sqlite3.Connection: ...

    def migrate_part(
        self, part: str, migrations: list[Callable[[sqlite3.Connection], None]]
    ) -> None: ...


class SqliteProjectStore:
    def __init__(self, backend: SqlBackend) -> None:
        self.backend = backend
        backend.migrate_part("timers", MIGRATIONS)

    def _conn(self) -> sqlite3.Connection:
        return self.backend.connection()

    def get(self, project_id: str) -> Project | None:
        row = self._conn().execute(f"{_PROJECT} WHERE id = ?", (project_id,)).fetchone()
        return _project(row) if row else None

    def by_name(self, name: str) -> Project | None:
        row = (
            self._conn()
            .execute(f"{_PROJECT} WHERE name = ? COLLATE NOCASE {_BY_NAME} LIMIT 1", (name,))
            .fetchone()
        )
        return _project(row) if row else None

    def search(
        self, *, archived: bool | None, limit: int, offset: int
    ) -> tuple[list[Project], int]:
        where, params = (
            ("WHERE archived = ?", [int(archived)]) if archived is not None else ("", [])
        )
        conn = self._conn()
        total = conn.execute(f"SELECT count(*) FROM timer_projects {where}", params).fetchone()[0]
        rows = conn.execute(
            f"{_PROJECT} {where} {_BY_NAME} LIMIT ? OFFSET ?", [*params, limit, offset]
        )
        return [_project(r) for r in rows], int(total)

    def add(self, project: Project) -> None:
        self._conn().execute(
            "INSERT INTO timer_projects (id, name, color, archived, created_us)"
            " VALUES (?, ?, ?, ?, ?)",
            (project.id, project.name, project.color, int(project.archived), project.created_us),
        )

    def save(self, project: Project) -> None:
        self._conn().execute(
            "UPDATE timer_projects SET name = ?, color = ?, archived = ? WHERE id = ?",
            (project.name, project.color, int(project.archived), project.id),
        )

    def delete(self, project_id: str) -> None:
        conn = self._conn()
        conn.execute("DELETE FROM timer_tasks WHERE project_id = ?", (project_id,))
        conn.execute("DELETE FROM timer_projects WHERE id = ?", (project_id,))

    def task(self, task_id: str) -> Task | None:
        row = self._conn().execute(f"{_TASK} WHERE id = ?", (task_id,)).fetchone()
        return _task(row) if row else None

    def task_by_name(self, project_id: str, name: str) -> Task | None:
        row = (
            self._conn()
            .execute(
                f"{_TASK} WHERE project_id = ? AND name = ? COLLATE NOCASE LIMIT 1",
                (project_id, name),
            )
            .fetchone()
        )
        return _task(row) if row else None

    def tasks(self, project_id: str, *, limit: int, offset: int) -> tuple[list[Task], int]:
        conn = self._conn()
        total = conn.execute(
            "SELECT count(*) FROM timer_tasks WHERE project_id = ?", (project_id,)
        ).fetchone()[0]
        rows = conn.execute(
            f"{_TASK} WHERE project_id = ? {_BY_NAME} LIMIT ? OFFSET ?", (project_id, limit, offset)
        )
        return [_task(r) for r in rows], int(total)

    def add_task(self, task: Task) -> None:
        self._conn().execute(
            "INSERT INTO timer_tasks (id, project_id, name, created_us) VALUES (?, ?, ?, ?)",
            (task.id, task.project_id, task.name, task.created_us),
        )


def _fold(name: str) -> str:
    """ASCII-only lower case, as SQLite's NOCASE folds."""
    return name.translate(_ASCII_LOWER)


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


class MemoryProjectStore:
    """For ``--storage memory``. Its writes are not undone when the storage transaction that
    made them fails: operations check everything before they write here, and write here last."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._projects: dict[str, Project] = {}
        self._tasks: dict[str, Task] = {}

    def get(self, project_id: str) -> Project | None:
        return self._projects.get(project_id)

    def _sorted(self) -> list[Project]:
        with self._lock:
            projects = list(self._projects.values())
        return sorted(projects, key=lambda p: (_fold(p.name), p.id))

    def by_name(self, name: str) -> Project | None:
        return next((p for p in self._sorted() if _fold(p.name) == _fold(name)), None)

    def search(
        self, *, archived: bool | None, limit: int, offset: int
    ) -> tuple[list[Project], int]:
        found = [p for p in self._sorted() if archived is None or p.archived == archived]
        return found[offset : offset + limit], len(found)

    def add(self, project: Project) -> None:
        with self._lock:
            self._projects[project.id] = project

    save = add

    def delete(self, project_id: str) -> None:
        with self._lock:
            self._projects.pop(project_id, None)
            self._tasks = {k: t for k, t in self._tasks.items() if t.project_id != project_id}

    def task(self, task_id: str) -> Task | None:
        return self._tasks.get(task_id)

    def _project_tasks(self, project_id: str) -> list[Task]:
        with self._lock:
            tasks = [t for t in self._tasks.values() if t.project_id == project_id]
        return sorted(tasks, key=lambda t: (_fold(t.name), t.id))

    def task_by_name(self, project_id: str, name: str) -> Task | None:
        return next(
            (t for t in self._project_tasks(project_id) if _fold(t.name) == _fold(name)), None
        )

    def tasks(self, project_id: str, *, limit: int, offset: int) -> tuple[list[Task], int]:
        found = self._project_tasks(project_id)
        return found[offset : offset + limit], len(found)

    def add_task(self, task: Task) -> None:
        with self._lock:
            self._tasks[task.id] = task


def open_project_store(storage: object) -> ProjectStore:
    from aw_server.storage.sqlite import SqliteStorage

    if isinstance(storage, SqliteStorage):
        return SqliteProjectStore(storage)
    return MemoryProjectStore()
