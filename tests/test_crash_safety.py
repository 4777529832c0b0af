"""SIGKILL the server under a mixed write load, several times, and check what survived."""

from __future__ import annotations

import random
import signal
import sqlite3
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests

from tests.conftest import subprocess_env
from tests.liveserver import ServerProcess, free_port

T0 = datetime(2024, 1, 1, tzinfo=UTC)
KILLS = 4
BATCH = 50


class Load:
    """Writers that remember every write the server acknowledged."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.heartbeats: dict[
            str, dict[int, dict[str, Any]]
        ] = {}  # bucket -> event id -> longest acked
        self.inserted: dict[int, dict[str, Any]] = {}
        self.batches: set[str] = set()
        self.ticks = {f"hb{n}": 0 for n in range(2)}

    def heartbeater(self, bucket: str) -> None:
        session = requests.Session()
        while not self.stop.is_set():
            tick = self.ticks[bucket]
            body = {
                "timestamp": (T0 + timedelta(seconds=tick)).isoformat(),
                "duration": 0,
                "data": {"block": tick // 5},
            }
            try:
                r = session.post(
                    f"{self.base}/api/0/buckets/{bucket}/heartbeat?pulsetime=2",
                    json=body,
                    timeout=5,
                )
            except requests.RequestException:
                return  # the server was killed
            assert r.status_code == 200, r.text
            event = r.json()
            with self.lock:
                known = self.heartbeats.setdefault(bucket, {}).get(event["id"])
                if known is None or event["duration"] > known["duration"]:
                    self.heartbeats[bucket][event["id"]] = event
            self.ticks[bucket] = tick + 1

    def inserter(self, rng: random.Random) -> None:
        session = requests.Session()
        while not self.stop.is_set():
            if rng.random() < 0.3:
                tag = f"batch-{rng.getrandbits(48):x}"
                events = [
                    {
                        "timestamp": (T0 + timedelta(minutes=i)).isoformat(),
                        "duration": 1,
                        "data": {"batch": tag, "i": i},
                    }
                    for i in range(BATCH)
                ]
                try:
                    r = session.post(
                        f"{self.base}/api/0/buckets/inserts/events", json=events, timeout=5
                    )
                except requests.RequestException:
                    return
                assert r.status_code == 200, r.text
                with self.lock:
                    self.batches.add(tag)
            else:
                event = {
                    "timestamp": (T0 + timedelta(seconds=rng.randint(0, 10**6))).isoformat(),
                    "duration": 3,
                    "data": {"single": rng.getrandbits(32)},
                }
                try:
                    r = session.post(
                        f"{self.base}/api/0/buckets/inserts/events", json=event, timeout=5
                    )
                except requests.RequestException:
                    return
                assert r.status_code == 200, r.text
                with self.lock:
                    self.inserted[r.json()["id"]] = r.json()


def check_database(path: Path, load: Load) -> None:
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    # every acknowledged write is there, complete
    server = ServerProcess(["--dbpath", str(path)], subprocess_env(), free_port()).start()
    try:
        base = f"{server.url}/api/0"
        for bucket, events in load.heartbeats.items():
            stored = {
                e["id"]: e
                for e in requests.get(f"{base}/buckets/{bucket}/events", timeout=10).json()
            }
            for event_id, acked in events.items():
                assert event_id in stored, f"acknowledged heartbeat event {event_id} lost"
                assert stored[event_id]["timestamp"] == acked["timestamp"]
                assert stored[event_id]["duration"] >= acked["duration"]
        stored = requests.get(f"{base}/buckets/inserts/events", timeout=30).json()
        by_id = {e["id"]: e for e in stored}
        for event_id, acked in load.inserted.items():
            assert by_id.get(event_id) == acked, f"acknowledged insert {event_id} lost or changed"
        batch_sizes: dict[str, int] = {}
        for event in stored:
            if "batch" in event["data"]:
                batch_sizes[event["data"]["batch"]] = batch_sizes.get(event["data"]["batch"], 0) + 1
        assert all(size == BATCH for size in batch_sizes.values()), "a batch was half-written"
        assert load.batches <= set(batch_sizes), "an acknowledged batch was lost"
    finally:
        server.stop()


def test_sigkill_under_load_loses_nothing_acknowledged(tmp_path: Path) -> None:
    rng = random.Random(1234)
    path = tmp_path / "crash.sqlite"
    port = free_port()
    load: Load | None = None
    for round_ in range(KILLS):
        server = ServerProcess(["--dbpath", str(path)], subprocess_env(), port).start()
        if load is None:
            load = Load(server.url)
            for bucket in ("hb0", "hb1", "inserts"):
                requests.post(
                    f"{server.url}/api/0/buckets/{bucket}",
                    json={"client": "c", "type": "t", "hostname": "h"},
                    timeout=5,
                )
        load.stop.clear()
        workers = [threading.Thread(target=load.heartbeater, args=(b,)) for b in ("hb0", "hb1")]
        workers += [
            threading.Thread(target=load.inserter, args=(random.Random(round_ * 10 + n),))
            for n in range(2)
        ]
        for worker in workers:
            worker.start()
        time.sleep(rng.uniform(0.3, 1.2))
        server.stop(signal.SIGKILL)  # at a random moment, mid-request most likely
        load.stop.set()
        for worker in workers:
            worker.join(10)
        check_database(path, load)
    assert load is not None and sum(len(v) for v in load.heartbeats.values()) > 10 and load.inserted
    acknowledged = sum(load.ticks.values()) + len(load.inserted) + len(load.batches)
    print(f"\n{KILLS} kills survived; {acknowledged} acknowledged writes checked after each")
    # merging goes on after the restarts: the next heartbeat extends the newest acknowledged event
    server = ServerProcess(["--dbpath", str(path)], subprocess_env(), port).start()
    try:
        newest = requests.get(f"{server.url}/api/0/buckets/hb0/events?limit=1", timeout=5).json()[0]
        end = datetime.fromisoformat(newest["timestamp"]) + timedelta(
            seconds=newest["duration"] + 1
        )
        merged = requests.post(
            f"{server.url}/api/0/buckets/hb0/heartbeat?pulsetime=2",
            json={"timestamp": end.isoformat(), "duration": 0, "data": newest["data"]},
            timeout=5,
        ).json()
        assert merged["id"] == newest["id"] and merged["duration"] == newest["duration"] + 1
    finally:
        server.stop()
