"""50 concurrent clients against a server process for a bounded time (LOAD_SECONDS, default 3;
`make soak` runs longer): no error, no lost or duplicated merge, p99 latency and RSS recorded."""

from __future__ import annotations

import os
import random
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests

from tests.conftest import subprocess_env
from tests.liveserver import ServerProcess, free_port

SECONDS = float(os.environ.get("LOAD_SECONDS", "3"))
HEARTBEATERS, READERS, QUERIERS = 30, 15, 5
T0 = datetime(2024, 1, 1, tzinfo=UTC)
BLOCK = 10


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def test_fifty_clients(tmp_path: Path) -> None:
    server = ServerProcess(
        ["--dbpath", str(tmp_path / "load.sqlite")], subprocess_env(), free_port()
    ).start()
    assert server.proc is not None
    base = f"{server.url}/api/0"
    setup = requests.Session()
    for n in range(HEARTBEATERS):
        setup.post(
            f"{base}/buckets/load-{n}",
            json={"client": "load", "type": "t", "hostname": "h"},
            timeout=10,
        )
    stop = threading.Event()
    latencies: list[float] = []
    errors: list[str] = []
    sent = [0] * HEARTBEATERS
    lock = threading.Lock()

    def timed(session: requests.Session, method: str, url: str, **kw: object) -> None:
        started = time.perf_counter()
        r = session.request(method, url, timeout=30, **kw)  # type: ignore[arg-type]
        elapsed = time.perf_counter() - started
        with lock:
            latencies.append(elapsed)
            if r.status_code != 200:
                errors.append(f"{method} {url} -> {r.status_code} {r.text[:100]}")

    def heartbeater(n: int) -> None:
        session = requests.Session()
        while not stop.is_set():
            i = sent[n]
            body = {
                "timestamp": (T0 + timedelta(seconds=i)).isoformat(),
                "duration": 0,
                "data": {"block": i // BLOCK},
            }
            timed(session, "POST", f"{base}/buckets/load-{n}/heartbeat?pulsetime=2", json=body)
            sent[n] = i + 1

    def reader(n: int) -> None:
        session, rng = requests.Session(), random.Random(n)
        while not stop.is_set():
            if rng.random() < 0.3:
                timed(session, "GET", f"{base}/buckets/")
            else:
                timed(
                    session,
                    "GET",
                    f"{base}/buckets/load-{rng.randrange(HEARTBEATERS)}/events?limit=50",
                )

    def querier(n: int) -> None:
        session = requests.Session()
        body = {
            "query": [f'RETURN = sum_durations(flood(query_bucket("load-{n}")));'],
            "timeperiods": ["2024-01-01T00:00:00Z/2024-01-02T00:00:00Z"],
        }
        while not stop.is_set():
            timed(session, "POST", f"{base}/query/", json=body)

    threads = [threading.Thread(target=heartbeater, args=(n,)) for n in range(HEARTBEATERS)]
    threads += [threading.Thread(target=reader, args=(n,)) for n in range(READERS)]
    threads += [threading.Thread(target=querier, args=(n,)) for n in range(QUERIERS)]
    rss = [rss_mib(server.proc.pid)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + SECONDS
    while time.monotonic() < deadline:
        time.sleep(0.25)
        rss.append(rss_mib(server.proc.pid))
    stop.set()
    for t in threads:
        t.join(60)
    try:
        assert not errors, errors[:5]
        # every heartbeat sequence merged exactly: one event per block of BLOCK ticks
        for n in range(HEARTBEATERS):
            events = setup.get(f"{base}/buckets/load-{n}/events", timeout=30).json()
            count = sent[n]
            expected = [
                (b, float(min(BLOCK, count - b * BLOCK) - 1))
                for b in reversed(range((count + BLOCK - 1) // BLOCK))
            ]
            assert [(e["data"]["block"], e["duration"]) for e in events] == expected, (
                f"bucket load-{n}"
            )
    finally:
        server.stop()
    latencies.sort()
    p99 = latencies[int(len(latencies) * 0.99)] * 1000
    third = max(1, len(rss) // 3)
    early, late = sum(rss[:third]) / third, sum(rss[-third:]) / third
    print(
        f"\n{len(latencies)} requests in {SECONDS:.0f} s from 50 clients, p99 {p99:.1f} ms, RSS {rss[0]:.0f} -> {rss[-1]:.0f} MiB (early {early:.0f}, late {late:.0f})"
    )
    assert sum(sent) > HEARTBEATERS
    # no growth trend: once warmed up, the late samples are not well above the early ones
    assert late <= early * 1.25 + 15, rss
