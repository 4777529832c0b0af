"""Deliveries survive the server: a server SIGKILLed while its receiver hangs, with deliveries
queued, sends every one after the restart, in order, signed, with the same webhook-id; one
stopped by SIGTERM stops promptly and does the same."""

from __future__ import annotations

import signal
import sqlite3
from pathlib import Path

import requests

from tests.conftest import subprocess_env
from tests.liveserver import ServerProcess, free_port
from tests.test_webhooks_support import Receiver, Reply, eventually, receiver

EVENTS = 20


def _config(isolated_dirs: dict[str, str]) -> None:
    path = Path(isolated_dirs["XDG_CONFIG_HOME"]) / "activitywatch" / "aw-server" / "aw-server.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("[webhooks]\nallow_private = true\n")  # the receiver is on loopback


def _start(db: Path, port: int) -> ServerProcess:
    return ServerProcess(["--dbpath", str(db)], subprocess_env(), port).start()


def _queue_work(server: ServerProcess, rx: Receiver) -> tuple[str, list[int]]:
    """A webhook, and a bucket with EVENTS events: EVENTS + 1 deliveries; the first hangs."""
    api = f"{server.url}/api"
    made = requests.post(
        f"{api}/webhooks", json={"url": rx.url(), "events": ["*"]}, timeout=10
    ).json()
    requests.post(
        f"{api}/0/buckets/b", json={"client": "c", "type": "t", "hostname": "h"}, timeout=10
    )
    ids = []
    for n in range(EVENTS):
        event = {"timestamp": f"2024-05-01T09:00:{n:02d}Z", "duration": 1, "data": {"n": n}}
        ids.append(requests.post(f"{api}/0/buckets/b/events", json=event, timeout=10).json()["id"])
    rx.wait_for(1)  # the first delivery is in flight, held by the receiver
    return made["secret"], ids


def _outbox(db: Path) -> list[tuple[str, str, int]]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT event_id, status, attempts FROM webhook_deliveries ORDER BY id"
        ).fetchall()
    return [(str(a), str(b), int(c)) for a, b, c in rows]


def _check_resent(
    rx: Receiver, secret: str, ids: list[int], before: list[tuple[str, str, int]]
) -> None:
    got = rx.wait_for(EVENTS + 2)  # the cut attempt, then every delivery
    resent = got[1:]
    assert [r.event_id for r in resent] == [event_id for event_id, _, _ in before]
    assert resent[0].event_id == got[0].event_id  # the cut attempt again, same webhook-id
    assert [r.payload["type"] for r in resent] == ["bucket.created"] + ["event.created"] * EVENTS
    assert [r.payload["data"]["event"]["id"] for r in resent[1:]] == ids
    assert all(r.signed(secret) for r in got)


def test_a_sigkilled_server_sends_every_pending_delivery_after_restart(
    tmp_path: Path, isolated_dirs: dict[str, str]
) -> None:
    _config(isolated_dirs)
    db, port = tmp_path / "aw.sqlite", free_port()
    with receiver() as rx:
        rx.answer(Reply(hang=True))
        server = _start(db, port)
        try:
            secret, ids = _queue_work(server, rx)
        finally:
            assert server.stop(signal.SIGKILL) == -signal.SIGKILL
        before = _outbox(db)
        # every delivery was committed with its write, and none was marked sent
        assert len(before) == EVENTS + 1 and {(s, a) for _, s, a in before} == {("pending", 0)}
        rx.release.set()
        server = _start(db, port)
        try:
            _check_resent(rx, secret, ids, before)
            eventually(lambda: {s for _, s, _ in _outbox(db)} == {"delivered"}, what="recorded")
        finally:
            server.stop()
    assert rx.count() == EVENTS + 2


def test_a_stopped_server_stops_promptly_and_sends_the_rest_after_restart(
    tmp_path: Path, isolated_dirs: dict[str, str]
) -> None:
    _config(isolated_dirs)
    db, port = tmp_path / "aw.sqlite", free_port()
    with receiver() as rx:
        rx.answer(Reply(hang=True))
        first = _start(db, port)
        secret, ids = _queue_work(first, rx)
        assert first.stop(timeout=15) == 0  # the hanging receiver does not hold the server
        before = _outbox(db)
        assert {(s, a) for _, s, a in before} == {("pending", 0)}
        rx.release.set()
        server = _start(db, port)
        try:
            _check_resent(rx, secret, ids, before)
        finally:
            server.stop()
