"""Who may call what on the device API: one table of every devices.* endpoint and method x the
keys that call it (the device preset, a watcher, a dashboard, an admin, a key scoped to one
device's buckets, no key from loopback under the local policy, no key under the required
policy); the table is checked to cover every route (tests/test_auth_scopes.py leaves them to
this file). Then the public live status, and the CORS preflight of a reporting web page."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from aw_server.app import create_app
from tests.conftest import make_config
from tests.fixtures.devices import load
from tests.test_devices_support import (
    COVER,
    DeviceServer,
    bearer,
    device_server,
    media,
    report_body,
)

HOME_KEY = "home-device-hash-key"  # the hash key of the device the scoped key is bound to

# who: how the key is made (None: no key); "local" and "required" name the server's policy
KEYS: dict[str, str | None] = {
    "device": "preset:device",
    "watcher": "preset:watcher",
    "dashboard": "preset:dashboard",
    "full": "preset:full",
    "scoped": "scoped",
    "no key, local": None,
    "no key, required": None,
}
ADMINS = {"full", "no key, local"}
READERS = {"dashboard", "full", "scoped", "no key, local"}
REPORTERS = {"device", "watcher", "full"}  # may register a new device
EVERYONE = set(KEYS)


@dataclass(frozen=True)
class Case:
    method: str
    path: str  # {victim}: a device made for the case; {cover}: a stored picture's hash
    allowed: set[str]  # who gets `status`; the others 403, no key under `required` 401
    status: int = 200
    body: Callable[[], object] | None = None
    refused: int = 403  # what a key outside `allowed` gets


def _new_report() -> dict[str, Any]:
    return report_body(f"new-{uuid.uuid4()}")


CASES: dict[str, Case] = {
    "report a new device": Case("POST", "/api/activity", REPORTERS, 202, _new_report),
    "report the scoped key's device": Case(
        "POST", "/api/activity", {"scoped"}, 200, lambda: report_body(HOME_KEY)
    ),
    "verify a new device": Case(
        "POST",
        "/api/activity/verify",
        REPORTERS,
        202,
        lambda: {"generatedHashKey": str(uuid.uuid4())},
    ),
    "verify the scoped key's device": Case(
        "POST", "/api/activity/verify", {"scoped"}, 200, lambda: {"generatedHashKey": HOME_KEY}
    ),
    "feed": Case("GET", "/api/activity", READERS),
    "stream": Case("GET", "/api/activity/stream", READERS),
    "cover": Case("GET", "/api/media/covers/{cover}", EVERYONE),
    "list devices": Case("GET", "/api/admin/devices", ADMINS),
    "create a device": Case(
        "POST", "/api/admin/devices", ADMINS, 201, lambda: {"displayName": "New"}
    ),
    "patch a device": Case(
        "PATCH", "/api/admin/devices/{victim}", ADMINS, body=lambda: {"pinToTop": True}
    ),
    "patch in the collection": Case(
        "PATCH", "/api/admin/devices", ADMINS, body=lambda: {"id": "{victim}", "pinToTop": True}
    ),
    "delete a device": Case("DELETE", "/api/admin/devices/{victim}", ADMINS),
    "delete by query": Case("DELETE", "/api/admin/devices?id={victim}", ADMINS),
    "apps export": Case("GET", "/api/admin/activity/apps-export", ADMINS),
}


@dataclass
class Setup:
    srv: DeviceServer
    secrets: dict[str, str]
    cover: str


def _setup(srv: DeviceServer) -> Setup:
    """The home device (bound to the scoped key, active, reported once with a cover) and a
    key per row."""
    r = srv.admin_call(
        "POST", "/api/admin/devices", {"displayName": "Home", "generatedHashKey": HOME_KEY}
    )
    home = r.json()["data"]["id"]
    secrets = {}
    for who, how in KEYS.items():
        if how is None:
            continue
        if how == "scoped":
            buckets = [f"waken-{kind}_{home}" for kind in ("window", "media", "device")]
            secrets[who] = srv.key(*(f"{a}:{b}" for b in buckets for a in ("append", "read")))
        else:
            secrets[who] = srv.key(preset=how.removeprefix("preset:"), name=who)
    bind = {"apiTokenId": srv.key_id(secrets["scoped"]), "status": "active"}
    assert srv.admin_call("PATCH", f"/api/admin/devices/{home}", bind).status_code == 200
    r = srv.report(
        secrets["scoped"], report_body(HOME_KEY, metadata=media("Song", coverDataUrl=COVER))
    )
    assert r.status_code == 200, r.text
    cover = r.json()["data"]["metadata"]["media"]["coverUrl"].rpartition("/")[2]
    return Setup(srv, secrets, cover)


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Setup]]:
    path = tmp_path_factory.mktemp("access")
    with (
        device_server(path, auth={"policy": "local"}) as local,
        device_server(path, auth={"policy": "required"}) as required,
    ):
        for srv in (local, required):
            srv.caster.lifetime = 0.2  # streams end by themselves: their answers complete
        yield {"local": _setup(local), "required": _setup(required)}


def _fill(value: object, names: dict[str, str]) -> Any:
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
    victim = srv.admin_call("POST", "/api/admin/devices", {"displayName": "Victim"}).json()["data"][
        "id"
    ]
    names = {"victim": victim, "cover": setup.cover}
    body = _fill(case.body(), names) if case.body else None
    secret = setup.secrets.get(who)
    r = srv.request(case.method, _fill(case.path, names), secret, body=body)
    report = case.method == "POST" and case.path.startswith("/api/activity")
    if who in case.allowed:
        expected = case.status
    elif who == "no key, required" or (who == "no key, local" and report):
        expected = 401  # reports always need a key, from loopback too: it binds the device
    else:
        expected = case.refused
    assert r.status_code == expected, (who, endpoint, r.text)
    if expected >= 400:
        assert r.json()["success"] is False and r.json()["error"], r.text
        assert r.json()["code"] == {401: "unauthorized", 403: "forbidden"}[expected]
    if expected == 401:
        assert r.headers["WWW-Authenticate"].startswith("Bearer")


def test_the_table_covers_every_devices_endpoint_and_method(tmp_path: Path) -> None:
    app = create_app(make_config(tmp_path, storage="memory"))
    devices = {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("devices.")
        for method in (rule.methods or set()) & {"GET", "POST", "PUT", "PATCH", "DELETE"}
    }
    assert len(devices) == 12
    adapter = app.url_map.bind("localhost")
    covered = set()
    for case in CASES.values():
        path = case.path.split("?")[0].replace("{victim}", "dev_00000000")
        path = path.replace("{cover}", "0123456789abcdef")
        endpoint, _ = adapter.match(path, method=case.method)
        covered.add((endpoint, case.method))
    assert covered == devices, devices - covered


def test_the_scoped_key_sees_only_its_device(servers: dict[str, Setup]) -> None:
    setup = servers["required"]
    feed = setup.srv.feed(setup.secrets["scoped"])
    home = setup.srv.device_by_key(HOME_KEY)
    assert home is not None
    assert {s["deviceId"] for s in feed["activeStatuses"]} == {home["id"]}
    assert {a["deviceId"] for a in feed["recentActivities"]} == {home["id"]}


# --- the public live status ---------------------------------------------------------------------


@pytest.mark.parametrize("policy", ["local", "required"])
def test_the_public_live_status_needs_no_key(tmp_path: Path, policy: str) -> None:
    devices = {"public_status": True, "name_only_apps": ["VS Code"]}
    with device_server(tmp_path, devices=devices, auth={"policy": policy}) as srv:
        srv.caster.lifetime = 0.2
        key = srv.key(preset="device")
        srv.enrol(key)
        assert srv.report(key, report_body()).status_code == 200
        remote = {"X-Forwarded-For": "192.0.2.9"}  # not loopback: the public's view
        for path in ("/api/activity", "/api/activity/stream"):
            r = requests.get(srv.url + path, headers=remote, timeout=30)
            assert r.status_code == 200, r.text
            assert "VS Code" in r.text and "editing setup-form.tsx" not in r.text
        # a key without read gets the public view too; a reader the whole feed
        assert "editing setup-form.tsx" not in srv.request("GET", "/api/activity", key).text
        reader = srv.key(preset="dashboard")
        assert "editing setup-form.tsx" in srv.request("GET", "/api/activity", reader).text
        # the registry stays the admin's
        r = requests.get(f"{srv.url}/api/admin/devices", headers=remote, timeout=30)
        assert r.status_code == 401


def test_the_loopback_owner_sees_the_whole_feed_even_when_it_is_public(tmp_path: Path) -> None:
    devices = {"public_status": True, "name_only_apps": ["VS Code"]}
    with device_server(tmp_path, devices=devices) as srv:
        key = srv.key(preset="device")
        srv.enrol(key)
        assert srv.report(key, report_body()).status_code == 200
        r = requests.get(f"{srv.url}/api/activity", timeout=30)
        assert "editing setup-form.tsx" in r.text


# --- CORS: a reporting web page of any origin ---------------------------------------------------


@pytest.mark.parametrize(
    "origin", ["http://127.0.0.1:38612", "https://example.org", "http://192.168.1.20:3000"]
)
@pytest.mark.parametrize("path", ["/api/activity", "/api/activity/verify"])
@pytest.mark.parametrize("policy", ["local", "required"])
def test_the_fetch_example_s_preflight_is_answered_for_any_origin(
    tmp_path: Path, origin: str, path: str, policy: str
) -> None:
    recorded = load("guide_fetch_preflight")
    with device_server(tmp_path, auth={"policy": policy}) as srv:
        headers = {**recorded.headers, "Origin": origin, "X-Forwarded-For": "192.0.2.9"}
        r = requests.options(srv.url + path, headers=headers, timeout=30)
        assert r.status_code == 200, r.text
        assert r.headers["Access-Control-Allow-Origin"] in (origin, "*")
        allowed = {h.strip().lower() for h in r.headers["Access-Control-Allow-Headers"].split(",")}
        assert {"authorization", "content-type"} <= allowed
        assert "POST" in r.headers["Access-Control-Allow-Methods"]
        # then the POST itself, as the page sends it: answered with the CORS header too
        fetch = load("guide_fetch_battery").with_credentials(srv.key(preset="device"))
        post = srv.session.post(
            srv.url + path,
            data=fetch.body.encode(),
            headers={**fetch.headers, "Origin": origin},
            timeout=30,
        )
        assert post.status_code == 202, post.text
        assert post.headers["Access-Control-Allow-Origin"] in (origin, "*")


def test_the_admin_api_gets_no_cors_for_a_foreign_origin(tmp_path: Path) -> None:
    with device_server(tmp_path) as srv:
        headers = {
            "Origin": "https://example.org",
            "Access-Control-Request-Method": "PATCH",
            "Access-Control-Request-Headers": "authorization,content-type",
        }
        r = requests.options(f"{srv.url}/api/admin/devices", headers=headers, timeout=30)
        assert "Access-Control-Allow-Origin" not in r.headers
        r = requests.get(f"{srv.url}/api/admin/devices", headers=bearer(srv.admin), timeout=30)
        assert r.status_code == 200
