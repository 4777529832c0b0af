"""Every timers endpoint through a live server, under both prefixes and on both storages: the
timer (start stops the running ones, stop, current), finished entries (create, read, change,
delete), projects and tasks (create, list, change, archive, delete with and without force),
the stopwatch bucket made on first use, another bucket chosen with ?bucket=, and the projects
table surviving a restart."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from aw_server.app import create_app
from tests.conftest import make_config
from tests.test_timers_support import PREFIXES, STOPWATCH, TimerServer, timer_server

ENTRY_KEYS = {
    "id",
    "project_id",
    "task_id",
    "description",
    "start",
    "end",
    "duration",
    "running",
    "user_id",
}


@pytest.fixture(params=[(p, s) for p in PREFIXES for s in ("sqlite", "memory")], ids=str)
def srv(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TimerServer]:
    prefix, storage = request.param
    with timer_server(tmp_path, prefix=prefix, storage=storage) as server:
        yield server


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text)


# -- the timer -----------------------------------------------------------------------------------


def test_start_makes_the_bucket_and_a_running_entry(srv: TimerServer) -> None:
    assert srv.ok("GET", "/time-entries/current") is None
    entry = srv.start(description="Working on feature")
    assert set(entry) == ENTRY_KEYS
    assert entry["running"] is True and entry["end"] is None
    assert entry["description"] == "Working on feature" and entry["user_id"] == "me"
    assert entry["project_id"] is None and entry["task_id"] is None
    assert 0 <= entry["duration"] < 60
    bucket = srv.ok("GET", f"/api/0/buckets/{STOPWATCH}")
    assert bucket["type"] == "general.stopwatch" and bucket["client"] == "aw-server-py"
    assert bucket["hostname"] == srv.service.hostname
    assert bucket["data"]["device_id"] == srv.service.device_id
    [event] = srv.events()
    assert event["id"] == entry["id"] and event["duration"] == 0
    assert event["data"] == {
        "label": "Working on feature",
        "running": True,
        "project_id": None,
        "task_id": None,
        "description": "Working on feature",
    }
    current = srv.ok("GET", "/time-entries/current")
    assert current["id"] == entry["id"] and current["running"] is True
    assert current["duration"] >= entry["duration"]  # it counts up


def test_start_without_a_body(srv: TimerServer) -> None:
    r = srv.session.post(f"{srv.url}{srv.prefix}/time-entries/start", timeout=30)
    assert r.status_code == 201, r.text
    assert r.json()["description"] is None and r.json()["running"] is True
    assert srv.events()[0]["data"]["label"] == ""


def test_start_stops_the_running_timer_where_the_new_one_starts(srv: TimerServer) -> None:
    first = srv.start(description="one")
    second = srv.start(description="two")
    assert second["id"] != first["id"]
    old = srv.ok("GET", f"/time-entries/{first['id']}")
    assert old["running"] is False and old["end"] == second["start"]
    assert old["duration"] == pytest.approx(
        (_time(second["start"]) - _time(first["start"])).total_seconds()
    )
    assert srv.ok("GET", "/time-entries/current")["id"] == second["id"]
    assert [e["data"]["running"] for e in srv.events()] == [True, False]


def test_stop_returns_the_saved_entry_then_409(srv: TimerServer) -> None:
    started = srv.start(description="one")
    stopped = srv.ok("POST", "/time-entries/stop")
    assert stopped["id"] == started["id"] and stopped["running"] is False
    assert stopped["end"] is not None and stopped["duration"] >= 0
    [event] = srv.events()
    assert event["data"]["running"] is False and event["duration"] == stopped["duration"]
    assert srv.ok("GET", "/time-entries/current") is None
    r = srv.call("POST", "/time-entries/stop")
    assert r.status_code == 409
    assert r.json() == {"error": "no timer is running", "code": "no_timer_running", "details": {}}


def test_stop_on_a_server_that_never_had_a_timer(srv: TimerServer) -> None:
    r = srv.call("POST", "/time-entries/stop")
    assert r.status_code == 409 and r.json()["code"] == "no_timer_running"
    assert srv.call("GET", f"/api/0/buckets/{STOPWATCH}").status_code == 404  # nothing made


# -- finished entries ----------------------------------------------------------------------------


def test_create_get_change_delete_an_entry(srv: TimerServer) -> None:
    entry = srv.entry(start="2024-03-01T09:00:00Z", end="2024-03-01T10:30:00Z", description="a")
    assert entry["running"] is False and entry["duration"] == 5400
    assert entry["start"] == "2024-03-01T09:00:00+00:00"
    assert entry["end"] == "2024-03-01T10:30:00+00:00"
    assert srv.ok("GET", f"/time-entries/{entry['id']}") == entry
    by_duration = srv.entry(start="2024-03-01T11:00:00+01:00", duration=60)
    assert by_duration["start"] == "2024-03-01T10:00:00+00:00"
    assert by_duration["end"] == "2024-03-01T10:01:00+00:00"

    # a new start keeps the end; a duration moves the end; a description is the label
    moved = srv.ok("PATCH", f"/time-entries/{entry['id']}", {"start": "2024-03-01T09:30:00Z"})
    assert moved["end"] == entry["end"] and moved["duration"] == 3600
    longer = srv.ok("PATCH", f"/time-entries/{entry['id']}", {"duration": 7200})
    assert longer["end"] == "2024-03-01T11:30:00+00:00"
    renamed = srv.ok("PATCH", f"/time-entries/{entry['id']}", {"description": "renamed"})
    assert renamed["description"] == "renamed" and renamed["duration"] == 7200
    event = next(e for e in srv.events() if e["id"] == entry["id"])
    assert event["data"]["label"] == "renamed" and event["duration"] == 7200

    # an entry read back can be sent back as it is, but a finished entry does not run again
    again = srv.ok("PATCH", f"/time-entries/{entry['id']}", renamed)
    assert again == renamed
    r = srv.call("PATCH", f"/time-entries/{entry['id']}", {**renamed, "running": True})
    assert r.status_code == 400 and r.json()["code"] == "invalid_field"

    deleted = srv.ok("DELETE", f"/time-entries/{entry['id']}")
    assert deleted == renamed
    assert srv.call("GET", f"/time-entries/{entry['id']}").status_code == 404
    assert srv.call("DELETE", f"/time-entries/{entry['id']}").status_code == 404


def test_changing_a_running_entry(srv: TimerServer) -> None:
    running = srv.start(description="typo")
    changed = srv.ok(
        "PATCH",
        f"/time-entries/{running['id']}",
        {"description": "fixed", "start": "2024-01-01T08:00:00Z", "duration": 5},
    )
    assert changed["running"] is True and changed["description"] == "fixed"
    assert changed["start"] == "2024-01-01T08:00:00+00:00"
    assert changed["duration"] > 3600  # counts up from the new start; the 5 s sent is ignored
    r = srv.call("PATCH", f"/time-entries/{running['id']}", {"end": "2024-01-02T00:00:00Z"})
    assert r.status_code == 409 and r.json()["code"] == "entry_running"
    # an entry read back can be sent back as it is; "running" is not how a timer stops
    assert srv.ok("PATCH", f"/time-entries/{running['id']}", changed)["running"] is True
    r = srv.call("PATCH", f"/time-entries/{running['id']}", {**changed, "running": False})
    assert r.status_code == 400 and r.json()["details"] == {"field": "running"}
    assert srv.ok("POST", "/time-entries/stop")["description"] == "fixed"


def test_deleting_the_running_entry(srv: TimerServer) -> None:
    running = srv.start()
    assert srv.ok("DELETE", f"/time-entries/{running['id']}")["running"] is True
    assert srv.ok("GET", "/time-entries/current") is None
    assert srv.call("POST", "/time-entries/stop").status_code == 409


# -- projects and tasks --------------------------------------------------------------------------


def test_projects_and_tasks(srv: TimerServer) -> None:
    web = srv.project("Website")
    assert web["id"].startswith("proj_") and web["color"].startswith("#")
    assert web["archived"] is False and set(web) == {"id", "name", "color", "archived", "created"}
    api = srv.project("API", color="#AABBCC")
    assert api["color"] == "#aabbcc"
    listing = srv.ok("GET", "/projects")
    assert [p["name"] for p in listing["data"]] == ["API", "Website"]
    assert listing["meta"] == {"page": 1, "per_page": 50, "total": 2, "total_pages": 1}
    assert srv.ok("GET", f"/projects/{web['id']}") == web

    design = srv.task(web["id"], "Design")
    assert design["id"].startswith("task_") and design["project_id"] == web["id"]
    srv.task(web["id"], "Build")
    tasks = srv.ok("GET", f"/projects/{web['id']}/tasks")
    assert [t["name"] for t in tasks["data"]] == ["Build", "Design"]
    assert tasks["meta"]["total"] == 2

    changed = srv.ok("PATCH", f"/projects/{web['id']}", {"name": "Web site", "archived": True})
    assert changed["name"] == "Web site" and changed["archived"] is True
    assert changed["color"] == web["color"] and changed["created"] == web["created"]
    archived = srv.ok("GET", "/projects", params={"archived": "true"})
    assert [p["id"] for p in archived["data"]] == [web["id"]]
    active = srv.ok("GET", "/projects", params={"archived": "false"})
    assert [p["id"] for p in active["data"]] == [api["id"]]


def test_entries_name_projects_and_tasks(srv: TimerServer) -> None:
    web = srv.project("Website")
    design = srv.task(web["id"], "Design")
    # a task names its project
    started = srv.start(task_id=design["id"], description="mockups")
    assert started["project_id"] == web["id"] and started["task_id"] == design["id"]
    event = srv.events()[0]
    assert event["data"]["project_id"] == web["id"] and event["data"]["task_id"] == design["id"]
    stopped = srv.ok("POST", "/time-entries/stop")
    assert stopped["project_id"] == web["id"] and stopped["task_id"] == design["id"]
    # moving the entry to another project needs its task cleared too
    other = srv.project("Other")
    r = srv.call("PATCH", f"/time-entries/{stopped['id']}", {"project_id": other["id"]})
    assert r.status_code == 400 and r.json()["code"] == "task_not_in_project"
    moved = srv.ok(
        "PATCH", f"/time-entries/{stopped['id']}", {"project_id": other["id"], "task_id": None}
    )
    assert moved["project_id"] == other["id"] and moved["task_id"] is None


def test_deleting_a_project_with_entries_needs_force(srv: TimerServer) -> None:
    web = srv.project("Website")
    design = srv.task(web["id"], "Design")
    keep = srv.project("Keep")
    one = srv.entry(start="2024-01-01T10:00:00Z", duration=60, task_id=design["id"])
    two = srv.entry(start="2024-01-02T10:00:00Z", duration=60, project_id=web["id"])
    three = srv.entry(start="2024-01-03T10:00:00Z", duration=60, project_id=keep["id"])
    r = srv.call("DELETE", f"/projects/{web['id']}")
    assert r.status_code == 409
    assert r.json()["code"] == "project_has_entries"
    assert r.json()["details"] == {"id": web["id"], "entries": 2}
    assert srv.ok("GET", f"/projects/{web['id']}") == web  # nothing changed

    deleted = srv.ok("DELETE", f"/projects/{web['id']}", params={"force": "1"})
    assert deleted == {**web, "entries_cleared": 2}
    assert srv.call("GET", f"/projects/{web['id']}").status_code == 404
    assert srv.call("GET", f"/projects/{web['id']}/tasks").status_code == 404
    for entry in (one, two):
        kept = srv.ok("GET", f"/time-entries/{entry['id']}")
        assert kept["project_id"] is None and kept["task_id"] is None
        assert kept["start"] == entry["start"] and kept["duration"] == 60
    assert srv.ok("GET", f"/time-entries/{three['id']}")["project_id"] == keep["id"]
    # the task went with its project
    r = srv.call("POST", "/time-entries/start", {"task_id": design["id"]})
    assert r.status_code == 400 and r.json()["code"] == "unknown_task"


def test_deleting_a_project_without_entries(srv: TimerServer) -> None:
    empty = srv.project("Empty")
    assert srv.ok("DELETE", f"/projects/{empty['id']}")["entries_cleared"] == 0
    assert srv.ok("GET", "/projects")["data"] == []


# -- buckets -------------------------------------------------------------------------------------


def test_another_stopwatch_bucket(srv: TimerServer) -> None:
    srv.start(description="default")
    other = srv.ok("POST", "/time-entries/start", {"description": "work"}, params={"bucket": "job"})
    # the default bucket's timer keeps running: each bucket has its own
    assert srv.ok("GET", "/time-entries/current")["description"] == "default"
    assert srv.ok("GET", "/time-entries/current", params={"bucket": "job"})["id"] == other["id"]
    assert srv.ok("GET", "/api/0/buckets/job")["type"] == "general.stopwatch"
    listing = srv.ok("GET", "/time-entries", params={"bucket": "job"})
    assert [e["description"] for e in listing["data"]] == ["work"]
    assert srv.call("GET", f"/time-entries/{other['id']}").status_code == 404  # not in default


def test_a_bucket_of_another_type_is_refused(srv: TimerServer) -> None:
    body = {"client": "w", "type": "currentwindow", "hostname": "h"}
    assert srv.call("POST", "/api/0/buckets/window", body).status_code == 200
    for method, path in (
        ("POST", "/time-entries/start"),
        ("POST", "/time-entries/stop"),
        ("GET", "/time-entries"),
        ("GET", "/time-entries/current"),
    ):
        r = srv.call(method, path, params={"bucket": "window"})
        assert r.status_code == 422, (path, r.text)
        assert r.json()["code"] == "not_a_stopwatch_bucket"
        assert r.json()["details"] == {"bucket": "window", "type": "currentwindow"}


def test_reading_a_missing_bucket_is_empty(srv: TimerServer) -> None:
    listing = srv.ok("GET", "/time-entries", params={"bucket": "nothing-yet"})
    assert listing == {
        "data": [],
        "meta": {"page": 1, "per_page": 50, "total": 0, "total_pages": 0},
    }
    assert srv.ok("GET", "/time-entries/current", params={"bucket": "nothing-yet"}) is None
    assert srv.call("GET", "/time-entries/1", params={"bucket": "nothing-yet"}).status_code == 404


# -- restart -------------------------------------------------------------------------------------


def test_projects_and_the_running_timer_survive_a_restart(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    first = TimerServer(create_app(config))
    try:
        web = first.project("Website")
        task = first.task(web["id"])
        running = first.start(task_id=task["id"])
    finally:
        first.stop()
    second = TimerServer(create_app(config))
    try:
        assert second.ok("GET", "/projects")["data"] == [web]
        assert second.ok("GET", f"/projects/{web['id']}/tasks")["data"] == [task]
        current: dict[str, Any] = second.ok("GET", "/time-entries/current")
        assert current["id"] == running["id"] and current["task_id"] == task["id"]
        assert second.ok("POST", "/time-entries/stop")["id"] == running["id"]
    finally:
        second.stop()
