"""An in-memory storage with the same contract as the SQLite one (for tests and ``--storage memory``)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from typing import Any, TypeVar

import orjson

from aw_core.models import Bucket, Event
from aw_core.timeutil import to_us
from aw_core.transforms.clip import clip_events
from aw_server.errors import BucketNotFound
from aw_server.storage.base import check_data_size, in_range

T = TypeVar("T")


def _checked(data: dict[str, object], what: str) -> None:
    check_data_size(len(orjson.dumps(data)), what)


def _copy(event: Event) -> Event:
    """A copy whose data dict is not the stored one, so callers cannot change what is stored."""
    return Event.of_us(event.id, event.start_us, event.duration_us, dict(event.data))


def _sort_key(event: Event) -> tuple[int, int, int]:
    return (event.start_us, event.end_us, int(event.id or 0))


class MemoryStorage:
    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._depth = 0
        self._buckets: dict[str, Bucket] = {}
        self._events: dict[str, dict[int, Event]] = {}
        self._settings: dict[str, str] = {}
        self._next_id = 1

    def close(self) -> None:
        pass

    def write(self, fn: Callable[[], T]) -> T:
        with self.atomic():
            return fn()

    @contextmanager
    def atomic(self) -> Iterator[None]:
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            # Stored objects are never mutated in place, so shallow copies make a snapshot.
            snapshot = (
                dict(self._buckets),
                {k: dict(v) for k, v in self._events.items()},
                dict(self._settings),
                self._next_id,
            )
            self._depth = 1
            try:
                yield
            except BaseException:
                self._buckets, self._events, self._settings, self._next_id = snapshot
                raise
            finally:
                self._depth = 0

    def _bucket_events(self, bucket_id: str) -> dict[int, Event]:
        try:
            return self._events[bucket_id]
        except KeyError:
            raise BucketNotFound(bucket_id) from None

    def create_bucket(self, bucket: Bucket) -> bool:
        _checked(bucket.data, f"bucket {bucket.id!r}")
        with self.atomic():
            if bucket.id in self._buckets:
                return False
            self._buckets[bucket.id] = replace(bucket, first=None, last=None, last_updated=None)
            self._events[bucket.id] = {}
            return True

    def update_bucket(self, bucket_id: str, changes: dict[str, Any]) -> None:
        with self.atomic():
            if bucket_id not in self._buckets:
                raise BucketNotFound(bucket_id)
            if "data" in changes:
                _checked(changes["data"], f"bucket {bucket_id!r}")
            self._buckets[bucket_id] = replace(self._buckets[bucket_id], **changes)

    def delete_bucket(self, bucket_id: str) -> None:
        with self.atomic():
            if bucket_id not in self._buckets:
                raise BucketNotFound(bucket_id)
            del self._buckets[bucket_id]
            del self._events[bucket_id]

    def get_bucket(self, bucket_id: str) -> Bucket | None:
        with self._lock:
            bucket = self._buckets.get(bucket_id)
            return self._with_stats(bucket) if bucket else None

    def list_buckets(self) -> list[Bucket]:
        with self._lock:
            return [self._with_stats(b) for b in self._buckets.values()]

    def bucket_hostnames(self) -> dict[str, str]:
        with self._lock:
            return {b.id: b.hostname for b in self._buckets.values()}

    def _with_stats(self, bucket: Bucket) -> Bucket:
        events = self._events[bucket.id].values()
        if not events:
            return bucket
        newest = max(events, key=_sort_key)
        return replace(
            bucket,
            first=min(e.timestamp for e in events),
            last=max(e.end for e in events),
            last_updated=newest.end,
        )

    def insert_events(self, bucket_id: str, events: Sequence[Event]) -> list[Event]:
        with self.atomic():
            stored = self._bucket_events(bucket_id)
            inserted = []
            for offset, event in enumerate(events):
                _checked(event.data, f"event {offset}")
                copy = _copy(event.replace(id=self._next_id))
                stored[self._next_id] = copy
                self._next_id += 1
                inserted.append(copy)
            return [_copy(e) for e in inserted]

    def replace_event(self, bucket_id: str, event: Event) -> bool:
        with self.atomic():
            stored = self._bucket_events(bucket_id)
            if not isinstance(event.id, int) or event.id not in stored:
                return False
            _checked(event.data, f"event {event.id}")
            stored[event.id] = _copy(event)
            return True

    def delete_event(self, bucket_id: str, event_id: int) -> bool:
        with self.atomic():
            return self._bucket_events(bucket_id).pop(event_id, None) is not None

    def get_event(self, bucket_id: str, event_id: int) -> Event | None:
        with self._lock:
            event = self._bucket_events(bucket_id).get(event_id)
            return _copy(event) if event else None

    def _select(self, bucket_id: str, start: datetime | None, end: datetime | None) -> list[Event]:
        start_us = to_us(start) if start else None
        end_us = to_us(end) if end else None
        return [
            e
            for e in self._bucket_events(bucket_id).values()
            if in_range(e.start_us, e.end_us, start_us, end_us)
        ]

    def get_events(
        self,
        bucket_id: str,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int | None = None,
    ) -> list[Event]:
        with self._lock:
            events = sorted(self._select(bucket_id, start, end), key=_sort_key, reverse=True)
            if limit is not None:
                events = events[:limit]
            return [_copy(e) for e in events]

    def count_events(
        self, bucket_id: str, start: datetime | None = None, end: datetime | None = None
    ) -> int:
        with self._lock:
            return len(self._select(bucket_id, start, end))

    def last_event(self, bucket_id: str) -> Event | None:
        events = self.get_events(bucket_id, limit=1)
        return events[0] if events else None

    def clipped_events(self, bucket_id: str, start: datetime, end: datetime) -> list[Event]:
        return clip_events(self.get_events(bucket_id, start, end), start, end)

    def events_json(
        self,
        bucket_id: str,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int | None = None,
    ) -> Iterator[str]:
        events = clip_events(self.get_events(bucket_id, start, end, limit), start, end)
        return (orjson.dumps(e.to_json_dict()).decode() for e in events)

    def get_setting(self, key: str) -> str | None:
        with self._lock:
            return self._settings.get(key)

    def set_setting(self, key: str, value_json: str) -> None:
        with self.atomic():
            self._settings[key] = value_json

    def delete_setting(self, key: str) -> bool:
        with self.atomic():
            return self._settings.pop(key, None) is not None

    def all_settings(self) -> dict[str, str]:
        with self._lock:
            return dict(self._settings)
