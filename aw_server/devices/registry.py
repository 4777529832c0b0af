"""The device registry: a table beside the events (and a memory version), written inside the
caller's storage transaction like every feature package's tables.

``generatedHashKey`` is stored as sent, not hashed: it identifies a device, it proves nothing
(a report also needs an API key, which is stored hashed), the admin list searches it by
substring as Waken-Wa's does, and the pending answer echoes it back to its reporter.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from dataclasses import replace
from typing import Any, Protocol

from aw_server.devices.model import Device


class DuplicateKey(ValueError):
    """Another device already has this generatedHashKey."""


class DeviceStore(Protocol):
    def get(self, device_id: str) -> Device | None: ...

    def by_key(self, hash_key: str) -> Device | None: ...

    def all(self) -> list[Device]: ...

    def search(
        self, *, status: str | None, text: str | None, limit: int, offset: int
    ) -> tuple[list[Device], int]:
        """Devices (pinned first, then by name), and how many match in all."""
        ...

    def add(self, device: Device) -> Device:
        """Store a new device; DuplicateKey if its key is taken."""
        ...

    def save(self, device: Device) -> Device:
        """Store a device's new values (its id and key stay); DuplicateKey if the key is taken."""
        ...

    def delete(self, device_id: str) -> bool: ...


_COLUMNS = (
    "id",
    "display_name",
    "hash_key",
    "status",
    "created_us",
    "api_key_id",
    "device_type",
    "pin_to_top",
    "last_seen_us",
    "battery",
    "charging",
    "push_mode",
)


def _create_tables(conn: sqlite3.Connection) -> None:
    conn.execute(
        "CREATE TABLE devices (id TEXT PRIMARY KEY, display_name TEXT NOT NULL,"
        " hash_key TEXT NOT NULL UNIQUE, status TEXT NOT NULL, created_us INTEGER NOT NULL,"
        " api_key_id INTEGER, device_type TEXT, pin_to_top INTEGER NOT NULL DEFAULT 0,"
        " last_seen_us INTEGER, battery INTEGER, charging INTEGER,"
        " push_mode TEXT NOT NULL DEFAULT 'realtime')"
    )


MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_create_tables]


def _device(row: tuple[Any, ...]) -> Device:
    values = dict(zip(_COLUMNS, row, strict=True))
    values["pin_to_top"] = bool(values["pin_to_top"])
    if values["charging"] is not None:
        values["charging"] = bool(values["charging"])
    return Device(**values)


def _row(device: Device) -> tuple[Any, ...]:
    return tuple(getattr(device, name) for name in _COLUMNS)


class SqlBackend(Protocol):
    def connection(self) -> sqlite3.Connection: ...

    def migrate_part(
        self, part: str, migrations: list[Callable[[sqlite3.Connection], None]]
    ) -> None: ...


_ORDER = "ORDER BY pin_to_top DESC, display_name COLLATE NOCASE, id"


class SqliteDeviceStore:
    def __init__(self, backend: SqlBackend) -> None:
        self.backend = backend
        backend.migrate_part("devices", MIGRATIONS)

    def _conn(self) -> sqlite3.Connection:
        return self.backend.connection()

    def _one(self, where: str, value: str) -> Device | None:
        row = (
            self._conn()
            .execute(f"SELECT {', '.join(_COLUMNS)} FROM devices WHERE {where} = ?", (value,))
            .fetchone()
        )
        return _device(row) if row else None

    def get(self, device_id: str) -> Device | None:
        return self._one("id", device_id)

    def by_key(self, hash_key: str) -> Device | None:
        return self._one("hash_key", hash_key)

    def all(self) -> list[Device]:
        rows = self._conn().execute(f"SELECT {', '.join(_COLUMNS)} FROM devices {_ORDER}")
        return [_device(r) for r in rows]

    def search(
        self, *, status: str | None, text: str | None, limit: int, offset: int
    ) -> tuple[list[Device], int]:
        where, params = ["1 = 1"], []
        if status:
            where.append("status = ?")
            params.append(status)
        if text:
            where.append("(instr(lower(display_name), lower(?)) > 0 OR instr(hash_key, ?) > 0)")
            params += [text, text]
        clause = " AND ".join(where)
        conn = self._conn()
        total = conn.execute(f"SELECT count(*) FROM devices WHERE {clause}", params).fetchone()[0]
        rows = conn.execute(
            f"SELECT {', '.join(_COLUMNS)} FROM devices WHERE {clause} {_ORDER} LIMIT ? OFFSET ?",
            [*params, limit, offset],
        )
        return [_device(r) for r in rows], int(total)

    def add(self, device: Device) -> Device:
        try:
            self._conn().execute(
                f"INSERT INTO devices ({', '.join(_COLUMNS)})"
                f" VALUES ({', '.join('?' * len(_COLUMNS))})",
                _row(device),
            )
        except sqlite3.IntegrityError:
            raise DuplicateKey(device.hash_key) from None
        return device

    def save(self, device: Device) -> Device:
        names = [c for c in _COLUMNS if c != "id"]
        try:
            self._conn().execute(
                f"UPDATE devices SET {', '.join(f'{n} = ?' for n in names)} WHERE id = ?",
                (*(getattr(device, n) for n in names), device.id),
            )
        except sqlite3.IntegrityError:
            raise DuplicateKey(device.hash_key) from None
        return device

    def delete(self, device_id: str) -> bool:
        return self._conn().execute("DELETE FROM devices WHERE id = ?", (device_id,)).rowcount > 0


class MemoryDeviceStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._devices: dict[str, Device] = {}

    def get(self, device_id: str) -> Device | None:
        return self._devices.get(device_id)

    def by_key(self, hash_key: str) -> Device | None:
        return next((d for d in self._devices.values() if d.hash_key == hash_key), None)

    def all(self) -> list[Device]:
        with self._lock:
            devices = list(self._devices.values())
        return sorted(devices, key=lambda d: (not d.pin_to_top, d.display_name.lower(), d.id))

    def search(
        self, *, status: str | None, text: str | None, limit: int, offset: int
    ) -> tuple[list[Device], int]:
        found = [
            d
            for d in self.all()
            if (not status or d.status == status)
            and (not text or text.lower() in d.display_name.lower() or text in d.hash_key)
        ]
        return found[offset : offset + limit], len(found)

    def add(self, device: Device) -> Device:
        with self._lock:
            if any(d.hash_key == device.hash_key for d in self._devices.values()):
                raise DuplicateKey(device.hash_key)
            self._devices[device.id] = device
        return device

    def save(self, device: Device) -> Device:
        with self._lock:
            if any(
                d.hash_key == device.hash_key and d.id != device.id for d in self._devices.values()
            ):
                raise DuplicateKey(device.hash_key)
            self._devices[device.id] = replace(device)
        return device

    def delete(self, device_id: str) -> bool:
        with self._lock:
            return self._devices.pop(device_id, None) is not None


def open_device_store(storage: object) -> DeviceStore:
    from aw_server.storage.sqlite import SqliteStorage

    if isinstance(storage, SqliteStorage):
        return SqliteDeviceStore(storage)
    return MemoryDeviceStore()
