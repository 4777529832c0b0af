"""Who may call what on the timers API: one table of every timers endpoint and method x the keys
that call it (read, append or write on the stopwatch bucket, the dashboard and watcher presets,
an admin key, a key for another stopwatch bucket, no key from loopback under the local policy,
no key under the required policy); the table is checked to cover every route
(tests/test_auth_scopes.py leaves them to this file). Then a forced project deletion that would
change entries of a bucket the key may not write."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from aw_server.app import create_app
from tests.conftest import make_config
from tests.test_timers_support import TimerServer, timer_server

OTHER = "job-stopwatch"  # another stopwatch bucket, chosen with ?bucket=

# who: the scopes of the key (None: no key); "local" and "required" name the server's policy
KEYS: dict[str, tuple[str, ...] | None] = {
    "reader": ("read:aw-stopwatch",),
    "appender": ("append:aw-stopwatch",),
    "writer": ("write:aw-stopwatch",),
    "dashboard": ("preset:dashboard",),
    "watcher": ("preset:watcher",),
    "full": ("admin",),
    "other bucket": (f"read:{OTHER}", f"write:{OTHER}"),
    "no key, local": None,
    "no key, required": None,
}
LOCAL = {"full", "no key, local"}
READERS = LOCAL | {"reader", "dashboard"}
APPENDERS = LOCAL | {"appender", "writer", "watcher"}
WRITERS = LOCAL | {"writer"}
OTHER_READERS = LOCAL | {"dashboard", "other bucket"}
OTHER_WRITERS = LOCAL | {"other bucket"}

_ENTRY = {"start": "2024-01-01T10:00:00Z", "duration": 60}


@dataclass(frozen=True)
class Case:
    method: str
    path: str  # {entry}, {project}: made for the case
    allowed: set[str]
    status: int = 200
    body: Any = None
    params: dict[str, str] | None = None


CASES: dict[str, Case] = {
    "list entries": Case("GET", "/time-entries", READERS),
    "list another bucket's": Case("GET", "/time-entries", OTHER_READERS, params={"bucket": OTHER}),
    "current": Case("GET", "/time-entries/current", READERS),
    "get an entry": Case("GET", "/time-entries/{entry}", READERS),
    "add an entry": Case("POST", "/time-entries", APPENDERS, 201, _ENTRY),
    "start": Case("POST", "/time-entries/start", WRITERS, 201, {"description": "x"}),
    "start in another bucket": Case(
        "POST", "/time-entries/start", OTHER_WRITERS, 201, {}, {"bucket": OTHER}
    ),
    "stop": Case("POST", "/time-entries/stop", WRITERS),
    "change an entry": Case("PATCH", "/time-entries/{entry}", WRITERS, body={"description": "y"}),
    "delete an entry": Case("DELETE", "/time-entries/{entry}", WRITERS),
    "list projects": Case("GET", "/projects", READERS),
    "get a project": Case("GET", "/projects/{project}", READERS),
    "list tasks": Case("GET", "/projects/{project}/tasks", READERS),
    "create a project": Case("POST", "/projects", WRITERS, 201, {"name": "{unique}"}),
    "change a project": Case("PATCH", "/projects/{project}", WRITERS, body={"color": "#000000"}),
    "delete a project": Case("DELETE", "/projects/{project}", WRITERS),
    "add a task": Case("POST", "/projects/{project}/tasks", WRITERS, 201, {"name": "t"}),
}

_counter = itertools.count()


@dataclass
class Setup:
    srv: TimerServer
    secrets: dict[str, str]


def _setup(srv: TimerServer) -> Setup:
    secrets = {}
    for who, scopes in KEYS.items():
        if scopes is None:
            continue
        presets = [s.removeprefix("preset:") for s in scopes if s.startswith("preset:")]
        plain = [s for s in scopes if not s.startswith("preset:")]
        secrets[who] = srv.key(*plain, preset=presets[0] if presets else None)
    return Setup(srv, secrets)


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Setup]]:
    path = tmp_path_factory.mktemp("timers-access")
    with (
        timer_server(path / "local", auth={"policy": "local"}) as local,
        timer_server(path / "required", auth={"policy": "required"}) as required,
    ):
        yield {"local": _setup(local), "required": _setup(required)}


def _fill(value: Any, names: dict[str, str]) -> Any:
    if isinstance(value, str):
        for name, filled in names.items():
            value = value.replace("{" + name + "}", filled)
        return value
    if isinstance(value, dict):
        return {k: _fill(v, names) for k, v in value.items()}
    return value


@pytest.mark.parametrize("endpoint", list(CASES))
@pytest.mark.parametrize("who", list(KEYS))
def test_who_may_call_what(servers: dict[str, Setup], who: str, endpoint: str) -> None:
    case = CASES[endpoint]
    setup = servers["local" if who == "no key, local" else "required"]
    srv = setup.srv
    admin = setup.secrets["full"]
    n = next(_counter)
    # something to find, change or stop: an entry, a project, a running timer in each bucket
    names = {
        "entry": str(srv.ok("POST", "/time-entries", _ENTRY, secret=admin)["id"]),
        "project": srv.ok("POST", "/projects", {"name": f"victim {n}"}, secret=admin)["id"],
        "unique": f"new {n}",
    }
    srv.ok("POST", "/time-entries/start", {}, secret=admin)
    srv.ok("POST", "/time-entries/start", {}, secret=admin, params={"bucket": OTHER})
    r = srv.call(
        case.method,
        _fill(case.path, names),
        _fill(case.body, names),
        secret=setup.secrets.get(who),
        params=case.params,
    )
    refusal = 401 if who == "no key, required" else 403
    expected = case.status if who in case.allowed else refusal
    assert r.status_code == expected, (who, endpoint, r.text)
    if expected >= 400:
        body = r.json()
        assert set(body) == {"error", "code", "details"}
        assert body["code"] == {401: "unauthorized", 403: "forbidden"}[expected]


def test_the_table_covers_every_timers_endpoint_and_method(tmp_path: Path) -> None:
    app = create_app(make_config(tmp_path, storage="memory"))
    timers = {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("timers.")
        for method in (rule.methods or set()) & {"GET", "POST", "PUT", "PATCH", "DELETE"}
    }
    assert len(timers) == 15
    covered = set()
    for prefix in ("/api", "/api/0"):
        adapter = app.url_map.bind("localhost")
        for case in CASES.values():
            path = prefix + case.path.replace("{entry}", "1").replace("{project}", "proj_1")
            endpoint, _ = adapter.match(path, method=case.method)
            covered.add((endpoint, case.method))
    assert covered == timers, timers ^ covered


def test_a_forced_deletion_needs_write_on_every_bucket_it_changes(tmp_path: Path) -> None:
    with timer_server(tmp_path, auth={"policy": "required"}) as srv:
        admin = srv.key("admin")
        writer = srv.key("write:aw-stopwatch", "read:aw-stopwatch")
        project = srv.ok("POST", "/projects", {"name": "P"}, secret=admin)["id"]
        body = {**_ENTRY, "project_id": project}
        mine = srv.ok("POST", "/time-entries", body, secret=admin)
        theirs = srv.ok("POST", "/time-entries", body, secret=admin, params={"bucket": OTHER})
        path = f"/projects/{project}"
        r = srv.call("DELETE", path, secret=writer, params={"force": "1"})
        assert r.status_code == 403 and f"write:{OTHER}" in r.json()["error"], r.text
        assert srv.ok("GET", path, secret=admin)["id"] == project  # nothing changed
        for entry, bucket in ((mine, "aw-stopwatch"), (theirs, OTHER)):
            kept = srv.ok(
                "GET", f"/time-entries/{entry['id']}", secret=admin, params={"bucket": bucket}
            )
            assert kept["project_id"] == project
        assert srv.ok("DELETE", path, secret=admin, params={"force": "1"})["entries_cleared"] == 2
