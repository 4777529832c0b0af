"""Rate limits per key, brute force from one address, and keys in URLs kept out of every log."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from aw_server.logbuffer import log_buffer
from tests.conftest import subprocess_env
from tests.liveserver import ServerProcess, free_port
from tests.test_auth_support import (
    REMOTE,
    AuthServer,
    FakeClock,
    auth_server,
    bearer,
    server_log_files_text,
    use_clock,
)


def _assert_limited(r: requests.Response, limit: int) -> None:
    """A 429 as every limit answers it."""
    assert r.status_code == 429, r.text
    assert r.json()["code"] == "rate_limited" and r.json()["message"]
    assert 1 <= int(r.headers["Retry-After"]) <= 60
    assert r.headers["X-RateLimit-Limit"] == str(limit)
    assert r.headers["X-RateLimit-Remaining"] == "0"
    assert 1 <= int(r.headers["X-RateLimit-Reset"]) <= 60


# case -> (AuthConfig settings, key options, the key's limit)
LIMITS: dict[str, tuple[dict[str, object], dict[str, object], int]] = {
    "default": ({"rate_default": 3}, {"scopes": ["read:*"]}, 3),
    "default for a preset without its own": ({"rate_default": 2}, {"preset": "dashboard"}, 2),
    "preset": ({"rate_default": 50, "rate_presets": {"dashboard": 2}}, {"preset": "dashboard"}, 2),
    "the key's own over its preset": (
        {"rate_presets": {"dashboard": 50}},
        {"preset": "dashboard", "rate_limit": 1},
        1,
    ),
    "the key's own over the default": ({"rate_default": 1}, {"preset": "full", "rate_limit": 4}, 4),
}


@pytest.mark.parametrize("case", list(LIMITS))
def test_a_key_over_its_limit_gets_429_until_the_window_passes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    settings, options, limit = LIMITS[case]
    clock = FakeClock()
    use_clock(monkeypatch, clock)
    with auth_server(tmp_path, **settings) as srv:
        _, secret = srv.ring.create("limited", **options)  # type: ignore[arg-type]
        other = srv.key("read:*", rate_limit=100)
        for remaining in range(limit - 1, -1, -1):
            r = srv.call("GET", "buckets/", secret)
            assert r.status_code == 200
            assert r.headers["X-RateLimit-Limit"] == str(limit)
            assert r.headers["X-RateLimit-Remaining"] == str(remaining)
        _assert_limited(srv.call("GET", "buckets/", secret), limit)
        assert srv.call("GET", "buckets/", other).status_code == 200  # another key: its own
        assert srv.call("GET", "buckets/").status_code == 200  # loopback, no key
        clock.advance(59)
        _assert_limited(srv.call("GET", "buckets/", secret), limit)
        clock.advance(1)
        assert srv.call("GET", "buckets/", secret).status_code == 200


def test_loopback_without_a_key_is_never_limited(tmp_path: Path) -> None:
    with auth_server(tmp_path, rate_default=1, rate_address=1, rate_failed_auth=1) as srv:
        for _ in range(30):
            r = srv.call("GET", "buckets/")
            assert r.status_code == 200 and "X-RateLimit-Limit" not in r.headers


def test_a_remote_address_is_limited_with_or_without_keys(tmp_path: Path) -> None:
    with auth_server(tmp_path, rate_address=3) as srv:
        secrets = [srv.key("read:*") for _ in range(3)]
        client = srv.app.test_client()
        remote = {"REMOTE_ADDR": REMOTE}
        statuses = [
            client.get("/api/0/buckets/", headers=bearer(s), environ_base=remote).status_code
            for s in secrets
        ]
        assert statuses == [200, 200, 200]
        r = client.get("/api/0/info", environ_base=remote)
        assert r.status_code == 429 and r.json is not None and r.json["code"] == "rate_limited"
        assert r.headers["Retry-After"] and r.headers["X-RateLimit-Limit"] == "3"
        assert srv.call("GET", "buckets/", secrets[0]).status_code == 200  # loopback: no limit


def _brute_force(srv: AuthServer, attempts: int) -> list[int]:
    return [srv.call("GET", "buckets/", f"guess-{i}").status_code for i in range(attempts)]


def test_brute_force_from_one_address_is_stopped_for_the_window(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = FakeClock()
    use_clock(monkeypatch, clock)
    with auth_server(tmp_path, rate_failed_auth=3) as srv:
        secret = srv.key("read:*")
        assert _brute_force(srv, 4) == [401, 401, 401, 429]
        # from this address, every request presenting a key is refused, a valid one too
        r = srv.call("GET", "buckets/", secret)
        _assert_limited(r, 3)
        assert "failed authentications from 127.0.0.1" in r.json()["message"]
        for form in ({"X-API-Key": secret}, {"Authorization": "Token x"}):
            assert srv.call("GET", "info", headers=form).status_code == 429
        # a request without a key is not an attempt: loopback keeps its full access
        assert srv.call("GET", "buckets/").status_code == 200
        # other addresses, and the same valid key from elsewhere, are unaffected
        client = srv.app.test_client()
        for address in (REMOTE, "198.51.100.20", "::1"):
            r2 = client.get(
                "/api/0/buckets/", headers=bearer(secret), environ_base={"REMOTE_ADDR": address}
            )
            assert r2.status_code == 200, address
        clock.advance(59.5)
        assert srv.call("GET", "buckets/", secret).status_code == 429
        clock.advance(0.5)
        assert srv.call("GET", "buckets/", secret).status_code == 200
        assert _brute_force(srv, 4) == [401, 401, 401, 429]


def test_refused_attempts_do_not_lengthen_the_block(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The window runs from the first failure: hammering while blocked does not extend it."""
    clock = FakeClock()
    use_clock(monkeypatch, clock)
    with auth_server(tmp_path, rate_failed_auth=2) as srv:
        secret = srv.key("read:*")
        assert _brute_force(srv, 2) == [401, 401]
        for _ in range(5):
            clock.advance(10)
            assert srv.call("GET", "buckets/", secret).status_code == 429
        clock.advance(10)
        assert srv.call("GET", "buckets/", secret).status_code == 200


def test_failures_are_logged_with_the_address_never_the_secret(tmp_path: Path) -> None:
    with auth_server(tmp_path, rate_failed_auth=100) as srv:
        secret = srv.key("read:b")
        (key,) = srv.ring.all()
        guesses = [secret[:-1] + "x", "guess-" + secret[::-1]]
        for guess in guesses:
            assert srv.call("GET", "buckets/", guess).status_code == 401
        srv.ring.set_enabled(key.id, False)
        assert srv.call("GET", f"buckets/?api_key={secret}").status_code == 401
        messages = "\n".join(r["message"] for r in log_buffer().records())
    assert "failed authentication from 127.0.0.1: the API key is not valid" in messages
    assert f"failed authentication from 127.0.0.1: the API key {secret[:8]}… has been revoked" in (
        messages
    )
    for text in (secret, *guesses):
        assert text not in messages


@pytest.mark.parametrize("verbose", [False, True])
def test_a_key_in_the_url_is_never_written_to_the_log(
    isolated_dirs: dict[str, str], tmp_path: Path, verbose: bool
) -> None:
    args = ["--dbpath", str(tmp_path / "aw.sqlite"), *(["--verbose"] if verbose else [])]
    server = ServerProcess(args, subprocess_env(), free_port()).start()
    try:
        base = f"{server.url}/api/0"
        r = requests.post(f"{base}/keys", json={"name": "n", "scopes": ["read:a"]}, timeout=5)
        secret = r.json()["secret"]
        bad = secret[:-4] + "beef"
        urls = {
            f"{base}/buckets/?api_key={secret}": 200,
            f"{base}/buckets/?x=1&api_key={secret}&y=2": 200,
            f"{base}/buckets/?api%5Fkey={secret}": 200,  # the name percent-encoded
            f"{base}/buckets/b/events?api_key={secret}": 403,
            f"{base}/nope?api_key={secret}": 404,
            f"{base}/buckets/?api_key={bad}": 401,
            f"{server.url}/?api_key={bad}": 401,
        }
        for url, status in urls.items():
            assert requests.get(url, timeout=5).status_code == status, url
        log = requests.get(f"{base}/log", timeout=5).text
    finally:
        server.stop()
    file_text = server_log_files_text(isolated_dirs)
    assert "api_key=[redacted]" in file_text  # the failures were logged, redacted
    if verbose:
        assert "GET /api/0/buckets/?x=1&api_key=[redacted]&y=2 200" in file_text
    for where, text in {"GET /log": log, "log file": file_text, "stderr": server.output()}.items():
        assert secret not in text and bad not in text, where
        assert secret[9:] not in text and bad[9:] not in text, where
