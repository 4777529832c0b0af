"""SQLite storage through peewee: one file, WAL journal, every write committed before it returns.

Schema (version 1): ``buckets`` (metadata, data as JSON, and ``max_duration_us``: an upper bound
on the duration of any event the bucket has held), ``events`` (start and end as integer UTC
microseconds, data as JSON) under one index ``(bucket_pk, start_us, end_us)``, and ``settings``
(key, JSON value). A range read scans the index only from ``start - max_duration_us``, so events
that began long before the range are found without reading the bucket's whole history.
"""

from __future__ import annotations

import copy
import logging
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import orjson
import peewee
from playhouse.sqlite_ext import AutoIncrementField

from aw_core.models import Bucket, Event
from aw_core.timeutil import EPOCH, from_us, to_us
from aw_server.errors import BucketNotFound
from aw_server.storage.base import BUCKET_FIELDS, StorageError, check_data_size

logger = logging.getLogger(__name__)

T = TypeVar("T")

SCHEMA_VERSION = 1
_EVENT_COLUMNS = "id, start_us, end_us, data"
_NEWEST_FIRST = "ORDER BY start_us DESC, end_us DESC, id DESC"
_PAGE_SIZE = 4096  # SQLite's default


class BucketRow(peewee.Model):
    pk = peewee.AutoField()
    bucket_id = peewee.TextField(unique=True)
    name = peewee.TextField(null=True)
    type = peewee.TextField()
    client = peewee.TextField()
    hostname = peewee.TextField()
    created_us = peewee.BigIntegerField()
    data = peewee.TextField(default="{}")
    max_duration_us = peewee.BigIntegerField(default=0)

    class Meta:
        table_name = "buckets"


class EventRow(peewee.Model):
    # AUTOINCREMENT: the id of a deleted event is never handed out again.
    id = AutoIncrementField()
    bucket = peewee.ForeignKeyField(
        BucketRow, column_name="bucket_pk", on_delete="CASCADE", index=False
    )
    start_us = peewee.BigIntegerField()
    end_us = peewee.BigIntegerField()
    data = peewee.TextField()

    class Meta:
        table_name = "events"
        indexes = ((("bucket", "start_us", "end_us"), False),)


class SettingRow(peewee.Model):
    key = peewee.TextField(primary_key=True)
    value = peewee.TextField()

    class Meta:
        table_name = "settings"


MODELS = [BucketRow, EventRow, SettingRow]


def _dumps(data: Any) -> str:
    return orjson.dumps(data, option=orjson.OPT_SORT_KEYS).decode()


def _event(row: tuple[int, int, int, str]) -> Event:
    event_id, start_us, end_us, data = row
    return Event.of_us(event_id, start_us, end_us - start_us, orjson.loads(data))


class _PendingWrite:
    """A write waiting to be run and committed by whichever thread holds the write lock."""

    __slots__ = ("fn", "result", "error", "finished")

    def __init__(self, fn: Callable[[], Any]) -> None:
        self.fn = fn
        self.result: Any = None
        self.error: BaseException | None = None
        self.finished = False

    def outcome(self) -> Any:
        if self.error is not None:
            raise self.error
        return self.result


def _migrate_to_1(db: peewee.SqliteDatabase) -> None:
    # The models declare no database; bind them only while creating the tables.
    with db.bind_ctx(MODELS):
        db.create_tables(MODELS)


# MIGRATIONS[n] brings a database at version n to version n + 1.
MIGRATIONS: list[Callable[[peewee.SqliteDatabase], None]] = [_migrate_to_1]


class SqliteStorage:
    def __init__(
        self,
        path: str | Path,
        *,
        synchronous: str = "full",
        busy_timeout_ms: int = 10_000,
        max_size_mb: float = 0,
    ) -> None:
        self.path = str(path)
        try:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(
                f"cannot create the directory of the database {self.path}: {exc.strerror}"
            ) from exc
        pragmas: dict[str, Any] = {
            "journal_mode": "wal",
            "foreign_keys": 1,
            "busy_timeout": busy_timeout_ms,
            "synchronous": synchronous,
            "cache_size": -1024,
        }
        if max_size_mb:
            # a cap on the database file; writes beyond it fail with "database or disk is full"
            pragmas["max_page_count"] = max(int(max_size_mb * 1024 * 1024 / _PAGE_SIZE), 16)
        self.db = peewee.SqliteDatabase(self.path, pragmas=pragmas)
        self._write_lock = threading.RLock()
        self._pending_lock = threading.Lock()
        self._pending: list[_PendingWrite] = []  # writes waiting for the next group commit
        self._local = threading.local()
        # bucket id -> (pk, max_duration_us). Only this storage writes the buckets table, and
        # every write to a bucket row below updates or drops its entry under the write lock.
        self._bucket_rows: dict[str, tuple[int, int]] = {}
        try:
            self._migrate()
        except (sqlite3.DatabaseError, peewee.DatabaseError) as exc:
            self.db.close()
            raise StorageError(f"cannot open the database {self.path}: {exc}") from exc

    def _migrate(self) -> None:
        with self._write_lock:
            conn = self._conn()
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise StorageError(
                    f"the database {self.path} has schema version {version}, newer than this "
                    f"server understands ({SCHEMA_VERSION}); upgrade the server instead"
                )
            while version < SCHEMA_VERSION:
                with self.atomic():
                    MIGRATIONS[version](self.db)
                    version += 1
                    conn.execute(f"PRAGMA user_version = {version}")
                logger.info("migrated %s to schema version %d", self.path, version)

    def _conn(self) -> sqlite3.Connection:
        """This thread's connection (peewee keeps one per thread, opened on first use)."""
        return self.db.connection()

    def connection(self) -> sqlite3.Connection:
        """This thread's connection, for a feature package's own tables: read through it, and
        write through it only inside ``write()`` or ``atomic()``."""
        return self._conn()

    def migrate_part(
        self, part: str, migrations: Sequence[Callable[[sqlite3.Connection], None]]
    ) -> None:
        """Bring a feature package's tables to ``len(migrations)``: ``migrations[n]`` takes them
        from version n to n + 1. Each part keeps its version in ``schema_parts``, beside the
        core's ``user_version``; a version newer than the package knows is refused."""
        with self.atomic():
            conn = self._conn()
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_parts (part TEXT PRIMARY KEY, version INTEGER NOT NULL)"
            )
            row = conn.execute(
                "SELECT version FROM schema_parts WHERE part = ?", (part,)
            ).fetchone()
            version = row[0] if row else 0
            if version > len(migrations):
                raise StorageError(
                    f"the {part} tables of {self.path} have schema version {version}, newer than "
                    f"this server understands ({len(migrations)}); upgrade the server instead"
                )
            for step in migrations[version:]:
                step(conn)
            if version < len(migrations):
                conn.execute(
                    "INSERT OR REPLACE INTO schema_parts (part, version) VALUES (?, ?)",
                    (part, len(migrations)),
                )
                logger.info(
                    "migrated the %s tables of %s to version %d", part, self.path, len(migrations)
                )

    def close(self) -> None:
        if not self.db.is_closed():
            self.db.close()

    @contextmanager
    def atomic(self) -> Iterator[None]:
        if getattr(self._local, "depth", 0):
            self._local.depth += 1
            try:
                yield
            finally:
                self._local.depth -= 1
            return
        with self._write_lock:
            conn = self._conn()
            conn.execute("BEGIN IMMEDIATE")
            self._local.depth = 1
            try:
                yield
            except BaseException:
                self._roll_back(conn)
                raise
            else:
                conn.execute("COMMIT")
            finally:
                self._local.depth = 0

    def _roll_back(self, conn: sqlite3.Connection) -> None:
        """Undo the open transaction after an error, and forget bucket rows it may have made.

        SQLite rolls back by itself after some errors (a full disk, for one); a second ROLLBACK
        would fail, and its error must not hide the one that is being raised.
        """
        self._bucket_rows.clear()
        if conn.in_transaction:
            try:
                conn.execute("ROLLBACK")
            except sqlite3.Error:
                logger.exception("rollback failed")

    def write(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` (which reads and writes through this storage) in a committed transaction.

        Group commit: writes that arrive while another thread commits queue up, and the next
        thread to take the write lock runs all of them in one transaction, each in its own
        savepoint, and commits once (one fsync for the lot). Every caller still returns only
        after its own write is committed; a write that fails is rolled back alone.
        """
        if getattr(self._local, "depth", 0):
            return fn()  # already inside a transaction: part of it
        pending = _PendingWrite(fn)
        with self._pending_lock:
            self._pending.append(pending)
        with self._write_lock:
            if not pending.finished:
                with self._pending_lock:
                    batch, self._pending = self._pending, []
                self._run_batch(batch)
        return pending.outcome()

    def _run_batch(self, batch: list[_PendingWrite]) -> None:
        """Run the batch in one transaction; afterwards every write in it has either a result
        (committed) or an error (not committed), and is marked finished."""
        conn: sqlite3.Connection | None = None
        alone = len(batch) == 1
        try:
            conn = self._conn()
            conn.execute("BEGIN IMMEDIATE")
            self._local.depth = 1
            for pending in batch:
                if not alone:
                    conn.execute("SAVEPOINT one_write")
                try:
                    pending.result = pending.fn()
                except BaseException as exc:
                    pending.error = exc
                    if alone or not conn.in_transaction:
                        # the transaction is gone (SQLite rolls back by itself after a full
                        # disk, for one): nothing of this batch will be committed
                        raise
                    conn.execute("ROLLBACK TO one_write")
                    conn.execute("RELEASE one_write")
                    self._bucket_rows.clear()  # it may hold rows the rolled back write made
                else:
                    if not alone:
                        conn.execute("RELEASE one_write")
            conn.execute("COMMIT")
        except BaseException as exc:
            for pending in batch:
                if pending.error is None:
                    # not committed, so not acknowledged either; each thread raises its own copy
                    pending.error = copy.copy(exc)
                pending.result = None
            if conn is not None:
                self._roll_back(conn)
        finally:
            self._local.depth = 0
            for pending in batch:
                pending.finished = True

    # -- helpers -----------------------------------------------------------------------------

    def _bucket_row(self, conn: sqlite3.Connection, bucket_id: str) -> tuple[int, int]:
        cached = self._bucket_rows.get(bucket_id)
        if cached is not None:
            return cached
        row = conn.execute(
            "SELECT pk, max_duration_us FROM buckets WHERE bucket_id = ?", (bucket_id,)
        ).fetchone()
        if row is None:
            raise BucketNotFound(bucket_id)
        self._bucket_rows[bucket_id] = (row[0], row[1])
        return self._bucket_rows[bucket_id]

    def _range_clause(
        self, max_duration: int, start: datetime | None, end: datetime | None
    ) -> tuple[str, list[int]]:
        """The WHERE terms (after ``bucket_pk = ?``) choosing the events that overlap the
        inclusive range of base.in_range, with their parameters."""
        clause, params = "", []
        if end is not None:
            clause += " AND start_us <= ?"
            params.append(to_us(end))
        if start is not None:
            start_us = to_us(start)
            # No event is longer than max_duration, so one that reaches start began at or after
            # start - max_duration: that lower bound lets the index scan skip older history.
            clause += " AND start_us >= ? AND end_us >= ?"
            params += [start_us - max_duration, start_us]
        return clause, params

    @staticmethod
    def _clipped_columns(start: datetime | None, end: datetime | None) -> tuple[str, list[int]]:
        """The start and end columns of an event cut to ``[start, end]`` (each bound optional),
        with their parameters. Rows chosen by _range_clause overlap the range, so a cut end is
        never before its cut start (an event that only touches a bound is cut to zero length)."""
        columns, bounds = ["start_us", "end_us"], []
        if start is not None:
            columns[0] = "max(start_us, ?)"
            bounds.append(to_us(start))
        if end is not None:
            columns[1] = "min(end_us, ?)"
            bounds.append(to_us(end))
        return ", ".join(columns), bounds

    def _bucket(self, row: tuple[Any, ...]) -> Bucket:
        _, bucket_id, name, type_, client, hostname, created_us, data = row
        return Bucket(
            id=bucket_id,
            name=name,
            type=type_,
            client=client,
            hostname=hostname,
            created=from_us(created_us),
            data=orjson.loads(data),
        )

    def _with_stats(
        self, conn: sqlite3.Connection, pk: int, max_duration: int, bucket: Bucket
    ) -> Bucket:
        newest = conn.execute(
            f"SELECT start_us, end_us FROM events WHERE bucket_pk = ? {_NEWEST_FIRST} LIMIT 1",
            (pk,),
        ).fetchone()
        if newest is None:
            return bucket
        first = conn.execute(
            "SELECT min(start_us) FROM events WHERE bucket_pk = ?", (pk,)
        ).fetchone()[0]
        last = conn.execute(
            "SELECT max(end_us) FROM events WHERE bucket_pk = ? AND start_us >= ?",
            (pk, newest[0] - max_duration),
        ).fetchone()[0]
        bucket.first, bucket.last, bucket.last_updated = (
            from_us(first),
            from_us(last),
            from_us(newest[1]),
        )
        return bucket

    @staticmethod
    def _next_event_id(conn: sqlite3.Connection) -> int:
        # Ids are allocated here (under the write lock) so a batch insert knows them without a
        # round trip per row; sqlite_sequence remembers the highest id ever used.
        row = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'events'").fetchone()
        highest = conn.execute("SELECT coalesce(max(id), 0) FROM events").fetchone()[0]
        return max(row[0] if row else 0, highest) + 1

    def _grow_max_duration(
        self, conn: sqlite3.Connection, bucket_id: str, pk: int, current: int, duration: int
    ) -> None:
        if duration > current:
            conn.execute("UPDATE buckets SET max_duration_us = ? WHERE pk = ?", (duration, pk))
            self._bucket_rows[bucket_id] = (pk, duration)

    # -- buckets -----------------------------------------------------------------------------

    _BUCKET_SELECT = "SELECT pk, bucket_id, name, type, client, hostname, created_us, data, max_duration_us FROM buckets"

    def create_bucket(self, bucket: Bucket) -> bool:
        check_data_size(len(_dumps(bucket.data)), f"bucket {bucket.id!r}")
        with self.atomic():
            conn = self._conn()
            cursor = conn.execute(
                "INSERT OR IGNORE INTO buckets (bucket_id, name, type, client, hostname, created_us, data, max_duration_us)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, 0)",
                (
                    bucket.id,
                    bucket.name,
                    bucket.type,
                    bucket.client,
                    bucket.hostname,
                    to_us(bucket.created),
                    _dumps(bucket.data),
                ),
            )
            return cursor.rowcount == 1

    def update_bucket(self, bucket_id: str, changes: dict[str, Any]) -> None:
        unknown = set(changes) - set(BUCKET_FIELDS)
        if unknown:
            raise ValueError(f"cannot update bucket fields {sorted(unknown)}")
        with self.atomic():
            conn = self._conn()
            pk, _ = self._bucket_row(conn, bucket_id)
            if "data" in changes:
                check_data_size(len(_dumps(changes["data"])), f"bucket {bucket_id!r}")
            for name, value in changes.items():
                conn.execute(
                    f"UPDATE buckets SET {name} = ? WHERE pk = ?",
                    (_dumps(value) if name == "data" else value, pk),
                )

    def delete_bucket(self, bucket_id: str) -> None:
        with self.atomic():
            conn = self._conn()
            pk, _ = self._bucket_row(conn, bucket_id)
            self._bucket_rows.pop(bucket_id, None)
            conn.execute("DELETE FROM events WHERE bucket_pk = ?", (pk,))
            conn.execute("DELETE FROM buckets WHERE pk = ?", (pk,))

    def get_bucket(self, bucket_id: str) -> Bucket | None:
        conn = self._conn()
        row = conn.execute(self._BUCKET_SELECT + " WHERE bucket_id = ?", (bucket_id,)).fetchone()
        if row is None:
            return None
        return self._with_stats(conn, row[0], row[-1], self._bucket(row[:-1]))

    def list_buckets(self) -> list[Bucket]:
        conn = self._conn()
        rows = conn.execute(self._BUCKET_SELECT + " ORDER BY pk").fetchall()
        return [self._with_stats(conn, row[0], row[-1], self._bucket(row[:-1])) for row in rows]

    def bucket_hostnames(self) -> dict[str, str]:
        rows = self._conn().execute("SELECT bucket_id, hostname FROM buckets ORDER BY pk")
        return dict(rows.fetchall())

    # -- events ------------------------------------------------------------------------------

    def insert_events(self, bucket_id: str, events: Sequence[Event]) -> list[Event]:
        with self.atomic():
            conn = self._conn()
            pk, max_duration = self._bucket_row(conn, bucket_id)
            next_id = self._next_event_id(conn)
            rows, inserted, longest = [], [], 0
            for offset, event in enumerate(events):
                event_id, start_us, duration_us = (
                    next_id + offset,
                    event.start_us,
                    event.duration_us,
                )
                longest = max(longest, duration_us)
                data = _dumps(event.data)
                check_data_size(len(data), f"event {offset}")
                rows.append((event_id, pk, start_us, start_us + duration_us, data))
                inserted.append(Event.of_us(event_id, start_us, duration_us, event.data))
            conn.executemany(
                "INSERT INTO events (id, bucket_pk, start_us, end_us, data) VALUES (?, ?, ?, ?, ?)",
                rows,
            )
            self._grow_max_duration(conn, bucket_id, pk, max_duration, longest)
            return inserted

    def replace_event(self, bucket_id: str, event: Event) -> bool:
        with self.atomic():
            conn = self._conn()
            pk, max_duration = self._bucket_row(conn, bucket_id)
            start_us, end_us = event.start_us, event.end_us
            data = _dumps(event.data)
            check_data_size(len(data), f"event {event.id}")
            cursor = conn.execute(
                "UPDATE events SET start_us = ?, end_us = ?, data = ? WHERE id = ? AND bucket_pk = ?",
                (start_us, end_us, data, event.id, pk),
            )
            if cursor.rowcount != 1:
                return False
            self._grow_max_duration(conn, bucket_id, pk, max_duration, end_us - start_us)
            return True

    def delete_event(self, bucket_id: str, event_id: int) -> bool:
        with self.atomic():
            conn = self._conn()
            pk, _ = self._bucket_row(conn, bucket_id)
            cursor = conn.execute(
                "DELETE FROM events WHERE id = ? AND bucket_pk = ?", (event_id, pk)
            )
            return cursor.rowcount == 1

    def get_event(self, bucket_id: str, event_id: int) -> Event | None:
        conn = self._conn()
        pk, _ = self._bucket_row(conn, bucket_id)
        row = conn.execute(
            f"SELECT {_EVENT_COLUMNS} FROM events WHERE id = ? AND bucket_pk = ?", (event_id, pk)
        ).fetchone()
        return _event(row) if row else None

    def get_events(
        self,
        bucket_id: str,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int | None = None,
    ) -> list[Event]:
        conn = self._conn()
        pk, max_duration = self._bucket_row(conn, bucket_id)
        clause, params = self._range_clause(max_duration, start, end)
        sql = f"SELECT {_EVENT_COLUMNS} FROM events WHERE bucket_pk = ?{clause} {_NEWEST_FIRST}"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return [_event(row) for row in conn.execute(sql, [pk, *params])]

    def clipped_events(self, bucket_id: str, start: datetime, end: datetime) -> list[Event]:
        conn = self._conn()
        pk, max_duration = self._bucket_row(conn, bucket_id)
        clause, params = self._range_clause(max_duration, start, end)
        columns, bounds = self._clipped_columns(start, end)
        sql = (
            f"SELECT id, {columns}, CAST(data AS BLOB)"
            f" FROM events WHERE bucket_pk = ?{clause} {_NEWEST_FIRST}"
        )
        rows = conn.execute(sql, [*bounds, pk, *params])
        # Equal data decode to one shared dict: titles recur all day, and shared dicts make
        # the transforms' equality checks and the categorize cache cheap.
        decoded: dict[bytes, dict[str, Any]] = {}  # bytes: no UTF-8 decoding per row
        loads, of_us = orjson.loads, Event.of_us
        events = []
        for event_id, start_i, end_i, raw in rows:
            data = decoded.get(raw)
            if data is None:
                data = decoded[raw] = loads(raw)
            events.append(of_us(event_id, start_i, end_i - start_i, data))
        return events

    def count_events(
        self, bucket_id: str, start: datetime | None = None, end: datetime | None = None
    ) -> int:
        conn = self._conn()
        pk, max_duration = self._bucket_row(conn, bucket_id)
        clause, params = self._range_clause(max_duration, start, end)
        sql = f"SELECT count(*) FROM events WHERE bucket_pk = ?{clause}"
        return int(conn.execute(sql, [pk, *params]).fetchone()[0])

    def last_event(self, bucket_id: str) -> Event | None:
        events = self.get_events(bucket_id, limit=1)
        return events[0] if events else None

    def events_json(
        self,
        bucket_id: str,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int | None = None,
    ) -> Iterator[str]:
        conn = self._conn()
        pk, max_duration = self._bucket_row(conn, bucket_id)  # raises now, not on first next()
        clause, params = self._range_clause(max_duration, start, end)
        columns, bounds = self._clipped_columns(start, end)
        sql = f"SELECT id, {columns}, data FROM events WHERE bucket_pk = ?{clause} {_NEWEST_FIRST}"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return self._json_rows(conn.execute(sql, [*bounds, pk, *params]))

    @staticmethod
    def _json_rows(cursor: sqlite3.Cursor) -> Iterator[str]:
        # The stored data is already JSON: each event is written without decoding it.
        try:
            while rows := cursor.fetchmany(2000):
                for event_id, start_us, end_us, data in rows:
                    timestamp = (EPOCH + timedelta(0, 0, start_us)).isoformat()
                    duration = max(end_us - start_us, 0) / 1_000_000
                    yield f'{{"id":{event_id},"timestamp":"{timestamp}","duration":{duration!r},"data":{data}}}'
        finally:
            cursor.close()

    # -- settings ----------------------------------------------------------------------------

    def get_setting(self, key: str) -> str | None:
        row = self._conn().execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_setting(self, key: str, value_json: str) -> None:
        with self.atomic():
            self._conn().execute(
                "INSERT INTO settings (key, value) VALUES (?, ?)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value_json),
            )

    def delete_setting(self, key: str) -> bool:
        with self.atomic():
            return self._conn().execute("DELETE FROM settings WHERE key = ?", (key,)).rowcount == 1

    def all_settings(self) -> dict[str, str]:
        return dict(self._conn().execute("SELECT key, value FROM settings ORDER BY key").fetchall())

    def integrity_check(self) -> str:
        return str(self._conn().execute("PRAGMA integrity_check").fetchone()[0])
