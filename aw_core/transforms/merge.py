"""Grouping events by the values of data keys."""

from __future__ import annotations

from collections.abc import Hashable
from datetime import timedelta
from typing import Any

from aw_core.models import Event


def _hashable(value: Any) -> Hashable:
    if isinstance(value, list):
        return tuple(_hashable(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _hashable(v)) for k, v in value.items()))
    return value


def merge_events_by_keys(events: list[Event], keys: list[str]) -> list[Event]:
    """One event per distinct combination of the given keys' values, durations summed.

    The group key is made of the values of the keys an event has (missing keys are left out,
    as aw-core does); each result has the first event's timestamp, no id, and data holding only
    those keys. Groups come in order of first appearance. With no keys, the input is returned.
    """
    if not keys:
        return list(events)
    groups: dict[Hashable, tuple[Event, list[timedelta]]] = {}
    scalar = {str, int, float, bool, type(None)}
    for event in events:
        data = event.data
        group: tuple[Hashable, ...] = ()
        for k in keys:
            if k in data:
                v = data[k]
                group += (v if type(v) in scalar else _hashable(v),)
        found = groups.get(group)
        if found is None:
            merged_data = {k: data[k] for k in keys if k in data}
            groups[group] = (
                Event._trusted(None, event._timestamp, event._duration, merged_data),
                [],
            )
        else:
            found[1].append(event._duration)
    result = []
    for first, durations in groups.values():
        if durations:
            first._duration = first._duration + sum(durations, timedelta(0))
        result.append(first)
    return result


def chunk_events_by_key(events: list[Event], key: str) -> list[Event]:
    """Join runs of consecutive events that share the value of ``key`` into one event each.

    Events without the key are skipped. A chunk starts at its first event, lasts the sum of its
    events' durations and keeps the first event's data (aw-server-rust's behaviour).
    """
    chunks: list[Event] = []
    for event in events:
        if key not in event.data:
            continue
        if chunks and chunks[-1].data.get(key) == event.data[key]:
            chunks[-1]._duration = chunks[-1]._duration + event.duration
        else:
            chunks.append(Event._trusted(event.id, event.timestamp, event.duration, event.data))
    return chunks
