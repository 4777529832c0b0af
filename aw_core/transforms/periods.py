"""Set operations on the time periods of events: intersection, union, union without overlap.

The boundary rules follow aw-core's: two periods intersect when one contains the other
(a zero-length period inside or at the edge of another counts) or when they overlap by more
than a point; periods that only touch do not intersect but do join in a union.
"""

from __future__ import annotations

from datetime import datetime

from aw_core.models import Event
from aw_core.transforms._util import by_timestamp, copy_event, with_period


def _intersection(
    s1: datetime, e1: datetime, s2: datetime, e2: datetime
) -> tuple[datetime, datetime] | None:
    if s1 <= s2 and e2 <= e1:
        return s2, e2
    if s1 <= s2 < e1:
        return s2, e1
    if s1 < e2 <= e1:
        return s1, e2
    if s2 <= s1 and e1 <= e2:
        return s1, e1
    return None


def filter_period_intersect(events: list[Event], filterevents: list[Event]) -> list[Event]:
    """The parts of ``events`` that lie within some event of ``filterevents``, by timestamp.

    Both lists are walked once in timestamp order (as aw-core does); each result keeps the data
    and id of the event it was cut from.
    """
    events = sorted(events, key=by_timestamp)
    filters = sorted(filterevents, key=by_timestamp)
    result: list[Event] = []
    i = j = 0
    ends1 = [e._timestamp + e._duration for e in events]
    ends2 = [f._timestamp + f._duration for f in filters]
    while i < len(events) and j < len(filters):
        event = events[i]
        s1, e1 = event._timestamp, ends1[i]
        s2, e2 = filters[j]._timestamp, ends2[j]
        overlap = _intersection(s1, e1, s2, e2)
        if overlap is not None:
            result.append(with_period(event, *overlap))
            if e1 <= e2:
                i += 1
            else:
                j += 1
        elif e1 <= s2:
            i += 1
        elif e2 <= s1:
            j += 1
        else:  # not reachable for non-negative durations; advance both to be safe
            i += 1
            j += 1
    return result


def period_union(events1: list[Event], events2: list[Event]) -> list[Event]:
    """The union of the periods of both lists as non-overlapping events with empty data."""
    events = sorted(events1 + events2, key=by_timestamp)
    merged: list[Event] = []
    for event in events:
        if merged:
            last = merged[-1]
            last_end = last.timestamp + last.duration
            end = event.timestamp + event.duration
            if not (end < last.timestamp or last_end < event.timestamp):
                start = min(last.timestamp, event.timestamp)
                merged[-1] = with_period(last, start, max(end, last_end))
                continue
        merged.append(event)
    return [Event._trusted(e.id, e.timestamp, e.duration, {}) for e in merged]


def _overlaps(s1: datetime, e1: datetime, s2: datetime, e2: datetime) -> bool:
    return s1 <= s2 < e1 or s1 < e2 <= e1 or (s2 <= s1 and e1 <= e2)


def union_no_overlap(events1: list[Event], events2: list[Event]) -> list[Event]:
    """Merge two timestamp-sorted lists; where they overlap ``events1`` wins and the events of
    ``events2`` are cut around it."""
    first = [copy_event(e) for e in events1]
    second = [copy_event(e) for e in events2]
    result: list[Event] = []
    i = j = 0
    while i < len(first) and j < len(second):
        e1, e2 = first[i], second[j]
        e1_end, e2_end = e1.timestamp + e1.duration, e2.timestamp + e2.duration
        if _overlaps(e1.timestamp, e1_end, e2.timestamp, e2_end):
            if e1.timestamp <= e2.timestamp:
                result.append(e1)
                i += 1
                if e2.timestamp < e1_end < e2_end:
                    second[j] = with_period(e2, e1_end, e2_end)
                else:
                    j += 1
            else:
                if e2.timestamp < e1.timestamp < e2_end:
                    result.append(with_period(e2, e2.timestamp, e1.timestamp))
                    second.insert(j + 1, with_period(e2, e1.timestamp, e2_end))
                else:
                    result.append(e2)
                j += 1
        elif e1.timestamp <= e2.timestamp:
            result.append(e1)
            i += 1
        else:
            result.append(e2)
            j += 1
    return result + first[i:] + second[j:]
