"""The WakaTime-compatible API through a live server: every recorded client request on every
path that receives heartbeats, what is stored of it (raw heartbeats, the events of the machine
bucket), and the read APIs the clients and dashboards call, on every prefix."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import orjson
import pytest

from aw_server.wakatime.api import ROUTES
from tests.fixtures.wakatime import RecordedRequest, load, names
from tests.test_wakatime_support import (
    BUCKET_PREFIX,
    DATA_KEYS,
    FIXTURE_KEY,
    READ_PREFIXES,
    WakaServer,
    basic,
    heartbeat,
    post_paths,
    waka_server,
)

US = 1_000_000
TIMEOUT_US = 600 * US
MAC_VIM = "wakatime/v1.90.0 (darwin-23.1.0-arm64) go1.21.5 vim/9.1 vim-wakatime/11.0"
PLACEHOLDER_VALUES = {"<<LAST_PROJECT>>", "<<LAST_LANGUAGE>>", "<<LAST_BRANCH>>"}

# What each client's user agent names, as the event data and the answers show it.
AGENTS = {
    "browser_extension_bulk": ("Chrome", "Linux"),
    "browser_extension_single": ("Firefox", "Windows"),
    "go_cli_bulk_25": ("VS Code", "Linux"),
    "go_cli_unknown_plugin": (None, "macOS"),
    "legacy_cli_domain": ("Vim", "Linux"),
    "legacy_cli_file": ("Vim", "Linux"),
    "legacy_cli_lineno_extra": ("Vim", "Linux"),
    "legacy_cli_recorded": ("Vim", "Linux"),
    "legacy_cli_sync_live": ("Vim", "Linux"),
    "legacy_cli_sync_queued": ("Vim", "Linux"),
    "legacy_cli_utf8_machine": ("Vim", "Linux"),
}


def test_every_fixture_has_its_expectations() -> None:
    assert set(AGENTS) == set(names())
    assert len(post_paths()) == 11


def _on_path(recorded: RecordedRequest, path: str) -> str:
    """``path`` with the recorded request's query string (the browser's ``?api_key=``)."""
    _, sep, query = recorded.path.partition("?")
    return path + sep + query


def _expected_data(name: str, item: dict[str, Any]) -> dict[str, Any]:
    """The event data of one recorded heartbeat, worked out from the request alone."""
    kind = item["type"]
    editor, os = AGENTS[name]

    def text(field: str) -> str | None:
        value = item.get(field)
        # the requests here hold no previous heartbeat of their machine: a placeholder is null
        return None if value in PLACEHOLDER_VALUES or value == "" else value

    category = item.get("category") or ("browsing" if kind in ("url", "domain") else "coding")
    return {
        "file": item["entity"],
        "project": text("project"),
        "language": text("language"),
        "branch": text("branch"),
        "category": category,
        "type": kind,
        "editor": editor,
        "os": os,
    }


def _us(value: float | str) -> int:
    return round(float(value) * US)


def expected_events(beats: list[tuple[int, dict[str, Any]]]) -> list[tuple[int, int, Any]]:
    """(start µs, duration µs, data) of WakaTime's rule, written out independently: a gap
    below the timeout counts for the earlier heartbeat; equal data in a row is one event."""
    beats = sorted(beats, key=lambda b: b[0])
    events: list[list[Any]] = []
    for index, (at, data) in enumerate(beats):
        following = beats[index + 1][0] if index + 1 < len(beats) else None
        gap = following - at if following is not None and following - at < TIMEOUT_US else 0
        previous = beats[index - 1] if index else None
        joins = (
            previous is not None
            and at - previous[0] < TIMEOUT_US
            and previous[1] == data
            and events
        )
        if joins:
            events[-1][1] = at + gap - events[-1][0]
        else:
            events.append([at, gap, data])
    return [(start, length, data) for start, length, data in events]


def _event_tuples(events: list[dict[str, Any]]) -> list[tuple[int, int, Any]]:
    return [
        (
            round(datetime.fromisoformat(e["timestamp"]).timestamp() * US),
            round(e["duration"] * US),
            e["data"],
        )
        for e in events
    ]


def _replay_and_check(srv: WakaServer, recorded: RecordedRequest, path: str) -> None:
    r = srv.replay(recorded, _on_path(recorded, path))
    assert r.status_code == 201, r.text
    items = recorded.heartbeats()
    responses = r.json()["responses"]
    assert [status for _, status in responses] == [201] * len(items)
    machine = recorded.header("X-Machine-Name") or "unknown"
    for item, (result, _) in zip(items, responses, strict=True):
        data = result["data"]
        assert result["error"] is None
        assert data["entity"] == item["entity"] and data["type"] == item["type"]
        assert abs(data["time"] - float(item["time"])) < 1e-6
        assert data["machine_name"] == machine
        assert data["id"]
    assert len({result["data"]["id"] for result, _ in responses}) == len(items)
    # raw: every heartbeat with its own fields
    days = sorted({datetime.fromtimestamp(float(i["time"]), UTC).date() for i in items})
    rows = [
        b
        for day in days
        for b in srv.get(
            "/api/v1/users/current/heartbeats", date=day.isoformat(), timezone="UTC"
        ).json()["data"]
    ]
    assert sorted(b["entity"] for b in rows) == sorted(i["entity"] for i in items)
    assert all(b["machine_name"] == machine for b in rows)
    # the ActivityWatch view
    bucket = srv.buckets()[BUCKET_PREFIX + machine]
    assert (bucket["type"], bucket["client"], bucket["hostname"]) == (
        "app.editor.activity",
        "wakatime",
        machine,
    )
    events = srv.events(machine)
    assert all(set(e["data"]) == DATA_KEYS for e in events)
    beats = [(_us(item["time"]), _expected_data(recorded.name, item)) for item in items]
    assert _event_tuples(events) == expected_events(beats)


@pytest.mark.parametrize("path", post_paths())
@pytest.mark.parametrize("name", names())
def test_every_recorded_request_on_every_path(tmp_path: Path, name: str, path: str) -> None:
    recorded = load(name).rebased(time.time() - 60)
    with waka_server(tmp_path) as srv:
        srv.key(preset="wakatime", secret=FIXTURE_KEY)
        _replay_and_check(srv, recorded, path)


@pytest.mark.parametrize("name", names())
def test_every_recorded_request_on_its_own_path_with_sqlite_and_memory(
    tmp_path: Path, name: str
) -> None:
    recorded = load(name).rebased(time.time() - 60)
    for storage in ("sqlite", "memory"):
        with waka_server(tmp_path, storage=storage, policy="required") as srv:
            srv.key(preset="wakatime", secret=FIXTURE_KEY)
            srv.session.headers.update(basic(FIXTURE_KEY))  # for the reads
            _replay_and_check(srv, recorded, recorded.path.partition("?")[0])


def test_the_go_cli_bulk_of_25_is_answered_in_input_order(tmp_path: Path) -> None:
    recorded = load("go_cli_bulk_25").rebased(time.time() - 60)
    items = recorded.heartbeats()
    assert len(items) == 25
    with waka_server(tmp_path) as srv:
        srv.key(preset="wakatime", secret=FIXTURE_KEY)
        r = srv.replay(recorded)
        responses = r.json()["responses"]
        for item, (result, status) in zip(items, responses, strict=True):
            assert status == 201
            data = result["data"]
            assert (data["entity"], data["lineno"], data["cursorpos"], data["lines"]) == (
                item["entity"],
                item["lineno"],
                item["cursorpos"],
                item["lines"],
            )
            assert data["is_write"] == item.get("is_write")
            assert data["dependencies"] == item.get("dependencies", [])
            assert data["project_root_count"] == 5
            assert (data["editor"], data["operating_system"]) == ("VS Code", "Linux")
        assert len(srv.raw_rows()) == 25
        # today in the Timezone header's zone holds them all
        zone = calm_zone()
        today = srv.request(
            "GET",
            "/api/v1/users/current/statusbar/today",
            headers={**basic(FIXTURE_KEY), "Timezone": zone},
        ).json()
        assert today["data"]["range"]["timezone"] == zone
        events = srv.events("devbox")
        total = sum(e["duration"] for e in events)
        assert today["data"]["grand_total"]["total_seconds"] == pytest.approx(total)


def test_invalid_items_get_a_400_in_their_place_and_the_rest_is_stored(tmp_path: Path) -> None:
    recorded = load("go_cli_bulk_25").rebased(time.time() - 60)
    items: list[Any] = recorded.heartbeats()
    items[3] = {**items[3], "type": "spreadsheet"}
    items[7] = {**items[7], "time": "yesterday"}
    items[20] = "not an object"
    body = orjson.dumps(items).decode()
    with waka_server(tmp_path) as srv:
        srv.key(preset="wakatime", secret=FIXTURE_KEY)
        r = srv.replay(RecordedRequest(**{**recorded.__dict__, "body": body}))
        assert r.status_code == 201, r.text
        statuses = [status for _, status in r.json()["responses"]]
        assert statuses == [400 if i in (3, 7, 20) else 201 for i in range(25)]
        for i in (3, 7, 20):
            result = r.json()["responses"][i][0]
            assert result["data"] is None and isinstance(result["error"], str)
        assert "'type'" in r.json()["responses"][3][0]["error"]
        assert "'time'" in r.json()["responses"][7][0]["error"]
        assert len(srv.raw_rows()) == 22


def test_the_legacy_cli_offline_queue_arrives_newest_first(tmp_path: Path) -> None:
    """The legacy CLI sends its live heartbeat, then the older queued one: the events are those
    of time order."""
    now = time.time() - 60
    live = load("legacy_cli_sync_live")
    queued = load("legacy_cli_sync_queued")
    shift = now - live.latest_time()
    live, queued = live.rebased(now), queued.rebased(queued.latest_time() + shift)
    with waka_server(tmp_path) as srv:
        srv.key(preset="wakatime", secret=FIXTURE_KEY)
        assert srv.replay(live).status_code == 201
        assert srv.replay(queued).status_code == 201
        beats = [
            (_us(item["time"]), _expected_data(r.name, item))
            for r in (live, queued)
            for item in r.heartbeats()
        ]
        assert _event_tuples(srv.events("devbox")) == expected_events(beats)
        assert srv.events("devbox")[0]["duration"] > 0


def test_a_utf8_machine_name_makes_its_own_bucket(tmp_path: Path) -> None:
    recorded = load("legacy_cli_utf8_machine")
    with waka_server(tmp_path) as srv:
        srv.key(preset="wakatime", secret=FIXTURE_KEY)
        assert srv.replay(recorded.rebased(time.time() - 90)).status_code == 201
        assert srv.replay(recorded.rebased(time.time() - 60)).status_code == 201
        assert srv.buckets()[f"{BUCKET_PREFIX}café-laptop"]["hostname"] == "café-laptop"
        summaries = srv.get("/api/v1/users/current/summaries", range="today", timezone=calm_zone())
        assert [m["name"] for m in summaries.json()["data"][0]["machines"]] == ["café-laptop"]


# --- the read APIs ---------------------------------------------------------------------------


def calm_zone() -> str:
    """A zone whose local time is not within an hour of midnight now: "today" holds the last
    minutes in it."""
    return "UTC" if 1 <= datetime.now(UTC).hour <= 22 else "Asia/Tokyo"


def _yesterday_noon(zone: str) -> float:
    """Noon yesterday in ``zone``: heartbeats around it stay within that day."""
    tz = ZoneInfo(zone)
    day = datetime.now(tz).date() - timedelta(days=1)
    return datetime(day.year, day.month, day.day, 12, tzinfo=tz).timestamp()


def _seed(srv: WakaServer, at: float) -> None:
    """Ten minutes of work on two machines, two projects, two languages, two categories."""
    srv.send(
        [
            heartbeat(at, "/p/a.py"),
            heartbeat(at + 60, "/p/a.py", category="debugging"),
            heartbeat(at + 120, "/p/b.rs", project="rusty", language="Rust"),
            heartbeat(at + 300, "/p/b.rs", project="rusty", language="Rust"),
        ]
    )
    srv.send(
        [
            heartbeat(at + 30, "/q/c.py", user_agent=MAC_VIM),
            heartbeat(at + 90, "/q/c.py", user_agent=MAC_VIM),
        ],
        "laptop",
    )


def _names(entries: list[dict[str, Any]]) -> dict[str, float]:
    return {e["name"]: e["total_seconds"] for e in entries}


@pytest.mark.parametrize("prefix", READ_PREFIXES)
def test_statusbar_today_as_the_go_cli_prints_it(tmp_path: Path, prefix: str) -> None:
    """``wakatime-cli --today`` prints ``data.grand_total.text``, or each category's
    ``"<text> <name>"`` when there are several."""
    with waka_server(tmp_path, timezone=calm_zone()) as srv:
        now = time.time() - 300
        srv.send(
            [
                heartbeat(now),
                heartbeat(now + 125, category="debugging"),
                heartbeat(now + 250, category="debugging"),
            ]
        )
        r = srv.get(f"{prefix}/users/current/statusbar/today")
        assert r.status_code == 200, r.text
        data = r.json()["data"]
        assert data["grand_total"]["text"] == "4 mins"
        assert data["grand_total"]["total_seconds"] == 250.0
        assert [(c["name"], c["text"]) for c in data["categories"]] == [
            ("Coding", "2 mins"),
            ("Debugging", "2 mins"),
        ]
        assert r.json()["cached_at"].endswith("Z")


@pytest.mark.parametrize("prefix", READ_PREFIXES)
def test_summaries_of_ranges_and_of_start_and_end(tmp_path: Path, prefix: str) -> None:
    zone = "UTC"
    with waka_server(tmp_path, timezone=zone) as srv:
        _seed(srv, _yesterday_noon(zone))
        path = f"{prefix}/users/current/summaries"
        today = datetime.now(ZoneInfo(zone)).date()
        yesterday = today - timedelta(days=1)
        # 300 s on devbox (60 + 60 + 180), 60 s on laptop
        for params, days, total in [
            ({"range": "today"}, [today], 0.0),
            ({"range": "yesterday"}, [yesterday], 360.0),
            ({"range": "last_7_days"}, [today - timedelta(days=6 - i) for i in range(7)], 360.0),
            ({"range": "Last 30 Days"}, [today - timedelta(days=29 - i) for i in range(30)], 360.0),
            ({"start": str(yesterday), "end": str(yesterday)}, [yesterday], 360.0),
            ({"start": str(yesterday), "end": str(today)}, [yesterday, today], 360.0),
            ({"start": str(today), "end": str(today)}, [today], 0.0),
        ]:
            r = srv.get(path, **params)
            assert r.status_code == 200, (params, r.text)
            body = r.json()
            assert [d["range"]["date"] for d in body["data"]] == [str(d) for d in days], params
            assert body["cumulative_total"]["seconds"] == total, params
        day = srv.get(path, range="yesterday").json()["data"][0]
        assert _names(day["projects"]) == {"proj": 180.0, "rusty": 180.0}
        assert _names(day["languages"]) == {"Python": 180.0, "Rust": 180.0}
        assert _names(day["machines"]) == {"devbox": 300.0, "laptop": 60.0}
        assert _names(day["editors"]) == {"VS Code": 300.0, "Vim": 60.0}
        assert _names(day["operating_systems"]) == {"Linux": 300.0, "macOS": 60.0}
        assert _names(day["categories"]) == {"Coding": 300.0, "Debugging": 60.0}
        assert day["grand_total"]["text"] == "6 mins"


@pytest.mark.parametrize(
    ("name", "value", "total"),
    [
        ("project", "rusty", 180.0),
        ("project", "proj", 180.0),
        ("language", "Rust", 180.0),
        ("editor", "Vim", 60.0),
        ("operating_system", "macOS", 60.0),
        ("operating_system", "Linux", 300.0),
        ("machine", "laptop", 60.0),
        ("machine", "devbox", 300.0),
        ("project", "nothing-like-it", 0.0),
    ],
)
def test_summaries_filters(tmp_path: Path, name: str, value: str, total: float) -> None:
    with waka_server(tmp_path, timezone="UTC") as srv:
        _seed(srv, _yesterday_noon("UTC"))
        r = srv.get("/api/v1/users/current/summaries", range="yesterday", **{name: value})
        assert r.status_code == 200, r.text
        day = r.json()["data"][0]
        assert day["grand_total"]["total_seconds"] == total
        if total:
            field = {"operating_system": "operating_systems"}.get(name, name + "s")
            field = "machines" if name == "machine" else field
            assert list(_names(day[field])) == [value]


def test_summaries_with_two_filters(tmp_path: Path) -> None:
    with waka_server(tmp_path, timezone="UTC") as srv:
        _seed(srv, _yesterday_noon("UTC"))
        r = srv.get(
            "/api/v1/users/current/summaries",
            range="yesterday",
            language="Python",
            machine="devbox",
        )
        assert r.json()["data"][0]["grand_total"]["total_seconds"] == 120.0


@pytest.mark.parametrize("prefix", READ_PREFIXES)
def test_heartbeats_of_a_day(tmp_path: Path, prefix: str) -> None:
    zone = calm_zone()
    with waka_server(tmp_path, timezone=zone) as srv:
        _seed(srv, _yesterday_noon(zone))
        srv.send([heartbeat(time.time() - 60, "/today.py")])
        day = (datetime.now(ZoneInfo(zone)).date() - timedelta(days=1)).isoformat()
        r = srv.get(f"{prefix}/users/current/heartbeats", date=day)
        assert r.status_code == 200, r.text
        data = r.json()["data"]
        assert len(data) == 6
        assert [b["time"] for b in data] == sorted(b["time"] for b in data)
        assert {b["machine_name"] for b in data} == {"devbox", "laptop"}
        assert "/today.py" not in {b["entity"] for b in data}
        today = srv.get(f"{prefix}/users/current/heartbeats", date="today")
        assert [b["entity"] for b in today.json()["data"]] == ["/today.py"]
        # another zone's day: the same instants fall on other dates
        other = "Pacific/Kiritimati" if zone == "UTC" else "UTC"
        r = srv.get(f"{prefix}/users/current/heartbeats", date=day, timezone=other)
        assert r.json()["timezone"] == other


@pytest.mark.parametrize("prefix", READ_PREFIXES)
def test_projects_all_time_and_stats(tmp_path: Path, prefix: str) -> None:
    with waka_server(tmp_path, timezone="UTC") as srv:
        _seed(srv, _yesterday_noon("UTC"))
        users = f"{prefix}/users/current"
        projects = srv.get(f"{users}/projects").json()["data"]
        assert sorted(p["name"] for p in projects) == ["proj", "rusty"]
        all_time = srv.get(f"{users}/all_time_since_today").json()["data"]
        assert all_time["total_seconds"] == 360.0 and all_time["text"] == "6 mins"
        for path in ("stats", "stats/last_7_days", "stats/last_30_days"):
            stats = srv.get(f"{users}/{path}")
            assert stats.status_code == 200, stats.text
            assert stats.json()["data"]["total_seconds"] == 360.0
            assert _names(stats.json()["data"]["projects"]) == {"proj": 180.0, "rusty": 180.0}
        assert srv.get(f"{users}/stats/today").json()["data"]["total_seconds"] == 0.0


@pytest.mark.parametrize("prefix", READ_PREFIXES)
def test_goals_are_a_json_404(tmp_path: Path, prefix: str) -> None:
    with waka_server(tmp_path) as srv:
        r = srv.get(f"{prefix}/users/current/goals/0b1c2d")
        assert r.status_code == 404
        assert r.headers["Content-Type"].startswith("application/json")
        assert r.json()["code"] == "not_found" and r.json()["message"]


@pytest.mark.parametrize("prefix", READ_PREFIXES)
def test_plugin_errors_are_accepted_and_logged(
    tmp_path: Path, prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    report = {"message": "wakatime-cli crashed", "traceback": "line 1\nline 2"}
    with waka_server(tmp_path) as srv, caplog.at_level(logging.INFO):
        r = srv.post(f"{prefix}/plugins/errors", report)
        assert r.status_code == 201, r.text
        assert r.json() == {}
    assert any("wakatime-cli crashed" in rec.getMessage() for rec in caplog.records)


def _get_paths(user: str) -> list[str]:
    """Every GET route, with ``<user>`` filled in and a range/goal id where needed."""
    return [
        "/api"
        + r.path.replace("<user>", user).replace("<range_name>", "today").replace("<goal_id>", "g")
        for r in ROUTES
        if r.method == "GET"
    ]


def test_another_user_is_a_404_on_every_path(tmp_path: Path) -> None:
    with waka_server(tmp_path) as srv:
        before = srv.state()
        for path in _get_paths("someone-else"):
            r = srv.get(path)
            assert r.status_code == 404, (path, r.text)
            assert "someone-else" in r.json()["message"]
        for path in post_paths("someone-else"):
            if "someone-else" not in path:
                continue
            r = srv.post(path, [heartbeat(time.time() - 60)], headers={"X-Machine-Name": "x"})
            assert r.status_code == 404, (path, r.text)
        assert srv.state() == before


def test_the_keys_name_is_the_user_too(tmp_path: Path) -> None:
    with waka_server(tmp_path, policy="required") as srv:
        _, secret = srv.ring.create("ann", preset="wakatime")
        headers = basic(secret)
        r = srv.request(
            "POST",
            "/api/v1/users/ann/heartbeats.bulk",
            body=[heartbeat(time.time() - 60)],
            headers={**headers, "X-Machine-Name": "devbox"},
        )
        assert r.status_code == 201, r.text
        for path in _get_paths("ann"):
            r = srv.request(
                "GET", path, headers=headers, params={"date": "today", "range": "today"}
            )
            assert r.status_code == (404 if "goals" in path else 200), (path, r.text)
        r = srv.request("GET", "/api/v1/users/bob/statusbar/today", headers=headers)
        assert r.status_code == 404
