"""Clipping events to a time range."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from aw_core.models import Event
from aw_core.timeutil import to_us


def clip_events(
    events: Iterable[Event], start: datetime | None, end: datetime | None
) -> list[Event]:
    """Cut each event to the part inside ``[start, end]``; events are assumed to overlap it.

    Events already inside the range are returned as they are (not copied).
    """
    start_us = to_us(start) if start is not None else None
    end_us = to_us(end) if end is not None else None
    clipped = []
    for event in events:
        ts = event.start_us
        ev_end = ts + event.duration_us
        if (start_us is None or ts >= start_us) and (end_us is None or ev_end <= end_us):
            clipped.append(event)
            continue
        new_ts = max(ts, start_us) if start_us is not None else ts
        new_end = min(ev_end, end_us) if end_us is not None else ev_end
        if new_end < new_ts:
            new_end = new_ts
        clipped.append(Event.of_us(event.id, new_ts, new_end - new_ts, event.data))
    return clipped
