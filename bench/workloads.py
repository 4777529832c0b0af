"""The workloads, each run against one server; they return figures and a correctness check."""

from __future__ import annotations

import http.client
import json
import threading
import time
from datetime import datetime, timedelta
from typing import Any

from aw_client.queries import DesktopQueryParams, full_desktop_query
from bench import data
from bench.servers import Server


class Connection:
    """One keep-alive HTTP connection with JSON helpers (http.client: little client overhead).

    ``headers`` go with every request (an ``Authorization`` header, say); paths are relative
    to ``prefix``."""

    def __init__(
        self,
        server: Server,
        timeout: float = 600,
        headers: dict[str, str] | None = None,
        prefix: str = "/api/0/",
    ) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=timeout)
        self.headers = headers or {}
        self.prefix = prefix

    def request(self, method: str, path: str, body: Any = None) -> tuple[int, bytes]:
        payload = json.dumps(body).encode() if body is not None else None
        headers = {**self.headers}
        if payload is not None:
            headers["Content-Type"] = "application/json"
        self.conn.request(method, self.prefix + path, body=payload, headers=headers)
        response = self.conn.getresponse()
        return response.status, response.read()

    def send_raw(self, method: str, path: str, payload: bytes) -> tuple[int, bytes]:
        """Send an already encoded JSON body."""
        self.conn.request(
            method,
            self.prefix + path,
            body=payload,
            headers={**self.headers, "Content-Type": "application/json"},
        )
        response = self.conn.getresponse()
        return response.status, response.read()

    def json(self, method: str, path: str, body: Any = None) -> Any:
        status, raw = self.request(method, path, body)
        if status >= 400:
            raise RuntimeError(f"{method} {path} -> {status}: {raw[:300]!r}")
        return json.loads(raw) if raw else None

    def close(self) -> None:
        self.conn.close()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def create_bucket(conn: Connection, bucket_id: str, type_: str = "test") -> None:
    status, raw = conn.request(
        "POST", f"buckets/{bucket_id}", {"client": "bench", "type": type_, "hostname": data.HOST}
    )
    if status not in (200, 304):
        raise RuntimeError(f"create {bucket_id}: {status} {raw!r}")


def heartbeat_body(i: int, change_every: int = 10) -> dict[str, Any]:
    ts = data.START + timedelta(seconds=i)
    return {
        "timestamp": ts.isoformat(),
        "duration": 0,
        "data": {"app": f"app{i // change_every}", "title": "t"},
    }


def send_heartbeats(
    conn: Connection, bucket_id: str, indices: range, latencies: list[float]
) -> None:
    """Heartbeats number ``indices`` to the bucket, one after the other; adds each latency."""
    path = f"buckets/{bucket_id}/heartbeat?pulsetime=5"
    for i in indices:
        t0 = time.perf_counter()
        status, raw = conn.request("POST", path, heartbeat_body(i))
        latencies.append(time.perf_counter() - t0)
        if status != 200:
            raise RuntimeError(f"heartbeat {i} to {bucket_id}: {status} {raw[:200]!r}")


def heartbeats_single(server: Server, count: int) -> dict[str, Any]:
    conn = Connection(server)
    create_bucket(conn, "hb-single")
    latencies: list[float] = []
    cpu = server.cpu_seconds()
    started = time.perf_counter()
    send_heartbeats(conn, "hb-single", range(count), latencies)
    elapsed = time.perf_counter() - started
    cpu = server.cpu_seconds() - cpu
    events = conn.json("GET", "buckets/hb-single/events/count")
    conn.close()
    return {
        "rate": count / elapsed,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "p50_ms": percentile(latencies, 0.50) * 1000,
        "cpu_ms_per_req": cpu / count * 1000,
        "check": {"events": events},
    }


# A watcher's key as a user would make one; its own limit is the highest the server takes, so
# the limiter counts every request (its cost is measured) but never refuses one.
BENCH_KEY = {"name": "bench watcher", "preset": "watcher", "rate_limit": 1_000_000}


def create_api_key(server: Server) -> str:
    """A new key's secret, created through the API from loopback (no key needed there)."""
    conn = Connection(server)
    created = conn.json("POST", "keys", BENCH_KEY)
    conn.close()
    return str(created["secret"])


def heartbeats_keyed(server: Server, count: int, key: str, blocks: int = 10) -> dict[str, Any]:
    """The one-connection heartbeat workload twice on one server, without a key and with
    ``Authorization: Bearer <key>``, each on its own bucket and connection, in alternating
    blocks: both see the same machine load and database size, so their ratio is the key's
    cost. Figures under "keyless" and "keyed"; ratios are keyed/keyless."""
    conns = {
        "keyless": Connection(server),
        "keyed": Connection(server, headers={"Authorization": f"Bearer {key}"}),
    }
    for name, conn in conns.items():
        create_bucket(conn, f"hb-{name}")
    latencies: dict[str, list[float]] = {name: [] for name in conns}
    elapsed = dict.fromkeys(conns, 0.0)
    cpu = dict.fromkeys(conns, 0.0)
    per_block = count // blocks
    for block in range(blocks):
        names = list(conns) if block % 2 == 0 else list(reversed(conns))
        for name in names:
            cpu_before = server.cpu_seconds()
            started = time.perf_counter()
            indices = range(block * per_block, (block + 1) * per_block)
            send_heartbeats(conns[name], f"hb-{name}", indices, latencies[name])
            elapsed[name] += time.perf_counter() - started
            cpu[name] += server.cpu_seconds() - cpu_before
    sent = per_block * blocks
    figures: dict[str, Any] = {
        name: {
            "rate": sent / elapsed[name],
            "p99_ms": percentile(latencies[name], 0.99) * 1000,
            "p50_ms": percentile(latencies[name], 0.50) * 1000,
            "cpu_ms_per_req": cpu[name] / sent * 1000,
        }
        for name in conns
    }
    keyless, keyed = figures["keyless"], figures["keyed"]
    figures["rate_ratio"] = keyed["rate"] / keyless["rate"]
    figures["p50_ratio"] = keyed["p50_ms"] / keyless["p50_ms"]
    counts = {
        name: conns["keyless"].json("GET", f"buckets/hb-{name}/events/count") for name in conns
    }
    # the official server has no such buckets: gone, the export compares equal data again
    for name in conns:
        conns["keyless"].json("DELETE", f"buckets/hb-{name}?force=1")
    for conn in conns.values():
        conn.close()
    if counts["keyless"] != counts["keyed"]:
        raise RuntimeError(f"the keyed and keyless runs left different data: {counts}")
    figures["check"] = {"events": counts["keyed"]}
    return figures


def heartbeats_threads(server: Server, threads: int, per_thread: int) -> dict[str, Any]:
    setup = Connection(server)
    for n in range(threads):
        create_bucket(setup, f"hb-thread-{n}")
    latencies: list[list[float]] = [[] for _ in range(threads)]
    errors: list[str] = []
    barrier = threading.Barrier(threads + 1)

    def worker(n: int) -> None:
        conn = Connection(server)
        barrier.wait()
        for i in range(per_thread):
            t0 = time.perf_counter()
            status, raw = conn.request(
                "POST", f"buckets/hb-thread-{n}/heartbeat?pulsetime=5", heartbeat_body(i)
            )
            latencies[n].append(time.perf_counter() - t0)
            if status != 200:
                errors.append(f"{status} {raw[:100]!r}")
        conn.close()

    pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for t in pool:
        t.start()
    cpu = server.cpu_seconds()
    barrier.wait()
    started = time.perf_counter()
    for t in pool:
        t.join()
    elapsed = time.perf_counter() - started
    cpu = server.cpu_seconds() - cpu
    if errors:
        raise RuntimeError(f"{len(errors)} heartbeats failed: {errors[:3]}")
    counts = [setup.json("GET", f"buckets/hb-thread-{n}/events/count") for n in range(threads)]
    setup.close()
    total = threads * per_thread
    flat = [x for per in latencies for x in per]
    return {
        "rate": total / elapsed,
        "p99_ms": percentile(flat, 0.99) * 1000,
        "cpu_ms_per_req": cpu / total * 1000,
        "check": {"events": counts},
    }


def bulk_insert(server: Server, events: list[dict[str, Any]], batch: int = 1000) -> dict[str, Any]:
    conn = Connection(server)
    create_bucket(conn, "bulk")
    # encoded beforehand and answers read but not decoded: the timing is the server's work
    bodies = [json.dumps(events[i : i + batch]) for i in range(0, len(events), batch)]
    cpu = server.cpu_seconds()
    started = time.perf_counter()
    for body in bodies:
        status, raw = conn.send_raw("POST", "buckets/bulk/events", body.encode())
        if status != 200:
            raise RuntimeError(f"bulk insert -> {status}: {raw[:300]!r}")
    elapsed = time.perf_counter() - started
    cpu = server.cpu_seconds() - cpu
    count = conn.json("GET", "buckets/bulk/events/count")
    conn.close()
    requests = (len(events) + batch - 1) // batch
    return {
        "rate": len(events) / elapsed,
        "seconds": elapsed,
        "cpu_ms_per_req": cpu / requests * 1000,
        "check": {"events": count},
    }


def get_all(server: Server) -> dict[str, Any]:
    conn = Connection(server)
    cpu = server.cpu_seconds()
    started = time.perf_counter()
    status, raw = conn.request("GET", "buckets/bulk/events?limit=-1")
    elapsed = time.perf_counter() - started  # the response, not the client's JSON decoding
    cpu = server.cpu_seconds() - cpu
    conn.close()
    if status != 200:
        raise RuntimeError(f"GET events -> {status}")
    events = json.loads(raw)
    total = round(sum(e["duration"] for e in events), 3)
    return {
        "seconds": elapsed,
        "cpu_ms_per_req": cpu * 1000,
        "check": {"events": len(events), "total_duration": total},
    }


def load_query_data(server: Server, buckets: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """Load the query workload's buckets (not timed)."""
    conn = Connection(server)
    types = {data.WINDOW: "currentwindow", data.AFK: "afkstatus", data.WEB: "web.tab.current"}
    for bucket_id, events in buckets.items():
        create_bucket(conn, bucket_id, types[bucket_id])
        for offset in range(0, len(events), 2000):
            conn.json("POST", f"buckets/{bucket_id}/events", events[offset : offset + 2000])
    counts = {b: conn.json("GET", f"buckets/{b}/events/count") for b in buckets}
    conn.close()
    return {"check": counts}


def activity_query() -> list[str]:
    params = DesktopQueryParams(
        bid_window=data.WINDOW, bid_afk=data.AFK, bid_browsers=[data.WEB], classes=data.CLASSES
    )
    # the Python server's query parser wants each statement on one line
    return [line for line in full_desktop_query(params).split("\n")]


def day_period(day: int) -> str:
    start = data.START + timedelta(days=day)
    return f"{start.isoformat()}/{(start + timedelta(days=1)).isoformat()}"


def query(server: Server, days: int, repeat: int, name: str | None = None) -> dict[str, Any]:
    """The Activity view over ``days`` one-day periods, ``repeat`` times (the best counts).

    With a ``name`` (as aw-client sends when asked to cache), this server may answer repeats
    from its cache of past periods; the official server ignores the name."""
    conn = Connection(server)
    body = {"query": activity_query(), "timeperiods": [day_period(d) for d in range(days)]}
    path = f"query/?name={name}" if name else "query/"
    timings = []
    cpu = server.cpu_seconds()
    result = None
    for _ in range(repeat):
        started = time.perf_counter()
        status, raw = conn.request("POST", path, body)
        timings.append(time.perf_counter() - started)  # the response, not the client's parsing
        if status != 200:
            raise RuntimeError(f"query -> {status}: {raw[:300]!r}")
        result = json.loads(raw)
    cpu = server.cpu_seconds() - cpu
    conn.close()
    assert result is not None
    totals = [round(r["window"]["duration"], 1) for r in result]
    apps = [len(r["window"]["app_events"]) for r in result]
    return {
        "seconds": min(timings),
        "median_seconds": sorted(timings)[len(timings) // 2],
        "cpu_ms_per_req": cpu / repeat * 1000,
        "check": {"active_seconds": totals, "apps": apps},
    }


def export(server: Server) -> dict[str, Any]:
    conn = Connection(server)
    cpu = server.cpu_seconds()
    peak_before = server.memory_mib()[1]
    started = time.perf_counter()
    status, raw = conn.request("GET", "export")
    elapsed = time.perf_counter() - started
    cpu = server.cpu_seconds() - cpu
    conn.close()
    if status != 200:
        raise RuntimeError(f"export -> {status}")
    document = json.loads(raw)
    counts = {b: len(v["events"]) for b, v in sorted(document["buckets"].items())}
    return {
        "seconds": elapsed,
        "cpu_ms_per_req": cpu * 1000,
        "mib": len(raw) / 1048576,
        "peak_growth_mib": server.memory_mib()[1] - peak_before,
        "check": {"events": sum(counts.values()), "buckets": len(counts)},
    }


def now() -> str:
    return datetime.now().isoformat(timespec="seconds")
