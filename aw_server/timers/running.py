"""Which events of a stopwatch bucket are running timers, without reading the bucket's history
on every start and stop.

A running timer may be anywhere in a bucket (started weeks ago, or posted with an old timestamp)
and nothing indexes ``data.running``, so the first look at a bucket reads all of it. After that
the index keeps the ids it found and learns from the change feed which time ranges of the bucket
were written since; a look reads only those ranges, the bucket's newest events and each known
id (so a timer stopped or deleted elsewhere, by the AW web UI say, drops out).

The change feed reports a write just after its commit. The newest events are read on every look
because a timer started in that moment (by the web UI: a new event at "now") is not yet in the
ranges; a write that is not yet reported and makes an *old* event a running timer is the one
thing a look may miss until its report arrives.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from aw_core.models import Event
from aw_core.timeutil import from_us
from aw_server.changes import Change
from aw_server.storage.base import Storage
from aw_server.timers.model import is_running

NEWEST = 32  # the newest events read on every look (see the module docstring)
MAX_RANGES = 64  # more pending ranges of one bucket are merged into one


@dataclass
class _Bucket:
    running: frozenset[int] = frozenset()  # the ids found running at the last look
    seen: int = -1  # the last change (sequence number) that look took into account
    complete: bool = False  # False until a first look has read the whole bucket
    ranges: list[tuple[int, int, int]] = field(default_factory=list)  # (seq, start, end) since


class RunningIndex:
    """The running timers of each stopwatch bucket (see the module docstring).

    The lock is held only to copy or store the index, never across a storage read: a storage
    lock may be held by the caller (a look made inside a write transaction).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buckets: dict[str, _Bucket] = {}
        self._seq = 0
        self._generation = 0  # bumped when everything is forgotten

    def on_changes(self, changes: list[Change]) -> None:
        """A change feed subscriber: notes what was written to the buckets it knows."""
        with self._lock:
            for change in changes:
                self._seq += 1
                if change.bucket_id is None:  # anything may have changed (an import...)
                    self._buckets.clear()
                    self._generation += 1
                    return
                known = self._buckets.get(change.bucket_id)
                if known is not None:
                    known.ranges.append((self._seq, change.start_us, change.end_us))
                    if len(known.ranges) > MAX_RANGES:
                        known.ranges = [_cover(known.ranges)]

    def running(self, storage: Storage, bucket_id: str) -> list[Event]:
        """The bucket's running timers, oldest first (raises BucketNotFound)."""
        with self._lock:
            # noted before reading, so changes reported during the read are kept for the next
            known = self._buckets.setdefault(bucket_id, _Bucket())
            generation, seq, complete = self._generation, self._seq, known.complete
            ranges, ids = list(known.ranges), set(known.running)
        if not complete:
            candidates = storage.get_events(bucket_id)
        else:
            candidates = storage.get_events(bucket_id, limit=NEWEST)
            for _, start_us, end_us in ranges:
                candidates += storage.get_events(bucket_id, from_us(start_us), from_us(end_us))
        ids |= {int(e.id or 0) for e in candidates if is_running(e)}
        found = [storage.get_event(bucket_id, i) for i in ids]
        timers = sorted(
            (e for e in found if e is not None and is_running(e)),
            key=lambda e: (e.start_us, int(e.id or 0)),
        )
        self._store(bucket_id, frozenset(int(e.id or 0) for e in timers), generation, seq)
        return timers

    def _store(self, bucket_id: str, running: frozenset[int], generation: int, seq: int) -> None:
        """Keep what a look found, unless a later look was stored already or everything was
        forgotten meanwhile; ranges reported after the look began stay pending."""
        with self._lock:
            known = self._buckets.get(bucket_id)
            if generation != self._generation or known is None or known.seen > seq:
                return
            known.running, known.seen, known.complete = running, seq, True
            known.ranges = [r for r in known.ranges if r[0] > seq]


def _cover(ranges: list[tuple[int, int, int]]) -> tuple[int, int, int]:
    return (max(r[0] for r in ranges), min(r[1] for r in ranges), max(r[2] for r in ranges))
