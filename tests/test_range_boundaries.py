"""Range bounds are inclusive, as in both official servers.

An event is in ``[start, end]`` when it starts at or before ``end`` and ends at or after
``start``: one that ends exactly at ``start`` or starts exactly at ``end`` is in it, cut to zero
length, so totals do not change. This holds for GET events, events/count and query2 periods, on
both storages, and with only one bound given.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aw_core.models import Bucket, Event
from aw_server.service import Service
from aw_server.storage import SqliteStorage, Storage
from tests.conftest import Api, ev

S = datetime(2024, 1, 1, 12, tzinfo=UTC)  # the range's start
E = S + timedelta(minutes=10)  # and its end
US = timedelta(microseconds=1)

# name -> (start, duration): every way an event can sit at a bound
AROUND = {
    "ends_before": (S - timedelta(seconds=10), timedelta(seconds=10) - US),
    "ends_at_start": (S - timedelta(seconds=10), timedelta(seconds=10)),
    "zero_at_start": (S, timedelta(0)),
    "inside": (S + timedelta(seconds=1), timedelta(seconds=1)),
    "zero_at_end": (E, timedelta(0)),
    "starts_at_end": (E, timedelta(seconds=10)),
    "starts_after": (E + US, timedelta(seconds=10)),
}


def fill(storage: Storage) -> None:
    storage.create_bucket(Bucket("b", "type", "client", "host", S))
    storage.insert_events(
        "b",
        [Event(timestamp=ts, duration=d, data={"n": name}) for name, (ts, d) in AROUND.items()],
    )


def names(events: list[Event]) -> list[str]:
    return [str(e.data["n"]) for e in events]


def cut(events: list[Event]) -> list[tuple[str, datetime, float]]:
    return [(str(e.data["n"]), e.timestamp, e.duration.total_seconds()) for e in events]


def cut_json(texts: Iterable[str]) -> list[tuple[str, datetime, float]]:
    events = [json.loads(t) for t in texts]
    return [(e["data"]["n"], datetime.fromisoformat(e["timestamp"]), e["duration"]) for e in events]


# -- the storage contract, on both storages ---------------------------------------------------


def test_events_touching_either_bound_are_in_range(storage: Storage) -> None:
    fill(storage)
    in_range = ["starts_at_end", "zero_at_end", "inside", "zero_at_start", "ends_at_start"]
    assert names(storage.get_events("b", S, E)) == in_range  # newest first
    assert storage.get_events("b", S, E)[-1].duration == timedelta(seconds=10)  # unclipped
    assert storage.count_events("b", S, E) == 5
    clipped = [
        ("starts_at_end", E, 0.0),
        ("zero_at_end", E, 0.0),
        ("inside", S + timedelta(seconds=1), 1.0),
        ("zero_at_start", S, 0.0),
        ("ends_at_start", S, 0.0),
    ]
    assert cut(storage.clipped_events("b", S, E)) == clipped
    assert cut_json(storage.events_json("b", S, E)) == clipped
    assert cut_json(storage.events_json("b", S, E, 2)) == clipped[:2]


def test_one_sided_ranges_are_inclusive_on_their_side(storage: Storage) -> None:
    fill(storage)
    after_start = names(storage.get_events("b", S, None))
    assert after_start == [
        "starts_after",
        "starts_at_end",
        "zero_at_end",
        "inside",
        "zero_at_start",
        "ends_at_start",
    ]
    assert storage.count_events("b", S, None) == 6
    assert cut_json(storage.events_json("b", S, None))[-1] == ("ends_at_start", S, 0.0)

    before_end = names(storage.get_events("b", None, E))
    assert before_end == [
        "starts_at_end",
        "zero_at_end",
        "inside",
        "zero_at_start",
        "ends_at_start",
        "ends_before",
    ]
    assert storage.count_events("b", None, E) == 6
    assert cut_json(storage.events_json("b", None, E))[0] == ("starts_at_end", E, 0.0)


def test_a_zero_length_range_holds_what_touches_it(storage: Storage) -> None:
    fill(storage)
    assert cut(storage.clipped_events("b", S, S)) == [
        ("zero_at_start", S, 0.0),
        ("ends_at_start", S, 0.0),
    ]
    assert storage.count_events("b", E, E) == 2


def test_the_longest_event_ending_exactly_at_start_is_found(storage: Storage) -> None:
    """SQLite scans from ``start - longest duration``: that bound must be inclusive too."""
    storage.create_bucket(Bucket("b", "type", "client", "host", S))
    long_start = S - timedelta(hours=5)
    (long,) = storage.insert_events(
        "b", [Event(timestamp=long_start, duration=3600, data={"n": "long"})]
    )
    storage.insert_events(
        "b", [Event(timestamp=S + timedelta(seconds=i), duration=1, data={"n": i}) for i in (1, 2)]
    )
    one_hour_in = long_start + timedelta(hours=1)  # the long event ends exactly here
    assert storage.count_events("b", one_hour_in, E) == 3
    assert storage.count_events("b", one_hour_in + US, E) == 2
    assert storage.replace_event("b", long.replace(duration=timedelta(hours=5)))  # ends at S now
    assert cut(storage.clipped_events("b", S, E))[-1] == ("long", S, 0.0)
    assert storage.count_events("b", S, E) == 3


def test_sqlite_range_reads_scan_the_index_from_a_lower_bound(tmp_path: Path) -> None:
    store = SqliteStorage(tmp_path / "plan.sqlite")
    fill(store)
    conn = store.db.connection()
    statements: list[str] = []
    conn.set_trace_callback(statements.append)  # the SQL as run, parameters filled in
    store.get_events("b", S, E)
    store.count_events("b", S, E)
    store.clipped_events("b", S, E)
    list(store.events_json("b", S, E, 10))
    store.get_events("b", S, None)
    conn.set_trace_callback(None)
    reads = [sql for sql in statements if "FROM events" in sql]
    assert len(reads) == 5
    (index,) = [
        row[0]
        for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events'"
        )
    ]
    for sql in reads:
        plan = " ".join(str(row[-1]) for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}"))
        assert f"INDEX {index} (bucket_pk=? AND start_us>?" in plan, (sql, plan)
        assert "TEMP B-TREE" not in plan and "SCAN" not in plan, (sql, plan)
    store.close()


# -- through a live server ----------------------------------------------------------------------

JS_BUCKET = "aw-client-js-test"
JS_DAY = "2022-01-01T00:00:00.000Z/2022-01-02T00:00:00.000Z"  # as aw-client-js writes periods


def js_heartbeats(api: Api) -> None:
    """aw-client-js 0.4.1's "Query" test: zero-length heartbeats at three midnights (UTC)."""
    api.create_bucket(JS_BUCKET)
    for day in (1, 2, 3):
        hb = ev(f"2022-01-0{day}T00:00:00.000Z", 0, {"label": "this is a test label"})
        r = api.post(f"buckets/{JS_BUCKET}/heartbeat", hb, params={"pulsetime": 5})
        assert r.status_code == 200, r.text


def run_query(api: Api, lines: list[str], periods: list[str]) -> list[Any]:
    r = api.post("query/", {"query": lines, "timeperiods": periods})
    assert r.status_code == 200, r.text
    result: list[Any] = r.json()
    return result


def test_aw_client_js_query_gets_both_midnight_events(api: Api) -> None:
    js_heartbeats(api)
    program = [f'events = query_bucket("{JS_BUCKET}");', "RETURN = events;"]
    (events,) = run_query(api, program, [JS_DAY])
    assert [(e["timestamp"], e["duration"]) for e in events] == [
        ("2022-01-02T00:00:00+00:00", 0.0),
        ("2022-01-01T00:00:00+00:00", 0.0),
    ]
    assert all(e["data"] == {"label": "this is a test label"} for e in events)
    count = [f'RETURN = query_bucket_eventcount("{JS_BUCKET}");']
    assert run_query(api, count, [JS_DAY]) == [2]


def test_a_zero_length_period_holds_the_event_at_that_instant(api: Api) -> None:
    """Earlier aw-client-js releases query the period ``t/t`` for a heartbeat sent at ``t``."""
    t = "2016-08-09T14:35:10.363000+00:00"
    api.create_bucket(JS_BUCKET)
    api.post(f"buckets/{JS_BUCKET}/heartbeat", ev(t, 0, {"label": "x"}), params={"pulsetime": 5})
    (events,) = run_query(api, [f'RETURN = query_bucket("{JS_BUCKET}");'], [f"{t}/{t}"])
    assert [(e["timestamp"], e["data"]) for e in events] == [(t, {"label": "x"})]


def test_aw_client_js_events_and_count_include_both_midnights(api: Api) -> None:
    js_heartbeats(api)
    bounds = {"start": "2022-01-01T00:00:00.000Z", "end": "2022-01-02T00:00:00.000Z"}
    r = api.get(f"buckets/{JS_BUCKET}/events", params=bounds)
    assert r.status_code == 200
    assert [e["timestamp"] for e in r.json()] == [
        "2022-01-02T00:00:00+00:00",
        "2022-01-01T00:00:00+00:00",
    ]
    assert api.get(f"buckets/{JS_BUCKET}/events/count", params=bounds).json() == 2
    only_start = api.get(f"buckets/{JS_BUCKET}/events/count", params={"start": bounds["end"]})
    assert only_start.json() == 2  # the midnights of the 2nd and the 3rd
    only_end = api.get(f"buckets/{JS_BUCKET}/events/count", params={"end": bounds["start"]})
    assert only_end.json() == 1


def test_events_at_midnight_count_in_both_days_and_totals_do_not_change(
    storage: Storage,
) -> None:
    service = Service(storage, testing=True, device_id="x", version="test")
    storage.create_bucket(Bucket("w", "type", "client", "host", S))
    midnight = datetime(2024, 1, 2, tzinfo=UTC)
    storage.insert_events(
        "w",
        [
            Event(timestamp=midnight - timedelta(seconds=60), duration=60),  # ends at midnight
            Event(timestamp=midnight, duration=30),  # starts at midnight
        ],
    )
    days = [
        "2024-01-01T00:00:00+00:00/2024-01-02T00:00:00+00:00",
        "2024-01-02T00:00:00+00:00/2024-01-03T00:00:00+00:00",
    ]

    def per_day(line: str) -> list[object]:
        result: list[object] = json.loads(service.query({"query": [line], "timeperiods": days}))
        return result

    assert per_day('RETURN = query_bucket_eventcount("w");') == [2, 2]
    assert per_day('RETURN = sum_durations(query_bucket("w"));') == [60.0, 30.0]  # 90 s in all
