"""The Event model: plain data with JSON conversion, no I/O."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from aw_core.timeutil import (
    MAX_US,
    duration_to_us,
    duration_us_from_seconds,
    format_datetime,
    from_us,
    parse_datetime,
    parse_duration,
    to_us,
)

EventId = int | str | None


class Event:
    """One event: a start instant, a duration, a data dict and an id.

    Inside, the start and the duration are integer microseconds (``start_us`` since the Unix
    epoch, ``duration_us``): transforms compute on them directly, and ``timestamp`` (aware UTC
    datetime), ``duration`` (timedelta) and ``end`` are derived on demand. Timestamps may be
    given as ISO 8601 strings or datetimes (naive means UTC); durations as seconds or a
    timedelta. Equality compares start, duration and data, never the id.
    """

    __slots__ = ("id", "start_us", "duration_us", "data")

    def __init__(
        self,
        id: EventId = None,
        timestamp: datetime | str | None = None,
        duration: timedelta | int | float = 0,
        data: Mapping[str, Any] | None = None,
    ) -> None:
        self.id = id
        self.timestamp = timestamp if timestamp is not None else datetime.now(UTC)
        self.duration = duration if duration is not None else 0
        self.data: dict[str, Any] = dict(data) if data is not None else {}

    @property
    def timestamp(self) -> datetime:
        return from_us(self.start_us)

    @timestamp.setter
    def timestamp(self, value: datetime | str) -> None:
        self.start_us = to_us(parse_datetime(value))

    @property
    def duration(self) -> timedelta:
        return timedelta(0, 0, self.duration_us)

    @duration.setter
    def duration(self, value: timedelta | int | float) -> None:
        self.duration_us = duration_to_us(parse_duration(value))

    @property
    def end(self) -> datetime:
        """The instant the event ends: timestamp + duration."""
        return from_us(self.start_us + self.duration_us)

    @property
    def end_us(self) -> int:
        return self.start_us + self.duration_us

    @classmethod
    def of_us(cls, id: EventId, start_us: int, duration_us: int, data: dict[str, Any]) -> Event:
        """Build an event from values already known to be valid (microseconds, a dict)."""
        event = cls.__new__(cls)
        event.id = id
        event.start_us = start_us
        event.duration_us = duration_us
        event.data = data
        return event

    def replace(self, **changes: Any) -> Event:
        """A copy with the given fields changed (``timestamp``, ``duration``, ``data``, ``id``)."""
        event = Event.of_us(self.id, self.start_us, self.duration_us, self.data)
        for name, value in changes.items():
            setattr(event, name, value)
        return event

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Event):
            return NotImplemented
        return (
            self.start_us == other.start_us
            and self.duration_us == other.duration_us
            and self.data == other.data
        )

    __hash__ = None  # type: ignore[assignment]

    def __lt__(self, other: Event) -> bool:
        return self.start_us < other.start_us

    def __repr__(self) -> str:
        return (
            f"Event(id={self.id!r}, timestamp={format_datetime(self.timestamp)!r}, "
            f"duration={self.duration_us / 1_000_000!r}, data={self.data!r})"
        )

    def to_json_dict(self) -> dict[str, Any]:
        """The wire form: ``{"id", "timestamp" (ISO 8601 UTC), "duration" (float seconds), "data"}``."""
        return {
            "id": self.id,
            "timestamp": from_us(self.start_us).isoformat(),
            "duration": self.duration_us / 1_000_000,
            "data": self.data,
        }

    def to_json_str(self) -> str:
        return orjson.dumps(self.to_json_dict()).decode()

    @classmethod
    def from_json_dict(cls, obj: Mapping[str, Any]) -> Event:
        """Build an event from its wire form, leniently (missing timestamp means now)."""
        return cls(
            id=obj.get("id"),
            timestamp=obj.get("timestamp"),
            duration=obj.get("duration", 0),
            data=obj.get("data"),
        )


def event_from_api(obj: object, *, allow_id: bool = True) -> Event:
    """Validate an event received over the API and build it; raise ValueError saying what is wrong.

    ``timestamp`` is required, ``duration`` must be a finite number >= 0 (default 0), ``data`` an
    object (default empty) and ``id`` an integer or null. Unknown keys are ignored.
    """
    if not isinstance(obj, dict):
        raise ValueError(f"an event must be a JSON object, not {type_name(obj)}")
    raw_timestamp = obj.get("timestamp")
    if raw_timestamp is None and "timestamp" not in obj:
        raise ValueError("event is missing 'timestamp'")
    start_us = to_us(parse_datetime(_expect_str(raw_timestamp, "timestamp")))
    raw_duration = obj.get("duration")
    duration_us = 0 if raw_duration is None else duration_us_from_seconds(raw_duration)
    if duration_us < 0:
        raise ValueError("event 'duration' must be >= 0")
    data = obj.get("data")
    if data is None:
        data = {}
    elif type(data) is not dict and not isinstance(data, dict):
        raise ValueError(f"event 'data' must be an object, not {type_name(data)}")
    event_id = obj.get("id") if allow_id else None
    if event_id is not None and (isinstance(event_id, bool) or not isinstance(event_id, int)):
        raise ValueError("event 'id' must be an integer or null")
    if start_us + duration_us > MAX_US:
        raise ValueError("event ends outside the representable time range")
    return Event.of_us(event_id, start_us, duration_us, data)


def _expect_str(value: object, name: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"'{name}' must be an ISO 8601 string, not {type_name(value)}")
    return value


def type_name(value: object, *, mapping: str = "an object") -> str:
    """What a JSON-ish value is, for error messages ("a number", "a list", "an event"...)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, Event):
        return "an event"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return mapping
    return type(value).__name__


@dataclass
class Bucket:
    """A bucket's metadata. ``first``/``last`` are the earliest start and latest end of its events,
    ``last_updated`` the end of its newest event; the storage fills them in when listing."""

    id: str
    type: str
    client: str
    hostname: str
    created: datetime
    name: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    first: datetime | None = None
    last: datetime | None = None
    last_updated: datetime | None = None

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "type": self.type,
            "client": self.client,
            "hostname": self.hostname,
            "created": format_datetime(self.created),
            "data": self.data,
            "metadata": {
                "start": format_datetime(self.first) if self.first else None,
                "end": format_datetime(self.last) if self.last else None,
            },
            "last_updated": format_datetime(self.last_updated) if self.last_updated else None,
        }
