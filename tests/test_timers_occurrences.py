"""What the timers API hands to the webhooks' outbox (a fake one here): the right occurrence
types, each carrying the entry or project as the API shows it, inside the write's storage
transaction, one batch per write; nothing for a refused write; and no data is made for types
nobody listens for."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from aw_server.service import Occurrence
from tests.test_timers_support import FakeOutbox, TimerServer, timer_server


@pytest.fixture(params=["sqlite", "memory"])
def srv(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TimerServer]:
    with timer_server(tmp_path, storage=request.param) as server:
        yield server


@pytest.fixture
def outbox(srv: TimerServer) -> FakeOutbox:
    return FakeOutbox(srv.service).install()


def _types(batch: list[Occurrence]) -> list[str]:
    return [o.type for o in batch if not o.type.startswith(("event.", "bucket."))]


def _same_entry(data: dict[str, Any], entry: dict[str, Any]) -> None:
    """An occurrence's entry is the API's, its duration taken at the write's time."""
    assert {k: v for k, v in data.items() if k != "duration"} == {
        k: v for k, v in entry.items() if k != "duration"
    }


def test_the_timer(srv: TimerServer, outbox: FakeOutbox) -> None:
    first = srv.start(description="one")
    [batch] = outbox.batches
    assert _types(batch) == ["time_entry.started"]
    [started] = outbox.of("time_entry.")
    _same_entry(started.data, first)
    assert started.data["running"] is True and started.data["duration"] == 0
    assert outbox.in_transaction == [True]

    outbox.clear()
    second = srv.start(description="two")
    [batch] = outbox.batches  # one write: the stop and the start together
    assert _types(batch) == ["time_entry.stopped", "time_entry.started"]
    stopped, started = outbox.of("time_entry.")
    _same_entry(stopped.data, srv.ok("GET", f"/time-entries/{first['id']}"))
    assert stopped.data["running"] is False and stopped.data["end"] == second["start"]
    _same_entry(started.data, second)

    outbox.clear()
    ended = srv.ok("POST", "/time-entries/stop")
    [batch] = outbox.batches
    assert _types(batch) == ["time_entry.stopped"]
    assert batch[-1].data == ended
    assert outbox.in_transaction == [True]


def test_entries(srv: TimerServer, outbox: FakeOutbox) -> None:
    entry = srv.entry(start="2024-01-01T10:00:00Z", duration=60, description="a")
    changed = srv.ok("PATCH", f"/time-entries/{entry['id']}", {"description": "b"})
    deleted = srv.ok("DELETE", f"/time-entries/{entry['id']}")
    assert [_types(b) for b in outbox.batches] == [
        ["time_entry.created"],
        ["time_entry.updated"],
        ["time_entry.deleted"],
    ]
    assert [o.data for o in outbox.of("time_entry.")] == [entry, changed, deleted]
    assert outbox.in_transaction == [True, True, True]


def test_projects(srv: TimerServer, outbox: FakeOutbox) -> None:
    project = srv.project("Website")
    archived = srv.ok("PATCH", f"/projects/{project['id']}", {"archived": True})
    srv.task(srv.project("Other")["id"])  # tasks have no occurrences
    assert [o.type for o in outbox.of("project.")] == [
        "project.created",
        "project.updated",
        "project.created",
    ]
    assert [o.data for o in outbox.of("project.")][:2] == [project, archived]
    assert all(outbox.in_transaction)


def test_a_forced_project_deletion(srv: TimerServer, outbox: FakeOutbox) -> None:
    project = srv.project("Website")
    one = srv.entry(start="2024-01-01T10:00:00Z", duration=60, project_id=project["id"])
    outbox.clear()
    deleted = srv.ok("DELETE", f"/projects/{project['id']}", params={"force": "1"})
    [batch] = outbox.batches  # one write: the entries cleared and the project gone
    assert _types(batch) == ["time_entry.updated", "project.deleted"]
    cleared, gone = outbox.of("time_entry.") + outbox.of("project.")
    assert cleared.data == {**one, "project_id": None}
    assert gone.data == {k: v for k, v in deleted.items() if k != "entries_cleared"}
    assert outbox.in_transaction == [True]


def test_refused_writes_hand_over_nothing(srv: TimerServer, outbox: FakeOutbox) -> None:
    srv.project("Website")
    outbox.clear()
    assert srv.call("POST", "/time-entries/start", {"project_id": "proj_x"}).status_code == 400
    assert srv.call("POST", "/time-entries/stop").status_code == 409
    assert srv.call("POST", "/projects", {"name": "website"}).status_code == 409
    assert srv.call("DELETE", "/time-entries/5").status_code == 404
    assert outbox.batches == []


def test_no_data_is_made_for_types_nobody_listens_for(srv: TimerServer, outbox: FakeOutbox) -> None:
    asked: list[str] = []

    def listening(kind: str) -> bool:
        asked.append(kind)
        return kind == "time_entry.stopped"

    srv.service.listening = listening
    srv.start(description="one")
    assert outbox.of("time_entry.") == []
    srv.ok("POST", "/time-entries/stop")
    assert _types(outbox.batches[-1]) == ["time_entry.stopped"]
    assert "time_entry.started" in asked  # asked, and then no entry was made for it
    assert [o.type for o in outbox.of("time_entry.")] == ["time_entry.stopped"]
