from __future__ import annotations

import pytest

from tests.conftest import Api, ev


@pytest.fixture
def bucket(api: Api) -> str:
    api.create_bucket("b")
    return "b"


def test_post_single_event_returns_it_with_id(api: Api, bucket: str) -> None:
    r = api.post("buckets/b/events", ev("2024-01-01T12:00:00.5+02:00", 1.5, {"app": "x"}))
    assert r.status_code == 200
    body = r.json()
    assert isinstance(body["id"], int)
    assert body == {
        "id": body["id"],
        "timestamp": "2024-01-01T10:00:00.500000+00:00",
        "duration": 1.5,
        "data": {"app": "x"},
    }
    assert api.get(f"buckets/b/events/{body['id']}").json() == body


def test_post_list_returns_list(api: Api, bucket: str) -> None:
    r = api.post("buckets/b/events", [ev("2024-01-01T00:00:00Z", 1), ev("2024-01-01T00:00:01Z", 1)])
    assert r.status_code == 200
    body = r.json()
    assert len(body) == 2 and body[0]["id"] != body[1]["id"]
    assert api.post("buckets/b/events", []).json() == []


def test_get_events_newest_first_with_limit(api: Api, bucket: str) -> None:
    api.post("buckets/b/events", [ev(f"2024-01-01T00:00:0{i}Z", 1, {"i": i}) for i in range(5)])
    assert [e["data"]["i"] for e in api.get("buckets/b/events").json()] == [4, 3, 2, 1, 0]
    assert [e["data"]["i"] for e in api.get("buckets/b/events?limit=2").json()] == [4, 3]
    assert len(api.get("buckets/b/events?limit=-1").json()) == 5
    assert api.get("buckets/b/events?limit=0").json() == []
    assert len(api.get("buckets/b/events?limit=100000000000").json()) == 5


def test_get_events_range_clips(api: Api, bucket: str) -> None:
    api.post(
        "buckets/b/events",
        [ev("2024-01-01T00:00:00Z", 60, {"n": 1}), ev("2024-01-01T00:02:00Z", 60, {"n": 2})],
    )
    events = api.get(
        "buckets/b/events",
        params={"start": "2024-01-01T00:00:30Z", "end": "2024-01-01T00:02:30+00:00"},
    ).json()
    assert [(e["timestamp"], e["duration"]) for e in events] == [
        ("2024-01-01T00:02:00+00:00", 30.0),
        ("2024-01-01T00:00:30+00:00", 30.0),
    ]
    only_start = api.get("buckets/b/events", params={"start": "2024-01-01T00:01:30Z"}).json()
    assert [e["data"]["n"] for e in only_start] == [2]


def test_unencoded_plus_in_query_string(api: Api, bucket: str) -> None:
    api.post("buckets/b/events", ev("2024-01-01T00:00:00Z", 60))
    r = api.session.get(api.url("buckets/b/events") + "?start=2024-01-01T01:00:30+01:00")
    assert r.status_code == 200 and r.json()[0]["duration"] == 30.0


def test_long_event_found_from_far_inside(api: Api, bucket: str) -> None:
    api.post("buckets/b/events", ev("2024-01-01T00:00:00Z", 5 * 86400, {"long": 1}))
    events = api.get(
        "buckets/b/events", params={"start": "2024-01-04T00:00:00Z", "end": "2024-01-04T01:00:00Z"}
    ).json()
    assert events == [
        {
            "id": events[0]["id"],
            "timestamp": "2024-01-04T00:00:00+00:00",
            "duration": 3600.0,
            "data": {"long": 1},
        }
    ]


@pytest.mark.parametrize(
    "query, message",
    [
        ("limit=abc", "limit"),
        ("limit=1.5", "limit"),
        ("start=yesterday", "start"),
        ("end=2024-99-01", "end"),
        ("start=2024-01-02T00:00:00Z&end=2024-01-01T00:00:00Z", "after"),
    ],
)
def test_get_events_bad_params(api: Api, bucket: str, query: str, message: str) -> None:
    r = api.get(f"buckets/b/events?{query}")
    assert r.status_code == 400
    assert message in r.json()["message"]


def test_count(api: Api, bucket: str) -> None:
    api.post("buckets/b/events", [ev(f"2024-01-0{d}T00:00:00Z", 10) for d in range(1, 6)])
    assert api.get("buckets/b/events/count").json() == 5

    def count(start: str, end: str) -> int:
        r = api.get("buckets/b/events/count", params={"start": start, "end": end})
        assert r.status_code == 200, r.text
        return int(r.json())

    # both bounds inclusive: the event starting exactly at the end counts
    assert count("2024-01-02T00:00:00Z", "2024-01-04T00:00:00Z") == 3
    assert count("2024-01-02T00:00:00Z", "2024-01-03T23:59:59Z") == 2
    assert api.get("buckets/b/events/count?start=bad").status_code == 400


def test_get_and_delete_event(api: Api, bucket: str) -> None:
    e = api.post("buckets/b/events", ev("2024-01-01T00:00:00Z", 1)).json()
    assert api.get(f"buckets/b/events/{e['id']}").json() == e
    r = api.delete(f"buckets/b/events/{e['id']}")
    assert r.status_code == 200
    assert api.get(f"buckets/b/events/{e['id']}").status_code == 404
    assert api.delete(f"buckets/b/events/{e['id']}").status_code == 404
    assert api.get("buckets/b/events/abc").status_code == 404


def test_event_id_of_other_bucket_is_404(api: Api, bucket: str) -> None:
    api.create_bucket("other")
    e = api.post("buckets/other/events", ev("2024-01-01T00:00:00Z", 1)).json()
    assert api.get(f"buckets/b/events/{e['id']}").status_code == 404
    assert api.delete(f"buckets/b/events/{e['id']}").status_code == 404
    assert api.get(f"buckets/other/events/{e['id']}").status_code == 200


@pytest.mark.parametrize("event_id", ["0", str(2**63), "99999999999999999999999"])
def test_event_id_beyond_the_database_range_is_404(api: Api, bucket: str, event_id: str) -> None:
    assert api.get(f"buckets/b/events/{event_id}").status_code == 404
    r = api.delete(f"buckets/b/events/{event_id}")
    assert r.status_code == 404 and "no event" in r.json()["message"]


def test_post_with_id_replaces(api: Api, bucket: str) -> None:
    """The web UI's stopwatch updates a running timer by posting it back with its id."""
    e = api.post("buckets/b/events", ev("2024-01-01T00:00:00Z", 1, {"label": "a"})).json()
    e["duration"] = 99
    e["data"] = {"label": "b"}
    r = api.post("buckets/b/events", [e])
    assert r.status_code == 200 and r.json() == [e]
    assert api.get("buckets/b/events").json() == [e]


def test_post_with_foreign_id_is_400_and_changes_nothing(api: Api, bucket: str) -> None:
    api.create_bucket("other")
    foreign = api.post("buckets/other/events", ev("2024-01-01T00:00:00Z", 1, {"x": 1})).json()
    r = api.post("buckets/b/events", [ev("2024-01-02T00:00:00Z", 1), {**foreign, "data": {"x": 2}}])
    assert r.status_code == 400 and str(foreign["id"]) in r.json()["message"]
    assert api.get("buckets/b/events").json() == []
    assert api.get(f"buckets/other/events/{foreign['id']}").json() == foreign
    r = api.post("buckets/b/events", {**foreign, "id": 987654})
    assert r.status_code == 400


@pytest.mark.parametrize(
    "body",
    [
        {"duration": 1},
        {"timestamp": "nope"},
        {"timestamp": "2024-01-01T00:00:00Z", "duration": -5},
        {"timestamp": "2024-01-01T00:00:00Z", "duration": "5"},
        {"timestamp": "2024-01-01T00:00:00Z", "data": [1]},
        [{"timestamp": "2024-01-01T00:00:00Z"}, {"timestamp": 1}],
        "string",
        5,
    ],
)
def test_post_bad_events_400_and_nothing_written(api: Api, bucket: str, body: object) -> None:
    r = api.post("buckets/b/events", body)
    assert r.status_code == 400
    assert r.json()["message"]
    assert api.get("buckets/b/events/count").json() == 0


def test_bad_event_in_list_names_index(api: Api, bucket: str) -> None:
    r = api.post(
        "buckets/b/events",
        [ev("2024-01-01T00:00:00Z"), ev("2024-01-01T00:00:00Z"), {"timestamp": "x"}],
    )
    assert "event 2" in r.json()["message"]
