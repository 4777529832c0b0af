"""The per-day totals cache: served while nothing changes, dropped by the change feed."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from aw_server.changes import Change
from aw_server.wakatime.daycache import DayCache
from aw_server.wakatime.summaries import DayTotals
from tests.conftest import Api

DAY = date(2026, 11, 1)
START = int(datetime(2026, 11, 1, tzinfo=UTC).timestamp() * 1_000_000)
END = START + 86_400_000_000


def totals(day: date = DAY, total: int = 5) -> DayTotals:
    return DayTotals(day, START, END, total, {})


def test_a_change_in_the_day_drops_it_and_others_do_not() -> None:
    cache = DayCache()
    cache.put("m", "UTC", [totals()], cache.mark("m"))
    assert cache.get("m", "UTC", DAY) is not None
    cache.on_changes([Change("aw-watcher-wakatime_other", START, END)])  # another machine
    cache.on_changes([Change("aw-watcher-window_m", START, END)])  # not a WakaTime bucket
    cache.on_changes([Change("aw-watcher-wakatime_m", END + 1, END + 5)])  # another day
    assert cache.get("m", "UTC", DAY) is not None
    cache.on_changes([Change("aw-watcher-wakatime_m", END - 1, END + 5)])
    assert cache.get("m", "UTC", DAY) is None
    cache.put("m", "UTC", [totals()], cache.mark("m"))
    cache.on_changes([Change(None)])
    assert cache.get("m", "UTC", DAY) is None


def test_a_result_computed_across_a_change_is_not_kept() -> None:
    cache = DayCache()
    since = cache.mark("m")
    cache.on_changes([Change("aw-watcher-wakatime_m", 0, 1)])  # committed while computing
    cache.put("m", "UTC", [totals()], since)
    assert cache.get("m", "UTC", DAY) is None


def test_a_late_heartbeat_into_a_summarised_day_shows_at_once(api: Api) -> None:
    """Summaries of a past day are cached; an offline queue delivering into that day later
    must change the next answer."""
    day = (datetime.now(UTC) - timedelta(days=3)).replace(hour=12, minute=0, second=0)
    base = day.timestamp()
    url = f"{api.base}/api/v1/users/current"
    headers = {"X-Machine-Name": "devbox"}

    def post(*offsets: float) -> None:
        body = [
            {"entity": "/a.py", "type": "file", "time": base + o, "project": "p"} for o in offsets
        ]
        r = api.session.post(f"{url}/heartbeats.bulk", json=body, headers=headers, timeout=10)
        assert r.status_code == 201, r.text

    def total() -> float:
        params = {"start": day.date().isoformat(), "end": day.date().isoformat(), "timezone": "UTC"}
        r = api.session.get(f"{url}/summaries", params=params, timeout=10)
        return float(r.json()["cumulative_total"]["seconds"])

    post(0, 60)
    assert total() == 60.0
    assert total() == 60.0  # served again (from the cache)
    post(120, 180)  # arrives later, into the same past day
    assert total() == 180.0
    post(30)  # between two heartbeats already there: no change in total
    assert total() == 180.0
    post(600 + 180)  # beyond the timeout from the last one: adds nothing, ends nothing
    assert total() == 180.0
