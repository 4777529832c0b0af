"""The storage interface shared by the SQLite and memory implementations.

Instants cross this interface as aware UTC datetimes; ranges are inclusive ``[start, end]``, as
in both official servers: an event is in range when it starts at or before ``end`` and ends at or
after ``start``, so one that ends exactly at ``start`` or starts exactly at ``end`` is in it (and
clipped to zero length). Either bound may be absent. Reads return events unclipped, newest first
(greatest start, then greatest end, then greatest id). Writes run inside ``atomic()``, which
serialises writers and commits before returning; nested ``atomic()`` blocks join the outer
transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, Protocol, TypeVar

from aw_core.models import Bucket, Event
from aw_server.errors import PayloadTooLarge

BUCKET_FIELDS = ("name", "type", "client", "hostname", "data")
T = TypeVar("T")
MAX_DATA_BYTES = 1024 * 1024  # the JSON of one event's (or bucket's) data


def check_data_size(size: int, what: str) -> None:
    """Refuse data whose JSON is larger than MAX_DATA_BYTES (a 10 MB window title is a bug)."""
    if size > MAX_DATA_BYTES:
        raise PayloadTooLarge(
            f"the data of {what} is {size} bytes of JSON; at most {MAX_DATA_BYTES} are stored"
        )


class StorageError(Exception):
    """The storage cannot be opened or used (corrupt file, newer schema...)."""


class Storage(Protocol):
    def close(self) -> None: ...

    def atomic(self) -> AbstractContextManager[None]: ...

    def write(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` in a transaction and commit before returning; writes from concurrent
        threads may be committed together (group commit), each rolled back alone on error."""
        ...

    # buckets
    def create_bucket(self, bucket: Bucket) -> bool:
        """Create the bucket; False (and no change) if one with that id exists."""
        ...

    def update_bucket(self, bucket_id: str, changes: dict[str, Any]) -> None:
        """Set the given fields (a subset of BUCKET_FIELDS); raises BucketNotFound."""
        ...

    def delete_bucket(self, bucket_id: str) -> None:
        """Delete the bucket and all its events; raises BucketNotFound."""
        ...

    def get_bucket(self, bucket_id: str) -> Bucket | None: ...

    def list_buckets(self) -> list[Bucket]:
        """All buckets in creation order, with first/last/last_updated filled in."""
        ...

    def bucket_hostnames(self) -> dict[str, str]:
        """Bucket id -> hostname, in creation order (cheap: no statistics)."""
        ...

    # events
    def insert_events(self, bucket_id: str, events: Sequence[Event]) -> list[Event]:
        """Insert new events (their ids are ignored); return them with their new ids."""
        ...

    def replace_event(self, bucket_id: str, event: Event) -> bool:
        """Overwrite the event with ``event.id`` in this bucket; False if it is not there."""
        ...

    def delete_event(self, bucket_id: str, event_id: int) -> bool: ...

    def get_event(self, bucket_id: str, event_id: int) -> Event | None: ...

    def get_events(
        self,
        bucket_id: str,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int | None = None,
    ) -> list[Event]:
        """Events overlapping the range, newest first, unclipped; raises BucketNotFound."""
        ...

    def clipped_events(self, bucket_id: str, start: datetime, end: datetime) -> list[Event]:
        """Events overlapping ``[start, end]`` cut to it, newest first; raises BucketNotFound.

        For reading only (queries): events of one call may share equal data dicts.
        """
        ...

    def count_events(
        self, bucket_id: str, start: datetime | None = None, end: datetime | None = None
    ) -> int: ...

    def last_event(self, bucket_id: str) -> Event | None:
        """The newest event of the bucket, or None if it is empty; raises BucketNotFound."""
        ...

    def events_json(
        self,
        bucket_id: str,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int | None = None,
    ) -> Iterator[str]:
        """The JSON text of each event overlapping the range, clipped to it, newest first,
        produced as it is read (for large reads and exports); raises BucketNotFound at once."""
        ...

    # settings: values are JSON text
    def get_setting(self, key: str) -> str | None: ...

    def set_setting(self, key: str, value_json: str) -> None: ...

    def delete_setting(self, key: str) -> bool: ...

    def all_settings(self) -> dict[str, str]: ...


def in_range(start_us: int, end_us: int, range_start: int | None, range_end: int | None) -> bool:
    """The inclusive overlap rule of this module, on microsecond integers."""
    if range_end is not None and start_us > range_end:
        return False
    return range_start is None or end_us >= range_start
