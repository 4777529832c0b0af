"""Ordering, limiting, summing and concatenating event lists."""

from __future__ import annotations

from datetime import timedelta

from aw_core.models import Event
from aw_core.transforms._util import by_duration, by_timestamp


def sort_by_timestamp(events: list[Event]) -> list[Event]:
    """Oldest first (stable)."""
    return sorted(events, key=by_timestamp)


def sort_by_duration(events: list[Event]) -> list[Event]:
    """Longest first (stable: equal durations keep their order)."""
    return sorted(events, key=by_duration, reverse=True)


def limit_events(events: list[Event], count: int) -> list[Event]:
    """The first ``count`` events (Python slice semantics, as aw-core)."""
    return events[:count]


def sum_durations(events: list[Event]) -> timedelta:
    return timedelta(microseconds=sum(e.duration_us for e in events))


def concat(*lists: list[Event]) -> list[Event]:
    result: list[Event] = []
    for events in lists:
        result.extend(events)
    return result
