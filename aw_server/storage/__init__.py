"""Storage of buckets, events and settings behind one interface, in SQLite or in memory."""

from __future__ import annotations

from aw_server.storage.base import Storage, StorageError
from aw_server.storage.memory import MemoryStorage
from aw_server.storage.sqlite import SqliteStorage

__all__ = ["MemoryStorage", "SqliteStorage", "Storage", "StorageError"]
