"""Who needs a key: loopback under ``local``, everyone under ``required``, forwarded requests,
``[auth] api_key`` in the config file, remote addresses, trusted proxies and the Host check."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
from flask import Flask
from werkzeug.test import TestResponse

from aw_server.app import create_app
from aw_server.logbuffer import log_buffer
from tests.conftest import make_config, subprocess_env
from tests.liveserver import ServerProcess, free_port
from tests.test_auth_support import BUCKET, REMOTE, auth_server, bearer

FORWARDING = [
    {"X-Forwarded-For": "127.0.0.1"},
    {"Forwarded": "for=127.0.0.1"},
    {"X-Real-IP": "127.0.0.1"},
    {"x-forwarded-for": ""},  # present, even empty: the request went through a proxy
]
# what anyone may fetch without a key under `required`
PUBLIC = ["/api/0/info", "/api/openapi.json", "/api/", "/", "/js/app.js", "/css/app.css"]
PRIVATE = ["buckets/", "keys", "log", "settings", "export", "buckets/b/events"]


def test_local_loopback_without_a_key_may_do_everything(tmp_path: Path) -> None:
    with auth_server(tmp_path) as srv:
        assert srv.call("POST", "buckets/b", body=BUCKET).status_code == 200
        r = srv.call("POST", "keys", body={"name": "n", "preset": "full"})
        assert r.status_code == 201
        for path in PRIVATE:
            r = srv.call("GET", path)
            assert r.status_code == 200, path
            assert "X-RateLimit-Limit" not in r.headers  # loopback without a key: no limit
        assert srv.call("DELETE", "buckets/b?force=1").status_code == 200


def test_a_forwarding_header_on_loopback_needs_a_key(tmp_path: Path) -> None:
    """Through the real command (waitress as it is configured there): a proxy on this machine
    that forwards a request from elsewhere must not hand it loopback's full access."""
    server = ServerProcess(
        ["--dbpath", str(tmp_path / "aw.sqlite")], subprocess_env(), free_port()
    ).start()
    try:
        base = f"{server.url}/api/0"
        r = requests.post(f"{base}/keys", json={"name": "n", "preset": "dashboard"}, timeout=5)
        secret = r.json()["secret"]
        for headers in FORWARDING:
            r = requests.get(f"{base}/buckets/", headers=headers, timeout=5)
            assert r.status_code == 401 and r.json()["code"] == "unauthorized", headers
            assert r.headers["WWW-Authenticate"] == 'Bearer realm="aw-server"'
            assert requests.get(f"{base}/info", headers=headers, timeout=5).status_code == 200
            r = requests.get(f"{base}/buckets/", headers={**headers, **bearer(secret)}, timeout=5)
            assert r.status_code == 200, headers
        assert requests.get(f"{base}/buckets/", timeout=5).status_code == 200
    finally:
        server.stop()


@pytest.mark.parametrize("path", ["buckets/", "info", "/", "/api/openapi.json", "nope"])
def test_a_wrong_key_on_loopback_is_a_401_never_no_key(tmp_path: Path, path: str) -> None:
    with auth_server(tmp_path) as srv:
        for present in (bearer("wrong"), {"X-API-Key": "wrong"}, {"Authorization": "Token x"}):
            r = srv.call("GET", path, headers=present)
            assert r.status_code == 401 and r.json()["code"] == "unauthorized", path


@pytest.mark.parametrize("path", PRIVATE)
def test_required_refuses_loopback_without_a_key(tmp_path: Path, path: str) -> None:
    with auth_server(tmp_path, policy="required") as srv:
        r = srv.call("GET", path)
        assert r.status_code == 401 and r.json()["code"] == "unauthorized"
        assert srv.call("GET", path, srv.key("admin")).status_code in (200, 404)


def test_required_leaves_public_endpoints_preflights_and_dashboard_files_open(
    tmp_path: Path,
) -> None:
    with auth_server(tmp_path, policy="required") as srv:
        for path in PUBLIC:
            assert srv.call("GET", path).status_code == 200, path
        assert srv.call("GET", "/no-such-file.js").status_code == 404
        preflight = {"Origin": "http://localhost:27180", "Access-Control-Request-Method": "POST"}
        for path in ("buckets/", "buckets/b/heartbeat", "keys"):
            assert srv.call("OPTIONS", path, headers=preflight).status_code == 200
        assert srv.call("POST", "info").status_code == 401  # only GET /info is public


@pytest.mark.parametrize("policy", ["local", "required"])
def test_dashboard_files_whose_names_start_with_api_are_dashboard_files(
    tmp_path: Path, policy: str
) -> None:
    web = tmp_path / "web"
    (web / "apis").mkdir(parents=True)
    (web / "index.html").write_text("<p>home")
    (web / "api-guide.html").write_text("<p>guide")
    (web / "apis" / "a.js").write_text("export {};")
    config = make_config(tmp_path, webui_path=str(web))
    config.auth.policy = policy
    app = create_app(config)
    try:
        client = app.test_client()
        assert client.get("/api-guide.html").data == b"<p>guide"
        assert client.get("/apis/a.js").status_code == 200
        remote = client.get("/apis/a.js", environ_base={"REMOTE_ADDR": REMOTE})
        assert remote.status_code == 200
        r = client.get("/api/0/buckets/", environ_base={"REMOTE_ADDR": REMOTE})
        assert r.status_code == 401
    finally:
        app.extensions["aw"].storage.close()


def _write_server_config(isolated_dirs: dict[str, str], text: str) -> None:
    path = Path(isolated_dirs["XDG_CONFIG_HOME"]) / "activitywatch" / "aw-server" / "aw-server.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_an_api_key_in_the_config_requires_it_and_is_one_admin_key(
    isolated_dirs: dict[str, str], tmp_path: Path
) -> None:
    secret = "correct-horse-battery-staple"
    _write_server_config(isolated_dirs, f'[auth]\napi_key = "{secret}"\n')
    args = ["--testing", "--dbpath", str(tmp_path / "aw.sqlite")]
    names: list[list[str]] = []
    for _ in range(2):  # the second start finds the key in the database
        server = ServerProcess(args, subprocess_env(), free_port()).start()
        try:
            base = f"{server.url}/api/0"
            r = requests.get(f"{base}/buckets/", timeout=5)
            assert r.status_code == 401 and r.json()["code"] == "unauthorized"
            assert requests.get(f"{base}/info", timeout=5).status_code == 200
            r = requests.get(f"{base}/keys", headers=bearer(secret), timeout=5)
            assert r.status_code == 200 and secret not in r.text
            names.append([k["name"] for k in r.json()])
            assert r.json()[0]["scopes"] == ["admin"]
            r = requests.post(f"{base}/buckets/b", json=BUCKET, headers=bearer(secret), timeout=5)
            assert r.status_code in (200, 304)
        finally:
            server.stop()
    assert names[0] == names[1] and len(names[0]) == 1


def test_an_api_key_with_an_explicit_local_policy_keeps_loopback_open(
    isolated_dirs: dict[str, str], tmp_path: Path
) -> None:
    _write_server_config(isolated_dirs, '[auth]\npolicy = "local"\napi_key = "s3cret-s3cret"\n')
    server = ServerProcess(
        ["--dbpath", str(tmp_path / "aw.sqlite")], subprocess_env(), free_port()
    ).start()
    try:
        assert requests.get(f"{server.url}/api/0/buckets/", timeout=5).status_code == 200
        r = requests.get(f"{server.url}/api/0/keys", headers=bearer("s3cret-s3cret"), timeout=5)
        assert r.status_code == 200 and len(r.json()) == 1
    finally:
        server.stop()


def _config_key_status(tmp_path: Path, api_key: str | None, tries: list[str]) -> list[int]:
    """Start an app on the database in tmp_path with this ``[auth] api_key`` and policy
    required; the status of GET /api/0/keys with each of ``tries``."""
    config = make_config(tmp_path)
    config.auth.policy, config.auth.api_key = "required", api_key
    app = create_app(config)
    try:
        client = app.test_client()
        return [client.get("/api/0/keys", headers=bearer(t)).status_code for t in tries]
    finally:
        app.extensions["aw"].storage.close()


def test_changing_or_removing_the_config_api_key_stops_the_old_one(tmp_path: Path) -> None:
    old, new = "leaked-secret-1", "fresh-secret-2"
    assert _config_key_status(tmp_path, old, [old]) == [200]
    assert _config_key_status(tmp_path, old, [old]) == [200]  # kept across restarts
    assert _config_key_status(tmp_path, new, [old, new]) == [401, 200]
    assert _config_key_status(tmp_path, None, [old, new]) == [401, 401]
    app = create_app(make_config(tmp_path))
    try:
        assert app.extensions["aw_keys"].all() == []
    finally:
        app.extensions["aw"].storage.close()


def test_the_config_key_s_name_is_kept_for_it(tmp_path: Path) -> None:
    with auth_server(tmp_path) as srv:
        body = {"name": "[auth] api_key from the config file", "preset": "full"}
        r = srv.call("POST", "keys", body=body)
        assert r.status_code == 400 and "kept" in r.json()["message"]


# -- remote addresses (Flask's test client: nothing leaves the process) ---------------------


def _app(tmp_path: Path, **auth: object) -> Flask:
    config = make_config(tmp_path / "remote", storage="memory")
    for name, value in auth.items():
        setattr(config.auth, name, value)
    return create_app(config)


def _get(
    app: Flask, path: str, address: str, headers: dict[str, str] | None = None
) -> TestResponse:
    url = path if path.startswith("/") else f"/api/0/{path}"
    return app.test_client().get(url, headers=headers or {}, environ_base={"REMOTE_ADDR": address})


@pytest.mark.parametrize("policy", ["local", "required"])
def test_a_remote_address_needs_a_key(tmp_path: Path, policy: str) -> None:
    app = _app(tmp_path, policy=policy)
    _, secret = app.extensions["aw_keys"].create("k", scopes=["read:*"])
    assert _get(app, "buckets/", REMOTE).status_code == 401
    assert _get(app, "buckets/", REMOTE, bearer("wrong")).status_code == 401
    assert _get(app, "buckets/", REMOTE, bearer(secret)).status_code == 200
    for path in ("info", "/api/openapi.json", "/"):
        assert _get(app, path, REMOTE).status_code == 200, path
    for loopback in ("127.0.0.1", "127.8.9.10", "::1"):
        expected = 200 if policy == "local" else 401
        assert _get(app, "buckets/", loopback).status_code == expected, loopback


@pytest.mark.parametrize(
    ("header", "values"),
    [
        ("X-Forwarded-For", ["198.51.100.1", "10.0.0.1, 198.51.100.1", "198.51.100.1:4711"]),
        ("X-Real-IP", ["198.51.100.1", "198.51.100.1:1", "198.51.100.1:2"]),
        ("Forwarded", ["for=198.51.100.1", "for=198.51.100.1:1", 'for="198.51.100.1:2"']),
        ("Forwarded", ['for="[2001:db8::1]:1"', 'for="[2001:db8::1]:2"', 'for="[2001:db8::1]"']),
    ],
)
def test_a_trusted_proxy_s_client_address_is_what_the_limits_count(
    tmp_path: Path, header: str, values: list[str]
) -> None:
    """The forwarded address, without its port, is the one counted: the third request from it
    is refused, however its port or the earlier hops vary; other clients are unaffected."""
    app = _app(tmp_path, trusted_proxies=["192.0.2.0/28"], rate_address=2)
    _, secret = app.extensions["aw_keys"].create("k", scopes=["read:*"])
    statuses = [_get(app, "buckets/", REMOTE, {header: v, **bearer(secret)}) for v in values]
    assert [r.status_code for r in statuses] == [200, 200, 429]
    other = "for=198.51.100.2" if header == "Forwarded" else "198.51.100.2"
    assert _get(app, "buckets/", REMOTE, {header: other, **bearer(secret)}).status_code == 200
    # the proxy's report never makes a request local
    assert _get(app, "buckets/", REMOTE, {"X-Forwarded-For": "127.0.0.1"}).status_code == 401


def test_an_untrusted_peer_is_counted_whatever_it_forwards(tmp_path: Path) -> None:
    app = _app(tmp_path, trusted_proxies=["192.0.2.128/25"], rate_address=2)
    _, secret = app.extensions["aw_keys"].create("k", scopes=["read:*"])
    sent = [{"X-Forwarded-For": f"198.51.100.{i}", **bearer(secret)} for i in range(3)]
    assert [_get(app, "buckets/", REMOTE, h).status_code for h in sent] == [200, 200, 429]


def test_failed_authentications_are_counted_and_logged_per_forwarded_address(
    tmp_path: Path,
) -> None:
    app = _app(tmp_path, trusted_proxies=[REMOTE], rate_failed_auth=2)
    _, secret = app.extensions["aw_keys"].create("k", scopes=["read:*"])
    attacker, victim = {"X-Real-IP": "203.0.113.66"}, {"X-Real-IP": "203.0.113.7"}
    for _ in range(2):
        assert _get(app, "buckets/", REMOTE, {**attacker, **bearer("guess")}).status_code == 401
    assert _get(app, "buckets/", REMOTE, {**attacker, **bearer(secret)}).status_code == 429
    assert _get(app, "buckets/", REMOTE, {**victim, **bearer(secret)}).status_code == 200
    messages = [r["message"] for r in log_buffer().records()]
    assert "failed authentication from 203.0.113.66: the API key is not valid" in messages


@pytest.mark.parametrize("host", ["evil.example", "evil.example:5600", "192.168.1.5:5600"])
def test_a_valid_key_may_use_any_host_keyless_requests_may_not(tmp_path: Path, host: str) -> None:
    with auth_server(tmp_path) as srv:
        secret = srv.key("read:*")
        assert srv.call("GET", "buckets/", secret, headers={"Host": host}).status_code == 200
        for path in ("buckets/", "info", "/"):
            r = srv.call("GET", path, headers={"Host": host})
            assert r.status_code == 400 and "Host header" in r.json()["message"], path
        r = srv.call("GET", "buckets/", "wrong", headers={"Host": host})
        assert r.status_code == 401


def test_bound_beyond_loopback_only_full_local_access_checks_the_host(tmp_path: Path) -> None:
    config = make_config(tmp_path, host="0.0.0.0", storage="memory")
    app = create_app(config)
    evil = {"Host": "evil.example"}
    # a page (or a public endpoint) may be reached under any name the machine has
    assert _get(app, "info", REMOTE, evil).status_code == 200
    assert _get(app, "/", REMOTE, evil).status_code == 200
    # but full access without a key is never given to a rebound name
    assert _get(app, "buckets/", "127.0.0.1", evil).status_code == 400
    assert _get(app, "buckets/", "127.0.0.1", {"Host": "localhost:5600"}).status_code == 200
