"""Helpers shared by the transforms."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from operator import attrgetter

from aw_core.models import Event


def copy_event(event: Event) -> Event:
    """A new event with the same fields; the data dict is shared (transforms never mutate it)."""
    return Event._trusted(event.id, event._timestamp, event._duration, event.data)


def to_ms(dt: datetime) -> datetime:
    """Truncate to the millisecond.

    aw-core's Event truncates every timestamp assigned to it to milliseconds while durations
    keep their precision; transforms apply the same rule where they compute a new start, so
    their results match the official server's exactly.
    """
    extra = dt.microsecond % 1000
    return dt.replace(microsecond=dt.microsecond - extra) if extra else dt


def with_period(event: Event, start: datetime, end: datetime) -> Event:
    """The event moved to start at ``start`` (to the millisecond) and last ``end - start``."""
    return Event._trusted(event.id, to_ms(start), end - start, event.data)


# Transforms read the slots behind Event's properties: the properties cost a call each.
by_timestamp: Callable[[Event], datetime] = attrgetter("_timestamp")
by_duration: Callable[[Event], timedelta] = attrgetter("_duration")
