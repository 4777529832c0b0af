"""Clipping events to a time range."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from aw_core.models import Event


def clip_events(
    events: Iterable[Event], start: datetime | None, end: datetime | None
) -> list[Event]:
    """Cut each event to the part inside ``[start, end]``; events are assumed to overlap it.

    Events already inside the range are returned as they are (not copied).
    """
    clipped = []
    for event in events:
        ts = event._timestamp
        ev_end = ts + event._duration
        if (start is None or ts >= start) and (end is None or ev_end <= end):
            clipped.append(event)
            continue
        new_ts = max(ts, start) if start is not None else ts
        new_end = min(ev_end, end) if end is not None else ev_end
        if new_end < new_ts:
            new_end = new_ts
        clipped.append(Event._trusted(event.id, new_ts, new_end - new_ts, event.data))
    return clipped
