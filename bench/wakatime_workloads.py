"""The WakaTime API workloads: this server only (the official server has no WakaTime API).

Each runs on a fresh server of its own, started once the side-by-side servers are stopped: the
30 days of heartbeats the summaries need would otherwise count in the memory row, and every
workload starts from an empty database. Requests are sent as the Go wakatime-cli sends them
(``X-Machine-Name``, its ``User-Agent`` and ``Timezone`` headers, JSON arrays to
``/api/v1/users/current/heartbeats.bulk``), without a key: the server takes them from loopback.

- bulk of 25: live syncing, 25 consecutive heartbeats per request, 2 minutes apart;
- replay: an offline queue of 1,000 heartbeats of the past week (about 32 hours of coding)
  sent in shuffled order, 25 per request; the events must equal those of the same heartbeats sent in time order to a second
  fresh server, and the summaries total the one computed here;
- summaries: 30 days of one heartbeat every 30 s on 3 projects (loaded untimed, 1000 per
  request, in time order), then ``GET …/summaries`` of those days.

Every check compares with what ``expected`` computes from the heartbeats as sent, by WakaTime's
duration rule, independently of the server's code.
"""

from __future__ import annotations

import json
import random
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bench import data
from bench.servers import Server, our_server
from bench.workloads import Connection, percentile

BULK = "WakaTime bulk of 25"
REPLAY = "WakaTime replay of a queue"
SUMMARIES = "WakaTime summaries"

SIZES = {
    "full": {"bulk_requests": 400, "replay": 1000, "summary_days": 30, "summary_repeat": 8},
    "quick": {"bulk_requests": 80, "replay": 250, "summary_days": 7, "summary_repeat": 4},
}
TARGETS = {BULK: 10.0, REPLAY: 1.5, SUMMARIES: 300.0}  # ms p50, s, ms

PER_REQUEST = 25  # what the Go CLI sends per request when syncing its queue
LOAD_BATCH = 1000  # the most the server takes in one request
TIMEOUT_US = 600_000_000  # the server's default [wakatime] timeout
US = 1_000_000
DAY_US = 86_400 * US
BULK_PATH = "users/current/heartbeats.bulk"


def cli_connection(server: Server, machine: str) -> Connection:
    """A connection that speaks as the Go CLI on ``machine``, to paths under ``/api/v1/``."""
    headers = {
        "User-Agent": data.WAKATIME_AGENT,
        "X-Machine-Name": machine,
        "Timezone": "UTC",
    }
    return Connection(server, headers=headers, prefix="/api/v1/")


@contextmanager
def fresh_server() -> Iterator[Server]:
    server = our_server()
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.workdir, ignore_errors=True)


def now_us() -> int:
    return int(time.time() * US)


@dataclass(frozen=True)
class Expected:
    """What the heartbeats make by WakaTime's duration rule: events and coding time."""

    events: int
    total_us: int


def _aw_key(beat: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(beat[k] for k in ("entity", "project", "language", "branch", "category", "type"))


def expected(beats: list[dict[str, Any]]) -> Expected:
    """The gap to the next heartbeat counts when below the timeout; consecutive heartbeats with
    equal data and such gaps are one event (all heartbeats here share one user agent)."""
    ordered = sorted(beats, key=lambda b: b["time"])
    times = [round(b["time"] * US) for b in ordered]
    total, events = 0, 0
    for i, beat in enumerate(ordered):
        follows = i > 0 and times[i] - times[i - 1] < TIMEOUT_US
        if follows:
            total += times[i] - times[i - 1]  # the gap counts for the earlier heartbeat
        if not (follows and _aw_key(ordered[i - 1]) == _aw_key(beat)):
            events += 1
    return Expected(events=events, total_us=total)


def post_bodies(
    conn: Connection, bodies: list[bytes], latencies: list[float] | None = None
) -> None:
    """Post encoded heartbeat arrays one after the other; every heartbeat must be taken (201).
    The answers are checked after the last request, so the timing is the server's work."""
    answers = []
    for body in bodies:
        began = time.perf_counter()
        answers.append(conn.send_raw("POST", BULK_PATH, body))
        if latencies is not None:
            latencies.append(time.perf_counter() - began)
    for status, raw in answers:
        if status != 201:
            raise RuntimeError(f"heartbeats.bulk -> {status}: {raw[:300]!r}")
        refused = [r for r in json.loads(raw)["responses"] if r[1] != 201]
        if refused:
            raise RuntimeError(f"heartbeats refused: {refused[:3]}")


def encode(beats: list[dict[str, Any]], size: int) -> list[bytes]:
    return [json.dumps(beats[i : i + size]).encode() for i in range(0, len(beats), size)]


def bucket_events(server: Server, machine: str) -> list[tuple[str, float, str]]:
    """The machine's ActivityWatch events as (timestamp, duration, data), oldest first."""
    conn = Connection(server)
    events = conn.json("GET", f"buckets/aw-watcher-wakatime_{machine}/events?limit=-1")
    conn.close()
    found = [(e["timestamp"], e["duration"], json.dumps(e["data"], sort_keys=True)) for e in events]
    return sorted(found)


def check_events(server: Server, machine: str, want: Expected) -> list[tuple[str, float, str]]:
    """The bucket's events, which must be as many and as long as ``want`` says."""
    events = bucket_events(server, machine)
    total_us = round(sum(duration for _, duration, _ in events) * US)
    # durations travel as float seconds: allow a microsecond of rounding per event
    if len(events) != want.events or abs(total_us - want.total_us) > len(events):
        raise RuntimeError(
            f"{machine}: {len(events)} events of {total_us / US:.6f} s; expected "
            f"{want.events} of {want.total_us / US:.6f} s"
        )
    return events


def summaries_path(first_day: str, last_day: str) -> str:
    return f"users/current/summaries?start={first_day}&end={last_day}&timezone=UTC"


def summaries_total(conn: Connection, first_day: str, last_day: str) -> float:
    answer = conn.json("GET", summaries_path(first_day, last_day))
    return float(answer["cumulative_total"]["seconds"])


def utc_day(moment_us: int) -> str:
    return datetime.fromtimestamp(moment_us / US, UTC).date().isoformat()


def bulk_of_25(requests: int) -> dict[str, Any]:
    """Live syncing: ``requests`` requests of 25 consecutive heartbeats, 2 minutes apart,
    ending now; each request's latency, p50 and p99."""
    count = requests * PER_REQUEST
    beats = data.wakatime_session(now_us() - count * 120 * US, count, 120, seed=21)
    bodies = encode(beats, PER_REQUEST)
    with fresh_server() as server:
        conn = cli_connection(server, "bulkhost")
        latencies: list[float] = []
        cpu = server.cpu_seconds()
        post_bodies(conn, bodies, latencies)
        cpu = server.cpu_seconds() - cpu
        conn.close()
        want = expected(beats)
        events = check_events(server, "bulkhost", want)
    return {
        "requests": requests,
        "heartbeats": count,
        "p50_ms": percentile(latencies, 0.50) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "cpu_ms_per_req": cpu / requests * 1000,
        "check": {"events": len(events), "total_seconds": want.total_us / US},
    }


def queue_session(first_us: int, count: int) -> list[dict[str, Any]]:
    return data.wakatime_session(first_us, count, 120, seed=33, breaks=True)


def replay(count: int) -> dict[str, Any]:
    """An offline queue: ``count`` heartbeats of the past days (work days with breaks, 2
    minutes apart) posted 25 per request in shuffled order, timed from the first request to
    the last answer. Then the same heartbeats in time order to a second fresh server: both
    must hold the same events, and the summaries the total computed here."""
    span_us = round(queue_session(0, count)[-1]["time"] * US)
    beats = queue_session(now_us() - span_us - DAY_US, count)  # the last one a day ago
    last_us = round(beats[-1]["time"] * US)
    shuffled = list(beats)
    random.Random(5).shuffle(shuffled)
    want = expected(beats)
    days = (utc_day(round(beats[0]["time"] * US)), utc_day(last_us))
    with fresh_server() as server:
        conn = cli_connection(server, "laptop")
        bodies = encode(shuffled, PER_REQUEST)
        cpu = server.cpu_seconds()
        began = time.perf_counter()
        post_bodies(conn, bodies)
        elapsed = time.perf_counter() - began
        cpu = server.cpu_seconds() - cpu
        replayed = check_events(server, "laptop", want)
        total = summaries_total(conn, *days)
        conn.close()
    with fresh_server() as reference:
        conn = cli_connection(reference, "laptop")
        post_bodies(conn, encode(beats, PER_REQUEST))
        conn.close()
        in_order = check_events(reference, "laptop", want)
    if replayed != in_order:
        differ = sum(1 for a, b in zip(replayed, in_order, strict=False) if a != b)
        raise RuntimeError(f"replayed out of order, {differ} events differ from those in order")
    if abs(total - want.total_us / US) > 0.001:
        raise RuntimeError(f"summaries total {total} s; expected {want.total_us / US} s")
    return {
        "heartbeats": count,
        "requests": len(bodies),
        "seconds": elapsed,
        "ms_per_request": elapsed / len(bodies) * 1000,
        "cpu_ms_per_req": cpu / len(bodies) * 1000,
        "check": {"events": len(replayed), "total_seconds": total},
    }


def summaries(days: int, repeat: int) -> dict[str, Any]:
    """One heartbeat every 30 s on 3 projects for ``days`` days up to now, loaded untimed (1000
    per request, in time order), then ``GET …/summaries`` from the first day to today in UTC,
    ``repeat`` times: the first (nothing computed before it) and the median of the others.
    The range is that of a client asking on the day of the last heartbeat:
    ``start=<30 days ago>&end=<today>``, 31 days."""
    count = days * 86_400 // 30
    first_us = now_us() - days * DAY_US + 60 * US  # the last one is a minute ago at most
    beats = data.wakatime_session(first_us, count, 30, seed=45)
    want = expected(beats)
    # the days of the data, not of the clock: loading may cross midnight
    first = datetime.fromtimestamp(first_us / US, UTC).date()
    first_day, last_day = first.isoformat(), (first + timedelta(days=days)).isoformat()
    with fresh_server() as server:
        conn = cli_connection(server, "devbox")
        bodies = encode(beats, LOAD_BATCH)
        began = time.perf_counter()
        post_bodies(conn, bodies)
        load_seconds = time.perf_counter() - began
        path = summaries_path(first_day, last_day)
        timings: list[float] = []
        cpu = server.cpu_seconds()
        for _ in range(repeat):
            began = time.perf_counter()
            status, raw = conn.request("GET", path)
            timings.append(time.perf_counter() - began)  # the answer, not the client's parsing
            if status != 200:
                raise RuntimeError(f"summaries -> {status}: {raw[:300]!r}")
        cpu = server.cpu_seconds() - cpu
        conn.close()
    answer = json.loads(raw)
    total = float(answer["cumulative_total"]["seconds"])
    projects = sorted({p["name"] for day in answer["data"] for p in day["projects"]})
    if abs(total - want.total_us / US) > 0.001 or len(answer["data"]) != days + 1:
        raise RuntimeError(
            f"summaries: {total} s over {len(answer['data'])} days; expected "
            f"{want.total_us / US} s over {days + 1}"
        )
    return {
        "days": days,
        "heartbeats": count,
        "repeat": repeat,
        "load_seconds": load_seconds,
        "load_rate": count / load_seconds,
        "first_ms": timings[0] * 1000,
        "ms": percentile(timings[1:], 0.5) * 1000,
        "best_ms": min(timings) * 1000,
        "cpu_ms_per_req": cpu / repeat * 1000,
        "check": {"total_seconds": total, "projects": projects},
    }


def steps(size: dict[str, int]) -> list[tuple[str, Callable[[], dict[str, Any]]]]:
    return [
        (BULK, lambda: bulk_of_25(size["bulk_requests"])),
        (REPLAY, lambda: replay(size["replay"])),
        (SUMMARIES, lambda: summaries(size["summary_days"], size["summary_repeat"])),
    ]


def run(quick: bool, only: str | None, results: dict[str, Any]) -> None:
    """Run the WakaTime workloads whose label contains ``only`` (all without it) into
    ``results``, each under its label in the shape of the other rows of this server only."""
    size = SIZES["quick" if quick else "full"]
    for label, work in steps(size):
        if only and only not in label:
            continue
        results["wakatime sizes"] = size
        print(f"  {label}: this server (fresh) ...", end="", flush=True, file=sys.stderr)
        figures = work()
        print(" done", file=sys.stderr)
        results[label] = {"figures": {"this server": figures}, "check": figures.pop("check")}


def _verdict(value: float, target: float, unit: str, sized: bool = True) -> str:
    """The target and whether it is met; targets are set for the full sizes only."""
    if not sized:
        return f"target ≤ {target:g} {unit} is for the full size"
    return f"target ≤ {target:g} {unit}: {'met' if value <= target else 'MISSED'}"


def rows(results: dict[str, Any]) -> list[str]:
    """The table rows of the WakaTime workloads that ran (the official server has none)."""
    full = SIZES["full"]
    lines = []
    if BULK in results:
        f = results[BULK]["figures"]["this server"]
        lines.append(
            f"| WakaTime bulk of 25 (ms p50 / p99) | not run: no WakaTime API | "
            f"{f['p50_ms']:.2f} / {f['p99_ms']:.2f} | p50 "
            f"{_verdict(f['p50_ms'], TARGETS[BULK], 'ms')} ({f['requests']} requests) | "
            f"– / {f['cpu_ms_per_req']:.2f} |"
        )
    if REPLAY in results:
        f = results[REPLAY]["figures"]["this server"]
        sized = f["heartbeats"] == full["replay"]
        lines.append(
            f"| WakaTime replay of {f['heartbeats']:,} queued heartbeats in 25s (s) | not run | "
            f"{f['seconds']:.2f} | {_verdict(f['seconds'], TARGETS[REPLAY], 's', sized)} "
            f"(shuffled; events equal those sent in order) | – / {f['cpu_ms_per_req']:.2f} |"
        )
    if SUMMARIES in results:
        f = results[SUMMARIES]["figures"]["this server"]
        sized = f["days"] == full["summary_days"]
        lines.append(
            f"| WakaTime summaries, {f['days']} days (ms) | not run | {f['ms']:.0f} | "
            f"{_verdict(f['ms'], TARGETS[SUMMARIES], 'ms', sized)} (median of "
            f"{f['repeat'] - 1} after a first of {f['first_ms']:.0f}; {f['heartbeats']:,} "
            f"heartbeats) | – / {f['cpu_ms_per_req']:.0f} |"
        )
    return lines
