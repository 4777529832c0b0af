from __future__ import annotations

import pytest

from tests.conftest import JSON, Api, ev


def test_create_then_304(api: Api) -> None:
    r = api.create_bucket("b1")
    assert r.status_code == 200 and r.json() == {}
    r = api.create_bucket("b1")
    assert r.status_code == 304 and r.content == b""


def test_get_bucket_shape(api: Api) -> None:
    api.create_bucket("b1", name="Bucket one", data={"x": 1}, created="2024-01-01T00:00:00+02:00")
    bucket = api.get("buckets/b1").json()
    assert bucket == {
        "id": "b1",
        "name": "Bucket one",
        "type": "test",
        "client": "test",
        "hostname": "host",
        "created": "2023-12-31T22:00:00+00:00",
        "data": {"x": 1},
        "metadata": {"start": None, "end": None},
        "last_updated": None,
    }


def test_list_buckets_with_metadata(api: Api) -> None:
    api.create_bucket("b1")
    api.create_bucket("b2")
    api.post("buckets/b1/events", [ev("2024-01-01T00:00:00Z", 100), ev("2024-01-01T00:00:10Z", 5)])
    buckets = api.get("buckets/").json()
    assert list(buckets) == ["b1", "b2"]
    assert buckets["b1"]["metadata"] == {
        "start": "2024-01-01T00:00:00+00:00",
        "end": "2024-01-01T00:01:40+00:00",
    }
    assert buckets["b1"]["last_updated"] == "2024-01-01T00:00:15+00:00"
    assert buckets["b2"]["last_updated"] is None
    assert api.get("buckets").status_code == 200  # without the trailing slash too


def test_missing_bucket_404(api: Api) -> None:
    for r in (
        api.get("buckets/nope"),
        api.put("buckets/nope", {"name": "x"}),
        api.delete("buckets/nope?force=1"),
        api.get("buckets/nope/events"),
        api.post("buckets/nope/events", [ev("2024-01-01T00:00:00Z")]),
        api.get("buckets/nope/events/count"),
        api.get("buckets/nope/events/1"),
        api.delete("buckets/nope/events/1"),
        api.post("buckets/nope/heartbeat?pulsetime=1", ev("2024-01-01T00:00:00Z")),
        api.get("buckets/nope/export"),
    ):
        assert r.status_code == 404, r.request.url
        assert "nope" in r.json()["message"]


def test_local_hostname(api: Api) -> None:
    api.create_bucket("b", hostname="!local", data={"keep": 1})
    info = api.get("info").json()
    bucket = api.get("buckets/b").json()
    assert bucket["hostname"] == info["hostname"]
    assert bucket["data"] == {"keep": 1, "device_id": info["device_id"]}


@pytest.mark.parametrize(
    "body, field",
    [
        ({"type": "t", "hostname": "h"}, "client"),
        ({"client": "c", "hostname": "h"}, "type"),
        ({"client": "c", "type": "t"}, "hostname"),
        ({"client": 1, "type": "t", "hostname": "h"}, "client"),
        ({"client": "c", "type": "t", "hostname": "h", "data": []}, "data"),
        ({"client": "c", "type": "t", "hostname": "h", "name": 5}, "name"),
        ({"client": "c", "type": "t", "hostname": "h", "created": "never"}, "created"),
    ],
)
def test_create_bucket_bad_fields(api: Api, body: dict[str, object], field: str) -> None:
    r = api.post("buckets/b", body)
    assert r.status_code == 400
    assert field in r.json()["message"]
    assert api.get("buckets/b").status_code == 404


def test_create_bucket_body_not_object(api: Api) -> None:
    r = api.post("buckets/b", [1, 2])
    assert r.status_code == 400 and "object" in r.json()["message"]


def test_create_bucket_bad_id(api: Api) -> None:
    r = api.create_bucket("bad%01id")
    assert r.status_code == 400 and "control" in r.json()["message"]
    r = api.create_bucket("x" * 600)
    assert r.status_code == 400


def test_put_bucket_updates(api: Api) -> None:
    api.create_bucket("b")
    r = api.put(
        "buckets/b",
        {"name": "New", "type": "t2", "client": "c2", "hostname": "h2", "data": {"a": 1}},
    )
    assert r.status_code == 200
    bucket = api.get("buckets/b").json()
    assert (
        bucket["name"],
        bucket["type"],
        bucket["client"],
        bucket["hostname"],
        bucket["data"],
    ) == (
        "New",
        "t2",
        "c2",
        "h2",
        {"a": 1},
    )
    assert r.json() == bucket
    assert api.put("buckets/b", {"type": 3}).status_code == 400
    assert api.put("buckets/b", [1]).status_code == 400
    assert api.get("buckets/b").json()["type"] == "t2"


def test_delete_requires_force_outside_testing(api: Api) -> None:
    api.create_bucket("b")
    api.post("buckets/b/events", ev("2024-01-01T00:00:00Z"))
    r = api.delete("buckets/b")
    assert r.status_code == 401 and "force" in r.json()["message"]
    assert api.get("buckets/b").status_code == 200
    r = api.delete("buckets/b?force=1")
    assert r.status_code == 200 and r.json() == {}
    assert api.get("buckets/b").status_code == 404


def test_delete_without_force_in_testing_mode(tmp_path: object) -> None:
    from pathlib import Path

    from aw_server.app import create_app
    from tests.conftest import make_config
    from tests.liveserver import ThreadedServer

    app = create_app(make_config(Path(str(tmp_path)), testing=True))
    srv = ThreadedServer(app).start()
    try:
        client = Api(srv.url)
        assert client.get("info").json()["testing"] is True
        client.create_bucket("b")
        assert client.delete("buckets/b").status_code == 200
    finally:
        srv.stop()


def test_create_with_charset_content_type(api: Api) -> None:
    r = api.session.post(
        api.url("buckets/b"),
        data=b'{"client":"c","type":"t","hostname":"h"}',
        headers={"Content-Type": "application/json; charset=utf-8"},
    )
    assert r.status_code == 200


def test_unicode_bucket_id(api: Api) -> None:
    assert api.create_bucket("aw-watcher-wïndow_hôst ✓").status_code == 200
    assert "aw-watcher-wïndow_hôst ✓" in api.get("buckets/").json()
    assert (
        api.session.get(api.url("buckets/aw-watcher-wïndow_hôst ✓"), headers=JSON).status_code
        == 200
    )
