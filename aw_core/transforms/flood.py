"""Flooding: filling the short gaps that event collection leaves between events."""

from __future__ import annotations

from typing import Any

from aw_core.models import Event
from aw_core.timeutil import seconds_to_us
from aw_core.transforms._util import by_duration, by_timestamp, to_ms

# A negative gap (overlap) shorter than this between events with different data is treated
# as a gap to split; a longer one is left as it is (microseconds).
_NEGATIVE_GAP_TOLERANCE = 100_000


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
    spans = sorted(events, key=by_duration)
    spans.sort(key=by_timestamp)  # stable: (timestamp, duration) order
    # work on parallel lists of integers; events are built once, at the end
    starts = [e.start_us for e in spans]
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
    kept: list[int] = []  # indices into spans
    kept_start: list[int] = []
    kept_length: list[int] = []
    for k, length in enumerate(durations):
        if length <= 0:
            continue
        start = starts[k]
        while kept and kept_start[-1] + kept_length[-1] > start:
            if datas[kept[-1]] == datas[k]:
                end = max(kept_start[-1] + kept_length[-1], start + length)
                kept_length[-1] = end - kept_start[-1]
                break
            kept_length[-1] = start - kept_start[-1]
            if kept_length[-1] <= 0:
                kept.pop()
                kept_start.pop()
                kept_length.pop()
                continue
            kept.append(k)
            kept_start.append(start)
            kept_length.append(length)
            break
        else:
            kept.append(k)
            kept_start.append(start)
            kept_length.append(length)
    result = []
    of_us = Event.of_us
    for k, start, length in zip(kept, kept_start, kept_length, strict=True):
        event = spans[k]
        if event.start_us == start and event.duration_us == length:
            result.append(event)
        else:
            result.append(of_us(event.id, start, length, event.data))
    return result
