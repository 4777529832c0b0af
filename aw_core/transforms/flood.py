"""Flooding: filling the short gaps that event collection leaves between events."""

from __future__ import annotations

from itertools import islice
from operator import attrgetter, eq
from typing import Any

from aw_core.models import Event
from aw_core.timeutil import seconds_to_us
from aw_core.transforms._util import by_timestamp, to_ms

# A negative gap (overlap) shorter than this between events with different data is treated
# as a gap to split; a longer one is left as it is (microseconds).
_NEGATIVE_GAP_TOLERANCE = 100_000
_START_THEN_LENGTH = attrgetter("start_us", "duration_us")


def flood(events: list[Event], pulsetime: float = 5) -> list[Event]:
    """Close gaps of at most ``pulsetime`` seconds between consecutive events.

    Events are ordered by (timestamp, duration). Across a short gap, neighbours with equal data
    become one event (the longer one absorbs the other); neighbours with different data both
    stretch to the gap's midpoint. Overlapping neighbours with equal data merge. Finally
    zero-length events are dropped and remaining overlaps are cut so the later event wins,
    so no time is counted twice. Follows aw-core 0.5.18's results, including its rule that a
    computed start is truncated to the millisecond. Events left unchanged are returned as they
    are; the others are new events.
    """
    # Sorting by start alone is linear on the storage's newest-first lists; only equal starts
    # need the duration as a second key.
    spans = sorted(events, key=by_timestamp)
    starts = [e.start_us for e in spans]
    if any(map(eq, starts, islice(starts, 1, None))):
        spans.sort(key=_START_THEN_LENGTH)
        starts = [e.start_us for e in spans]
    # work on parallel lists of integers; events are built once, at the end
    durations = [e.duration_us for e in spans]
    datas = [e.data for e in spans]
    limit = seconds_to_us(pulsetime)
    tolerance = -_NEGATIVE_GAP_TOLERANCE
    for k in range(len(spans) - 1):
        s1 = starts[k]
        e1_end = s1 + durations[k]
        s2 = starts[k + 1]
        gap = s2 - e1_end
        if not gap:
            continue
        data1, data2 = datas[k], datas[k + 1]
        same = data1 is data2 or data1 == data2
        if gap < 0 and same:
            start = min(s1, s2)
            end = max(e1_end, s2 + durations[k + 1])
            starts[k], durations[k] = to_ms(start), end - start
            starts[k + 1], durations[k + 1] = to_ms(end), 0
        elif tolerance < gap <= limit:
            e2_end = s2 + durations[k + 1]
            if same:
                if durations[k] >= durations[k + 1]:
                    durations[k] = e2_end - s1
                    starts[k + 1], durations[k + 1] = to_ms(e2_end), 0
                else:
                    starts[k + 1], durations[k + 1] = s1, e2_end - s1
                    durations[k] = 0
            else:
                midpoint = e1_end + round(gap / 2)  # half to even, as timedelta / 2
                durations[k] = midpoint - s1
                starts[k + 1], durations[k + 1] = to_ms(midpoint), e2_end - midpoint
    return _without_overlaps(spans, starts, durations, datas)


def _without_overlaps(
    spans: list[Event], starts: list[int], durations: list[int], datas: list[dict[str, Any]]
) -> list[Event]:
    """Drop zero-length spans and cut overlaps so the later span wins (equal data: join)."""
    kept: list[int] = []  # indices into spans, whose starts/durations are updated in place
    for k, length in enumerate(durations):
        if length <= 0:
            continue
        start = starts[k]
        joined = False
        while kept:
            p = kept[-1]
            p_start = starts[p]
            p_end = p_start + durations[p]
            if p_end <= start:
                break
            if datas[p] == datas[k]:
                durations[p] = max(p_end, start + length) - p_start
                joined = True
                break
            if start > p_start:
                durations[p] = start - p_start
                break
            kept.pop()  # cut to nothing
        if not joined:
            kept.append(k)
    result = []
    of_us = Event.of_us
    for k in kept:
        event = spans[k]
        start, length = starts[k], durations[k]
        if event.start_us == start and event.duration_us == length:
            result.append(event)
        else:
            result.append(of_us(event.id, start, length, event.data))
    return result
