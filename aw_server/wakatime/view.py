"""The ActivityWatch view of the raw heartbeats: events in ``aw-watcher-wakatime_<machine>``.

After heartbeats arrive, the events around them are recomputed from the raw table: from the
start of the event holding the machine's last earlier heartbeat (its duration may now end at a
new one) to the end of the event holding its first later heartbeat (a new one may join it).
Outside that span nothing can change, so the bucket always equals what the heartbeats, sorted by
time, make, however late an offline queue delivered some of them.
"""

from __future__ import annotations

import bisect
from datetime import UTC, datetime

from aw_core.models import Bucket, Event
from aw_server.service import Writes
from aw_server.wakatime.durations import links, run_end, run_start, spans
from aw_server.wakatime.model import Heartbeat
from aw_server.wakatime.store import HeartbeatStore

BUCKET_PREFIX = "aw-watcher-wakatime_"
BUCKET_TYPE = "app.editor.activity"
CLIENT = "wakatime"
_FIRST_REACH_US = 3_600_000_000  # how far around the new heartbeats to read at first


def bucket_id(machine: str) -> str:
    """The machine's bucket (ingest.machine_name refuses names a bucket id cannot hold)."""
    return BUCKET_PREFIX + machine


def machine_bucket(machine: str) -> Bucket:
    return Bucket(
        id=bucket_id(machine),
        type=BUCKET_TYPE,
        client=CLIENT,
        hostname=machine,
        created=datetime.now(UTC),
    )


def refresh(
    store: HeartbeatStore,
    writes: Writes,
    machine: str,
    first_us: int,
    last_us: int,
    timeout_us: int,
) -> None:
    """Recompute the machine's events around heartbeats stored at ``first_us``..``last_us``."""
    writes.ensure_bucket(machine_bucket(machine))
    reach = max(_FIRST_REACH_US, timeout_us)
    while True:
        rows = store.window(machine, first_us - reach, last_us + reach)
        beats = [h for _, h in rows]
        times = [h.time_us for h in beats]
        first = bisect.bisect_left(times, first_us)
        last = bisect.bisect_right(times, last_us) - 1
        start = run_start(beats, first - 1, timeout_us) if first > 0 else first
        end = run_end(beats, last + 1, timeout_us) if last + 1 < len(beats) else last
        start, end = _whole_instants(beats, start, end, timeout_us)
        if start == 0 and first > 0 and _joins_before(store, machine, beats[0], timeout_us):
            reach *= 2  # the run goes on before the window: read further
            continue
        successor = beats[end + 1] if end + 1 < len(beats) else None
        if successor is None:
            later = store.after(machine, beats[end].time_us)
            successor = later[1] if later else None
            if successor is not None and links(beats[end], successor, timeout_us):
                reach *= 2  # the run goes on after the window
                continue
        break
    made = spans(beats[start : end + 1], successor.time_us if successor else None, timeout_us)
    events = [Event.of_us(None, s.start_us, s.end_us - s.start_us, s.data) for s in made]
    writes.replace_span(bucket_id(machine), beats[start].time_us, beats[end].time_us, events)


def _whole_instants(
    beats: list[Heartbeat], start: int, end: int, timeout_us: int
) -> tuple[int, int]:
    """Widen ``start..end`` to the runs of heartbeats at the same instant as either end: the
    span replaced is one of times, so an event of another run starting at its first or last
    instant would be dropped and not made again."""
    while start > 0 and beats[start - 1].time_us == beats[start].time_us:
        start = run_start(beats, start - 1, timeout_us)
    while end + 1 < len(beats) and beats[end + 1].time_us == beats[end].time_us:
        end = run_end(beats, end + 1, timeout_us)
    return start, end


def _joins_before(store: HeartbeatStore, machine: str, first: Heartbeat, timeout_us: int) -> bool:
    earlier = store.before(machine, first.time_us)
    return earlier is not None and links(earlier[1], first, timeout_us)
