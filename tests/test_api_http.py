"""Cross-cutting HTTP behaviour: error shape, Host check, Origin check, CORS, limits, info, log."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import flask
import pytest
import requests

from aw_server.app import create_app
from aw_server.auth.access import PUBLIC, RULES
from tests.conftest import JSON, Api, ev, make_config
from tests.liveserver import ThreadedServer

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def test_info(api: Api, tmp_path: Path) -> None:
    info = api.get("info").json()
    assert set(info) == {"hostname", "version", "testing", "device_id"}
    assert info["testing"] is False and UUID.match(info["device_id"])
    assert (tmp_path / "data" / "device_id").read_text().strip() == info["device_id"]


def test_device_id_is_persistent(tmp_path: Path) -> None:
    first = create_app(make_config(tmp_path))
    second = create_app(make_config(tmp_path))
    assert first.extensions["aw"].device_id == second.extensions["aw"].device_id
    for app in (first, second):
        app.extensions["aw"].storage.close()


def test_log_endpoint_newest_first(api: Api) -> None:
    import logging

    logging.getLogger("aw_server.test").warning("first marker")
    logging.getLogger("aw_server.test").warning("second marker")
    records = api.get("log").json()
    messages = [r["message"] for r in records]
    assert messages.index("second marker") < messages.index("first marker")
    assert {"time", "level", "logger", "message"} <= set(records[0])


@pytest.mark.parametrize(
    "method, path, status",
    [
        ("GET", "/api/0/nonexistent", 404),
        ("GET", "/api/nonexistent", 404),
        ("PATCH", "/api/0/buckets/x", 405),
        ("DELETE", "/api/0/info", 405),
        ("GET", "/api/0/query/", 405),
        ("GET", "/api/0/query", 405),
        ("PUT", "/api/0/query", 405),
    ],
)
def test_errors_are_json(api: Api, method: str, path: str, status: int) -> None:
    r = api.session.request(method, api.base + path, timeout=10)
    assert r.status_code == status
    assert r.headers["Content-Type"] == "application/json"
    assert isinstance(r.json()["message"], str) and r.json()["message"]


@pytest.mark.parametrize("body", [b"{", b"[1,]", b"NaN", b'{"timestamp": Infinity}', b"\xff\xfe"])
def test_malformed_json_400(api: Api, body: bytes) -> None:
    api.create_bucket("b")
    r = api.session.post(api.url("buckets/b/events"), data=body, headers=JSON, timeout=10)
    assert r.status_code == 400 and "JSON" in r.json()["message"]


def test_wrong_content_type_415(api: Api) -> None:
    api.create_bucket("b")
    r = api.session.post(
        api.url("buckets/b/events"),
        data=b'{"timestamp": "2024-01-01T00:00:00Z"}',
        headers={"Content-Type": "text/plain"},
        timeout=10,
    )
    assert r.status_code == 415 and "application/json" in r.json()["message"]
    assert api.get("buckets/b/events/count").json() == 0


def test_body_limit_413(tmp_path: Path) -> None:
    srv = ThreadedServer(create_app(make_config(tmp_path, max_body_mb=0.01))).start()
    try:
        client = Api(srv.url)
        client.create_bucket("b")
        r = client.post("buckets/b/events", ev("2024-01-01T00:00:00Z", 1, {"title": "x" * 20000}))
        assert r.status_code == 413 and r.json()["message"]
        assert client.get("buckets/b/events/count").json() == 0
    finally:
        srv.stop()


# -- Host header (DNS rebinding) ----------------------------------------------------------------


@pytest.mark.parametrize(
    "host", ["localhost", "localhost:5600", "127.0.0.1:1234", "[::1]:5600", "LOCALHOST"]
)
def test_loopback_hosts_allowed(api: Api, host: str) -> None:
    assert api.session.get(api.url("info"), headers={"Host": host}, timeout=10).status_code == 200


@pytest.mark.parametrize(
    "host", ["evil.example", "evil.example:5600", "127.0.0.1.evil.example", "192.168.1.2"]
)
def test_other_hosts_rejected(api: Api, host: str) -> None:
    for path in ("/api/0/info", "/api/0/buckets/", "/"):
        r = api.session.get(api.base + path, headers={"Host": host}, timeout=10)
        assert r.status_code == 400
        assert "Host" in r.json()["message"]


def test_host_check_bound_elsewhere_guards_only_local_full_access(tmp_path: Path) -> None:
    """Bound to 0.0.0.0, pages and public endpoints answer any Host (a phone reaches the server
    by its LAN address), but the full access of a loopback request without a key still needs a
    loopback Host: a page whose DNS name was rebound to 127.0.0.1 gets nothing."""
    app = create_app(make_config(tmp_path, host="0.0.0.0"))
    client = app.test_client()
    lan = {"Host": "my-desktop.lan:5600"}
    assert client.get("/api/0/buckets/", headers=lan).status_code == 400
    assert client.get("/api/0/buckets/", headers={"Host": "localhost:5600"}).status_code == 200
    remote = {"REMOTE_ADDR": "192.0.2.9"}
    assert client.get("/api/0/info", headers=lan, environ_base=remote).status_code == 200
    r = client.get("/api/0/buckets/", headers=lan, environ_base=remote)
    assert r.status_code == 401 and r.json["code"] == "unauthorized"
    app.extensions["aw"].storage.close()


def test_configured_host_allowed(tmp_path: Path) -> None:
    app = create_app(make_config(tmp_path, host="127.0.0.2"))
    client = app.test_client()
    assert client.get("/api/0/info", headers={"Host": "127.0.0.2:5600"}).status_code == 200
    assert client.get("/api/0/info", headers={"Host": "example.com"}).status_code == 400
    app.extensions["aw"].storage.close()


# -- CORS and Origin ----------------------------------------------------------------------------

BUCKET = {"client": "c", "type": "t", "hostname": "h"}

ALLOWED = [
    "moz-extension://1234-abcd-5678",
    "chrome-extension://nglaklhklhcoonedhgnpgddginnjdadi",
    "https://configured.example",
    "https://app7.regex.example",
]
DENIED = [
    "https://evil.example",
    "chrome-extension://someotherextensionid",
    "https://configured.example.evil.com",
    "null",
    "https://app7.regex.example.evil",
]


@pytest.fixture
def cors_api(tmp_path: Path) -> object:
    config = make_config(
        tmp_path,
        cors_origins=["https://configured.example"],
        cors_regex=[r"https://app\d+\.regex\.example"],
    )
    srv = ThreadedServer(create_app(config)).start()
    yield Api(srv.url)
    srv.stop()


@pytest.mark.parametrize("origin", ALLOWED)
def test_cors_allowed_origins(cors_api: Api, origin: str) -> None:
    r = cors_api.get("info", headers={"Origin": origin})
    assert r.headers.get("Access-Control-Allow-Origin") == origin
    pre = cors_api.session.options(
        cors_api.url("buckets/b"),
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
        timeout=10,
    )
    assert pre.headers.get("Access-Control-Allow-Origin") == origin
    r = cors_api.post("buckets/b", BUCKET, headers={"Origin": origin})
    assert r.status_code in (200, 304)


@pytest.mark.parametrize("origin", DENIED)
def test_cors_denied_origins(cors_api: Api, origin: str) -> None:
    r = cors_api.get("info", headers={"Origin": origin})
    assert "Access-Control-Allow-Origin" not in r.headers
    pre = cors_api.session.options(
        cors_api.url("buckets/b"),
        headers={"Origin": origin, "Access-Control-Request-Method": "POST"},
        timeout=10,
    )
    assert "Access-Control-Allow-Origin" not in pre.headers
    # a write from a foreign page is refused even as a "simple" request that skips preflight
    r = cors_api.session.post(
        cors_api.url("buckets/b"),
        data=b'{"client":"c","type":"t","hostname":"h"}',
        headers={"Origin": origin, **JSON},
        timeout=10,
    )
    assert r.status_code == 403 and "origin" in r.json()["message"]
    assert cors_api.get("buckets/b").status_code == 404


def test_own_origin_may_write(api: Api) -> None:
    r = api.post("buckets/b", BUCKET, headers={"Origin": api.base})
    assert r.status_code == 200


def _own_origins(api: Api) -> list[str]:
    port = api.base.rsplit(":", 1)[1]
    return [f"http://127.0.0.1:{port}", f"http://localhost:{port}", f"http://[::1]:{port}"]


def test_own_origin_may_read(api: Api) -> None:
    """A page the server served itself (under any of its loopback names) reads with CORS."""
    for origin in _own_origins(api):
        r = api.get("info", headers={"Origin": origin})
        assert r.headers.get("Access-Control-Allow-Origin") == origin, origin
        assert "Origin" in r.headers.get("Vary", "")
        pre = api.session.options(
            api.url("buckets/b"),
            headers={
                "Origin": origin,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type",
            },
            timeout=10,
        )
        assert pre.headers.get("Access-Control-Allow-Origin") == origin
        assert "POST" in pre.headers["Access-Control-Allow-Methods"]
        assert pre.headers["Access-Control-Allow-Headers"] == "content-type"
        r = api.post("buckets/b", BUCKET, headers={"Origin": origin})
        assert r.status_code in (200, 304)


@pytest.mark.parametrize(
    "origin",
    [
        "http://127.0.0.1:1",  # another program on this machine
        "http://localhost",
        "https://127.0.0.1:{port}",  # another scheme is another origin
        "http://example.com:{port}",
        "http://127.0.0.1:{port}.evil.example",
        "null",
    ],
)
def test_other_ports_and_hosts_are_not_own_origins(api: Api, origin: str) -> None:
    origin = origin.format(port=api.base.rsplit(":", 1)[1])
    r = api.get("info", headers={"Origin": origin})
    assert "Access-Control-Allow-Origin" not in r.headers
    r = api.post("buckets/b", BUCKET, headers={"Origin": origin})
    assert r.status_code == 403


def test_own_origin_when_not_bound_to_loopback(tmp_path: Path) -> None:
    """Bound to another address, only the origin the Host header names is the server's own."""
    app = create_app(make_config(tmp_path, host="0.0.0.0"))
    client = app.test_client()
    host = {"Host": "192.0.2.7:5600"}
    r = client.get("/api/0/info", headers={**host, "Origin": "http://192.0.2.7:5600"})
    assert r.headers.get("Access-Control-Allow-Origin") == "http://192.0.2.7:5600"
    r = client.get("/api/0/info", headers={**host, "Origin": "http://localhost:5600"})
    assert "Access-Control-Allow-Origin" not in r.headers
    app.extensions["aw"].storage.close()


def test_testing_mode_allows_webui_dev_server(tmp_path: Path) -> None:
    app = create_app(make_config(tmp_path, testing=True))
    r = app.test_client().get(
        "/api/0/info", headers={"Origin": "http://localhost:27180", "Host": "localhost"}
    )
    assert r.headers.get("Access-Control-Allow-Origin") == "http://localhost:27180"
    app.extensions["aw"].storage.close()


def test_keep_alive(api: Api) -> None:
    session = requests.Session()
    for _ in range(3):
        r = session.get(api.url("info"), timeout=10)
        assert r.headers.get("Connection", "").lower() != "close"


# -- the query route with and without its trailing slash ----------------------------------------


@pytest.mark.parametrize("path", ["query", "query/"])
def test_query_with_or_without_slash(api: Api, path: str) -> None:
    r = api.get(path)
    assert r.status_code == 405 and r.json()["message"]
    assert {m.strip() for m in r.headers["Allow"].split(",")} == {"POST", "OPTIONS"}
    body = {"query": ["RETURN = 1;"], "timeperiods": ["2024-01-01/2024-01-02"]}
    assert api.post(path, body).json() == [1]


# -- failures after Flask built its response still answer JSON -----------------------------------


@pytest.fixture
def faulty_api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> object:
    """A live waitress server with routes that fail where Flask's error handlers cannot help."""
    app = create_app(make_config(tmp_path))

    def bad_header() -> object:
        return flask.Response(b"{}", headers={"X-Name": "日本"})

    def stream_fails_at_once() -> object:
        def chunks() -> Iterator[bytes]:
            raise RuntimeError("boom before the first chunk")
            yield b""  # a generator

        return flask.Response(chunks(), mimetype="application/json")

    def stream_fails_later() -> object:
        def chunks() -> Iterator[bytes]:
            yield b'{"partial": '
            raise RuntimeError("boom after the first chunk")

        return flask.Response(chunks(), mimetype="application/json")

    def stream_empty() -> object:
        return flask.Response(iter([]), mimetype="application/json")

    app.add_url_rule("/api/0/test/bad-header", view_func=bad_header)
    app.add_url_rule("/api/0/test/stream-fails", view_func=stream_fails_at_once)
    app.add_url_rule("/api/0/test/stream-fails-later", view_func=stream_fails_later)
    app.add_url_rule("/api/0/test/stream-empty", view_func=stream_empty)
    for name in ("bad_header", "stream_fails_at_once", "stream_fails_later", "stream_empty"):
        monkeypatch.setitem(RULES, name, PUBLIC)  # routes without a rule are refused
    srv = ThreadedServer(app).start()
    yield Api(srv.url)
    srv.stop()
    app.extensions["aw"].storage.close()


@pytest.mark.parametrize("path", ["test/bad-header", "test/stream-fails"])
def test_late_failures_answer_json_500(faulty_api: Api, path: str) -> None:
    r = faulty_api.get(path)
    assert r.status_code == 500
    assert r.headers["Content-Type"] == "application/json"
    assert r.json() == {
        "message": "internal server error; see the server log",
        "code": "internal_error",
    }
    # the connection is still usable afterwards
    assert faulty_api.get("info").status_code == 200


def test_failure_after_the_first_chunk_ends_the_response(faulty_api: Api) -> None:
    with pytest.raises(requests.exceptions.RequestException):
        faulty_api.get("test/stream-fails-later").json()
    assert faulty_api.get("info").status_code == 200


def test_empty_streamed_body(faulty_api: Api) -> None:
    r = faulty_api.get("test/stream-empty")
    assert r.status_code == 200 and r.content == b""
