"""The raw WakaTime heartbeats: every accepted heartbeat with all its fields, stored once.

They are the source of truth for the WakaTime read APIs and for the ActivityWatch view (the
events of ``aw-watcher-wakatime_<machine>``), which is recomputed from them. Writes happen inside
the storage's write transaction (the caller's ``Storage.write``), so a heartbeat and the events
made of it are committed together.
"""

from __future__ import annotations

import bisect
import sqlite3
import threading
from collections.abc import Callable
from typing import Any, Protocol

import orjson

from aw_server.wakatime.model import Heartbeat

Stored = tuple[int, Heartbeat]  # (raw id, heartbeat)
Added = tuple[int, Heartbeat, bool]  # (raw id, the heartbeat as stored, newly stored)


class HeartbeatStore(Protocol):
    def add(self, heartbeats: list[tuple[str, Heartbeat]]) -> list[Added]:
        """Store each (digest, heartbeat) unless one with that digest is there; for each, its
        id, the heartbeat as stored (the first copy's fields for a duplicate) and whether it
        was newly stored."""
        ...

    def window(self, machine: str, lo_us: int, hi_us: int) -> list[Stored]:
        """The machine's heartbeats with lo <= time <= hi, in ORDER."""
        ...

    def before(self, machine: str, time_us: int) -> Stored | None:
        """The machine's last heartbeat before ``time_us``."""
        ...

    def after(self, machine: str, time_us: int) -> Stored | None:
        """The machine's first heartbeat after ``time_us``."""
        ...

    def between(self, lo_us: int, hi_us: int) -> list[Stored]:
        """Every machine's heartbeats with lo <= time <= hi, by machine, then in ORDER."""
        ...

    def machines(self) -> list[str]: ...

    def projects(self) -> list[tuple[str, str, int, int]]:
        """(project, machine, first time, last time) of every project named by a heartbeat."""
        ...

    def coding(self, machine: str, lo_us: int, hi_us: int) -> list[tuple[Any, ...]]:
        """What the read APIs count of the machine's heartbeats with lo <= time <= hi, in
        order: rows of CODING_COLUMNS, dependencies as the JSON text they are stored as."""
        ...

    def first_time(self, machine: str) -> int | None:
        """The time of the machine's first heartbeat."""
        ...


_COLUMNS = (
    "machine",
    "time_us",
    "entity",
    "type",
    "category",
    "project",
    "branch",
    "language",
    "editor",
    "os",
    "is_write",
    "lineno",
    "cursorpos",
    "lines",
    "line_additions",
    "line_deletions",
    "project_root_count",
    "dependencies",
    "user_agent",
)
_SELECT = f"SELECT id, {', '.join(_COLUMNS)} FROM wakatime_heartbeats"
# ORDER of a machine's heartbeats: by time, and heartbeats of one instant by digest, never by
# id: which of them takes the gap to the next heartbeat (and so its events and summaries) must
# not depend on which one arrived first.
# The Slice fields after its duration, in its order, with the heartbeat's time first.
CODING_COLUMNS = (
    "time_us",
    "project",
    "language",
    "editor",
    "os",
    "machine",
    "category",
    "branch",
    "entity",
    "dependencies",
)
_ORDER = "time_us, digest"
_ORDER_DESC = "time_us DESC, digest DESC"


def _create_tables(conn: sqlite3.Connection) -> None:
    conn.execute(
        "CREATE TABLE wakatime_heartbeats (id INTEGER PRIMARY KEY AUTOINCREMENT,"
        " digest TEXT NOT NULL UNIQUE, machine TEXT NOT NULL, time_us INTEGER NOT NULL,"
        " entity TEXT NOT NULL, type TEXT NOT NULL, category TEXT NOT NULL, project TEXT,"
        " branch TEXT, language TEXT, editor TEXT, os TEXT, is_write INTEGER, lineno INTEGER,"
        " cursorpos INTEGER, lines INTEGER, line_additions INTEGER, line_deletions INTEGER,"
        " project_root_count INTEGER, dependencies TEXT NOT NULL, user_agent TEXT)"
    )
    # the order reads walk (see _ORDER): no sort for them
    conn.execute(
        "CREATE INDEX wakatime_machine_time ON wakatime_heartbeats (machine, time_us, digest)"
    )
    conn.execute("CREATE INDEX wakatime_time ON wakatime_heartbeats (time_us)")


MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_create_tables]


def _row(heartbeat: Heartbeat) -> tuple[Any, ...]:
    values = [getattr(heartbeat, name) for name in _COLUMNS]
    values[_COLUMNS.index("dependencies")] = orjson.dumps(list(heartbeat.dependencies)).decode()
    return tuple(values)


def _heartbeat(row: tuple[Any, ...]) -> Stored:
    values = dict(zip(_COLUMNS, row[1:], strict=True))
    values["dependencies"] = tuple(orjson.loads(values["dependencies"]))
    if values["is_write"] is not None:
        values["is_write"] = bool(values["is_write"])
    return row[0], Heartbeat(**values)


class SqlBackend(Protocol):
    def connection(self) -> sqlite3.Connection: ...

    def migrate_part(
        self, part: str, migrations: list[Callable[[sqlite3.Connection], None]]
    ) -> None: ...


class SqliteHeartbeatStore:
    def __init__(self, backend: SqlBackend) -> None:
        self.backend = backend
        backend.migrate_part("wakatime", MIGRATIONS)

    def _conn(self) -> sqlite3.Connection:
        return self.backend.connection()

    def add(self, heartbeats: list[tuple[str, Heartbeat]]) -> list[Added]:
        conn = self._conn()
        result: list[Added] = []
        insert = (
            f"INSERT OR IGNORE INTO wakatime_heartbeats (digest, {', '.join(_COLUMNS)})"
            f" VALUES (?, {', '.join('?' * len(_COLUMNS))})"
        )
        for digest, heartbeat in heartbeats:
            cursor = conn.execute(insert, (digest, *_row(heartbeat)))
            if cursor.rowcount == 1:
                result.append((int(cursor.lastrowid or 0), heartbeat, True))
                continue
            row = conn.execute(f"{_SELECT} WHERE digest = ?", (digest,)).fetchone()
            stored_id, stored = _heartbeat(row)
            result.append((stored_id, stored, False))
        return result

    def window(self, machine: str, lo_us: int, hi_us: int) -> list[Stored]:
        rows = self._conn().execute(
            f"{_SELECT} WHERE machine = ? AND time_us >= ? AND time_us <= ? ORDER BY {_ORDER}",
            (machine, lo_us, hi_us),
        )
        return [_heartbeat(r) for r in rows]

    def before(self, machine: str, time_us: int) -> Stored | None:
        row = (
            self._conn()
            .execute(
                f"{_SELECT} WHERE machine = ? AND time_us < ? ORDER BY {_ORDER_DESC} LIMIT 1",
                (machine, time_us),
            )
            .fetchone()
        )
        return _heartbeat(row) if row else None

    def after(self, machine: str, time_us: int) -> Stored | None:
        row = (
            self._conn()
            .execute(
                f"{_SELECT} WHERE machine = ? AND time_us > ? ORDER BY {_ORDER} LIMIT 1",
                (machine, time_us),
            )
            .fetchone()
        )
        return _heartbeat(row) if row else None

    def between(self, lo_us: int, hi_us: int) -> list[Stored]:
        rows = self._conn().execute(
            f"{_SELECT} WHERE time_us >= ? AND time_us <= ? ORDER BY machine, {_ORDER}",
            (lo_us, hi_us),
        )
        return [_heartbeat(r) for r in rows]

    def machines(self) -> list[str]:
        rows = self._conn().execute("SELECT DISTINCT machine FROM wakatime_heartbeats")
        return sorted(r[0] for r in rows)

    def projects(self) -> list[tuple[str, str, int, int]]:
        rows = self._conn().execute(
            "SELECT project, machine, min(time_us), max(time_us) FROM wakatime_heartbeats"
            " WHERE project IS NOT NULL GROUP BY project, machine"
        )
        return [(r[0], r[1], r[2], r[3]) for r in rows]

    def coding(self, machine: str, lo_us: int, hi_us: int) -> list[tuple[Any, ...]]:
        rows = self._conn().execute(
            f"SELECT {', '.join(CODING_COLUMNS)} FROM wakatime_heartbeats"
            f" WHERE machine = ? AND time_us >= ? AND time_us <= ? ORDER BY {_ORDER}",
            (machine, lo_us, hi_us),
        )
        return rows.fetchall()

    def first_time(self, machine: str) -> int | None:
        row = (
            self._conn()
            .execute("SELECT min(time_us) FROM wakatime_heartbeats WHERE machine = ?", (machine,))
            .fetchone()
        )
        return row[0] if row else None


class MemoryHeartbeatStore:
    """The same in memory, for ``--storage memory``."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._by_digest: dict[str, Stored] = {}
        # machine -> (time, digest, id, heartbeat), in the ORDER of the SQLite store
        self._rows: dict[str, list[tuple[int, str, int, Heartbeat]]] = {}
        self._next_id = 1

    def add(self, heartbeats: list[tuple[str, Heartbeat]]) -> list[Added]:
        result: list[Added] = []
        with self._lock:
            for digest, heartbeat in heartbeats:
                if digest in self._by_digest:
                    result.append((*self._by_digest[digest], False))
                    continue
                hb_id, self._next_id = self._next_id, self._next_id + 1
                self._by_digest[digest] = (hb_id, heartbeat)
                rows = self._rows.setdefault(heartbeat.machine, [])
                row = (heartbeat.time_us, digest, hb_id, heartbeat)
                bisect.insort(rows, row, key=lambda r: r[:2])
                result.append((hb_id, heartbeat, True))
        return result

    def _machine(self, machine: str) -> list[tuple[int, str, int, Heartbeat]]:
        return self._rows.get(machine, [])

    def window(self, machine: str, lo_us: int, hi_us: int) -> list[Stored]:
        with self._lock:
            return [(i, h) for t, _, i, h in self._machine(machine) if lo_us <= t <= hi_us]

    def before(self, machine: str, time_us: int) -> Stored | None:
        with self._lock:
            earlier = [(i, h) for t, _, i, h in self._machine(machine) if t < time_us]
            return earlier[-1] if earlier else None

    def after(self, machine: str, time_us: int) -> Stored | None:
        with self._lock:
            later = [(i, h) for t, _, i, h in self._machine(machine) if t > time_us]
            return later[0] if later else None

    def between(self, lo_us: int, hi_us: int) -> list[Stored]:
        with self._lock:
            return [
                (i, h)
                for machine in sorted(self._rows)
                for t, _, i, h in self._rows[machine]
                if lo_us <= t <= hi_us
            ]

    def machines(self) -> list[str]:
        with self._lock:
            return sorted(self._rows)

    def projects(self) -> list[tuple[str, str, int, int]]:
        spans: dict[tuple[str, str], tuple[int, int]] = {}
        with self._lock:
            for machine, rows in self._rows.items():
                for time_us, _, _, beat in rows:
                    if beat.project is not None:
                        first, last = spans.get((beat.project, machine), (time_us, time_us))
                        spans[(beat.project, machine)] = (min(first, time_us), max(last, time_us))
        return [(p, m, first, last) for (p, m), (first, last) in spans.items()]

    def coding(self, machine: str, lo_us: int, hi_us: int) -> list[tuple[Any, ...]]:
        return [
            (
                *(getattr(beat, name) for name in CODING_COLUMNS[:-1]),
                orjson.dumps(list(beat.dependencies)).decode(),
            )
            for _, beat in self.window(machine, lo_us, hi_us)
        ]

    def first_time(self, machine: str) -> int | None:
        with self._lock:
            rows = self._machine(machine)
            return rows[0][0] if rows else None


def open_heartbeat_store(storage: object) -> HeartbeatStore:
    from aw_server.storage.sqlite import SqliteStorage

    if isinstance(storage, SqliteStorage):
        return SqliteHeartbeatStore(storage)
    return MemoryHeartbeatStore()
