"""The timers API and the AW web UI's Stopwatch page share one bucket: a timer started on either
side shows on the other and either side stops it, the page's several running timers are all
stopped by a start here; two starts racing on two connections leave exactly one running; and
the index of running timers keeps up with every other way events change (posted with an old
time, imported, deleted, the bucket deleted) without reading the history on each start."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from aw_core.models import Bucket, Event
from aw_server.changes import Change
from aw_server.storage import MemoryStorage
from aw_server.timers.running import NEWEST, RunningIndex
from tests.test_timers_support import STOPWATCH, TimerServer, timer_server


@pytest.fixture(params=["sqlite", "memory"])
def srv(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TimerServer]:
    with timer_server(tmp_path, storage=request.param) as server:
        yield server


def _ago(**delta: float) -> str:
    return (datetime.now(UTC) - timedelta(**delta)).isoformat()


# -- the web UI's Stopwatch page -----------------------------------------------------------------


def test_a_web_ui_timer_is_the_running_entry_and_stops_here_the_web_ui_way(
    srv: TimerServer,
) -> None:
    assert srv.webui_ensure_bucket().status_code == 200
    event = srv.webui_start("Reading")
    current = srv.ok("GET", "/time-entries/current")
    assert current["id"] == event["id"] and current["running"] is True
    assert current["description"] == "Reading" and current["end"] is None
    assert current["project_id"] is None and current["start"] == event["timestamp"]
    listing = srv.ok("GET", "/time-entries")
    assert [e["id"] for e in listing["data"]] == [event["id"]]

    stopped = srv.ok("POST", "/time-entries/stop")
    assert stopped["id"] == event["id"] and stopped["running"] is False
    [after] = srv.events()
    # what the web UI's own Stop writes: the same event, running false, its duration set
    assert after["id"] == event["id"] and after["timestamp"] == event["timestamp"]
    assert after["data"] == {"running": False, "label": "Reading"}
    assert after["duration"] == stopped["duration"] and after["duration"] > 0
    assert srv.webui_running() == []


def test_a_timer_started_here_is_on_the_web_ui_page_and_it_stops_it(srv: TimerServer) -> None:
    entry = srv.start(description="Working on feature")
    # the page (its bucket made already: ensureBucket answers 304) lists it as running
    assert srv.webui_ensure_bucket().status_code == 304
    [shown] = srv.webui_running()
    assert shown["id"] == entry["id"] and shown["data"]["label"] == "Working on feature"
    srv.webui_stop(shown)
    assert srv.ok("GET", "/time-entries/current") is None
    stopped = srv.ok("GET", f"/time-entries/{entry['id']}")
    assert stopped["running"] is False and stopped["end"] is not None
    assert stopped["description"] == "Working on feature"
    assert srv.call("POST", "/time-entries/stop").status_code == 409


def test_start_stops_every_running_web_ui_timer(srv: TimerServer) -> None:
    srv.webui_ensure_bucket()
    one = srv.webui_start("one")
    two = srv.webui_start("two")  # the page runs several at once
    assert len(srv.webui_running()) == 2
    mine = srv.start(description="mine")
    assert [e["id"] for e in srv.webui_running()] == [mine["id"]]
    for event in (one, two):
        stopped = srv.ok("GET", f"/time-entries/{event['id']}")
        assert stopped["running"] is False and stopped["end"] == mine["start"]


def test_stop_stops_them_all_and_returns_the_newest(srv: TimerServer) -> None:
    srv.webui_ensure_bucket()
    one = srv.webui_start("one")
    two = srv.webui_start("two")
    assert srv.ok("GET", "/time-entries/current")["id"] == two["id"]
    assert srv.ok("POST", "/time-entries/stop")["id"] == two["id"]
    assert srv.ok("GET", f"/time-entries/{one['id']}")["running"] is False
    assert srv.webui_running() == []


def test_a_web_ui_label_edit_is_the_description(srv: TimerServer) -> None:
    entry = srv.start(description="old")
    [event] = srv.events()
    edited = {**event, "data": {**event["data"], "label": "new"}}  # the page's event editor
    assert srv.call("POST", f"/api/0/buckets/{STOPWATCH}/events", edited).status_code == 200
    assert srv.ok("GET", f"/time-entries/{entry['id']}")["description"] == "new"


# -- racing starts -------------------------------------------------------------------------------


def _race(srv: TimerServer, racers: int, label: str) -> list[requests.Response]:
    """``racers`` starts sent at once, each on a connection of its own."""
    barrier = threading.Barrier(racers)
    answers: list[requests.Response] = []
    lock = threading.Lock()

    def race(n: int) -> None:
        session = requests.Session()
        barrier.wait()
        r = srv.call(
            "POST", "/time-entries/start", {"description": f"{label}-{n}"}, session=session
        )
        with lock:
            answers.append(r)

    threads = [threading.Thread(target=race, args=(n,)) for n in range(racers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return answers


@pytest.mark.parametrize("racers", [2, 4])
def test_racing_starts_leave_exactly_one_running(srv: TimerServer, racers: int) -> None:
    for round_ in range(5):
        answers = _race(srv, racers, f"round {round_}")
        assert [r.status_code for r in answers] == [201] * racers, [r.text for r in answers]
        running = [e for e in srv.events() if e["data"]["running"]]
        assert len(running) == 1
        started = sorted((r.json() for r in answers), key=lambda e: (e["start"], e["id"]))
        assert running[0]["id"] == started[-1]["id"]  # the later one runs
        for loser in started[:-1]:
            ended = srv.ok("GET", f"/time-entries/{loser['id']}")
            assert ended["running"] is False
            assert ended["end"] <= started[-1]["start"]


# -- the index of running timers keeps up with every other write ---------------------------------


def test_an_old_running_event_posted_later_is_stopped_by_a_start(srv: TimerServer) -> None:
    srv.start(description="first")
    # making the bucket reset the index (a new bucket is a change to "everything"): this look
    # has it know the bucket again, so what follows is learnt from the change feed alone
    srv.ok("GET", "/time-entries/current")
    for n in range(NEWEST + 5):  # the old one is not among the newest events
        srv.entry(start=_ago(minutes=n + 1), duration=1)
    old = {"timestamp": _ago(days=20), "duration": 0, "data": {"running": True, "label": "old"}}
    r = srv.call("POST", f"/api/0/buckets/{STOPWATCH}/events", old)
    assert r.status_code == 200
    latest = srv.start(description="latest")
    assert [e["id"] for e in srv.webui_running(limit=None)] == [latest["id"]]
    stopped = srv.ok("GET", f"/time-entries/{r.json()['id']}")
    assert stopped["running"] is False and stopped["end"] == latest["start"]


def test_an_imported_running_timer_is_current(srv: TimerServer) -> None:
    srv.start(description="here")
    srv.ok("POST", "/time-entries/stop")
    document = {
        "buckets": {
            "phone-stopwatch": {
                "id": "phone-stopwatch",
                "type": "general.stopwatch",
                "client": "aw-webui",
                "hostname": "phone",
                "events": [
                    {
                        "timestamp": _ago(hours=3),
                        "duration": 0,
                        "data": {"running": True, "label": "x"},
                    }
                ],
            },
            STOPWATCH: {
                "id": STOPWATCH,
                "type": "general.stopwatch",
                "client": "aw-webui",
                "hostname": "unknown",
                "events": [
                    {
                        "timestamp": _ago(days=9),
                        "duration": 0,
                        "data": {"running": True, "label": "y"},
                    }
                ],
            },
        }
    }
    assert srv.call("POST", "/api/0/import", document).status_code == 200
    assert srv.ok("GET", "/time-entries/current")["description"] == "y"
    assert (
        srv.ok("GET", "/time-entries/current", params={"bucket": "phone-stopwatch"})["description"]
        == "x"
    )


def test_deleted_timers_and_buckets_are_forgotten(srv: TimerServer) -> None:
    running = srv.start(description="a")
    assert srv.call("DELETE", f"/api/0/buckets/{STOPWATCH}/events/{running['id']}").ok
    assert srv.ok("GET", "/time-entries/current") is None
    srv.start(description="b")
    assert srv.call("DELETE", f"/api/0/buckets/{STOPWATCH}?force=1").ok
    assert srv.ok("GET", "/time-entries/current") is None
    assert srv.call("POST", "/time-entries/stop").status_code == 409
    fresh = srv.start(description="c")
    assert fresh["running"] is True
    assert [e["data"]["label"] for e in srv.events()] == ["c"]
    assert srv.ok("GET", "/time-entries")["meta"]["total"] == 1


class CountingStorage(MemoryStorage):
    """Counts reads of a bucket's whole history (get_events without range or limit)."""

    def __init__(self) -> None:
        super().__init__()
        self.full_reads = 0

    def get_events(self, bucket_id: str, *args: Any, **kwargs: Any) -> list[Event]:
        if not args and not kwargs:
            self.full_reads += 1
        return super().get_events(bucket_id, *args, **kwargs)


def test_only_the_first_look_reads_the_whole_bucket(tmp_path: Path) -> None:
    from aw_server.app import create_app
    from tests.conftest import make_config

    storage = CountingStorage()
    app = create_app(make_config(tmp_path, storage="memory"), storage=storage)
    server = TimerServer(app)
    try:
        for n in range(50):
            server.entry(start=_ago(hours=n + 1), duration=60)
        server.start(description="one")
        assert storage.full_reads == 1
        for n in range(5):
            server.start(description=f"again {n}")
            server.ok("GET", "/time-entries/current")
        server.ok("POST", "/time-entries/stop")
        assert storage.full_reads == 1
        running = [e for e in server.events() if e["data"]["running"]]
        assert running == []
    finally:
        server.stop()


def test_the_index_keeps_changes_reported_during_a_first_look() -> None:
    """A write reported while the first look reads the bucket is read on the next look."""
    storage = MemoryStorage()
    created = datetime.now(UTC)
    storage.write(
        lambda: storage.create_bucket(
            Bucket(id="s", type="general.stopwatch", client="c", hostname="h", created=created)
        )
    )
    recent = [Event(timestamp=created - timedelta(minutes=n), duration=1) for n in range(NEWEST)]
    storage.write(lambda: storage.insert_events("s", recent))
    index = RunningIndex()
    real_get_events = storage.get_events
    late: list[Event] = []

    def get_events(bucket_id: str, *args: Any, **kwargs: Any) -> list[Event]:
        found = real_get_events(bucket_id, *args, **kwargs)
        if not late:  # during the first look, another writer commits an old running timer
            old = Event(timestamp=created - timedelta(days=30), data={"running": True})
            late.extend(storage.write(lambda: storage.insert_events("s", [old])))
            index.on_changes([Change("s", late[0].start_us, late[0].end_us)])
        return found

    storage.get_events = get_events  # type: ignore[method-assign]
    assert index.running(storage, "s") == []  # the read began before that write
    assert [e.id for e in index.running(storage, "s")] == [late[0].id]
