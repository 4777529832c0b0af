"""Hand-written bad input: each gets its documented 4xx with a JSON message, and the database is
exactly as it was before the request."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
import requests

from tests.conftest import JSON, Api, ev


@pytest.fixture
def seeded(api: Api) -> Api:
    api.create_bucket("b", data={"keep": True})
    api.post(
        "buckets/b/events",
        [ev("2024-01-01T00:00:00Z", 5, {"app": "x"}), ev("2024-01-01T00:00:10Z", 5, {"app": "y"})],
    )
    api.post("settings/s", {"v": 1})
    return api


def snapshot(api: Api) -> object:
    return api.get("export").json(), api.get("settings").json()


def raw(
    api: Api, method: str, path: str, body: bytes, content_type: str = "application/json"
) -> requests.Response:
    return api.session.request(
        method, api.url(path), data=body, headers={"Content-Type": content_type}, timeout=60
    )


def nested(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


CASES: list[tuple[str, Callable[[Api], requests.Response], int, str]] = [
    (
        "malformed JSON",
        lambda a: raw(a, "POST", "buckets/b/events", b'{"timestamp": '),
        400,
        "JSON",
    ),
    (
        "JSON with trailing garbage",
        lambda a: raw(a, "POST", "buckets/b/events", b'{"timestamp": "2024-01-01T00:00:00Z"} x'),
        400,
        "JSON",
    ),
    (
        "form content type",
        lambda a: raw(
            a, "POST", "buckets/b/events", b"timestamp=now", "application/x-www-form-urlencoded"
        ),
        415,
        "application/json",
    ),
    (
        "text/plain content type",
        lambda a: raw(a, "POST", "buckets/b/heartbeat?pulsetime=1", b"{}", "text/plain"),
        415,
        "application/json",
    ),
    (
        "no content type",
        lambda a: a.session.post(
            a.url("settings/x"), data=b"1", headers={"Content-Type": ""}, timeout=10
        ),
        415,
        "Content-Type",
    ),
    (
        "NaN duration",
        lambda a: raw(
            a, "POST", "buckets/b/events", b'{"timestamp": "2024-01-01T00:00:00Z", "duration": NaN}'
        ),
        400,
        "JSON",
    ),
    (
        "infinite duration",
        lambda a: raw(
            a,
            "POST",
            "buckets/b/events",
            b'{"timestamp": "2024-01-01T00:00:00Z", "duration": 1e999}',
        ),
        400,
        "JSON",
    ),
    (
        "negative duration",
        lambda a: a.post("buckets/b/events", ev("2024-01-01T00:00:00Z", -1)),
        400,
        "duration",
    ),
    (
        "duration as string",
        lambda a: a.post("buckets/b/events", ev("2024-01-01T00:00:00Z", "5")),
        400,
        "duration",
    ),  # type: ignore[arg-type]
    (
        "timestamp as number",
        lambda a: a.post("buckets/b/events", {"timestamp": 1700000000, "data": {}}),
        400,
        "timestamp",
    ),
    (
        "timestamp out of range",
        lambda a: a.post("buckets/b/events", ev("99999-01-01T00:00:00Z")),
        400,
        "timestamp",
    ),
    (
        "timestamp before year 1 in UTC",
        lambda a: a.post("buckets/b/events", ev("0001-01-01T00:00:00+05:00")),
        400,
        "range",
    ),
    (
        "event ending after year 9999",
        lambda a: a.post("buckets/b/events", ev("9999-12-31T23:59:59Z", 3600)),
        400,
        "range",
    ),
    (
        "data as list",
        lambda a: a.post("buckets/b/events", {"timestamp": "2024-01-01T00:00:00Z", "data": [1]}),
        400,
        "data",
    ),
    (
        "10 MB title",
        lambda a: a.post(
            "buckets/b/events", ev("2024-01-01T00:00:00Z", 1, {"title": "x" * 10_000_000})
        ),
        413,
        "at most",
    ),
    (
        "10 MB title in a heartbeat",
        lambda a: a.post(
            "buckets/b/heartbeat?pulsetime=1",
            ev("2024-01-01T00:00:20Z", 0, {"title": "x" * 10_000_000}),
        ),
        413,
        "at most",
    ),
    (
        "10 MB bucket data",
        lambda a: a.put("buckets/b", {"data": {"x": "y" * 10_000_000}}),
        413,
        "at most",
    ),
    (
        "deeply nested data",
        lambda a: raw(
            a,
            "POST",
            "buckets/b/events",
            ('{"timestamp": "2024-01-01T00:00:00Z", "data": ' + nested(5000) + "}").encode(),
        ),
        400,
        "JSON",
    ),
    ("NUL in a bucket id", lambda a: a.create_bucket("nul\x00id"), 400, "control"),
    ("newline in a bucket id", lambda a: a.create_bucket("new\nline"), 400, "control"),
    (
        "wrong types in bucket fields",
        lambda a: a.post("buckets/c", {"client": ["c"], "type": "t", "hostname": "h"}),
        400,
        "client",
    ),
    ("bucket data not an object", lambda a: a.put("buckets/b", {"data": "x"}), 400, "data"),
    ("huge limit", lambda a: a.get("buckets/b/events?limit=99999999999999999999999"), 200, ""),
    ("limit not a number", lambda a: a.get("buckets/b/events?limit=1e3"), 400, "limit"),
    (
        "reversed start and end",
        lambda a: a.get("buckets/b/events?start=2024-02-01T00:00:00Z&end=2024-01-01T00:00:00Z"),
        400,
        "start",
    ),
    (
        "reversed count range",
        lambda a: a.get(
            "buckets/b/events/count?start=2024-02-01T00:00:00Z&end=2024-01-01T00:00:00Z"
        ),
        400,
        "start",
    ),
    (
        "pulsetime infinite",
        lambda a: a.post("buckets/b/heartbeat?pulsetime=inf", ev("2024-01-01T00:00:20Z")),
        400,
        "pulsetime",
    ),
    (
        "id of another bucket's event",
        lambda a: a.post("buckets/b/events", {**ev("2024-01-01T00:00:00Z"), "id": 10**9}),
        400,
        "no event",
    ),
    (
        "id as float",
        lambda a: a.post("buckets/b/events", {**ev("2024-01-01T00:00:00Z"), "id": 1.5}),
        400,
        "id",
    ),
    ("setting key too long", lambda a: a.post("settings/" + "k" * 300, 1), 400, "key"),
    (
        "import of a bad bucket",
        lambda a: a.post(
            "import",
            {
                "buckets": {
                    "b": {
                        "type": "t",
                        "client": "c",
                        "hostname": "h",
                        "events": [{"timestamp": "x"}],
                    }
                }
            },
        ),
        400,
        "event 0",
    ),
    ("import of a non-export", lambda a: a.post("import", [1, 2]), 400, "buckets"),
    (
        "truncated multipart",
        lambda a: raw(
            a,
            "POST",
            "import",
            b'--X\r\nContent-Disposition: form-data; name="f"; filename="e.json"\r\n\r\n{"buck',
            "multipart/form-data; boundary=X",
        ),
        400,
        "",
    ),
    (
        "query that is not a list of lines",
        lambda a: a.post(
            "query/",
            {"query": {"a": 1}, "timeperiods": ["2024-01-01T00:00:00Z/2024-01-02T00:00:00Z"]},
        ),
        400,
        "query",
    ),
    (
        "query with a bad period",
        lambda a: a.post("query/", {"query": ["RETURN = 1;"], "timeperiods": ["yesterday"]}),
        400,
        "timeperiod",
    ),
]


@pytest.mark.parametrize(("name", "send", "status", "fragment"), CASES, ids=[c[0] for c in CASES])
def test_bad_input(
    seeded: Api, name: str, send: Callable[[Api], requests.Response], status: int, fragment: str
) -> None:
    before = snapshot(seeded)
    response = send(seeded)
    assert response.status_code == status, response.text[:300]
    if status >= 400:
        assert response.headers["Content-Type"] == "application/json"
        assert fragment in response.json()["message"]
    assert snapshot(seeded) == before


def test_nul_bytes_and_unicode_in_data_round_trip(seeded: Api) -> None:
    data = {"title": "nul\x00inside", "emoji": "🎉", "rtl": "שלום", "zw": "a\u200bb"}
    stored = seeded.post("buckets/b/events", ev("2024-02-01T00:00:00Z", 1, data)).json()
    assert seeded.get(f"buckets/b/events/{stored['id']}").json()["data"] == data
    assert json.loads(seeded.get("export").content)["buckets"]["b"]["events"][0]["data"] == data


def test_duplicate_import_changes_nothing(seeded: Api) -> None:
    exported = seeded.get("export").json()
    before = snapshot(seeded)
    assert seeded.post("import", exported).status_code == 200
    assert snapshot(seeded) == before


def test_path_traversal_in_bucket_ids(seeded: Api) -> None:
    for path in ("buckets/..%2F..%2Fetc%2Fpasswd", "buckets/%2e%2e/events"):
        r = seeded.session.get(seeded.url(path), headers=JSON, timeout=10)
        assert r.status_code == 404 and r.headers["Content-Type"] == "application/json"
