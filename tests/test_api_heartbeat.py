from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
import requests

from tests.conftest import Api, ev

T0 = datetime(2024, 1, 1, 12, tzinfo=UTC)


def iso(seconds: float) -> str:
    return (T0 + timedelta(seconds=seconds)).isoformat()


@pytest.fixture
def bucket(api: Api) -> str:
    api.create_bucket("b")
    return "b"


def beat(
    api: Api,
    seconds: float,
    data: dict[str, object] | None = None,
    pulsetime: float = 10,
    duration: float = 0,
) -> requests.Response:
    return api.post(
        f"buckets/b/heartbeat?pulsetime={pulsetime}",
        ev(iso(seconds), duration, data or {"app": "a"}),
    )


def test_heartbeats_merge_and_return_event_with_id(api: Api, bucket: str) -> None:
    first = beat(api, 0).json()
    assert isinstance(first["id"], int) and first["duration"] == 0
    second = beat(api, 5).json()
    assert second == {**first, "duration": 5.0}
    third = beat(api, 30).json()  # beyond pulsetime: a new event
    assert third["id"] != first["id"] and third["duration"] == 0
    changed = beat(api, 31, {"app": "b"}).json()
    assert changed["id"] not in (first["id"], third["id"])
    events = api.get("buckets/b/events").json()
    assert [(e["timestamp"], e["duration"], e["data"]) for e in events] == [
        (iso(31), 0.0, {"app": "b"}),
        (iso(30), 0.0, {"app": "a"}),
        (iso(0), 5.0, {"app": "a"}),
    ]


def test_premerged_heartbeat_with_duration(api: Api, bucket: str) -> None:
    beat(api, 0)
    merged = beat(api, 2, duration=10).json()
    assert merged["duration"] == 12.0


def test_old_heartbeat_is_inserted_not_merged(api: Api, bucket: str) -> None:
    beat(api, 100)
    beat(api, 50)
    merged = beat(api, 105).json()
    assert merged["timestamp"] == iso(100) and merged["duration"] == 5.0
    assert api.get("buckets/b/events/count").json() == 2


@pytest.mark.parametrize(
    "query", ["", "?pulsetime=", "?pulsetime=abc", "?pulsetime=-1", "?pulsetime=nan"]
)
def test_pulsetime_required_number(api: Api, bucket: str, query: str) -> None:
    r = api.post(f"buckets/b/heartbeat{query}", ev(iso(0)))
    assert r.status_code == 400 and "pulsetime" in r.json()["message"]


@pytest.mark.parametrize(
    "body",
    [
        {"duration": 0, "data": {}},
        {"timestamp": "bad"},
        {"timestamp": iso(0), "duration": -1},
        {"timestamp": iso(0), "data": 3},
        [ev(iso(0))],
    ],
)
def test_bad_heartbeat_body(api: Api, bucket: str, body: object) -> None:
    r = api.post("buckets/b/heartbeat?pulsetime=1", body)
    assert r.status_code == 400
    assert api.get("buckets/b/events/count").json() == 0


def run_threads(count: int, target: object) -> None:
    pool = [threading.Thread(target=target, args=(n,)) for n in range(count)]  # type: ignore[arg-type]
    for t in pool:
        t.start()
    for t in pool:
        t.join()


def test_eight_threads_heartbeating_one_bucket(api: Api, bucket: str) -> None:
    """8 threads x 100 heartbeats race on one bucket; the exact result does not depend on order.

    All heartbeats share one timestamp and data and carry distinct durations 0..799, so a
    serialised server ends with exactly one event lasting 799 s, and every response is that
    event with a duration at least its own. A lost update (two merges from one stale read)
    shows up as a shorter final duration or a second event.
    """
    threads, per_thread = 8, 100
    responses: list[dict[str, object]] = []
    failures: list[str] = []
    lock = threading.Lock()

    def worker(n: int) -> None:
        session = requests.Session()
        url = f"{api.base}/api/0/buckets/b/heartbeat?pulsetime=5"
        for i in range(per_thread):
            duration = i * threads + n
            r = session.post(url, json=ev(iso(0), duration, {"app": "race"}), timeout=30)
            with lock:
                if r.status_code != 200:
                    failures.append(r.text)
                elif r.json()["duration"] < duration:
                    failures.append(f"response shorter than its heartbeat: {r.text}")
                else:
                    responses.append(r.json())

    run_threads(threads, worker)
    assert not failures
    events = api.get("buckets/b/events").json()
    assert len(events) == 1
    assert events[0]["duration"] == threads * per_thread - 1
    assert {r["id"] for r in responses} == {events[0]["id"]}


def test_eight_threads_each_on_own_bucket(api: Api) -> None:
    threads, per_thread = 8, 60
    for n in range(threads):
        api.create_bucket(f"b{n}")
    failures: list[str] = []

    def worker(n: int) -> None:
        session = requests.Session()
        for i in range(per_thread):
            data = {"app": "x" if i < per_thread // 2 else "y"}
            r = session.post(
                f"{api.base}/api/0/buckets/b{n}/heartbeat?pulsetime=1.5",
                json=ev(iso(i), 0, data),
                timeout=30,
            )
            if r.status_code != 200:
                failures.append(r.text)

    run_threads(threads, worker)
    assert not failures
    half = per_thread // 2
    for n in range(threads):
        events = api.get(f"buckets/b{n}/events").json()
        assert [(e["data"]["app"], e["duration"]) for e in events] == [
            ("y", half - 1.0),
            ("x", half - 1.0),
        ]
