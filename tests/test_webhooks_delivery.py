"""Deliveries through a live server to a real loopback receiver that checks both signatures:
what is announced, in which order, in which transaction, and what a failing, slow, gone,
redirecting or rate-limiting receiver makes of them."""

from __future__ import annotations

import random
import ssl
import subprocess
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest

from aw_core.timeutil import parse_datetime
from aw_server.webhooks import sender as sender_module
from aw_server.webhooks import ssrf
from aw_server.webhooks.model import FAILED, PENDING, new_delivery
from aw_server.webhooks.sender import Outcome, Schedule, next_state, retry_after
from tests.test_webhooks_support import FAST, Receiver, Reply, hook_server, receiver


def _seconds_between(earlier: str, later: str) -> float:
    return (parse_datetime(later) - parse_datetime(earlier)).total_seconds()


@pytest.fixture
def rx() -> Any:
    with receiver() as made:
        yield made


@pytest.mark.parametrize("storage", ["sqlite", "memory"])
def test_bucket_event_and_ping_are_delivered_signed_both_ways(
    tmp_path: Path, rx: Receiver, storage: str
) -> None:
    with hook_server(tmp_path, storage=storage) as srv:
        hook = srv.create(rx.url())
        srv.bucket("b")
        event = srv.event("b", data_app="Editor")
        assert srv.call("DELETE", f"0/buckets/b/events/{event['id']}").status_code == 200
        assert srv.call("DELETE", "0/buckets/b", params={"force": "1"}).status_code == 200
        assert srv.call("POST", f"webhooks/{hook['id']}/test").status_code == 202
        got = rx.wait_for(5)
    assert [r.payload["type"] for r in got] == [
        "bucket.created",
        "event.created",
        "event.deleted",
        "bucket.deleted",
        "ping",
    ]
    assert all(r.signed(hook["secret"]) for r in got)
    bucket, created, deleted, gone, ping = (r.payload for r in got)
    assert bucket["data"]["id"] == "b" and bucket["data"]["client"] == "test"
    assert created["data"] == {"bucket_id": "b", "event": event}
    assert deleted["data"]["event"]["id"] == event["id"]
    assert gone["data"] == {"id": "b"}
    assert ping["data"]["webhook_id"] == hook["id"]
    for received in got:
        assert set(received.payload) == {"id", "type", "timestamp", "data"}
        assert received.payload["id"] == received.event_id and received.event_id.startswith("evt_")
        assert received.headers["content-type"] == "application/json"
        assert received.headers["user-agent"].startswith("aw-server-py/")
        assert received.headers["x-aw-event"] == received.payload["type"]
        assert received.payload["timestamp"].endswith("Z")
        assert not received.aw_valid("whsec_" + "A" * 32)


def test_a_heartbeat_that_extends_an_event_is_not_an_event_created(
    tmp_path: Path, rx: Receiver
) -> None:
    with hook_server(tmp_path) as srv:
        hook = srv.create(rx.url(), ["event.created"])
        srv.bucket("b")
        for second in (0, 10, 20):
            body = {"timestamp": f"2024-05-01T10:00:{second:02d}Z", "duration": 0, "data": {"a": 1}}
            response = srv.call("POST", "0/buckets/b/heartbeat?pulsetime=60", body)
            assert response.status_code == 200
        srv.occur("ping-marker-not-subscribed", {})  # nobody listens: nothing is made
        assert srv.call("POST", f"webhooks/{hook['id']}/test").status_code == 202
        got = rx.wait_for(2)
    assert [r.payload["type"] for r in got] == ["event.created", "ping"]


def test_time_entry_occurrences_reach_subscribers_only(tmp_path: Path, rx: Receiver) -> None:
    # the timers package notes time_entry.* through Writes.occurred, as this write does
    with hook_server(tmp_path) as srv:
        timers = srv.create(rx.url("/timers"), ["time_entry.started", "time_entry.stopped"])
        other = srv.create(rx.url("/other"), ["project.created"])
        srv.occur("time_entry.started", {"id": 7, "description": "Working on feature"})
        srv.occur("time_entry.updated", {"id": 7})
        srv.occur("time_entry.stopped", {"id": 7, "running": False})
        got = rx.wait_for(2)
        assert srv.deliveries(other["id"]) == []
    assert [(r.path, r.payload["type"]) for r in got] == [
        ("/timers", "time_entry.started"),
        ("/timers", "time_entry.stopped"),
    ]
    assert got[0].payload["data"] == {"id": 7, "description": "Working on feature"}
    assert all(r.signed(timers["secret"]) for r in got)


def test_a_timer_started_and_stopped_through_the_api_is_announced(
    tmp_path: Path, rx: Receiver
) -> None:
    with hook_server(tmp_path) as srv:
        events = ["project.created", "time_entry.started", "time_entry.stopped"]
        hook = srv.create(rx.url(), events)
        project = srv.call("POST", "projects", {"name": "Website"})
        assert project.status_code == 201, project.text
        body = {"description": "Working on feature", "project_id": project.json()["id"]}
        started = srv.call("POST", "time-entries/start", body)
        assert started.status_code == 201, started.text
        stopped = srv.call("POST", "time-entries/stop")
        assert stopped.status_code == 200, stopped.text
        got = rx.wait_for(3)
    assert [r.payload["type"] for r in got] == events
    assert got[0].payload["data"]["id"] == project.json()["id"]
    entry = got[1].payload["data"]
    assert entry["id"] == started.json()["id"] and entry["running"] is True
    assert entry["description"] == "Working on feature"
    assert got[2].payload["data"] == stopped.json()
    assert all(r.signed(hook["secret"]) for r in got)


def test_one_occurrence_has_one_event_id_and_body_for_every_webhook(
    tmp_path: Path, rx: Receiver
) -> None:
    with hook_server(tmp_path) as srv:
        first = srv.create(rx.url("/one"), ["bucket.created"])
        second = srv.create(rx.url("/two"), ["*"])
        srv.bucket("b")
        got = rx.wait_for(2)
    assert {r.path for r in got} == {"/one", "/two"}
    assert got[0].body == got[1].body and got[0].event_id == got[1].event_id
    by_path = {r.path: r for r in got}
    assert by_path["/one"].signed(first["secret"]) and by_path["/two"].signed(second["secret"])
    assert not by_path["/one"].standard_valid(second["secret"])


def test_device_pending_approved_and_revoked(tmp_path: Path, rx: Receiver) -> None:
    with hook_server(tmp_path) as srv:
        hook = srv.create(rx.url(), ["device.pending", "device.approved", "device.revoked"])
        key, _ = srv.app.extensions["aw_keys"].create("phone", preset="device")
        made = srv.call("POST", "admin/devices", {"displayName": "Phone"})
        assert made.status_code == 201, made.text
        device_id = made.json()["data"]["id"]
        for change in ({"apiTokenId": key.id, "status": "active"}, {"displayName": "Renamed"}):
            assert srv.call("PATCH", f"admin/devices/{device_id}", change).status_code == 200
        assert srv.call("PATCH", f"admin/devices/{device_id}", {"status": "revoked"}).ok
        got = rx.wait_for(3)
    assert [r.payload["type"] for r in got] == [
        "device.pending",
        "device.approved",
        "device.revoked",
    ]
    assert all(r.payload["data"]["id"] == device_id for r in got)
    assert all("generatedHashKey" not in r.payload["data"] for r in got)
    assert all(r.signed(hook["secret"]) for r in got)


def test_a_reporting_device_that_registers_is_pending(tmp_path: Path, rx: Receiver) -> None:
    with hook_server(tmp_path) as srv:
        srv.create(rx.url(), ["device.pending"])
        _, secret = srv.app.extensions["aw_keys"].create("phone", preset="device")
        report = {"generatedHashKey": "a-new-device-key", "process_name": "Mail"}
        answer = srv.call("POST", "activity", report, headers={"Authorization": f"Bearer {secret}"})
        assert answer.status_code == 202, answer.text
        (got,) = rx.wait_for(1)
    assert got.payload["type"] == "device.pending" and got.payload["data"]["status"] == "pending"


def test_order_is_kept_per_webhook_even_through_retries(tmp_path: Path, rx: Receiver) -> None:
    rx.answer(Reply(500), Reply(503), Reply(500))  # the first one waits, the rest wait behind it
    with hook_server(tmp_path) as srv:
        hook = srv.create(rx.url(), ["event.created"])
        srv.bucket("b")
        made = [srv.event("b", n, i=n)["id"] for n in range(40)]
        deliveries = srv.settled(hook["id"], 40)
    got = rx.received
    assert len(got) == 43
    sent = [r.payload["data"]["event"]["id"] for r in got]
    assert sent[:4] == [made[0]] * 4 and sent[3:] == made
    assert all(d["status"] == "delivered" for d in deliveries)
    assert deliveries[0]["attempts"] == 4 and {d["attempts"] for d in deliveries[1:]} == {1}
    assert len({r.event_id for r in got[:4]}) == 1  # the same webhook-id on every attempt
    assert all(r.signed(hook["secret"]) for r in got)


def test_the_outbox_is_written_in_the_writes_transaction(tmp_path: Path, rx: Receiver) -> None:
    with hook_server(tmp_path) as srv:
        hook = srv.create(rx.url(), ["*"])
        srv.bucket("b")
        with pytest.raises(RuntimeError):
            srv.occur("time_entry.started", {"id": 1}, fail=True)
        # all or nothing: the second event replaces one that does not exist, so neither is stored
        events = [
            {"timestamp": "2024-05-01T09:00:00Z", "duration": 1, "data": {}},
            {"id": 999, "timestamp": "2024-05-01T09:01:00Z", "duration": 1, "data": {}},
        ]
        assert srv.call("POST", "0/buckets/b/events", events).status_code == 400
        assert srv.call("POST", "0/buckets/new/heartbeat", {"timestamp": "x"}).status_code == 400
        srv.occur("time_entry.stopped", {"id": 1})
        delivered = srv.settled(hook["id"], 2)
    assert [d["type"] for d in delivered] == ["bucket.created", "time_entry.stopped"]
    assert [r.payload["type"] for r in rx.received] == ["bucket.created", "time_entry.stopped"]


def test_retries_follow_the_schedule_until_delivered(tmp_path: Path, rx: Receiver) -> None:
    rx.answer(Reply(500, b"down"), Reply(502), Reply(500))
    with hook_server(tmp_path) as srv:
        hook = srv.create(rx.url())
        srv.occur("time_entry.created", {"id": 1})
        (delivery,) = srv.settled(hook["id"], 1)
        assert srv.webhook(hook["id"])["consecutive_failures"] == 0
    assert delivery["status"] == "delivered" and delivery["attempts"] == 4
    assert delivery["last_status_code"] == 200 and delivery["last_error"] is None
    got = rx.wait_for(4)
    assert len({r.event_id for r in got}) == 1
    # every attempt is signed afresh, with its own timestamp, and verifies
    assert all(r.signed(hook["secret"]) for r in got)


def test_a_failed_attempt_waits_the_schedules_delay(tmp_path: Path, rx: Receiver) -> None:
    rx.answer(Reply(500, b"x" * 5000))
    slow = Schedule(delays=(3600.0,), jitter=0.1)
    with hook_server(tmp_path, schedule=slow) as srv:
        hook = srv.create(rx.url())
        srv.occur("project.created", {"id": "proj_1"})
        rx.wait_for(1)
        delivery = srv.attempted(hook["id"])
    assert delivery["status"] == "pending" and delivery["last_status_code"] == 500
    assert delivery["last_error"] == "HTTP 500 Internal Server Error"
    assert delivery["last_response"] == "x" * 1024  # at most 1 KB of the answer is kept
    assert 3240 <= _seconds_between(delivery["updated"], delivery["next_attempt"]) <= 3960


def test_the_schedule_backs_off_exponentially_with_jitter_then_gives_up() -> None:
    schedule = Schedule()
    rng = random.Random(1)
    delivery = new_delivery("wh_1", "evt_1", "ping", b"{}", 0)
    failure = Outcome(500, "HTTP 500")
    waits = []
    for _ in range(6):
        delivery = next_state(delivery, failure, schedule, 0, rng)
        assert delivery.status == PENDING
        waits.append((delivery.next_attempt_us or 0) / 1e6)
        delivery = replace(delivery, next_attempt_us=0)
    bases = (5, 300, 1800, 7200, 18000, 36000)
    factors = [wait / base for wait, base in zip(waits, bases, strict=True)]
    assert all(0.9 <= factor <= 1.1 for factor in factors)
    assert len(set(factors)) > 1  # jittered, not the same factor each time
    final = next_state(delivery, failure, schedule, 0, rng)
    assert final.status == FAILED and final.attempts == 7 and final.next_attempt_us is None


@pytest.mark.parametrize(
    ("status", "header", "seconds"),
    [
        (429, "120", 120.0),
        (503, "7", 7.0),
        (429, "99999999", 86400.0),  # at most 24 h
        (500, "120", None),  # only a 429's or 503's Retry-After counts
    ],
)
def test_retry_after_replaces_the_next_delay(
    tmp_path: Path, rx: Receiver, status: int, header: str, seconds: float | None
) -> None:
    rx.answer(Reply(status, headers={"Retry-After": header}))
    slow = Schedule(delays=(1000.0,), jitter=0.0)
    with hook_server(tmp_path, schedule=slow) as srv:
        hook = srv.create(rx.url())
        srv.occur("time_entry.created", {"id": 1})
        delivery = srv.attempted(hook["id"])
    waited = _seconds_between(delivery["updated"], delivery["next_attempt"])
    assert waited == pytest.approx(seconds if seconds is not None else 1000.0, abs=0.001)


def test_retry_after_as_an_http_date() -> None:
    when = datetime.now(UTC) + timedelta(seconds=300)
    parsed = retry_after(format_datetime(when, usegmt=True))
    assert parsed is not None and 295 <= parsed <= 301
    assert retry_after("soon") is None and retry_after(None) is None


def test_a_410_fails_the_delivery_and_disables_the_webhook(tmp_path: Path, rx: Receiver) -> None:
    rx.answer(Reply(410, b"gone for good"))
    with hook_server(tmp_path) as srv:
        hook = srv.create(rx.url(), ["bucket.created"])
        srv.bucket("first")
        (delivery,) = srv.settled(hook["id"], 1)
        webhook = srv.disabled(hook["id"])
        srv.bucket("second")  # a disabled webhook gets nothing new
        assert srv.deliveries(hook["id"]) == [delivery]
        assert not srv.service.listening("bucket.created")
    assert delivery["status"] == "failed" and delivery["attempts"] == 1
    assert delivery["last_status_code"] == 410 and delivery["last_response"] == "gone for good"
    assert webhook["disabled_reason"] == "receiver_gone"
    assert rx.count() == 1


def test_five_deliveries_failed_in_a_row_disable_the_webhook(tmp_path: Path, rx: Receiver) -> None:
    rx.answer(then=Reply(500))
    once = Schedule(delays=(0.01,), jitter=0.0)  # two attempts, then failed
    with hook_server(tmp_path, schedule=once) as srv:
        hook = srv.create(rx.url(), ["time_entry.created"])
        for n in range(6):
            srv.occur("time_entry.created", {"id": n})
        webhook = srv.disabled(hook["id"])
        deliveries = srv.deliveries(hook["id"])
    assert webhook["disabled_reason"] == "too_many_failures"
    assert webhook["consecutive_failures"] == 5
    assert [d["status"] for d in deliveries] == ["failed"] * 5 + ["pending"]
    assert all(d["attempts"] == 2 for d in deliveries[:5]) and deliveries[5]["attempts"] == 0
    assert rx.count() == 10


def test_a_delivered_delivery_resets_the_failure_count(tmp_path: Path, rx: Receiver) -> None:
    rx.answer(*[Reply(500)] * 8, then=Reply(200))
    once = Schedule(delays=(0.01,), jitter=0.0)
    with hook_server(tmp_path, schedule=once) as srv:
        hook = srv.create(rx.url(), ["time_entry.created"])
        for n in range(4):
            srv.occur("time_entry.created", {"id": n})
        srv.settled(hook["id"], 4)
        assert srv.webhook(hook["id"])["consecutive_failures"] == 4
        srv.occur("time_entry.created", {"id": 4})
        srv.settled(hook["id"], 5)
        webhook = srv.webhook(hook["id"])
    assert webhook["enabled"] and webhook["consecutive_failures"] == 0


def test_a_receiver_that_hangs_times_out_and_is_tried_again(tmp_path: Path, rx: Receiver) -> None:
    rx.answer(Reply(hang=True))
    with hook_server(tmp_path, schedule=replace(FAST, timeout=0.5)) as srv:
        hook = srv.create(rx.url())
        srv.occur("time_entry.started", {"id": 1})
        (delivery,) = srv.settled(hook["id"], 1)
        history = rx.wait_for(2)
    assert delivery["status"] == "delivered" and delivery["attempts"] == 2
    assert history[0].event_id == history[1].event_id


def test_a_timeout_is_recorded(tmp_path: Path, rx: Receiver) -> None:
    rx.answer(then=Reply(hang=True))
    slow = Schedule(delays=(3600.0,), jitter=0.0, timeout=0.3)
    with hook_server(tmp_path, schedule=slow) as srv:
        hook = srv.create(rx.url())
        srv.occur("time_entry.started", {"id": 1})
        delivery = srv.attempted(hook["id"])
    assert delivery["status"] == "pending" and delivery["last_status_code"] is None
    assert "timed out" in delivery["last_error"]


def test_a_redirect_is_a_failure_and_is_not_followed(tmp_path: Path, rx: Receiver) -> None:
    with receiver() as elsewhere:
        rx.answer(then=Reply(302, headers={"Location": elsewhere.url("/stolen")}))
        slow = Schedule(delays=(3600.0,), jitter=0.0)
        with hook_server(tmp_path, schedule=slow) as srv:
            hook = srv.create(rx.url())
            srv.occur("time_entry.started", {"id": 1})
            delivery = srv.attempted(hook["id"])
        assert elsewhere.count() == 0
    assert delivery["status"] == "pending" and delivery["last_status_code"] == 302
    assert "not followed" in delivery["last_error"] and "/stolen" in delivery["last_error"]


def test_a_500_is_retried_until_the_delivery_fails(tmp_path: Path, rx: Receiver) -> None:
    rx.answer(then=Reply(500, b"broken"))
    with hook_server(tmp_path) as srv:
        hook = srv.create(rx.url())
        srv.occur("time_entry.deleted", {"id": 1})
        (delivery,) = srv.settled(hook["id"], 1)
        webhook = srv.webhook(hook["id"])
    assert delivery["status"] == "failed" and delivery["attempts"] == 7
    assert delivery["last_status_code"] == 500 and delivery["last_response"] == "broken"
    assert delivery["next_attempt"] is None
    assert webhook["enabled"] and webhook["consecutive_failures"] == 1
    assert rx.count() == 7


def test_re_enabling_sends_what_waited_and_retry_sends_again(tmp_path: Path, rx: Receiver) -> None:
    rx.answer(Reply(410, hang=True))  # held until the second delivery is queued behind it
    with hook_server(tmp_path) as srv:
        hook = srv.create(rx.url(), ["time_entry.created"])
        srv.occur("time_entry.created", {"id": 1})
        rx.wait_for(1)
        srv.occur("time_entry.created", {"id": 2})
        rx.release.set()
        srv.disabled(hook["id"])
        first, waiting = srv.deliveries(hook["id"])
        assert (first["status"], waiting["status"]) == ("failed", "pending")
        retry = srv.call("POST", f"webhooks/{hook['id']}/deliveries/{first['id']}/retry")
        assert retry.status_code == 409 and retry.json()["code"] == "webhook_disabled"
        assert srv.call("POST", f"webhooks/{hook['id']}/test").status_code == 409
        srv.occur("time_entry.created", {"id": 3})  # a disabled webhook gets nothing new
        answer = srv.call("PATCH", f"webhooks/{hook['id']}", {"enabled": True})
        assert answer.status_code == 200 and answer.json()["disabled_reason"] is None
        srv.settled(hook["id"], 2)
        again = srv.call("POST", f"webhooks/{hook['id']}/deliveries/{first['id']}/retry")
        assert again.status_code == 202 and again.json()["status"] == "pending"
        first, waiting = srv.settled(hook["id"], 2)
    assert first["status"] == "delivered" and first["attempts"] == 2
    assert waiting["status"] == "delivered" and waiting["attempts"] == 1
    assert [r.payload["data"]["id"] for r in rx.received] == [1, 2, 1]
    assert rx.received[0].event_id == rx.received[2].event_id


def test_a_name_resolving_to_a_private_address_is_refused_when_sending(
    tmp_path: Path, rx: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    answers = {"hooks.example.com": ["93.184.215.14", "10.1.2.3"], "internal.example": ["10.0.0.5"]}
    looked_up: list[str] = []

    def fake_lookup(host: str, port: int) -> list[str]:
        looked_up.append(host)
        return answers[host]

    monkeypatch.setattr(ssrf, "lookup", fake_lookup)
    slow = Schedule(delays=(3600.0,), jitter=0.0)
    with hook_server(tmp_path, allow_private=False, schedule=slow) as srv:
        mixed = srv.create("https://hooks.example.com/aw", ["time_entry.created"])
        inner = srv.create("http://internal.example:8080/", ["time_entry.created"])
        srv.occur("time_entry.created", {"id": 1})
        failed = [srv.attempted(h["id"]) for h in (mixed, inner)]
    for delivery, address in zip(failed, ("10.1.2.3", "10.0.0.5"), strict=True):
        assert delivery["last_status_code"] is None and address in delivery["last_error"]
        assert "allow_private" in delivery["last_error"]
    assert sorted(looked_up) == ["hooks.example.com", "internal.example"]


def test_the_connection_goes_to_the_checked_address_with_the_name_as_host(
    tmp_path: Path, rx: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the name exists only in the fake resolver: a second lookup by the connection would fail
    calls: list[str] = []

    def fake_lookup(host: str, port: int) -> list[str]:
        calls.append(host)
        return ["127.0.0.1"]

    monkeypatch.setattr(ssrf, "lookup", fake_lookup)
    with hook_server(tmp_path, allow_private=True) as srv:
        hook = srv.create(f"http://receiver.invalid:{rx.port}/pinned?x=1")
        srv.occur("time_entry.created", {"id": 1})
        srv.occur("time_entry.created", {"id": 2})
        srv.settled(hook["id"], 2)
    got = rx.wait_for(2)
    assert [r.path for r in got] == ["/pinned?x=1"] * 2
    assert all(r.headers["host"] == f"receiver.invalid:{rx.port}" for r in got)
    assert calls == ["receiver.invalid"] * 2  # looked up again at every delivery


def test_loopback_is_refused_at_delivery_with_the_guard_on(
    tmp_path: Path, rx: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a name that resolves to loopback (as localhost would, written another way)
    monkeypatch.setattr(ssrf, "lookup", lambda host, port: ["127.0.0.1"])
    slow = Schedule(delays=(3600.0,), jitter=0.0)
    with hook_server(tmp_path, allow_private=False, schedule=slow) as srv:
        hook = srv.create(f"http://my-receiver.test:{rx.port}/hook")
        srv.occur("time_entry.created", {"id": 1})
        delivery = srv.attempted(hook["id"])
    assert "127.0.0.1" in delivery["last_error"] and rx.count() == 0


def test_a_backlog_is_delivered_in_order_when_the_receiver_comes_back(
    tmp_path: Path, rx: Receiver
) -> None:
    rx.answer(then=Reply(503))  # down while the backlog builds up behind the first delivery
    backlog = 2000
    with hook_server(tmp_path, schedule=Schedule(delays=(3600.0,) * 6, jitter=0.0)) as srv:
        hook = srv.create(rx.url(), ["time_entry.created"])
        for n in range(backlog):
            srv.occur("time_entry.created", {"id": n})
        rx.wait_for(1)
        rx.answer(then=Reply(200))
        head = srv.deliveries(hook["id"])[0]
        assert head["attempts"] == 1 and head["status"] == "pending"
        # back up: retry the first now (the rest are made due with it) instead of in an hour
        retry = srv.call("POST", f"webhooks/{hook['id']}/deliveries/{head['id']}/retry")
        assert retry.status_code == 202
        delivered = srv.settled(hook["id"], backlog, timeout=120)
    assert {d["status"] for d in delivered} == {"delivered"}
    assert [r.payload["data"]["id"] for r in rx.received] == [0, *range(backlog)]


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    """A self-signed certificate for the name receiver.test (and no address)."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1",
            "-subj", "/CN=receiver.test", "-addext", "subjectAltName=DNS:receiver.test",
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )  # fmt: skip
    return cert, key


def test_https_checks_the_certificate_for_the_name_not_the_address(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, certificate: tuple[Path, Path]
) -> None:
    cert, key = certificate
    server_side = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_side.load_cert_chain(cert, key)
    monkeypatch.setattr(ssrf, "lookup", lambda host, port: ["127.0.0.1"])
    slow = Schedule(delays=(3600.0,), jitter=0.0)
    with receiver(server_side) as tls_rx, hook_server(tmp_path, schedule=slow) as srv:
        # the system's CAs do not know this certificate: the attempt fails, nothing is sent
        untrusted = srv.create(tls_rx.url(host="receiver.test"), ["time_entry.created"])
        srv.occur("time_entry.created", {"id": 1})
        refused = srv.attempted(untrusted["id"])
        srv.call("DELETE", f"webhooks/{untrusted['id']}")
        # trusting it, the connection to 127.0.0.1 verifies it for receiver.test (SNI and name)
        monkeypatch.setattr(ssrf, "tls_context", lambda: ssl.create_default_context(cafile=cert))
        trusted = srv.create(tls_rx.url(host="receiver.test"), ["time_entry.created"])
        srv.occur("time_entry.created", {"id": 2})
        (delivered,) = srv.settled(trusted["id"], 1)
        got = tls_rx.wait_for(1)
    assert (
        "TLS failed" in refused["last_error"]
        and "CERTIFICATE_VERIFY_FAILED" in refused["last_error"]
    )
    assert delivered["status"] == "delivered"
    assert [r.payload["data"]["id"] for r in got] == [2]
    assert got[0].headers["host"] == f"receiver.test:{tls_rx.port}"
    assert got[0].signed(trusted["secret"])


def test_a_fault_while_recording_leaves_the_delivery_to_be_sent_again(
    tmp_path: Path, rx: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sender_module, "FAULT_PAUSE", 0.05)
    with hook_server(tmp_path) as srv:
        hook = srv.create(rx.url(), ["time_entry.created"])
        save = srv.store.save_delivery
        faults = [OSError("disk I/O error")]

        def failing_once(delivery: Any) -> None:
            if faults:
                raise faults.pop()
            save(delivery)

        monkeypatch.setattr(srv.store, "save_delivery", failing_once)
        srv.occur("time_entry.created", {"id": 1})
        (delivery,) = srv.settled(hook["id"], 1)
    got = rx.wait_for(2)
    assert delivery["status"] == "delivered" and delivery["attempts"] == 1
    assert got[0].event_id == got[1].event_id  # at least once: the same webhook-id again
