"""The live feed as Server-Sent Events, through live servers (the real CLI server where its
waitress settings matter): the first message at once, a report seen by a listener (its latency
printed), keep-alive comments, 50 streams and a 503 beyond, a client that never reads, closed
clients giving their slot back, ``?api_key=``, each stream seeing only what its key may read,
and streams ending when the server stops."""

from __future__ import annotations

import signal
import socket
import statistics
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from aw_server.devices.stream import MAX_STREAMS
from tests.conftest import subprocess_env
from tests.liveserver import ServerProcess, free_port
from tests.test_devices_support import (
    HASH_KEY,
    DeviceServer,
    bearer,
    device_server,
    listen,
    report_body,
)


@pytest.fixture
def srv(tmp_path: Path) -> Iterator[DeviceServer]:
    # every stream holds one of the server's threads: room for all of them and the requests
    with device_server(tmp_path, threads=MAX_STREAMS + 8, keepalive=0.2) as server:
        yield server


def _statuses(message: Any) -> list[dict[str, Any]]:
    assert message.event == "activity"
    assert message.data["success"] is True
    statuses: list[dict[str, Any]] = message.data["data"]["activeStatuses"]
    return statuses


def _titled(title: str) -> Any:
    """A check: the message's feed shows a status with this title."""
    return lambda m: any(s["processTitle"] == title for s in _statuses(m))


def test_the_first_message_comes_at_once_with_the_feed(srv: DeviceServer) -> None:
    key = srv.key(preset="device")
    srv.enrol(key)
    assert srv.report(key, report_body()).status_code == 200
    listener = listen(srv.url, secret=srv.admin)
    assert listener.status == 200
    assert listener.headers["Content-Type"].startswith("text/event-stream")
    assert listener.headers["Cache-Control"] == "no-cache"
    first = listener.next()
    assert first.retry == 2000 and first.event == "activity"
    assert first.data["data"]["activeStatuses"][0]["processName"] == "VS Code"
    assert set(first.data["data"]) == {
        "activeStatuses",
        "recentActivities",
        "recentTopApps",
        "historyWindowMinutes",
        "processStaleSeconds",
        "generatedAt",
    }
    listener.close()


def test_a_report_reaches_a_listener(srv: DeviceServer) -> None:
    key = srv.key(preset="device")
    srv.enrol(key)
    listener = listen(srv.url, secret=srv.admin)
    listener.next()
    latencies = []
    for n in range(5):
        r = srv.report(key, report_body(process_title=f"title {n}"))
        answered = time.monotonic()
        assert r.status_code == 200
        seen = listener.wait_for(_titled(f"title {n}"))
        latencies.append((seen.at - answered) * 1000)
    print(f"\nSSE latency after the report's answer (ThreadedServer): {latencies} ms")
    listener.close()


def test_a_device_change_reaches_a_listener(srv: DeviceServer) -> None:
    key = srv.key(preset="device")
    device_id = srv.enrol(key)
    assert srv.report(key, report_body()).status_code == 200
    listener = listen(srv.url, secret=srv.admin)
    listener.next()
    srv.admin_call("PATCH", f"/api/admin/devices/{device_id}", {"displayName": "Renamed"})
    listener.wait_for(lambda m: [s["device"] for s in _statuses(m)] == ["Renamed"])
    srv.admin_call("PATCH", f"/api/admin/devices/{device_id}", {"status": "revoked"})
    listener.wait_for(lambda m: _statuses(m) == [])
    listener.close()


def test_an_idle_stream_sends_keep_alive_comments(srv: DeviceServer) -> None:
    listener = listen(srv.url, secret=srv.admin)
    listener.next()
    comment = listener.next(comments=True)
    assert comment.comment == "keep-alive" and comment.data is None
    listener.close()


def test_a_stream_ends_after_its_lifetime(srv: DeviceServer) -> None:
    srv.caster.lifetime = 0.5
    listener = listen(srv.url, secret=srv.admin)
    listener.next()
    assert listener.ended.wait(10)


def test_the_51st_stream_is_refused_while_50_are_open(srv: DeviceServer) -> None:
    listeners = [listen(srv.url, secret=srv.admin) for _ in range(MAX_STREAMS)]
    assert all(listener.status == 200 for listener in listeners)
    for listener in listeners:
        listener.next()
    refused = listen(srv.url, secret=srv.admin)
    assert refused.status == 503
    assert refused.body.startswith(b"{") and b'"success":false' in refused.body
    # the other requests go on meanwhile
    key = srv.key(preset="device")
    srv.enrol(key)
    assert srv.report(key, report_body()).status_code == 200
    for listener in listeners[:3]:
        listener.wait_for(_titled("editing setup-form.tsx"))
    for listener in listeners:
        listener.close()


def test_a_closed_client_gives_its_slot_back(srv: DeviceServer) -> None:
    listeners = [listen(srv.url, secret=srv.admin) for _ in range(MAX_STREAMS)]
    for listener in listeners:
        listener.next()
    listeners[0].close()
    # the server notices at its next write (a keep-alive comment at the latest)
    deadline = time.monotonic() + 10
    while srv.caster.open_streams == MAX_STREAMS and time.monotonic() < deadline:
        time.sleep(0.05)
    again = listen(srv.url, secret=srv.admin)
    assert again.status == 200
    again.next()
    for listener in [*listeners[1:], again]:
        listener.close()
    deadline = time.monotonic() + 10
    while srv.caster.open_streams and time.monotonic() < deadline:
        time.sleep(0.05)
    assert srv.caster.open_streams == 0


def test_a_stream_takes_the_key_from_the_query(tmp_path: Path) -> None:
    with device_server(tmp_path, auth={"policy": "required"}) as srv:
        reader = srv.key(preset="dashboard")
        listener = listen(srv.url, f"/api/activity/stream?api_key={reader}")
        assert listener.status == 200
        listener.next()
        listener.close()
        assert listen(srv.url).status == 401
        assert listen(srv.url, "/api/activity/stream?api_key=wrong").status == 401
        assert (
            listen(srv.url, f"/api/activity/stream?api_key={srv.key(preset='device')}").status
            == 403
        )


def test_each_stream_sees_only_what_its_key_may_read(srv: DeviceServer) -> None:
    """Streams of different keys wake at the same change: each gets the feed of its own key,
    never one built for another (the built feed is shared per view only)."""
    key = srv.key(preset="device")
    mine = srv.enrol(key, "hash-key-mine")
    other = srv.enrol(key, "hash-key-other")
    scoped = srv.key(f"read:waken-*_{mine}")
    for _ in range(3):  # whichever stream builds first, the other must not get its feed
        wide = listen(srv.url, secret=srv.admin)
        narrow = listen(srv.url, secret=scoped)
        wide.next()
        narrow.next()
        r = srv.report(key, report_body("hash-key-other", process_title="secret"))
        assert r.status_code == 200
        assert srv.report(key, report_body("hash-key-mine")).status_code == 200
        seen = wide.wait_for(lambda m: len(_statuses(m)) == 2)
        assert {s["deviceId"] for s in _statuses(seen)} == {mine, other}
        narrow_seen = narrow.wait_for(lambda m: len(_statuses(m)) >= 1)
        assert {s["deviceId"] for s in _statuses(narrow_seen)} == {mine}
        wide.close()
        narrow.close()
        while not narrow.messages.empty():
            assert {s["deviceId"] for s in _statuses(narrow.next())} <= {mine}


def test_a_stream_never_carries_a_device_key(srv: DeviceServer) -> None:
    key = srv.key(preset="device")
    srv.enrol(key)
    listener = listen(srv.url, secret=srv.admin)
    listener.next()
    assert srv.report(key, report_body()).status_code == 200
    message = listener.wait_for(lambda m: len(_statuses(m)) == 1)
    assert HASH_KEY not in str(message.data)
    listener.close()


# --- the real server --------------------------------------------------------------------------


@pytest.fixture
def cli_server(tmp_path: Path) -> Iterator[ServerProcess]:
    server = ServerProcess(
        ["--dbpath", str(tmp_path / "aw.sqlite")], subprocess_env(), free_port()
    ).start()
    yield server
    server.stop()


def _cli_device(url: str) -> str:
    """A device key, its device registered and approved (the loopback owner approves)."""
    r = requests.post(f"{url}/api/0/keys", json={"name": "phone", "preset": "device"}, timeout=30)
    assert r.status_code == 201, r.text
    key: str = r.json()["secret"]
    r = requests.post(f"{url}/api/activity", json=report_body(), headers=bearer(key), timeout=30)
    assert r.status_code == 202, r.text
    device_id = r.json()["approvalUrl"].rpartition("device=")[2]
    r = requests.patch(
        f"{url}/api/admin/devices/{device_id}", json={"status": "active"}, timeout=30
    )
    assert r.status_code == 200, r.text
    return key


def test_the_cli_server_pushes_a_report_to_a_listener(cli_server: ServerProcess) -> None:
    key = _cli_device(cli_server.url)
    listener = listen(cli_server.url)  # the loopback owner, no key
    listener.next()
    session = requests.Session()
    sent, answered = [], []
    for n in range(20):
        body = report_body(process_title=f"title {n}")
        before = time.monotonic()
        r = session.post(
            f"{cli_server.url}/api/activity", json=body, headers=bearer(key), timeout=30
        )
        after = time.monotonic()
        assert r.status_code == 200, r.text
        seen = listener.wait_for(_titled(f"title {n}"))
        sent.append((seen.at - before) * 1000)
        answered.append((seen.at - after) * 1000)
    print(
        "\nSSE latency (CLI server), ms: from the POST sent: median"
        f" {statistics.median(sent):.2f}, max {max(sent):.2f}; from its answer: median"
        f" {statistics.median(answered):.2f}, max {max(answered):.2f}"
        " (the event may arrive before the answer)"
    )
    listener.close()


def test_a_client_that_never_reads_blocks_no_one(cli_server: ServerProcess) -> None:
    """A stream whose client stops reading fills its buffers: its own thread waits, reports
    and the other listeners go on (the feed is large here: about 50 KB a message)."""
    url = cli_server.url
    key = _cli_device(url)
    stuck = socket.socket()
    stuck.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    stuck.connect(("127.0.0.1", cli_server.port))
    stuck.sendall(b"GET /api/activity/stream HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    reader = listen(url)
    reader.next()
    session = requests.Session()
    padding = {f"k{n}": "x" * 180 for n in range(50)}  # about 10 KB of metadata per status
    hash_keys = [f"hash-key-big-{n}" for n in range(5)]
    for hash_key in hash_keys:
        r = session.post(
            f"{url}/api/activity", json=report_body(hash_key), headers=bearer(key), timeout=30
        )
        assert r.status_code == 202
        device_id = r.json()["approvalUrl"].rpartition("device=")[2]
        session.patch(f"{url}/api/admin/devices/{device_id}", json={"status": "active"}, timeout=30)
    started = time.monotonic()
    for n in range(150):
        body = report_body(hash_keys[n % 5], process_title=f"big {n}", metadata=padding)
        r = session.post(f"{url}/api/activity", json=body, headers=bearer(key), timeout=30)
        assert r.status_code == 200, r.text
    reader.wait_for(_titled("big 149"), timeout=30)
    print(
        f"\n150 reports of a ~50 KB feed with a stuck listener: {time.monotonic() - started:.2f} s"
    )
    # a new listener is served too
    late = listen(url)
    assert late.status == 200 and late.next().event == "activity"
    stuck.close()
    late.close()
    reader.close()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_stopping_the_server_ends_its_streams(cli_server: ServerProcess, sig: int) -> None:
    listeners = [listen(cli_server.url) for _ in range(3)]
    for listener in listeners:
        listener.next()
    started = time.monotonic()
    assert cli_server.stop(sig, timeout=15) == 0
    for listener in listeners:
        assert listener.ended.wait(15)
    print(f"\nserver stopped with 3 open streams in {time.monotonic() - started:.2f} s")
    # the streams ended before waitress waited for its busy threads (it gives up after 5 s)
    assert "still running" not in cli_server.output()


def test_the_broadcaster_closes_streams_of_a_threaded_server(tmp_path: Path) -> None:
    with device_server(tmp_path) as srv:
        listener = listen(srv.url, secret=srv.admin)
        listener.next()
        srv.caster.close()
        assert listener.ended.wait(10)
