"""Flooding: filling the short gaps that event collection leaves between events."""

from __future__ import annotations

from datetime import timedelta
from operator import attrgetter

from aw_core.models import Event
from aw_core.transforms._util import copy_event, to_ms

# A negative gap (overlap) shorter than this between events with different data is treated
# as a gap to split; a longer one is left as it is.
_NEGATIVE_GAP_TOLERANCE = timedelta(seconds=0.1)
_ZERO = timedelta(0)
_START_THEN_LENGTH = attrgetter("_timestamp", "_duration")


def flood(events: list[Event], pulsetime: float = 5) -> list[Event]:
    """Close gaps of at most ``pulsetime`` seconds between consecutive events.

    Events are ordered by (timestamp, duration). Across a short gap, neighbours with equal data
    become one event (the longer one absorbs the other); neighbours with different data both
    stretch to the gap's midpoint. Overlapping neighbours with equal data merge. Finally
    zero-length events are dropped and remaining overlaps are cut so the later event wins,
    so no time is counted twice. Follows aw-core 0.5.18's results, including its rule that a
    computed start is truncated to the millisecond.
    """
    spans = sorted(map(copy_event, events), key=_START_THEN_LENGTH)
    limit = timedelta(seconds=pulsetime)
    for e1, e2 in zip(spans, spans[1:], strict=False):
        e1_end = e1._timestamp + e1._duration
        gap = e2._timestamp - e1_end
        if not gap:
            continue
        same = e1.data == e2.data
        if gap < _ZERO and same:
            start = min(e1._timestamp, e2._timestamp)
            end = max(e1_end, e2._timestamp + e2._duration)
            e1._timestamp, e1._duration = to_ms(start), end - start
            e2._timestamp, e2._duration = to_ms(end), _ZERO
        elif -_NEGATIVE_GAP_TOLERANCE < gap <= limit:
            e2_end = e2._timestamp + e2._duration
            if same:
                if e1._duration >= e2._duration:
                    e1._duration = e2_end - e1._timestamp
                    e2._timestamp, e2._duration = to_ms(e2_end), _ZERO
                else:
                    e2._timestamp = e1._timestamp
                    e2._duration = e2_end - e1._timestamp
                    e1._duration = _ZERO
            else:
                midpoint = e1_end + gap / 2
                e1._duration = midpoint - e1._timestamp
                e2._timestamp, e2._duration = to_ms(midpoint), e2_end - midpoint
    return _without_overlaps([e for e in spans if e._duration > _ZERO])


def _without_overlaps(spans: list[Event]) -> list[Event]:
    result: list[Event] = []
    for event in spans:
        while result and result[-1]._timestamp + result[-1]._duration > event._timestamp:
            previous = result[-1]
            if previous.data == event.data:
                end = max(
                    previous._timestamp + previous._duration, event._timestamp + event._duration
                )
                previous._duration = end - previous._timestamp
                break
            previous._duration = event._timestamp - previous._timestamp
            if previous._duration <= _ZERO:
                result.pop()
                continue
            result.append(event)
            break
        else:
            result.append(event)
    return result
