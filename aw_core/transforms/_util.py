"""Helpers shared by the transforms."""

from __future__ import annotations

from datetime import datetime, timedelta

from aw_core.models import Event


def copy_event(event: Event) -> Event:
    """A new event with the same fields; the data dict is shared (transforms never mutate it)."""
    return Event._trusted(event.id, event.timestamp, event.duration, event.data)


def with_period(event: Event, start: datetime, end: datetime) -> Event:
    return Event._trusted(event.id, start, end - start, event.data)


def by_timestamp(event: Event) -> datetime:
    return event.timestamp


def by_duration(event: Event) -> timedelta:
    return event.duration
