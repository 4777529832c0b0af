"""WakaTime's duration rule, and the ActivityWatch events it makes of a machine's heartbeats.

The time between two consecutive heartbeats counts for the earlier one when the gap is below
the timeout; otherwise the earlier one ends where it began. Consecutive heartbeats with equal
event data whose gaps are below the timeout form one event. Everything here works on heartbeats
sorted by time, so the result depends only on which heartbeats exist, never on the order they
arrived in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aw_server.wakatime.model import Heartbeat


@dataclass(frozen=True, slots=True)
class Span:
    """One derived event: from the first heartbeat of a run to the end of its last one."""

    start_us: int
    end_us: int
    data: dict[str, Any]


def durations(times: Sequence[int], successor_us: int | None, timeout_us: int) -> list[int]:
    """Each heartbeat's duration: the gap to the next (``successor_us`` after the last) when it
    is below the timeout, else 0."""
    nexts = [*times[1:], successor_us]
    return [
        gap if following is not None and (gap := following - time) < timeout_us else 0
        for time, following in zip(times, nexts, strict=True)
    ]


def links(earlier: Heartbeat, later: Heartbeat, timeout_us: int) -> bool:
    """Whether two consecutive heartbeats belong to one event."""
    return later.time_us - earlier.time_us < timeout_us and earlier.aw_key() == later.aw_key()


def spans(heartbeats: Sequence[Heartbeat], successor_us: int | None, timeout_us: int) -> list[Span]:
    """The events of consecutive heartbeats (sorted by time), the last one's duration measured
    to ``successor_us`` (the next heartbeat of the machine, if any)."""
    if not heartbeats:
        return []
    lengths = durations([h.time_us for h in heartbeats], successor_us, timeout_us)
    result: list[Span] = []
    start = 0
    for index in range(1, len(heartbeats) + 1):
        if index < len(heartbeats) and links(heartbeats[index - 1], heartbeats[index], timeout_us):
            continue
        last = index - 1
        first = heartbeats[start]
        end = heartbeats[last].time_us + lengths[last]
        result.append(Span(first.time_us, end, first.aw_data()))
        start = index
    return result


def run_start(heartbeats: Sequence[Heartbeat], index: int, timeout_us: int) -> int:
    """The index of the first heartbeat of the run (event) that holds ``heartbeats[index]``."""
    while index > 0 and links(heartbeats[index - 1], heartbeats[index], timeout_us):
        index -= 1
    return index


def run_end(heartbeats: Sequence[Heartbeat], index: int, timeout_us: int) -> int:
    """The index of the last heartbeat of the run (event) that holds ``heartbeats[index]``."""
    while index + 1 < len(heartbeats) and links(
        heartbeats[index], heartbeats[index + 1], timeout_us
    ):
        index += 1
    return index
