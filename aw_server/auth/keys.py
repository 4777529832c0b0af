"""API keys: minted as random UUIDv4 secrets, stored only as SHA-256 hashes, kept in the database.

The secret is shown once, when the key is created; afterwards only its first 8 characters (the
prefix) are. Stores: SQLite tables beside the events (so the CLI and a running server share them)
or memory. Every change to a key bumps a counter the server compares before trusting its cache.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Protocol

import orjson

from aw_core.timeutil import from_us, to_us
from aw_server.auth.scopes import Scope, parse_scopes

PREFIX_LENGTH = 8
# ClockEye's plans: requests per hour of a key, on top of the per-minute limit (None: unlimited)
PLANS: dict[str, int | None] = {"free": 100, "standard": 1_000, "pro": 5_000, "enterprise": None}
MAX_NAME_LENGTH = 200


def new_secret() -> str:
    """A random UUIDv4: the only key format both WakaTime command line clients send."""
    return str(uuid.uuid4())


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def secret_prefix(secret: str) -> str:
    """What listings and messages show of a secret: its first 8 characters, but never more
    than half of it (an ``[auth] api_key`` may be as short as "hunter2")."""
    return secret[: min(PREFIX_LENGTH, len(secret) // 2)]


@dataclass(frozen=True)
class ApiKey:
    id: int
    name: str
    scopes: tuple[Scope, ...]
    prefix: str
    secret_hash: str
    created: datetime
    expires: datetime | None = None
    enabled: bool = True
    last_used: datetime | None = None
    rate_limit: int | None = None  # requests per minute; None: the preset's or the default
    preset: str | None = None
    plan: str | None = None  # ClockEye's plans: requests per hour (PLANS); None: no hourly limit

    def expired(self, now: Callable[[], datetime]) -> bool:
        """Whether the key has expired (``now`` is called only for a key with an expiry)."""
        return self.expires is not None and now() >= self.expires

    def to_json_dict(self) -> dict[str, Any]:
        """The key as listings show it: never the secret or its hash."""
        return {
            "id": self.id,
            "name": self.name,
            "scopes": [str(s) for s in self.scopes],
            "preset": self.preset,
            "prefix": self.prefix,
            "created": self.created.isoformat(),
            "expires": self.expires.isoformat() if self.expires else None,
            "enabled": self.enabled,
            "last_used": self.last_used.isoformat() if self.last_used else None,
            "rate_limit": self.rate_limit,
            "plan": self.plan,
        }


@dataclass(frozen=True)
class NewKey:
    """What creating a key needs; the store gives it an id."""

    name: str
    scopes: tuple[Scope, ...]
    secret_hash: str
    prefix: str
    created: datetime
    expires: datetime | None = None
    rate_limit: int | None = None
    preset: str | None = None
    plan: str | None = None


class KeyStore(Protocol):
    def version(self) -> int:
        """A counter that changes whenever any key is created, changed or deleted."""
        ...

    def all(self) -> list[ApiKey]: ...

    def create(self, key: NewKey) -> ApiKey: ...

    def set_enabled(self, key_id: int, enabled: bool) -> ApiKey | None: ...

    def delete(self, key_id: int) -> bool: ...

    def touch(self, key_id: int, when: datetime) -> None:
        """Record a use; does not change the version (it is no change to the key)."""
        ...


class MemoryKeyStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._keys: dict[int, ApiKey] = {}
        self._next_id = 1
        self._version = 0

    def version(self) -> int:
        return self._version

    def all(self) -> list[ApiKey]:
        with self._lock:
            return sorted(self._keys.values(), key=lambda k: k.id)

    def create(self, key: NewKey) -> ApiKey:
        with self._lock:
            made = ApiKey(id=self._next_id, **key.__dict__)
            self._keys[made.id] = made
            self._next_id += 1
            self._version += 1
            return made

    def set_enabled(self, key_id: int, enabled: bool) -> ApiKey | None:
        with self._lock:
            key = self._keys.get(key_id)
            if key is None:
                return None
            self._keys[key_id] = replace(key, enabled=enabled)
            self._version += 1
            return self._keys[key_id]

    def delete(self, key_id: int) -> bool:
        with self._lock:
            found = self._keys.pop(key_id, None) is not None
            self._version += found
            return found

    def touch(self, key_id: int, when: datetime) -> None:
        with self._lock:
            if key_id in self._keys:
                self._keys[key_id] = replace(self._keys[key_id], last_used=when)


class SqlBackend(Protocol):
    """What SqliteKeyStore needs of SqliteStorage."""

    def connection(self) -> sqlite3.Connection: ...

    def write(self, fn: Callable[[], Any]) -> Any: ...

    def migrate_part(
        self, part: str, migrations: list[Callable[[sqlite3.Connection], None]]
    ) -> None: ...


def _create_tables(conn: sqlite3.Connection) -> None:
    conn.execute(
        "CREATE TABLE api_keys (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL,"
        " secret_hash TEXT NOT NULL UNIQUE, prefix TEXT NOT NULL, scopes TEXT NOT NULL,"
        " preset TEXT, created_us INTEGER NOT NULL, expires_us INTEGER,"
        " enabled INTEGER NOT NULL DEFAULT 1, last_used_us INTEGER, rate_limit INTEGER,"
        " plan TEXT)"
    )
    conn.execute("CREATE TABLE auth_state (name TEXT PRIMARY KEY, value INTEGER NOT NULL)")
    conn.execute("INSERT INTO auth_state (name, value) VALUES ('keys_version', 0)")


MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_create_tables]

_COLUMNS = (
    "id, name, scopes, prefix, secret_hash, created_us, expires_us, enabled, last_used_us,"
    " rate_limit, preset, plan"
)


def _row_to_key(row: tuple[Any, ...]) -> ApiKey:
    (
        key_id,
        name,
        scopes,
        prefix,
        secret_hash,
        created,
        expires,
        enabled,
        used,
        limit,
        preset,
        plan,
    ) = row
    return ApiKey(
        id=key_id,
        name=name,
        scopes=parse_scopes(orjson.loads(scopes)),
        prefix=prefix,
        secret_hash=secret_hash,
        created=from_us(created),
        expires=from_us(expires) if expires is not None else None,
        enabled=bool(enabled),
        last_used=from_us(used) if used is not None else None,
        rate_limit=limit,
        preset=preset,
        plan=plan,
    )


class SqliteKeyStore:
    """Keys in the tables ``api_keys`` and ``auth_state`` of the server's SQLite database."""

    def __init__(self, backend: SqlBackend) -> None:
        self.backend = backend
        backend.migrate_part("auth", MIGRATIONS)

    def _bump(self, conn: sqlite3.Connection) -> None:
        conn.execute("UPDATE auth_state SET value = value + 1 WHERE name = 'keys_version'")

    def version(self) -> int:
        row = (
            self.backend.connection()
            .execute("SELECT value FROM auth_state WHERE name = 'keys_version'")
            .fetchone()
        )
        return int(row[0]) if row else 0

    def all(self) -> list[ApiKey]:
        rows = self.backend.connection().execute(f"SELECT {_COLUMNS} FROM api_keys ORDER BY id")
        return [_row_to_key(row) for row in rows]

    def _get(self, conn: sqlite3.Connection, key_id: int) -> ApiKey | None:
        row = conn.execute(f"SELECT {_COLUMNS} FROM api_keys WHERE id = ?", (key_id,)).fetchone()
        return _row_to_key(row) if row else None

    def create(self, key: NewKey) -> ApiKey:
        def write() -> ApiKey:
            conn = self.backend.connection()
            cursor = conn.execute(
                "INSERT INTO api_keys (name, secret_hash, prefix, scopes, preset, created_us,"
                " expires_us, enabled, rate_limit, plan) VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?)",
                (
                    key.name,
                    key.secret_hash,
                    key.prefix,
                    orjson.dumps([str(s) for s in key.scopes]).decode(),
                    key.preset,
                    to_us(key.created),
                    to_us(key.expires) if key.expires else None,
                    key.rate_limit,
                    key.plan,
                ),
            )
            self._bump(conn)
            made = self._get(conn, int(cursor.lastrowid or 0))
            assert made is not None
            return made

        made: ApiKey = self.backend.write(write)
        return made

    def set_enabled(self, key_id: int, enabled: bool) -> ApiKey | None:
        def write() -> ApiKey | None:
            conn = self.backend.connection()
            changed = conn.execute(
                "UPDATE api_keys SET enabled = ? WHERE id = ?", (int(enabled), key_id)
            ).rowcount
            if changed:
                self._bump(conn)
            return self._get(conn, key_id)

        result: ApiKey | None = self.backend.write(write)
        return result

    def delete(self, key_id: int) -> bool:
        def write() -> bool:
            conn = self.backend.connection()
            deleted = conn.execute("DELETE FROM api_keys WHERE id = ?", (key_id,)).rowcount
            if deleted:
                self._bump(conn)
            return bool(deleted)

        deleted: bool = self.backend.write(write)
        return deleted

    def touch(self, key_id: int, when: datetime) -> None:
        def write() -> None:
            self.backend.connection().execute(
                "UPDATE api_keys SET last_used_us = ? WHERE id = ?", (to_us(when), key_id)
            )

        self.backend.write(write)


def open_key_store(storage: object) -> KeyStore:
    """The key store beside a storage: tables in its SQLite database, else in memory."""
    from aw_server.storage.sqlite import SqliteStorage  # the storage package imports no auth

    if isinstance(storage, SqliteStorage):
        return SqliteKeyStore(storage)
    return MemoryKeyStore()
