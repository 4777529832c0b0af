"""WakaTime's duration rule through a live server: the events of the machine buckets, the
timeout setting, the read APIs' totals against those events, days cut at midnight of the
requested time zone, and answers that include a heartbeat the moment it is stored."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from aw_core.config import ConfigError
from aw_server.config import load_config
from aw_server.wakatime.config import wakatime_config_from_document
from tests.test_cli import write_config
from tests.test_startup_errors import assert_refused
from tests.test_wakatime_order import recorded_day, send_in_order
from tests.test_wakatime_support import WakaServer, heartbeat, waka_server

US = 1_000_000


def _events(
    srv: WakaServer, base: float, machine: str = "devbox"
) -> list[tuple[float, float, str]]:
    """(start offset from ``base`` in s, duration in s, file) of the machine's events."""
    return [
        (
            round(datetime.fromisoformat(e["timestamp"]).timestamp() - base, 3),
            round(e["duration"], 3),
            e["data"]["file"],
        )
        for e in srv.events(machine)
    ]


# (offset in s, file) of heartbeats -> (start offset, duration, file) of the events, timeout 600
RULE_CASES: dict[str, tuple[list[tuple[float, str]], list[tuple[float, float, str]]]] = {
    "a lone heartbeat is 0 s": ([(0, "a")], [(0, 0, "a")]),
    "equal data in a row is one event": (
        [(0, "a"), (30, "a"), (90, "a")],
        [(0, 90, "a")],
    ),
    "the gap counts for the earlier heartbeat": (
        [(0, "a"), (30, "b"), (100, "a")],
        [(0, 30, "a"), (30, 70, "b"), (100, 0, "a")],
    ),
    "a gap of the timeout ends the heartbeat": (
        [(0, "a"), (600, "a")],
        [(0, 0, "a"), (600, 0, "a")],
    ),
    "a gap just below the timeout counts": (
        [(0, "a"), (599.999, "a")],
        [(0, 599.999, "a")],
    ),
    "a break splits equal data": (
        [(0, "a"), (60, "a"), (2000, "a"), (2010, "a")],
        [(0, 60, "a"), (2000, 10, "a")],
    ),
    "the last heartbeat before a break adds 0 s": (
        [(0, "a"), (60, "b"), (1000, "b")],
        [(0, 60, "a"), (60, 0, "b"), (1000, 0, "b")],
    ),
}


@pytest.mark.parametrize("case", list(RULE_CASES))
def test_the_duration_rule(tmp_path: Path, case: str) -> None:
    beats, expected = RULE_CASES[case]
    base = round(time.time() - 3000)
    with waka_server(tmp_path) as srv:
        srv.send([heartbeat(base + at, f"/{name}.py") for at, name in beats])
        assert _events(srv, base) == [(s, d, f"/{n}.py") for s, d, n in expected]


def test_volatile_fields_do_not_split_an_event(tmp_path: Path) -> None:
    base = round(time.time() - 3000)
    with waka_server(tmp_path) as srv:
        srv.send(
            [
                heartbeat(base, lineno=1, cursorpos=3, lines=10),
                heartbeat(base + 20, lineno=5, is_write=True, dependencies=["x"]),
                heartbeat(base + 40, line_additions=3, line_deletions=1, project_root_count=2),
            ]
        )
        assert _events(srv, base) == [(0, 40, "/home/ann/proj/a.py")]


@pytest.mark.parametrize(("gap", "counts"), [(59.5, True), (60, False), (61, False)])
def test_the_configured_timeout_is_honoured(tmp_path: Path, gap: float, counts: bool) -> None:
    base = round(time.time() - 3000)
    with waka_server(tmp_path, timeout=60) as srv:
        srv.send([heartbeat(base), heartbeat(base + gap)])
        expected = (
            [(0, gap, "/home/ann/proj/a.py")]
            if counts
            else [
                (0, 0, "/home/ann/proj/a.py"),
                (gap, 0, "/home/ann/proj/a.py"),
            ]
        )
        assert _events(srv, base) == expected
        stats = srv.get("/api/v1/users/current/all_time_since_today").json()["data"]
        assert stats["timeout"] == 1 and stats["total_seconds"] == (gap if counts else 0)


def test_a_long_timeout_counts_long_gaps(tmp_path: Path) -> None:
    base = round(time.time() - 7200)
    with waka_server(tmp_path, timeout=3600) as srv:
        srv.send([heartbeat(base), heartbeat(base + 3000), heartbeat(base + 6600)])
        assert _events(srv, base) == [
            (0, 3000, "/home/ann/proj/a.py"),
            (6600, 0, "/home/ann/proj/a.py"),
        ]


@pytest.mark.parametrize("timeout", [60, 3600])
def test_the_timeout_range_is_accepted(tmp_path: Path, timeout: int) -> None:
    path = tmp_path / "aw-server.toml"
    path.write_text(f"[wakatime]\ntimeout = {timeout}\n")
    assert load_config(False, path).wakatime.timeout == timeout


@pytest.mark.parametrize("value", ["59", "3601", "0", "-600", '"600"', "600.5", "true"])
def test_a_timeout_outside_the_range_is_refused(value: str) -> None:
    import tomllib

    with pytest.raises(ConfigError, match=r"\[wakatime\] timeout"):
        wakatime_config_from_document(tomllib.loads(f"[wakatime]\ntimeout = {value}\n"))


def test_the_server_refuses_to_start_with_a_bad_timeout(isolated_dirs: dict[str, str]) -> None:
    write_config(isolated_dirs, "[wakatime]\ntimeout = 30\n")
    line = assert_refused(isolated_dirs)
    assert "[wakatime] timeout must be 60 to 3600 seconds" in line


# --- totals against the events ---------------------------------------------------------------


def _clipped(events: list[dict[str, Any]], lo: float, hi: float) -> float:
    total = 0.0
    for e in events:
        start = datetime.fromisoformat(e["timestamp"]).timestamp()
        end = start + e["duration"]
        total += max(0.0, min(end, hi) - max(start, lo))
    return total


def _midnight(day: date, zone: ZoneInfo) -> float:
    return datetime(day.year, day.month, day.day, tzinfo=zone).timestamp()


@pytest.mark.parametrize("zone", ["Europe/Berlin", "America/New_York", "Asia/Kolkata"])
def test_summaries_total_the_events_of_each_day(tmp_path: Path, zone: str) -> None:
    day = recorded_day(11)
    tz = ZoneInfo(zone)
    with waka_server(tmp_path) as srv:
        send_in_order(srv, day)
        today = datetime.now(tz).date()
        first = today - timedelta(days=2)
        r = srv.get(
            "/api/v1/users/current/summaries",
            start=first.isoformat(),
            end=today.isoformat(),
            timezone=zone,
        )
        assert r.status_code == 200, r.text
        events = {m: srv.events(m) for m in day}
        cumulative = 0.0
        for summary in r.json()["data"]:
            current = date.fromisoformat(summary["range"]["date"])
            lo, hi = _midnight(current, tz), _midnight(current + timedelta(days=1), tz)
            expected = {m: _clipped(e, lo, hi) for m, e in events.items()}
            assert summary["grand_total"]["total_seconds"] == pytest.approx(
                sum(expected.values()), abs=1e-3
            )
            machines = {m["name"]: m["total_seconds"] for m in summary["machines"]}
            assert machines == pytest.approx({m: t for m, t in expected.items() if t}, abs=1e-3)
            cumulative += sum(expected.values())
        assert cumulative > 3600
        assert r.json()["cumulative_total"]["seconds"] == pytest.approx(cumulative, abs=1e-3)


# --- midnight of the requested zone ----------------------------------------------------------

TOKYO = ZoneInfo("Asia/Tokyo")  # no DST: its midnight is 15:00 UTC the day before


def _around_midnight(srv: WakaServer) -> date:
    """Heartbeats from 300 s before to 200 s after the Tokyo midnight that began yesterday
    there (both sides in the past): 300 s before it, 200 s after. Returns that day."""
    day = datetime.now(TOKYO).date() - timedelta(days=1)
    midnight = _midnight(day, TOKYO)
    srv.send([heartbeat(midnight + offset) for offset in (-300, -200, -100, 100, 200)])
    return day


def _split(
    srv: WakaServer, day: date, headers: dict[str, str] | None = None, **params: str
) -> list[float]:
    r = srv.request(
        "GET",
        "/api/v1/users/current/summaries",
        params={"start": str(day - timedelta(days=1)), "end": str(day), **params},
        headers=headers,
    )
    assert r.status_code == 200, r.text
    return [d["grand_total"]["total_seconds"] for d in r.json()["data"]]


def test_days_are_cut_at_midnight_of_the_timezone_parameter(tmp_path: Path) -> None:
    with waka_server(tmp_path, timezone="UTC") as srv:
        day = _around_midnight(srv)
        assert _split(srv, day, timezone="Asia/Tokyo") == [300.0, 200.0]
        # in UTC that midnight is 15:00 of the day before: all of it on one day
        assert _split(srv, day, timezone="UTC") == [500.0, 0.0]
        # the event is not cut: the bucket keeps one event over midnight
        assert [e["duration"] for e in srv.events("devbox")] == [500.0]


def test_the_timezone_header_is_used_without_a_parameter(tmp_path: Path) -> None:
    with waka_server(tmp_path, timezone="UTC") as srv:
        day = _around_midnight(srv)
        assert _split(srv, day, {"Timezone": "Asia/Tokyo"}) == [300.0, 200.0]
        # the parameter wins over the header
        assert _split(srv, day, {"Timezone": "Asia/Tokyo"}, timezone="UTC") == [500.0, 0.0]


def test_the_server_timezone_is_used_without_either(tmp_path: Path) -> None:
    with waka_server(tmp_path, timezone="Asia/Tokyo") as srv:
        day = _around_midnight(srv)
        assert _split(srv, day) == [300.0, 200.0]
        assert _split(srv, day, {"Timezone": "UTC"}) == [500.0, 0.0]


def test_the_systems_zone_is_used_without_any_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    with waka_server(tmp_path) as srv:
        day = _around_midnight(srv)
        assert _split(srv, day) == [300.0, 200.0]
        today = srv.get("/api/v1/users/current/statusbar/today").json()
        assert today["data"]["range"]["timezone"] == "Asia/Tokyo"


@pytest.mark.parametrize("bad", ["Mars/Olympus", " ", "../../etc/passwd", "UTC\x00", "x" * 5000])
def test_an_unknown_timezone_is_a_400(tmp_path: Path, bad: str) -> None:
    with waka_server(tmp_path) as srv:
        for path in ("summaries", "statusbar/today", "stats/today", "heartbeats"):
            r = srv.get(f"/api/v1/users/current/{path}", range="today", date="today", timezone=bad)
            assert r.status_code == 400, r.text
            assert "time zone" in r.json()["message"]
            if bad != bad.strip() or "\x00" in bad:
                continue  # no HTTP client sends such a header
            r = srv.request(
                "GET",
                f"/api/v1/users/current/{path}",
                params={"range": "today", "date": "today"},
                headers={"Timezone": bad},
            )
            assert r.status_code == 400, r.text


def test_an_empty_timezone_parameter_is_no_choice(tmp_path: Path) -> None:
    with waka_server(tmp_path, timezone="Asia/Tokyo") as srv:
        r = srv.get("/api/v1/users/current/statusbar/today", timezone="")
        assert r.json()["data"]["range"]["timezone"] == "Asia/Tokyo"


# --- fresh answers ---------------------------------------------------------------------------


def test_every_answer_includes_the_heartbeat_just_stored(tmp_path: Path) -> None:
    """No read API serves a total computed before the last heartbeat: each one is asked right
    after each heartbeat, late ones included."""
    zone = "UTC" if 1 <= datetime.now(UTC).hour <= 22 else "Asia/Tokyo"
    base = round(time.time() - 1200)
    offsets = [0, 100, 200, 50, 400]  # 50 arrives late, between 0 and 100
    with waka_server(tmp_path, timezone=zone) as srv:
        sent: list[int] = []
        for offset in offsets:
            srv.send([heartbeat(base + offset)])
            sent.append(offset)
            ordered = sorted(sent)
            total = float(ordered[-1] - ordered[0])
            users = "/api/v1/users/current"
            assert (
                srv.get(f"{users}/statusbar/today").json()["data"]["grand_total"]["total_seconds"]
                == total
            )
            assert (
                srv.get(f"{users}/summaries", range="today").json()["cumulative_total"]["seconds"]
                == total
            )
            assert srv.get(f"{users}/stats/today").json()["data"]["total_seconds"] == total
            assert srv.get(f"{users}/all_time_since_today").json()["data"]["total_seconds"] == total
            assert len(srv.get(f"{users}/heartbeats", date="today").json()["data"]) == len(sent)
            assert sum(e["duration"] for e in srv.events("devbox")) == total
