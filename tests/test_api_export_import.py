from __future__ import annotations

import json
import re
from urllib.parse import quote, unquote

import pytest

from tests.conftest import JSON, Api, ev


@pytest.fixture
def seeded(api: Api) -> Api:
    api.create_bucket("b1", data={"k": 1})
    api.create_bucket("b2")
    api.post(
        "buckets/b1/events", [ev(f"2024-01-01T00:00:{i:02d}Z", 1, {"i": i}) for i in range(30)]
    )
    api.post("buckets/b2/events", ev("2024-01-02T00:00:00Z", 5, {"x": "ü"}))
    return api


def test_export_all(seeded: Api) -> None:
    r = seeded.get("export")
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "application/json"
    assert r.headers["Content-Disposition"] == (
        "attachment; filename=\"aw-buckets-export.json\"; filename*=UTF-8''aw-buckets-export.json"
    )
    doc = r.json()
    assert set(doc["buckets"]) == {"b1", "b2"}
    b1 = doc["buckets"]["b1"]
    assert b1["data"] == {"k": 1} and b1["type"] == "test"
    assert [e["data"]["i"] for e in b1["events"]] == list(range(29, -1, -1))
    assert doc["buckets"]["b2"]["events"][0]["data"] == {"x": "ü"}


def test_export_bucket(seeded: Api) -> None:
    r = seeded.get("buckets/b2/export")
    assert r.headers["Content-Disposition"].startswith(
        'attachment; filename="aw-bucket-export_b2.json"'
    )
    assert list(r.json()["buckets"]) == ["b2"]


def _disposition_filenames(header: str) -> tuple[str, str]:
    """(the plain filename= fallback, the name an RFC 5987-aware client reads)."""
    match = re.fullmatch(
        r"""attachment; filename="([^"\\;]*)"; filename\*=UTF-8''([\w.~%-]+)""", header
    )
    assert match, header
    return match.group(1), unquote(match.group(2), errors="strict")


@pytest.mark.parametrize(
    ("bucket_id", "fallback"),
    [
        ("日本", "aw-bucket-export___.json"),
        ("café", "aw-bucket-export_cafe.json"),
        ("a b;c", "aw-bucket-export_a b_c.json"),
        ('quote"s', "aw-bucket-export_quote_s.json"),
    ],
)
def test_export_bucket_with_any_name(api: Api, bucket_id: str, fallback: str) -> None:
    """Through waitress, which cannot send a header value outside latin-1 (a plain-text 500)."""
    assert api.create_bucket(quote(bucket_id, safe="")).status_code == 200
    r = api.get(f"buckets/{quote(bucket_id, safe='')}/export")
    assert r.status_code == 200, r.text
    assert list(r.json()["buckets"]) == [bucket_id]
    header = r.headers["Content-Disposition"]
    assert header.isascii()
    assert _disposition_filenames(header) == (fallback, f"aw-bucket-export_{bucket_id}.json")


def test_export_empty(api: Api) -> None:
    assert api.get("export").json() == {"buckets": {}}
    api.create_bucket("e")
    assert api.get("export").json()["buckets"]["e"]["events"] == []


def test_export_is_streamed_in_chunks(seeded: Api) -> None:
    seeded.post("buckets/b1/events", [ev("2023-01-01T00:00:00Z", 1, {"n": i}) for i in range(3000)])
    r = seeded.session.get(seeded.url("export"), stream=True, timeout=30)
    assert r.headers.get("Transfer-Encoding") == "chunked"
    chunks = list(r.iter_content(chunk_size=None))
    assert len(chunks) > 2
    assert len(json.loads(b"".join(chunks))["buckets"]["b1"]["events"]) == 3030


def test_round_trip_into_empty_server(seeded: Api, tmp_path: object) -> None:
    exported = seeded.get("export").json()
    for bucket_id in ("b1", "b2"):
        seeded.delete(f"buckets/{bucket_id}?force=1")
    r = seeded.post("import", exported)
    assert r.status_code == 200
    assert r.json()["buckets"]["b1"] == {"created": True, "inserted": 30, "skipped": 0}
    again = seeded.get("export").json()

    def strip(bucket: dict[str, object]) -> dict[str, object]:
        events = [{k: v for k, v in e.items() if k != "id"} for e in bucket["events"]]  # type: ignore[attr-defined]
        return {**bucket, "events": events}

    for bucket_id in ("b1", "b2"):
        assert strip(again["buckets"][bucket_id]) == strip(exported["buckets"][bucket_id])


def test_import_into_existing_bucket_merges_without_duplicates(seeded: Api) -> None:
    exported = seeded.get("buckets/b1/export").json()
    exported["buckets"]["b1"]["events"].append(ev("2025-01-01T00:00:00Z", 3, {"new": True}))
    r = seeded.post("import", exported)
    assert r.status_code == 200
    assert r.json()["buckets"]["b1"] == {"created": False, "inserted": 1, "skipped": 30}
    assert seeded.get("buckets/b1/events/count").json() == 31
    r = seeded.post("import", exported)  # idempotent
    assert r.json()["buckets"]["b1"]["inserted"] == 0
    assert seeded.get("buckets/b1/events/count").json() == 31


def test_import_multipart_any_field_name(seeded: Api) -> None:
    exported = seeded.get("export").json()
    exported["buckets"]["b3"] = {**exported["buckets"]["b2"], "id": "b3"}
    body = json.dumps(exported).encode()
    r = seeded.session.post(
        seeded.url("import"),
        files={"buckets.json": ("export.json", body, "application/json")},
        timeout=30,
    )
    assert r.status_code == 200, r.text
    assert seeded.get("buckets/b3/events/count").json() == 1


def test_import_accepts_list_of_buckets_and_official_python_export(api: Api) -> None:
    official = {
        "buckets": {
            "aw-watcher-window_host": {
                "id": "aw-watcher-window_host",
                "created": "2024-01-01T10:00:00.123000",
                "name": None,
                "type": "currentwindow",
                "client": "aw-watcher-window",
                "hostname": "host",
                "events": [
                    {
                        "timestamp": "2024-01-01T10:00:00.123000+00:00",
                        "duration": 2.5,
                        "data": {"app": "x", "title": "y"},
                    }
                ],
            }
        }
    }
    assert api.post("import", official).status_code == 200
    assert api.get("buckets/aw-watcher-window_host/events").json()[0]["duration"] == 2.5
    as_list = {"buckets": [{"id": "l1", "type": "t", "client": "c", "hostname": "h", "events": []}]}
    assert api.post("import", as_list).status_code == 200
    assert api.get("buckets/l1").status_code == 200


@pytest.mark.parametrize(
    "payload, message",
    [
        ({}, '"buckets"'),
        ([], '"buckets"'),
        ({"buckets": 5}, "object of buckets"),
        ({"buckets": {"x": 5}}, "bucket 'x'"),
        (
            {"buckets": {"x": {"type": "t", "client": "c", "hostname": "h", "events": 5}}},
            "'events' must be a list",
        ),
        ({"buckets": {"x": {"client": "c", "hostname": "h"}}}, "'type'"),
        (
            {
                "buckets": {
                    "x": {
                        "type": "t",
                        "client": "c",
                        "hostname": "h",
                        "events": [{"timestamp": "2024-01-01T00:00:00Z"}, {"timestamp": "bad"}],
                    }
                }
            },
            "bucket 'x', event 1",
        ),
    ],
)
def test_import_bad_input_400_names_the_place(api: Api, payload: object, message: str) -> None:
    r = api.post("import", payload)
    assert r.status_code == 400
    assert message in r.json()["message"]


def test_import_is_all_or_nothing(seeded: Api) -> None:
    """Peer bug 3: a bad bucket late in the file must not leave earlier buckets imported."""
    before = seeded.get("export").json()
    payload = {
        "buckets": {
            "fresh": {
                "type": "t",
                "client": "c",
                "hostname": "h",
                "events": [ev("2024-01-01T00:00:00Z", 1)],
            },
            "b1": {
                "type": "t",
                "client": "c",
                "hostname": "h",
                "events": [ev("2030-01-01T00:00:00Z", 1)],
            },
            "broken": {
                "type": "t",
                "client": "c",
                "hostname": "h",
                "events": [{"timestamp": "2024-01-01T00:00:00Z", "duration": -1}],
            },
        }
    }
    r = seeded.post("import", payload)
    assert r.status_code == 400 and "broken" in r.json()["message"]
    assert seeded.get("export").json() == before


def test_import_malformed_bodies(api: Api) -> None:
    r = api.session.post(api.url("import"), data=b"{nope", headers=JSON, timeout=10)
    assert r.status_code == 400 and "not valid JSON" in r.json()["message"]
    r = api.session.post(
        api.url("import"), files={"f": ("x.json", b"[1,", "application/json")}, timeout=10
    )
    assert r.status_code == 400 and "uploaded file" in r.json()["message"]
    r = api.session.post(
        api.url("import"), data=b"x", headers={"Content-Type": "text/plain"}, timeout=10
    )
    assert r.status_code == 415
    truncated = (
        b'--XYZ\r\nContent-Disposition: form-data; name="f"; filename="a.json"\r\n'
        b'Content-Type: application/json\r\n\r\n{"buckets": {}'
    )
    r = api.session.post(
        api.url("import"),
        data=truncated,
        headers={"Content-Type": "multipart/form-data; boundary=XYZ"},
        timeout=10,
    )
    assert r.status_code == 400
