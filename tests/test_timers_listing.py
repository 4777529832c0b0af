"""Listing time entries: newest first, a page at a time, filtered by project, user and days of
the [server] timezone (both days included, DST days of 23 and 25 hours, a DST change at
midnight); a running entry counts up to now."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.test_timers_support import TimerServer, timer_server


@pytest.fixture(params=["sqlite", "memory"])
def srv(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TimerServer]:
    with timer_server(tmp_path, storage=request.param, timezone="Europe/Berlin") as server:
        yield server


def _list(srv: TimerServer, **params: Any) -> dict[str, Any]:
    return dict(srv.ok("GET", "/time-entries", params=params))


def _starts(listing: dict[str, Any]) -> list[str]:
    return [e["start"] for e in listing["data"]]


def _hours(count: int, first: datetime, **body: Any) -> list[dict[str, Any]]:
    return [
        {"start": (first + timedelta(hours=n)).isoformat(), "duration": 600, **body}
        for n in range(count)
    ]


def _add(srv: TimerServer, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [srv.entry(**e) for e in entries]


@pytest.mark.parametrize("filtered", [False, True], ids=["all", "by project"])
def test_pages_newest_first(srv: TimerServer, filtered: bool) -> None:
    project = srv.project("P")["id"]
    made = _add(srv, _hours(120, datetime(2024, 5, 1, tzinfo=UTC), project_id=project))
    if filtered:
        _add(srv, _hours(7, datetime(2024, 5, 2, 0, 30, tzinfo=UTC)))  # in no project
    params = {"project_id": project} if filtered else {}
    newest_first = [e["id"] for e in reversed(made)]
    seen: list[int] = []
    for page, size in ((1, 50), (2, 50), (3, 20)):
        listing = _list(srv, page=page, **params)
        assert listing["meta"] == {"page": page, "per_page": 50, "total": 120, "total_pages": 3}
        assert len(listing["data"]) == size
        seen += [e["id"] for e in listing["data"]]
    assert seen == newest_first
    beyond = _list(srv, page=4, **params)
    assert beyond["data"] == [] and beyond["meta"]["total"] == 120
    far = _list(srv, page=10**12, **params)
    assert far["data"] == [] and far["meta"]["page"] == 10**12
    big = _list(srv, per_page=500, **params)
    assert [e["id"] for e in big["data"]] == newest_first
    assert big["meta"] == {"page": 1, "per_page": 500, "total": 120, "total_pages": 1}
    one = _list(srv, per_page=1, page=120, **params)
    assert [e["id"] for e in one["data"]] == [made[0]["id"]]


def test_filters_by_project_and_user(srv: TimerServer) -> None:
    a, b = srv.project("A")["id"], srv.project("B")["id"]
    srv.entry(start="2024-01-01T10:00:00Z", duration=60, project_id=a)
    srv.entry(start="2024-01-01T11:00:00Z", duration=60, project_id=b)
    srv.entry(start="2024-01-01T12:00:00Z", duration=60)
    assert _starts(_list(srv, project_id=a)) == ["2024-01-01T10:00:00+00:00"]
    assert _list(srv, project_id=b)["meta"]["total"] == 1
    assert _list(srv, project_id="proj_none")["data"] == []
    # a single-user server: every entry is "me"'s, nobody else has any
    assert _list(srv, user_id="me")["meta"]["total"] == 3
    assert {e["user_id"] for e in _list(srv)["data"]} == {"me"}
    nobody = _list(srv, user_id="usr_123")
    assert nobody["data"] == [] and nobody["meta"]["total"] == 0
    both = _list(srv, project_id=a, start_date="2024-01-01", end_date="2024-01-01")
    assert both["meta"]["total"] == 1


def test_days_are_the_server_zone_s_and_both_ends_are_included(srv: TimerServer) -> None:
    # Berlin is UTC+1 in January: its 2 January runs from 1 Jan 23:00 to 2 Jan 23:00 UTC
    for start in (
        "2024-01-01T22:59:59Z",  # 1 Jan, 23:59:59 in Berlin
        "2024-01-01T23:00:00Z",  # 2 Jan, 00:00
        "2024-01-02T22:59:59Z",  # 2 Jan, 23:59:59
        "2024-01-02T23:00:00Z",  # 3 Jan, 00:00
        "2024-01-03T12:00:00Z",
    ):
        srv.entry(start=start, duration=30)
    day = _list(srv, start_date="2024-01-02", end_date="2024-01-02")
    assert _starts(day) == ["2024-01-02T22:59:59+00:00", "2024-01-01T23:00:00+00:00"]
    two = _list(srv, start_date="2024-01-02", end_date="2024-01-03")
    assert two["meta"]["total"] == 4
    assert _list(srv, start_date="2024-01-03")["meta"]["total"] == 2
    assert _list(srv, end_date="2024-01-01")["meta"]["total"] == 1
    assert _list(srv, start_date="2024-01-04")["data"] == []


@pytest.mark.parametrize(
    ("day", "first", "last", "hours"),
    [
        # spring forward: 31 March 2024 has 23 hours in Berlin
        ("2024-03-31", "2024-03-30T23:00:00Z", "2024-03-31T22:00:00Z", 23),
        # fall back: 27 October 2024 has 25 hours
        ("2024-10-27", "2024-10-26T22:00:00Z", "2024-10-27T23:00:00Z", 25),
    ],
)
def test_dst_days(srv: TimerServer, day: str, first: str, last: str, hours: int) -> None:
    begin, end = datetime.fromisoformat(first), datetime.fromisoformat(last)
    assert end - begin == timedelta(hours=hours)
    one_us = timedelta(microseconds=1)
    for start in (begin - one_us, begin, end - one_us, end):
        srv.entry(start=start.isoformat(), duration=1)
    listing = _list(srv, start_date=day, end_date=day)
    assert _starts(listing) == [(end - one_us).isoformat(), begin.isoformat()]


def test_a_dst_change_at_midnight(tmp_path: Path) -> None:
    # Santiago skipped from 00:00 to 01:00 on 8 September 2024: that day begins at 01:00 (-03)
    with timer_server(tmp_path, timezone="America/Santiago") as srv:
        srv.entry(start="2024-09-08T03:59:59Z", duration=1)  # 7 Sep, 23:59:59 (-04)
        srv.entry(start="2024-09-08T04:00:00Z", duration=1)  # 8 Sep, 01:00:00 (-03)
        listing = _list(srv, start_date="2024-09-08", end_date="2024-09-08")
        assert _starts(listing) == ["2024-09-08T04:00:00+00:00"]
        assert _list(srv, end_date="2024-09-07")["meta"]["total"] == 1


def test_an_entry_is_in_the_day_it_starts(srv: TimerServer) -> None:
    srv.entry(start="2024-01-01T22:00:00Z", duration=7200)  # 1 Jan 23:00 to 2 Jan 01:00 Berlin
    assert _list(srv, start_date="2024-01-01", end_date="2024-01-01")["meta"]["total"] == 1
    assert _list(srv, start_date="2024-01-02", end_date="2024-01-02")["meta"]["total"] == 0


def test_a_running_entry_counts_up_to_now(srv: TimerServer) -> None:
    srv.entry(start="2024-01-01T10:00:00Z", duration=60)
    running = srv.start(description="now")
    listing = _list(srv)
    assert listing["data"][0]["id"] == running["id"]
    first = listing["data"][0]
    assert first["running"] is True and first["end"] is None
    later = _list(srv)["data"][0]
    assert later["duration"] >= first["duration"] >= 0
    # and it is listed in the days it started in, as the others
    dated = _list(srv, start_date="2024-01-01")
    assert [e["id"] for e in dated["data"]][0] == running["id"]
    assert dated["meta"]["total"] == 2


def test_the_default_page_size_and_empty_filters(srv: TimerServer) -> None:
    _add(srv, _hours(60, datetime(2024, 6, 1, tzinfo=UTC)))
    # empty fields of a form are no filter
    listing = _list(srv, start_date="", end_date="", project_id="", user_id="", bucket="")
    assert listing["meta"] == {"page": 1, "per_page": 50, "total": 60, "total_pages": 2}
    assert len(listing["data"]) == 50
