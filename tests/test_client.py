"""aw_client against a live server: every method, its errors, the queue and its crash safety."""

from __future__ import annotations

import contextlib
import http.server
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from aw_client import (
    ActivityWatchClient,
    Event,
    NotActivityWatch,
    NotFound,
    ServerError,
    ServerUnreachable,
)
from aw_client.queue import RequestQueue
from tests.conftest import subprocess_env, write_client_config
from tests.liveserver import ROOT, ServerProcess, ThreadedServer, free_port

T0 = datetime(2024, 1, 1, 12, tzinfo=UTC)
SCRIPT = Path(__file__).parent / "client_scripts" / "queue_client.py"


@pytest.fixture
def client(server: ThreadedServer) -> Iterator[ActivityWatchClient]:
    c = ActivityWatchClient("test-client", host="127.0.0.1", port=server.port)
    yield c
    c.disconnect(timeout=1)


def at(seconds: float, duration: float = 0, **data: Any) -> Event:
    return Event(timestamp=T0 + timedelta(seconds=seconds), duration=duration, data=data)


def test_info_and_buckets(client: ActivityWatchClient) -> None:
    assert client.get_info()["version"]
    assert client.create_bucket("b", "currentwindow") is True
    assert client.create_bucket("b", "currentwindow") is False
    bucket = client.get_buckets()["b"]
    assert (bucket["client"], bucket["type"], bucket["hostname"]) == (
        "test-client",
        "currentwindow",
        client.client_hostname,
    )
    client.delete_bucket("b", force=True)
    assert client.get_buckets() == {}


def test_events_round_trip(client: ActivityWatchClient) -> None:
    client.create_bucket("b", "test")
    one = client.insert_event("b", at(0, 10, app="x"))
    assert one.id is not None and one.data == {"app": "x"}
    many = client.insert_events("b", [at(20, 5, n=1), at(30, 5, n=2)])
    assert [e.id for e in many] == sorted(e.id for e in many)
    assert client.get_event("b", one.id) == one  # type: ignore[arg-type]
    assert client.get_event("b", 999999) is None
    assert client.get_event("missing", 1) is None
    events = client.get_events("b")
    assert [e.data for e in events] == [{"n": 2}, {"n": 1}, {"app": "x"}]
    assert len(client.get_events("b", limit=1)) == 1
    clipped = client.get_events(
        "b", start=T0 + timedelta(seconds=5), end=T0 + timedelta(seconds=22)
    )
    assert [(e.timestamp, e.duration) for e in clipped] == [
        (T0 + timedelta(seconds=20), timedelta(seconds=2)),
        (T0 + timedelta(seconds=5), timedelta(seconds=5)),
    ]
    assert client.get_eventcount("b") == 3
    assert client.get_eventcount("b", start=T0 + timedelta(seconds=26)) == 1
    client.delete_event("b", one.id)  # type: ignore[arg-type]
    assert client.get_eventcount("b") == 2
    with pytest.raises(ValueError, match="timezone"):
        client.get_events("b", start=datetime(2024, 1, 1))


def test_heartbeat_returns_merged_event(client: ActivityWatchClient) -> None:
    client.create_bucket("b", "test")
    first = client.heartbeat("b", at(0, app="x"), pulsetime=5)
    merged = client.heartbeat("b", at(4, app="x"), pulsetime=5)
    assert first is not None and merged is not None
    assert merged.id == first.id and merged.duration == timedelta(seconds=4)


def test_query(client: ActivityWatchClient) -> None:
    client.create_bucket("b", "test")
    client.insert_events("b", [at(0, 10, app="x"), at(3600, 20, app="y")])
    program = 'events = query_bucket("b");\nRETURN = sum_durations(events);'
    assert client.query(
        program, [(T0, T0 + timedelta(hours=1)), (T0 + timedelta(hours=1), T0 + timedelta(hours=2))]
    ) == [10.0, 20.0]
    assert client.query(
        "RETURN = NAME;", [(T0, T0 + timedelta(hours=1))], name="n", cache=True
    ) == ["n"]
    with pytest.raises(ValueError):
        client.query("RETURN = 1;", [(T0, T0 + timedelta(hours=1))], cache=True)
    with pytest.raises(ServerError) as info:
        client.query("RETURN = ;", [(T0, T0 + timedelta(hours=1))])
    assert info.value.status == 400 and "line 1" in info.value.message


def test_export_import_settings(client: ActivityWatchClient) -> None:
    client.create_bucket("b", "test")
    client.insert_events("b", [at(i, 1, i=i) for i in range(5)])
    bucket = client.export_bucket("b")["buckets"]["b"]
    assert len(client.export_all()["buckets"]["b"]["events"]) == 5
    client.delete_bucket("b", force=True)
    client.import_bucket(bucket)
    assert client.get_eventcount("b") == 5
    client.import_buckets({"buckets": {"b": bucket}})
    assert client.get_eventcount("b") == 5
    for value in (False, None, 0, "", {"a": [1]}):
        assert client.set_setting("k", value) == value
        assert client.get_setting("k") == value
    assert client.get_setting()["k"] == {"a": [1]}


def test_errors_say_what_failed(client: ActivityWatchClient) -> None:
    with pytest.raises(NotFound) as missing:
        client.get_events("missing")
    assert missing.value.status == 404 and "missing" in missing.value.message
    client.create_bucket("b", "test")
    with pytest.raises(ServerError) as forbidden:
        client.delete_bucket("b")  # no force outside testing mode
    assert forbidden.value.status == 401 and "force" in forbidden.value.message


def test_unreachable_server_is_a_clear_error() -> None:
    c = ActivityWatchClient("x", host="127.0.0.1", port=free_port(), timeout=2)
    with pytest.raises(ServerUnreachable, match="cannot connect"):
        c.get_info()
    started = time.monotonic()
    with pytest.raises(ServerUnreachable):
        c.wait_for_start(timeout=0.5)
    assert time.monotonic() - started < 3


def test_timeouts_apply() -> None:
    with socket.socket() as listener:  # accepts connections, never answers
        listener.bind(("127.0.0.1", 0))
        listener.listen(5)
        c = ActivityWatchClient("x", host="127.0.0.1", port=listener.getsockname()[1], timeout=0.3)
        started = time.monotonic()
        with pytest.raises(ServerUnreachable, match="timed out"):
            c.get_info()
        assert time.monotonic() - started < 3


def test_config_file_and_api_key(isolated_dirs: dict[str, str]) -> None:
    seen: list[str | None] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            seen.append(self.headers.get("Authorization"))
            body = b'{"hostname": "h", "version": "v", "testing": false, "device_id": "d"}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        write_client_config(
            isolated_dirs,
            f'[server]\nhostname = "127.0.0.1"\nport = "{httpd.server_address[1]}"\napi_key = "secret"\n'
            "[client]\ncommit_interval = 7\n",
        )
        c = ActivityWatchClient("x")
        assert c.server_port == httpd.server_address[1] and c.commit_interval == 7
        assert c.get_info()["hostname"] == "h"
        assert seen == ["Bearer secret"]
        assert ActivityWatchClient("x", testing=True).server_port == 5666
    finally:
        httpd.shutdown()


# -- answers that do not come from an ActivityWatch server -----------------------------------

PAGE = b"<!DOCTYPE html>\n<html><head><title>Welcome</title></head>\n<body><h1>It works!</h1>\n<p>Another web server.</p></body></html>\n"


@contextlib.contextmanager
def serve_html(status: int) -> Iterator[int]:
    """A web server that is not ActivityWatch on a free port: every request gets an HTML page
    with ``status``. Yields the port."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def answer(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(PAGE)))
            self.end_headers()
            self.wfile.write(PAGE)

        do_GET = do_POST = do_DELETE = answer  # noqa: N815

        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield httpd.server_address[1]
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.mark.parametrize("status", [200, 404, 500])
def test_html_answers_raise_not_activitywatch(status: int) -> None:
    with serve_html(status) as port:
        c = ActivityWatchClient("x", host="127.0.0.1", port=port)
        calls = [
            c.get_info,
            c.get_buckets,
            lambda: c.get_events("b"),
            lambda: c.insert_event("b", at(0)),
            lambda: c.heartbeat("b", at(0), pulsetime=1),
            lambda: c.export_chunks(),
            lambda: c.create_bucket("b", "test"),
            lambda: c.delete_bucket("b", force=True),
        ]
        for call in calls:
            with pytest.raises(NotActivityWatch) as info:
                call()
            error = info.value
            assert error.status == status and error.content_type == "text/html"
            assert str(error) == (
                f"http://127.0.0.1:{port} did not answer as an ActivityWatch server "
                f"(HTTP {status}, text/html)"
            )


def test_text_errors_are_one_line() -> None:
    """A non-JSON error that is not a page (a proxy's or WSGI server's text) stays a
    ServerError, as one line."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            body = b"Bad Gateway\n\nupstream\nclosed the connection\n"
            self.send_response(502)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        c = ActivityWatchClient("x", host="127.0.0.1", port=httpd.server_address[1])
        with pytest.raises(ServerError) as info:
            c.get_buckets()
        assert not isinstance(info.value, NotActivityWatch)
        assert info.value.message == "Bad Gateway upstream closed the connection"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_queue_keeps_requests_a_foreign_server_answers(tmp_path: Path) -> None:
    """While something else answers at the address, queued requests are kept, not dropped."""
    with serve_html(404) as port:
        c = ActivityWatchClient("foreign", host="127.0.0.1", port=port, timeout=2)
        c.heartbeat("b", at(0, a=1), pulsetime=1, queued=True)
        c.flush()
        queue = c._queue_instance()
        assert queue.deliver_one() is False
        assert len(queue) == 1 and queue.dropped == 0
        queue.close()


# -- the client keeps copies, never the caller's objects -------------------------------------


def queued_bodies(client: ActivityWatchClient) -> list[Any]:
    """What the persistent queue will send, oldest first, read from its SQLite file."""
    client.flush()
    with contextlib.closing(sqlite3.connect(client.queue_path())) as db:
        rows = db.execute("SELECT path, body FROM requests ORDER BY id").fetchall()
    return [(path, orjson.loads(body)) for path, body in rows]


def test_mutating_an_event_after_queueing_changes_nothing() -> None:
    """Watchers reuse one Event (and one data dict) and change them between calls: what the
    client keeps for later must be a copy."""
    c = ActivityWatchClient("copies", host="127.0.0.1", port=free_port())
    data: dict[str, Any] = {"label": "a", "tags": ["x"]}
    event = Event(timestamp=T0, data=data)
    c.heartbeat("hb", event, pulsetime=5, queued=True)  # pending, in memory
    event.timestamp = T0 + timedelta(seconds=100)
    event.data["label"] = "changed"
    data["tags"].append("y")
    inserted = Event(timestamp=T0, duration=3, data={"n": [1]})
    c.insert_event("ins", inserted, queued=True)
    c.insert_events("ins", [inserted], queued=True)
    inserted.timestamp = T0 + timedelta(hours=1)
    inserted.data["n"].append(2)
    assert queued_bodies(c) == [
        ("buckets/ins/events", [at(0, 3, n=[1]).to_json_dict()]),
        ("buckets/ins/events", [at(0, 3, n=[1]).to_json_dict()]),
        ("buckets/hb/heartbeat?pulsetime=5", at(0, label="a", tags=["x"]).to_json_dict()),
    ]
    c._queue_instance().close()


def test_documented_watcher_example_with_one_reused_event(client: ActivityWatchClient) -> None:
    """The API reference's watcher example creates one Event and changes its timestamp before
    each queued heartbeat; the five heartbeats 1 s apart must make one 4 s event. (Explicit
    timestamps 1 s apart stand in for its sleep(1).)"""
    bucket_id = "{}_{}".format("test-client-bucket", client.client_hostname)
    client.create_bucket(bucket_id, event_type="test")
    with client:
        heartbeat_data = {"label": "heartbeat"}
        heartbeat_event = Event(timestamp=T0, data=heartbeat_data)
        sleeptime = 1
        for i in range(5):
            client.heartbeat(bucket_id, heartbeat_event, pulsetime=sleeptime + 1, queued=True)
            heartbeat_event.timestamp = T0 + timedelta(seconds=(i + 1) * sleeptime)
    events = client.get_events(bucket_id=bucket_id, limit=10)
    assert [(e.timestamp, e.duration.total_seconds(), e.data) for e in events] == [
        (T0, 4.0, {"label": "heartbeat"})
    ]


def test_queued_inserts_are_delivered(client: ActivityWatchClient) -> None:
    client.create_bucket("ins", "test", queued=True)
    with client:
        assert client.insert_event("ins", at(0, 1, n=0), queued=True) is None
        assert client.insert_events("ins", [at(5, 1, n=1), at(9, 1, n=2)], queued=True) is None
    assert [e.data["n"] for e in client.get_events("ins")] == [2, 1, 0]


# -- queued heartbeats ------------------------------------------------------------------------


def expected_blocks(blocks: int, per_block: int) -> list[tuple[int, float]]:
    return [(b, per_block - 1.0) for b in reversed(range(blocks))]


def blocks_on_server(client: ActivityWatchClient, bucket: str) -> list[tuple[int, float]]:
    return [(e.data["block"], e.duration.total_seconds()) for e in client.get_events(bucket)]


def test_queued_heartbeats_are_premerged_and_delivered(client: ActivityWatchClient) -> None:
    client.create_bucket("q", "test", queued=True)
    with client:
        for i in range(60):
            client.heartbeat("q", at(i, block=i // 20), pulsetime=2, queued=True, commit_interval=5)
    assert blocks_on_server(client, "q") == expected_blocks(3, 20)


def test_queue_survives_server_restart(tmp_path: Path) -> None:
    """The server is down while 200 heartbeats are queued; after it restarts on the same
    database every event arrives exactly once with the right duration."""
    port, dbpath = free_port(), tmp_path / "restart.sqlite"
    server = ServerProcess(["--dbpath", str(dbpath)], subprocess_env(), port).start()
    server.stop()
    c = ActivityWatchClient("restart-test", host="127.0.0.1", port=port, timeout=2)
    c.create_bucket("q", "test", queued=True)
    c.connect()
    for i in range(200):
        c.heartbeat("q", at(i, block=i // 20), pulsetime=2, queued=True, commit_interval=5)
    c.flush()
    assert len(c._queue_instance()) == 40  # 10 blocks x 4 pre-merged pieces, nothing delivered
    server = ServerProcess(["--dbpath", str(dbpath)], subprocess_env(), port).start()
    try:
        assert c._queue_instance().wait_until_empty(30)
        c.disconnect()
        assert blocks_on_server(c, "q") == expected_blocks(10, 20)
    finally:
        server.stop()


def test_queue_survives_client_kill(tmp_path: Path) -> None:
    """A watcher is SIGKILLed while its queue is being delivered; restarted, it delivers the
    rest, and the server ends with exactly the expected events."""
    port, dbpath = free_port(), tmp_path / "kill.sqlite"
    env = {**subprocess_env(), "PYTHONPATH": str(ROOT)}
    writer = subprocess.Popen(
        [sys.executable, str(SCRIPT), str(port), "fill"], env=env, stdout=subprocess.PIPE, text=True
    )
    assert writer.stdout is not None and writer.stdout.readline().strip() == "filled"
    server = ServerProcess(["--dbpath", str(dbpath)], subprocess_env(), port).start()
    try:
        c = ActivityWatchClient("observer", host="127.0.0.1", port=port)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # kill as soon as delivery has begun
            buckets = c.get_buckets()
            if "queue-test_host" in buckets and c.get_eventcount("queue-test_host") > 0:
                break
            time.sleep(0.005)
        writer.send_signal(signal.SIGKILL)
        writer.wait(10)
        at_kill = blocks_on_server(c, "queue-test_host")
        assert at_kill and at_kill != expected_blocks(10, 20)  # killed mid-queue
        drain = subprocess.run(
            [sys.executable, str(SCRIPT), str(port), "drain"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert drain.stdout.strip() == "drained", drain.stderr
        assert blocks_on_server(c, "queue-test_host") == expected_blocks(10, 20)
    finally:
        server.stop()


def test_missing_bucket_is_recreated_for_queued_requests(client: ActivityWatchClient) -> None:
    client.create_bucket("q", "test", queued=True)
    client.connect()
    client.heartbeat("q", at(0, block=0), pulsetime=2, queued=True)
    client.heartbeat("q", at(1, block=1), pulsetime=2, queued=True)  # queues block 0
    assert client._queue_instance().wait_until_empty(10)
    client.delete_bucket("q", force=True)
    client.heartbeat("q", at(2, block=2), pulsetime=2, queued=True)  # queues block 1
    client.disconnect()
    assert [e.data["block"] for e in client.get_events("q")] == [2, 1]


class FakeTransport:
    """Answers queued requests from a script of outcomes (for the retry rules)."""

    def __init__(self, outcomes: list[Exception | None]) -> None:
        self.outcomes = outcomes
        self.sent: list[str] = []

    def __call__(self, path: str, body: Any) -> None:
        self.sent.append(path)
        outcome = self.outcomes.pop(0) if self.outcomes else None
        if outcome is not None:
            raise outcome


def test_queue_retry_rules(tmp_path: Path) -> None:
    transport = FakeTransport(
        [
            ServerUnreachable("down"),
            ServerError(503, "busy", "POST", "u"),
            None,  # delivered
            ServerError(400, "bad pulsetime", "POST", "u"),  # dropped
            NotFound(404, "no bucket", "POST", "u"),  # not registered: dropped
            None,
        ]
    )
    queue = RequestQueue(tmp_path / "q.sqlite", transport)
    for n in range(4):
        queue.put("b", f"buckets/b/heartbeat?n={n}", {"n": n})
    outcomes = [queue.deliver_one() for _ in range(7)]
    assert outcomes == [False, False, True, True, True, True, None]
    assert transport.sent == [f"buckets/b/heartbeat?n={n}" for n in (0, 0, 0, 1, 2, 3)]
    assert (queue.delivered, queue.dropped) == (2, 2)
    queue.close()


def test_queue_is_persistent(tmp_path: Path) -> None:
    queue = RequestQueue(tmp_path / "q.sqlite", FakeTransport([]))
    queue.put("b", "p", {"x": 1})
    queue.register_bucket("b", {"type": "t"})
    queue.close()
    reopened = RequestQueue(tmp_path / "q.sqlite", FakeTransport([]))
    assert len(reopened) == 1 and reopened.registered_buckets() == {"b": {"type": "t"}}
    reopened.close()
