from __future__ import annotations

import pytest

from tests.conftest import Api, ev

DAY = "2024-01-01T00:00:00Z/2024-01-02T00:00:00Z"


@pytest.fixture
def seeded(api: Api) -> Api:
    api.create_bucket("aw-watcher-window_host", type="currentwindow")
    api.create_bucket("aw-watcher-afk_host", type="afkstatus")
    window = [
        ev(
            f"2024-01-0{d}T{h:02d}:00:00Z",
            600,
            {"app": "Code" if h % 2 else "Firefox", "title": f"t{h}"},
        )
        for d in (1, 2)
        for h in range(8, 18)
    ]
    api.post("buckets/aw-watcher-window_host/events", window)
    api.post(
        "buckets/aw-watcher-afk_host/events",
        [ev(f"2024-01-0{d}T08:00:00Z", 8 * 3600, {"status": "not-afk"}) for d in (1, 2)],
    )
    return api


def query(
    api: Api, lines: list[str], periods: list[str], path: str = "query/", **params: str
) -> tuple[int, object]:
    r = api.post(path, {"query": lines, "timeperiods": periods}, params=params)
    return r.status_code, r.json()


def test_query_both_paths_and_result_shape(seeded: Api) -> None:
    for path in ("query/", "query"):
        status, body = query(
            seeded, ['RETURN = query_bucket("aw-watcher-window_host");'], [DAY], path
        )
        assert status == 200
        assert isinstance(body, list) and len(body) == 1
        events = body[0]
        assert len(events) == 10
        assert set(events[0]) == {"id", "timestamp", "duration", "data"}
        assert events[0]["timestamp"] > events[-1]["timestamp"]  # newest first


def test_activity_summary_across_many_periods(seeded: Api) -> None:
    program = [
        'events = flood(query_bucket(find_bucket("aw-watcher-window_")));',
        'not_afk = filter_keyvals(flood(query_bucket(find_bucket("aw-watcher-afk_"))), "status", ["not-afk"]);',
        "events = filter_period_intersect(events, not_afk);",
        'events = categorize(events, [[["Work"], {"type": "regex", "regex": "Code"}]]);',
        'RETURN = {"apps": sort_by_duration(merge_events_by_keys(events, ["app"])),',
        '          "cats": sort_by_duration(merge_events_by_keys(events, ["$category"])),',
        '          "total": sum_durations(events)};',
    ]
    periods = [f"2024-01-{d:02d}T00:00:00Z/2024-01-{d + 1:02d}T00:00:00Z" for d in range(1, 21)]
    status, body = query(seeded, program, periods)
    assert status == 200 and len(body) == 20
    day1 = body[0]
    # ten minutes at 08:00..17:00; not-AFK covers 08:00-16:00, so 8 of them count
    assert day1["total"] == 8 * 600
    assert {a["data"]["app"]: a["duration"] for a in day1["apps"]} == {
        "Code": 2400.0,
        "Firefox": 2400.0,
    }
    assert {c["data"]["$category"][0] for c in day1["cats"]} == {"Work", "Uncategorized"}
    assert body[5] == {"apps": [], "cats": [], "total": 0.0}


def test_query_clips_to_period(seeded: Api) -> None:
    status, body = query(
        seeded,
        ['RETURN = sum_durations(query_bucket("aw-watcher-afk_host"));'],
        ["2024-01-01T10:00:00Z/2024-01-01T11:30:00+00:00"],
    )
    assert status == 200 and body == [5400.0]


def test_name_parameter(seeded: Api) -> None:
    status, body = query(seeded, ["RETURN = NAME;"], [DAY], name="my-query")
    assert status == 200 and body == ["my-query"]


@pytest.mark.parametrize(
    "body, type_, fragment",
    [
        (
            {"query": ["RETURN = ;"], "timeperiods": [DAY]},
            "QueryParseException",
            "line 1, column 10",
        ),
        (
            {"query": ['RETURN = query_bucket("missing");'], "timeperiods": [DAY]},
            "QueryFunctionException",
            "missing",
        ),
        ({"query": ["RETURN = x;"], "timeperiods": [DAY]}, "QueryInterpretException", "'x'"),
        (
            {"query": ["RETURN = 1;"], "timeperiods": ["not/a period"]},
            "QueryParseException",
            "timeperiod",
        ),
        (
            {
                "query": ["RETURN = 1;"],
                "timeperiods": ["2024-01-02T00:00:00Z/2024-01-01T00:00:00Z"],
            },
            "QueryParseException",
            "after",
        ),
    ],
)
def test_query_errors_are_400_with_type(
    seeded: Api, body: dict[str, object], type_: str, fragment: str
) -> None:
    r = seeded.post("query/", body)
    assert r.status_code == 400
    assert r.json()["type"] == type_ and fragment in r.json()["message"]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"query": ["RETURN = 1;"]},
        {"timeperiods": [DAY]},
        {"query": 5, "timeperiods": [DAY]},
        {"query": ["x"], "timeperiods": []},
        {"query": [1], "timeperiods": [DAY]},
        [1],
    ],
)
def test_malformed_query_requests(api: Api, body: object) -> None:
    r = api.post("query/", body)
    assert r.status_code == 400 and r.json()["message"]


def test_query_as_single_string(seeded: Api) -> None:
    r = seeded.post("query/", {"query": "a = 2;\nRETURN = a * 3;", "timeperiods": [DAY]})
    assert r.status_code == 200 and r.json() == [6]
