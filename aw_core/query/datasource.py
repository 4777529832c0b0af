"""What the interpreter needs from a store of buckets; the server provides it."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from aw_core.models import Event


class UnknownBucket(KeyError):
    """Raised by a datasource for a bucket id it does not have."""


class BucketForbidden(Exception):
    """A bucket exists but the one asking may not read it; not a query error (the server
    answers it as a 403 naming the bucket)."""

    def __init__(self, bucket_id: str) -> None:
        super().__init__(bucket_id)
        self.bucket_id = bucket_id


class QueryDatasource(Protocol):
    def bucket_ids(self) -> list[str]:
        """All bucket ids, in creation order."""
        ...

    def bucket_hostname(self, bucket_id: str) -> str | None: ...

    def readable(self, bucket_id: str) -> bool:
        """Whether the program may read this bucket (an API key may reach only some)."""
        ...

    def get_events(self, bucket_id: str, start: datetime, end: datetime) -> list[Event]:
        """Events overlapping [start, end] (both bounds inclusive: an event touching one is
        in, cut to zero length), clipped to it, newest first; raises UnknownBucket."""
        ...

    def count_events(self, bucket_id: str, start: datetime, end: datetime) -> int:
        """How many events get_events would return; raises UnknownBucket."""
        ...
