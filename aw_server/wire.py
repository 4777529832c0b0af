"""JSON encoding of API values: events, buckets and whatever a query returns."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import orjson

from aw_core.models import Bucket, Event
from aw_core.timeutil import EPOCH


def event_wire(event: Event) -> dict[str, Any]:
    """The wire dict of an event, leaving the datetime for orjson to format (faster)."""
    return {
        "id": event.id,
        "timestamp": EPOCH + timedelta(0, 0, event.start_us),
        "duration": event.duration_us / 1_000_000,
        "data": event.data,
    }


def _default(value: Any) -> Any:
    if isinstance(value, Event):
        return event_wire(value)
    if isinstance(value, Bucket):
        return value.to_json_dict()
    if isinstance(value, timedelta):
        return value.total_seconds()
    raise TypeError(f"cannot serialise {type(value).__name__}")


def dumps(value: Any) -> bytes:
    return orjson.dumps(value, default=_default, option=orjson.OPT_PASSTHROUGH_DATACLASS)
