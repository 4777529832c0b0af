"""Heartbeat merging: pure functions that never mutate their inputs."""

from __future__ import annotations

from collections.abc import Iterable

from aw_core.models import Event
from aw_core.timeutil import seconds_to_us


def heartbeat_merge(last: Event, heartbeat: Event, pulsetime: float) -> Event | None:
    """Merge ``heartbeat`` into ``last`` if they continue each other, else return None.

    They merge iff their data are equal and ``last.timestamp <= heartbeat.timestamp <=
    last.end + pulsetime`` (both ends inclusive). The merged event keeps last's id, timestamp
    and data and lasts until the later of the two ends; an older heartbeat never merges.
    """
    if last.data != heartbeat.data:
        return None
    pulse_us = seconds_to_us(pulsetime)
    if not last.start_us <= heartbeat.start_us <= last.start_us + last.duration_us + pulse_us:
        return None
    duration_us = max(last.duration_us, heartbeat.start_us + heartbeat.duration_us - last.start_us)
    return Event.of_us(last.id, last.start_us, duration_us, last.data)


def heartbeat_reduce(events: Iterable[Event], pulsetime: float) -> list[Event]:
    """Fold a sequence of heartbeats into events, merging each into the one before when it can."""
    reduced: list[Event] = []
    for event in events:
        merged = heartbeat_merge(reduced[-1], event, pulsetime) if reduced else None
        if merged is None:
            reduced.append(event)
        else:
            reduced[-1] = merged
    return reduced
