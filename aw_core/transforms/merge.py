"""Grouping events by the values of data keys."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from aw_core.models import Event


def _hashable(value: Any) -> Hashable:
    if isinstance(value, list):
        as_tuple = tuple(value)
        try:
            hash(as_tuple)  # the common case: a list of strings, such as a category path
        except TypeError:
            return tuple(_hashable(v) for v in value)
        return as_tuple
    if isinstance(value, dict):
        # tagged, so that an object never groups with a list of the same pairs
        return (dict, tuple(sorted((k, _hashable(v)) for k, v in value.items())))
    return value


_SCALARS = frozenset({str, int, float, bool, type(None)})


def merge_events_by_keys(events: list[Event], keys: list[str]) -> list[Event]:
    """One event per distinct combination of the given keys' values, durations summed.

    The group key is made of the values of the keys an event has (missing keys are left out,
    as aw-core does); each result has the first event's timestamp, no id, and data holding only
    those keys. Groups come in order of first appearance. With no keys, the input is returned.
    """
    if not keys:
        return list(events)
    groups: dict[Hashable, Event] = {}
    scalars = _SCALARS
    if len(keys) == 1:
        (only,) = keys
        for event in events:
            data = event.data
            if only in data:
                v = data[only]
                group: Hashable = (v if type(v) in scalars else _hashable(v),)
            else:
                group = ()
            found = groups.get(group)
            if found is None:
                merged_data = {only: data[only]} if only in data else {}
                groups[group] = Event.of_us(None, event.start_us, event.duration_us, merged_data)
            else:
                found.duration_us += event.duration_us
        return list(groups.values())
    for event in events:
        data = event.data
        parts: tuple[Hashable, ...] = ()
        for k in keys:
            if k in data:
                v = data[k]
                parts += (v if type(v) in scalars else _hashable(v),)
        found = groups.get(parts)
        if found is None:
            merged_data = {k: data[k] for k in keys if k in data}
            groups[parts] = Event.of_us(None, event.start_us, event.duration_us, merged_data)
        else:
            found.duration_us += event.duration_us
    return list(groups.values())


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
            chunks[-1].duration_us += event.duration_us
        else:
            chunks.append(Event.of_us(event.id, event.start_us, event.duration_us, event.data))
    return chunks
