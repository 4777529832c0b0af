"""Regression tests for the official servers' data-losing bugs that we must not copy."""

from __future__ import annotations

import pytest

from tests.conftest import JSON, Api, ev


@pytest.fixture
def bucket(api: Api) -> str:
    api.create_bucket("b")
    return "b"


def beat(api: Api, ts: str, data: dict[str, object], pulsetime: float = 60) -> dict[str, object]:
    r = api.post(f"buckets/b/heartbeat?pulsetime={pulsetime}", ev(ts, 0, data))
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


# -- 1. the heartbeat "last event" must follow every write path --------------------------------


def test_heartbeat_after_insert_merges_with_the_inserted_event(api: Api, bucket: str) -> None:
    first = beat(api, "2024-01-01T00:00:00Z", {"app": "a"})
    inserted = api.post("buckets/b/events", ev("2024-01-01T00:00:10Z", 5, {"app": "b"})).json()
    merged = beat(api, "2024-01-01T00:00:20Z", {"app": "b"})
    assert merged["id"] == inserted["id"] and merged["duration"] == 10.0
    assert api.get(f"buckets/b/events/{first['id']}").json()["duration"] == 0.0  # untouched


def test_heartbeat_after_replace_uses_replaced_data(api: Api, bucket: str) -> None:
    first = beat(api, "2024-01-01T00:00:00Z", {"app": "a"})
    api.post("buckets/b/events", [{**first, "data": {"app": "renamed"}}])
    new = beat(api, "2024-01-01T00:00:05Z", {"app": "a"})
    assert new["id"] != first["id"]  # data no longer matches: a new event, the renamed one kept
    assert api.get(f"buckets/b/events/{first['id']}").json()["data"] == {"app": "renamed"}
    merged = beat(api, "2024-01-01T00:00:06Z", {"app": "a"})
    assert merged["id"] == new["id"]


def test_heartbeat_after_deleting_last_event(api: Api, bucket: str) -> None:
    first = beat(api, "2024-01-01T00:00:00Z", {"app": "a"})
    second = beat(api, "2024-01-01T00:01:30Z", {"app": "a"}, pulsetime=1)
    assert api.delete(f"buckets/b/events/{second['id']}").status_code == 200
    merged = beat(api, "2024-01-01T00:00:30Z", {"app": "a"})
    assert merged["id"] == first["id"] and merged["duration"] == 30.0
    assert api.get("buckets/b/events/count").json() == 1


def test_heartbeat_after_deleting_every_event(api: Api, bucket: str) -> None:
    first = beat(api, "2024-01-01T00:00:00Z", {"app": "a"})
    api.delete(f"buckets/b/events/{first['id']}")
    again = beat(api, "2024-01-01T00:00:01Z", {"app": "a"})
    assert again["id"] != first["id"] and again["duration"] == 0.0
    assert len(api.get("buckets/b/events").json()) == 1


def test_heartbeat_after_bucket_delete_and_recreate(api: Api, bucket: str) -> None:
    beat(api, "2024-01-01T00:00:00Z", {"app": "a"})
    api.delete("buckets/b?force=1")
    api.create_bucket("b")
    fresh = beat(api, "2024-01-01T00:00:05Z", {"app": "a"})
    assert fresh["duration"] == 0.0 and fresh["timestamp"] == "2024-01-01T00:00:05+00:00"
    assert api.get("buckets/b/events").json() == [fresh]


def test_heartbeat_after_import_into_bucket(api: Api, bucket: str) -> None:
    beat(api, "2024-01-01T00:00:00Z", {"app": "a"})
    api.post(
        "import",
        {
            "buckets": {
                "b": {
                    "type": "t",
                    "client": "c",
                    "hostname": "h",
                    "events": [ev("2024-01-01T00:00:30Z", 10, {"app": "imported"})],
                }
            }
        },
    )
    merged = beat(api, "2024-01-01T00:00:45Z", {"app": "imported"})
    assert merged["timestamp"] == "2024-01-01T00:00:30+00:00" and merged["duration"] == 15.0


def test_out_of_order_heartbeat_does_not_overwrite_newer_event(api: Api, bucket: str) -> None:
    """The Python server's FIXME: an older heartbeat inserted as new makes the next merge
    overwrite the newer event."""
    newer = beat(api, "2024-01-01T00:10:00Z", {"app": "a"})
    beat(api, "2024-01-01T00:00:00Z", {"app": "a"})
    merged = beat(api, "2024-01-01T00:10:05Z", {"app": "a"})
    assert merged["id"] == newer["id"] and merged["duration"] == 5.0
    events = api.get("buckets/b/events").json()
    assert [(e["timestamp"], e["duration"]) for e in events] == [
        ("2024-01-01T00:10:00+00:00", 5.0),
        ("2024-01-01T00:00:00+00:00", 0.0),
    ]


# -- 2. range queries (also in the storage contract) --------------------------------------------


def test_event_started_days_before_range(api: Api, bucket: str) -> None:
    api.post("buckets/b/events", ev("2024-01-01T00:00:00Z", 7 * 86400, {"app": "long"}))
    r = api.get(
        "buckets/b/events", params={"start": "2024-01-05T00:00:00Z", "end": "2024-01-06T00:00:00Z"}
    )
    assert [e["duration"] for e in r.json()] == [86400.0]
    assert (
        api.get(
            "buckets/b/events/count",
            params={"start": "2024-01-05T00:00:00Z", "end": "2024-01-06T00:00:00Z"},
        ).json()
        == 1
    )


# -- 3. bad input gives 4xx, not 500; import is atomic (see test_api_export_import) -------------


def test_bad_inputs_are_4xx(api: Api, bucket: str) -> None:
    cases = [
        api.put("buckets/b", {"type": "new"}),  # must work (the Python server 500s)
        api.post("buckets/x", {"client": "c"}),
        api.post("buckets/b/events", ev("not a time")),
        api.get("buckets/b/events?start=garbage"),
        api.get("buckets/b/events?limit=ten"),
    ]
    assert [r.status_code for r in cases] == [200, 400, 400, 400, 400]
    exported = api.get("export").json()
    assert api.post("import", exported).status_code == 200  # existing bucket: merged, not 500


# -- 4. falsy settings (also in test_api_settings) ----------------------------------------------


def test_falsy_settings_are_kept(api: Api) -> None:
    for key, value in {"a": False, "b": 0, "c": "", "d": None, "e": []}.items():
        api.post(f"settings/{key}", value)
    assert api.get("settings").json() == {"a": False, "b": 0, "c": "", "d": None, "e": []}
    r = api.session.post(api.url("settings/z"), data=b"false", headers=JSON, timeout=10)
    assert r.json() is False and api.get("settings/z").json() is False
