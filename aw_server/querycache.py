"""A cache of named query results for periods that lie wholly in the past.

An entry is one period's serialised result, keyed by (name, program text, period). It records
which buckets the program read and whether it looked at the list of buckets, so a write
invalidates only the entries it could change: one that touched a bucket they read, in a time
range that overlaps their period, or any change to the set of buckets.

Races: a query notes the cache's change counter before it reads anything and stores its result
only if no overlapping change was published since, so a result computed from data that a
concurrent write has since replaced is never stored. Writers publish after they commit.
"""

from __future__ import annotations

import threading
from collections import OrderedDict, deque
from collections.abc import Hashable
from dataclasses import dataclass

from aw_server.changes import Change

DEFAULT_MAX_BYTES = 8 * 1024 * 1024
_CHANGE_LOG = 4096  # changes remembered for the race check above

# name, program, period start_us, end_us, and what the asker may read (None: everything)
CacheKey = tuple[str | None, str, int, int, Hashable]


@dataclass(frozen=True)
class Reads:
    """What a query read: the buckets it queried and whether it listed buckets."""

    buckets: frozenset[str]
    listed_buckets: bool


@dataclass(frozen=True)
class _Entry:
    payload: bytes
    reads: Reads
    start_us: int
    end_us: int

    def affected_by(self, change: Change) -> bool:
        if change.bucket_id is None:
            return True
        # Inclusive at both ends, like the storages' ranges: an event that only touches the
        # period (ends at its start, starts at its end) is in its result, cut to zero length.
        return (
            change.bucket_id in self.reads.buckets
            and change.start_us <= self.end_us
            and change.end_us >= self.start_us
        )


class QueryCache:
    def __init__(self, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._entries: OrderedDict[CacheKey, _Entry] = OrderedDict()
        self._by_bucket: dict[str, set[CacheKey]] = {}  # bucket id -> keys of entries reading it
        self._bytes = 0
        self._seq = 0
        self._log: deque[tuple[int, Change]] = deque(maxlen=_CHANGE_LOG)
        self.hits = 0
        self.misses = 0

    def mark(self) -> int:
        """The change counter now: pass it to put() for a result computed after this call."""
        with self._lock:
            return self._seq

    def get(self, key: CacheKey) -> bytes | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return entry.payload

    def put(self, key: CacheKey, payload: bytes, reads: Reads, since: int) -> bool:
        """Store a result computed from data read after mark() returned ``since``; refused
        (False) if a change published since then could have affected it."""
        if len(payload) > self.max_bytes // 4:
            return False
        entry = _Entry(payload, reads, key[2], key[3])
        with self._lock:
            if since < self._seq:
                oldest_logged = self._log[0][0] if self._log else self._seq + 1
                if oldest_logged > since + 1:
                    return False  # the log no longer reaches back that far
                if any(seq > since and entry.affected_by(c) for seq, c in self._log):
                    return False
            self._drop(key)
            self._entries[key] = entry
            self._bytes += len(payload)
            for bucket_id in reads.buckets:
                self._by_bucket.setdefault(bucket_id, set()).add(key)
            while self._bytes > self.max_bytes:
                self._drop(next(iter(self._entries)))
            return True

    def _drop(self, key: CacheKey) -> None:
        entry = self._entries.pop(key, None)
        if entry is None:
            return
        self._bytes -= len(entry.payload)
        for bucket_id in entry.reads.buckets:
            keys = self._by_bucket[bucket_id]
            keys.discard(key)
            if not keys:
                del self._by_bucket[bucket_id]

    def publish(self, changes: list[Change]) -> None:
        """Drop the entries these committed changes could affect (a change feed subscriber)."""
        if not changes:
            return
        with self._lock:
            for change in changes:
                self._seq += 1
                self._log.append((self._seq, change))
            stale: set[CacheKey] = set()
            for change in changes:
                if change.bucket_id is None:
                    stale.update(self._entries)
                    break
                for key in self._by_bucket.get(change.bucket_id, ()):
                    if self._entries[key].affected_by(change):
                        stale.add(key)
            for key in stale:
                self._drop(key)

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)
