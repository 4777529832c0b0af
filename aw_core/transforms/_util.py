"""Helpers shared by the transforms, which compute on integer microseconds (``Event.start_us``,
``Event.duration_us``) rather than datetimes."""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter
from typing import Any

from aw_core.models import Event


def copy_event(event: Event) -> Event:
    """A new event with the same fields; the data dict is shared (transforms never mutate it)."""
    return Event.of_us(event.id, event.start_us, event.duration_us, event.data)


def map_data(
    events: list[Event], change: Callable[[dict[str, Any]], dict[str, Any]]
) -> list[Event]:
    """Each event with its data replaced by ``change(data)``, computed once per data dict:
    events that share one dict (as the storage gives them) share the new one too. An event
    whose data ``change`` returns as it is comes back as it is."""
    # id of an input dict -> (that dict, kept alive so its id stays unique; the changed dict)
    seen: dict[int, tuple[dict[str, Any], dict[str, Any]]] = {}
    result = []
    for event in events:
        data = event.data
        known = seen.get(id(data))
        if known is None:
            known = seen[id(data)] = (data, change(data))
        if known[1] is data:
            result.append(event)
        else:
            result.append(Event.of_us(event.id, event.start_us, event.duration_us, known[1]))
    return result


def to_ms(us: int) -> int:
    """Truncate an instant to the millisecond (towards the past).

    aw-core's Event truncates every timestamp assigned to it to milliseconds while durations
    keep their precision; transforms apply the same rule where they compute a new start, so
    their results match the official server's exactly.
    """
    return us - us % 1000


def with_period(event: Event, start_us: int, end_us: int) -> Event:
    """The event moved to start at ``start_us`` (to the millisecond) and last until ``end_us``."""
    return Event.of_us(event.id, start_us - start_us % 1000, end_us - start_us, event.data)


# C-level sort keys: cheaper than a lambda or the properties.
by_timestamp: Callable[[Event], int] = attrgetter("start_us")
by_duration: Callable[[Event], int] = attrgetter("duration_us")
