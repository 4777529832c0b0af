"""What each scope may do on every kind of endpoint (one table), the views that show only what a
key may read, queries over unreadable buckets, and the named-query cache across keys."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import orjson
import pytest
from flask import Response

from aw_server.app import create_app
from aw_server.service import parse_event
from tests.conftest import make_config
from tests.test_auth_support import BUCKET, EVENT, AuthServer, auth_server

SCOPES = ["read:*", "read:b*", "append:*", "append:b", "write:b", "admin"]
READ = {"read:*", "read:b*", "admin"}
APPEND = {"append:*", "append:b", "write:b", "admin"}
WRITE = {"write:b", "admin"}
ADMIN = {"admin"}
EVERYONE = set(SCOPES)
PERIOD = ["2020-01-01T00:00:00+00:00/2020-01-02T00:00:00+00:00"]


def _query(line: str) -> dict[str, object]:
    return {"query": [line], "timeperiods": PERIOD}


@dataclass(frozen=True)
class Case:
    method: str
    path: str  # under /api/0 unless it starts with /; {event} and {victim} are filled in
    allowed: set[str]
    status: int = 200  # for the allowed scopes
    needs: str = ""  # the scope a refused key's 403 names
    body: object = None


ENDPOINTS: dict[str, Case] = {
    "bucket list": Case("GET", "buckets/", EVERYONE),
    "get bucket": Case("GET", "buckets/b", READ, needs="read:b"),
    "create bucket": Case("POST", "buckets/b", APPEND, 304, "append:b", BUCKET),
    "update bucket": Case("PUT", "buckets/b", WRITE, needs="write:b", body={"data": {"x": 1}}),
    "delete bucket": Case("DELETE", "buckets/b?force=1", WRITE, needs="write:b"),
    "get events": Case("GET", "buckets/b/events", READ, needs="read:b"),
    "count": Case("GET", "buckets/b/events/count", READ, needs="read:b"),
    "get event": Case("GET", "buckets/b/events/{event}", READ, needs="read:b"),
    "post event": Case("POST", "buckets/b/events", APPEND, needs="append:b", body=EVENT),
    # refused first by the table (append), then by the view (an id replaces: write)
    "post event with id": Case(
        "POST", "buckets/b/events", WRITE, needs="write:b", body=[{**EVENT, "id": "{event}"}]
    ),
    "delete event": Case("DELETE", "buckets/b/events/{event}", WRITE, needs="write:b"),
    "heartbeat": Case(
        "POST", "buckets/b/heartbeat?pulsetime=60", APPEND, needs="append:b", body=EVENT
    ),
    "export one": Case("GET", "buckets/b/export", READ, needs="read:b"),
    "export all": Case("GET", "export", EVERYONE),
    "import": Case(
        "POST",
        "import",
        WRITE,
        needs="write:b",
        body={"buckets": {"b": {**BUCKET, "id": "b", "events": [EVENT]}}},
    ),
    "query_bucket": Case(
        "POST", "query/", READ, needs="read:b", body=_query('RETURN = query_bucket("b");')
    ),
    "find_bucket": Case(
        "POST", "query/", READ, needs="read:b", body=_query('RETURN = find_bucket("b");')
    ),
    "query_bucket_eventcount": Case(
        "POST",
        "query/",
        READ,
        needs="read:b",
        body=_query('RETURN = query_bucket_eventcount("b");'),
    ),
    "query_bucket_names": Case(
        "POST", "query/", EVERYONE, body=_query("RETURN = query_bucket_names();")
    ),
    "query reading nothing": Case("POST", "query/", EVERYONE, body=_query("RETURN = 1;")),
    "settings get all": Case("GET", "settings", READ, needs="read:<any bucket>"),
    "settings get one": Case("GET", "settings/theme", READ, needs="read:<any bucket>"),
    "settings set": Case("POST", "settings/theme", ADMIN, needs="admin", body="dark"),
    "settings set without a key": Case("POST", "settings", ADMIN, 400, "admin", {}),
    "settings delete": Case("DELETE", "settings/theme", ADMIN, needs="admin"),
    "log": Case("GET", "log", ADMIN, needs="admin"),
    "keys list": Case("GET", "keys", ADMIN, needs="admin"),
    "keys create": Case("POST", "keys", ADMIN, 201, "admin", {"name": "n", "preset": "watcher"}),
    "keys patch": Case("PATCH", "keys/{victim}", ADMIN, needs="admin", body={"enabled": False}),
    "keys delete": Case("DELETE", "keys/{victim}", ADMIN, needs="admin"),
    "info": Case("GET", "info", EVERYONE),
    "openapi": Case("GET", "/api/openapi.json", EVERYONE),
    "API browser": Case("GET", "/api/", EVERYONE),
}


def _fill(value: object, names: dict[str, object]) -> object:
    """``value`` with the placeholders ``{event}``/``{victim}`` replaced (ids stay numbers)."""
    if isinstance(value, str):
        for name, filled in names.items():
            if value == "{" + name + "}":
                return filled
            value = value.replace("{" + name + "}", str(filled))
        return value
    if isinstance(value, list):
        return [_fill(v, names) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, names) for k, v in value.items()}
    return value


def _populate(srv: AuthServer) -> dict[str, object]:
    """Buckets b (one event), bx and other, a setting, and a key to patch or delete."""
    for bucket_id in ("b", "bx", "other"):
        srv.service.create_bucket(bucket_id, dict(BUCKET))
    (event,) = srv.service.insert_events("b", [parse_event(dict(EVENT), "event")])
    srv.service.set_setting("theme", "light")
    victim, _ = srv.ring.create("victim", preset="watcher")
    return {"event": event.id, "victim": victim.id}


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
@pytest.mark.parametrize("scope", SCOPES)
def test_scope_on_endpoint(tmp_path: Path, scope: str, endpoint: str) -> None:
    case = ENDPOINTS[endpoint]
    with auth_server(tmp_path, policy="required") as srv:
        names = _populate(srv)
        secret = srv.key(scope)
        path = str(_fill(case.path, names))
        r = srv.call(case.method, path, secret, body=_fill(case.body, names))
        if scope in case.allowed:
            assert r.status_code == case.status, r.text
        else:
            needs = case.needs
            if endpoint == "post event with id" and scope not in APPEND:
                needs = "append:b"  # the table's check comes before the view's
            assert r.status_code == 403, r.text
            assert r.json()["code"] == "forbidden"
            assert needs in r.json()["message"], r.json()["message"]
        if r.status_code in (200, 201, 304, 400):
            assert r.headers["X-RateLimit-Limit"] == "600"


def test_the_table_covers_every_api_endpoint_and_method(tmp_path: Path) -> None:
    app = create_app(make_config(tmp_path, storage="memory"))
    api = {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        # the WakaTime, device, timers and webhook routes have their own tables:
        # tests/test_wakatime_access.py, tests/test_devices_access.py, tests/test_timers_access.py,
        # tests/test_webhooks_api.py
        if rule.rule.startswith("/api")
        and not rule.endpoint.startswith(("wakatime.", "devices.", "timers.", "webhooks."))
        for method in (rule.methods or set()) & {"GET", "POST", "PUT", "PATCH", "DELETE"}
    }
    assert len(api) > 25
    covered = {_endpoint_of(app, case) for case in ENDPOINTS.values()}
    assert api <= covered, api - covered


def _endpoint_of(app: object, case: Case) -> tuple[str, str]:
    adapter = app.url_map.bind("localhost")  # type: ignore[attr-defined]
    path = case.path if case.path.startswith("/") else f"/api/0/{case.path}"
    path = path.split("?")[0].replace("{event}", "1").replace("{victim}", "1")
    endpoint, _ = adapter.match(path, method=case.method)
    return endpoint, case.method


def _bucket_ids(response_body: bytes) -> list[str]:
    return sorted(orjson.loads(response_body))


@pytest.mark.parametrize(
    ("scope", "visible"),
    [
        ("read:*", ["b", "bx", "other"]),
        ("read:b*", ["b", "bx"]),
        ("read:b", ["b"]),
        ("read:other", ["other"]),
        ("append:*", []),
        ("write:b", []),
        ("admin", ["b", "bx", "other"]),
    ],
)
def test_bucket_list_export_and_bucket_names_show_only_readable_buckets(
    tmp_path: Path, scope: str, visible: list[str]
) -> None:
    with auth_server(tmp_path, policy="required") as srv:
        _populate(srv)
        secret = srv.key(scope)
        assert _bucket_ids(srv.call("GET", "buckets/", secret).content) == visible
        export = srv.call("GET", "export", secret)
        assert export.status_code == 200
        assert sorted(export.json()["buckets"]) == visible
        r = srv.call("POST", "query/", secret, body=_query("RETURN = query_bucket_names();"))
        assert sorted(r.json()[0]) == visible


@pytest.mark.parametrize(
    "line",
    [
        'RETURN = query_bucket("other");',
        'RETURN = query_bucket_eventcount("other");',
        'RETURN = find_bucket("other");',
        'x = query_bucket("b"); RETURN = query_bucket("other");',
        'RETURN = query_bucket("missing");',  # unreadable whether or not it exists
    ],
)
def test_a_query_over_an_unreadable_bucket_is_a_403_naming_it(tmp_path: Path, line: str) -> None:
    bucket = "missing" if "missing" in line else "other"
    with auth_server(tmp_path, policy="required") as srv:
        _populate(srv)
        r = srv.call("POST", "query/", srv.key("read:b*"), body=_query(line))
        assert r.status_code == 403 and r.json()["code"] == "forbidden"
        assert f"'{bucket}'" in r.json()["message"] and f"read:{bucket}" in r.json()["message"]


def test_a_prefix_search_never_names_an_unreadable_bucket(tmp_path: Path) -> None:
    """find_bucket by prefix passes over buckets the key may not read: it finds a readable one
    or none, and the error does not name the others."""
    with auth_server(tmp_path, policy="required") as srv:
        _populate(srv)
        secret = srv.key("read:b*")
        r = srv.call("POST", "query/", secret, body=_query('RETURN = find_bucket("oth");'))
        assert r.status_code == 400 and "other" not in r.json()["message"].replace("'oth'", "")
        r = srv.call("POST", "query/", secret, body=_query('RETURN = find_bucket("");'))
        assert r.status_code == 200 and r.json() == ["b"]
        r = srv.call(
            "POST", "query/", srv.key("read:*"), body=_query('RETURN = find_bucket("oth");')
        )
        assert r.json() == ["other"]


def test_import_checks_every_bucket_before_writing_any(tmp_path: Path) -> None:
    with auth_server(tmp_path, policy="required") as srv:
        _populate(srv)
        body = {
            "buckets": {
                "bnew": {**BUCKET, "id": "bnew", "events": [EVENT]},
                "other2": {**BUCKET, "id": "other2", "events": []},
            }
        }
        r = srv.call("POST", "import", srv.key("write:b*"), body=body)
        assert r.status_code == 403 and "write:other2" in r.json()["message"]
        assert "bnew" not in srv.service.list_buckets()
        assert srv.call("POST", "import", srv.key("write:*"), body=body).status_code == 200


@pytest.mark.parametrize("first", ["admin", "local"])
def test_the_named_query_cache_does_not_leak_across_keys(tmp_path: Path, first: str) -> None:
    """A result cached for an admin key (or a local request) is not served to a key that may
    not read the bucket, nor a bucket list to a key that sees fewer buckets."""
    with auth_server(tmp_path) as srv:
        _populate(srv)
        srv.service.insert_events("other", [parse_event(dict(EVENT), "event")])
        admin = srv.key("admin") if first == "admin" else None
        reader = srv.key("read:b*")
        events = _query('RETURN = query_bucket("other");')
        names = _query("RETURN = query_bucket_names();")
        for _ in range(2):  # the second answer comes from the cache
            r = srv.call("POST", "query/?name=shared", admin, body=events)
            assert r.status_code == 200 and len(r.json()[0]) == 1
            r = srv.call("POST", "query/?name=names", admin, body=names)
            assert sorted(r.json()[0]) == ["b", "bx", "other"]
        r = srv.call("POST", "query/?name=shared", reader, body=events)
        assert r.status_code == 403 and "read:other" in r.json()["message"]
        r = srv.call("POST", "query/?name=names", reader, body=names)
        assert sorted(r.json()[0]) == ["b", "bx"]


def test_an_api_endpoint_without_a_rule_is_refused(tmp_path: Path) -> None:
    app = create_app(make_config(tmp_path))

    def extra() -> Response:
        return Response("{}", mimetype="application/json")

    app.add_url_rule("/api/0/extra", "extra.view", extra)
    srv = AuthServer(app)
    try:
        secret = srv.key("admin")
        for who in (secret, None):  # an admin key, and loopback without a key
            r = srv.call("GET", "extra", who)
            assert r.status_code == 403 and "no access rule" in r.json()["message"]
        assert srv.call("GET", "buckets/", secret).status_code == 200
    finally:
        srv.stop()


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"name": "n", "scopes": ["read"]}, "unknown scope"),
        ({"name": "n", "scopes": ["delete:*"]}, "unknown scope"),
        ({"name": "n", "scopes": ["read:"]}, "needs a bucket glob"),
        ({"name": "n", "scopes": []}, "at least one scope"),
        ({"name": "n", "scopes": "read:*"}, "list of strings"),
        ({"name": "n", "scopes": [1]}, "must be a string"),
        ({"name": "n"}, "needs 'scopes'"),
        ({"name": "n", "preset": "root"}, "unknown preset"),
        ({"name": "n", "preset": 1}, "'preset' must be a string"),
        ({"name": "", "preset": "full"}, "name"),
        ({"preset": "full"}, "name"),
        ({"name": "ok\n   2  fake…  forged", "preset": "full"}, "control characters"),
        ({"name": "tab\there", "preset": "full"}, "control characters"),
        ({"name": "n", "preset": "full", "expires": "2001-01-01T00:00:00Z"}, "future"),
        ({"name": "n", "preset": "full", "expires": "soon"}, "expires"),
        ({"name": "n", "preset": "full", "expires": 5}, "expires"),
        ({"name": "n", "preset": "full", "rate_limit": 0}, "rate_limit"),
        ({"name": "n", "preset": "full", "rate_limit": True}, "rate_limit"),
        ({"name": "n", "preset": "full", "secret": "mine"}, "unknown field"),
        (["read:*"], "JSON object"),
    ],
)
def test_bad_key_requests_are_400(tmp_path: Path, body: object, words: str) -> None:
    with auth_server(tmp_path) as srv:
        r = srv.call("POST", "keys", body=body)
        assert r.status_code == 400 and r.json()["code"] == "bad_request", r.text
        assert words in r.json()["message"], r.json()["message"]
        assert srv.ring.all() == []


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("keys/1", {"enabled": "no"}),
        ("keys/1", {"enabled": True, "name": "x"}),
        ("keys/1", []),
    ],
)
def test_bad_key_updates_are_400_and_unknown_keys_404(
    tmp_path: Path, path: str, body: object
) -> None:
    with auth_server(tmp_path) as srv:
        srv.ring.create("k", preset="watcher")
        assert srv.call("PATCH", path, body=body).status_code == 400
        missing = [("PATCH", "keys/99"), ("DELETE", "keys/99"), ("DELETE", "keys/" + "9" * 30)]
        for method, path_of_none in missing:
            r = srv.call(method, path_of_none, body={"enabled": False})
            assert r.status_code == 404 and r.json()["code"] == "not_found"
