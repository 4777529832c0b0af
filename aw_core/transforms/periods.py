"""Set operations on the time periods of events: intersection, union, union without overlap.

The boundary rules follow aw-core's: two periods intersect when one contains the other
(a zero-length period inside or at the edge of another counts) or when they overlap by more
than a point; periods that only touch do not intersect but do join in a union. Instants are
integer microseconds.
"""

from __future__ import annotations

from aw_core.models import Event
from aw_core.transforms._util import by_timestamp, copy_event, with_period


def filter_period_intersect(events: list[Event], filterevents: list[Event]) -> list[Event]:
    """The parts of ``events`` that lie within some event of ``filterevents``, by timestamp.

    Both lists are walked once in timestamp order (as aw-core does); each result keeps the data
    and id of the event it was cut from (events that need no cut are returned as they are).
    """
    events = sorted(events, key=by_timestamp)
    spans = [
        (f.start_us, f.start_us + f.duration_us) for f in sorted(filterevents, key=by_timestamp)
    ]
    result: list[Event] = []
    append, of_us = result.append, Event.of_us  # the loop runs once per event: keep it lean
    n_events, n_spans = len(events), len(spans)
    i = j = 0
    while i < n_events and j < n_spans:
        event = events[i]
        s1 = event.start_us
        e1 = s1 + event.duration_us
        s2, e2 = spans[j]
        # the intersection of [s1, e1] and [s2, e2] by aw-core's rules, else which side is behind
        if s1 <= s2:
            if e2 <= e1:
                start, end = s2, e2
            elif s2 < e1:
                start, end = s2, e1
            elif s1 == s2:  # a zero-length event at the filter's start counts
                start, end = s1, e1
            else:  # the event ends before (or as) the filter starts
                i += 1
                continue
        elif e1 <= e2:
            start, end = s1, e1
        elif s1 < e2:
            start, end = s1, e2
        else:  # the filter ends before (or as) the event starts
            j += 1
            continue
        if start == s1 and end == e1 and not start % 1000:
            append(event)  # wholly inside: unchanged
        else:
            append(of_us(event.id, start - start % 1000, end - start, event.data))
        if e1 <= e2:
            i += 1
        else:
            j += 1
    return result


def period_union(events1: list[Event], events2: list[Event]) -> list[Event]:
    """The union of the periods of both lists as non-overlapping events with empty data."""
    events = sorted(events1 + events2, key=by_timestamp)
    merged: list[Event] = []
    for event in events:
        if merged:
            last = merged[-1]
            last_end = last.start_us + last.duration_us
            end = event.start_us + event.duration_us
            if not (end < last.start_us or last_end < event.start_us):
                start = min(last.start_us, event.start_us)
                merged[-1] = with_period(last, start, max(end, last_end))
                continue
        merged.append(event)
    return [Event.of_us(e.id, e.start_us, e.duration_us, {}) for e in merged]


def _overlaps(s1: int, e1: int, s2: int, e2: int) -> bool:
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
        e1_end, e2_end = e1.end_us, e2.end_us
        if _overlaps(e1.start_us, e1_end, e2.start_us, e2_end):
            if e1.start_us <= e2.start_us:
                result.append(e1)
                i += 1
                if e2.start_us < e1_end < e2_end:
                    second[j] = with_period(e2, e1_end, e2_end)
                else:
                    j += 1
            else:
                if e2.start_us < e1.start_us < e2_end:
                    result.append(with_period(e2, e2.start_us, e1.start_us))
                    second.insert(j + 1, with_period(e2, e1.start_us, e2_end))
                else:
                    result.append(e2)
                j += 1
        elif e1.start_us <= e2.start_us:
            result.append(e1)
            i += 1
        else:
            result.append(e2)
            j += 1
    return result + first[i:] + second[j:]
