"""aw_client and the aw-client CLI against a live server that needs an API key for everything."""

from __future__ import annotations

import io
import logging
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from aw_client import (
    ActivityWatchClient,
    Event,
    Forbidden,
    RateLimited,
    ServerError,
    Unauthorized,
)
from aw_client import queue as queue_module
from aw_client.cli import EXIT_API_KEY, EXIT_OK, EXIT_RATE_LIMITED, EXIT_SERVER, main
from aw_client.queue import RequestQueue
from aw_server.app import create_app
from aw_server.auth.config import REQUIRED
from tests.conftest import make_config, subprocess_env, write_client_config
from tests.liveserver import ROOT, ThreadedServer

ADMIN_SECRET = "config-admin-secret"
START = datetime(2024, 1, 1, 12, tzinfo=UTC)
WRONG_KEY = "00000000-0000-4000-8000-000000000000"


@dataclass
class KeyedServer:
    """A live server with ``policy = "required"`` and helpers to make keys on it."""

    server: ThreadedServer

    @property
    def port(self) -> int:
        return self.server.port

    def api(self, method: str, path: str, body: Any = None) -> requests.Response:
        return requests.request(
            method,
            f"{self.server.url}/api/0/{path}",
            json=body,
            headers={"Authorization": f"Bearer {ADMIN_SECRET}"},
            timeout=10,
        )

    def key(self, **fields: Any) -> tuple[int, str]:
        """A new key's id and secret (scopes read:* and append:* unless told)."""
        body = {"name": "test", "scopes": ["read:*", "append:*"], **fields}
        response = self.api("POST", "keys", body)
        assert response.status_code == 201, response.text
        created = response.json()
        return int(created["id"]), str(created["secret"])

    def revoke(self, key_id: int) -> None:
        assert self.api("PATCH", f"keys/{key_id}", {"enabled": False}).status_code == 200

    def event_count(self, bucket_id: str) -> int:
        response = self.api("GET", f"buckets/{bucket_id}/events/count")
        return int(response.json()) if response.status_code == 200 else 0


@pytest.fixture
def keyed(tmp_path: Path) -> Iterator[KeyedServer]:
    config = make_config(tmp_path)
    config.auth.policy = REQUIRED
    config.auth.api_key = ADMIN_SECRET
    # the tests present wrong keys on purpose; the failed-authentication limit is not theirs
    config.auth.rate_failed_auth = 1000
    app = create_app(config)
    server = ThreadedServer(app).start()
    yield KeyedServer(server)
    server.stop()
    app.extensions["aw"].storage.close()


def at(seconds: float, **data: Any) -> Event:
    return Event(timestamp=START + timedelta(seconds=seconds), data=data)


def client_for(keyed: KeyedServer, name: str = "auth-test", **kwargs: Any) -> ActivityWatchClient:
    return ActivityWatchClient(name, host="127.0.0.1", port=keyed.port, timeout=5, **kwargs)


def server_config(key: str) -> str:
    return f'[server]\napi_key = "{key}"\n'


# -- the library ----------------------------------------------------------------------------------


def test_library_with_a_key_works_and_without_one_is_unauthorized(keyed: KeyedServer) -> None:
    _, secret = keyed.key()
    client = client_for(keyed, api_key=secret)
    assert client.sends_api_key
    assert client.create_bucket("b", "test") is True
    client.heartbeat("b", at(0, a=1), pulsetime=5)
    assert [e.data for e in client.get_events("b")] == [{"a": 1}]

    keyless = client_for(keyed)
    assert not keyless.sends_api_key
    assert keyless.get_info()["testing"] is False  # /info stays open, as in aw-server-rust
    with pytest.raises(Unauthorized) as info:
        keyless.get_buckets()
    assert (info.value.status, info.value.code) == (401, "unauthorized")


def test_refusals_are_typed_by_the_servers_code(keyed: KeyedServer) -> None:
    with pytest.raises(Unauthorized) as wrong:
        client_for(keyed, api_key=WRONG_KEY).get_buckets()
    assert wrong.value.code == "unauthorized"

    key_id, secret = keyed.key()
    keyed.revoke(key_id)
    with pytest.raises(Unauthorized) as revoked:
        client_for(keyed, api_key=secret).get_buckets()
    assert revoked.value.code == "key_revoked"

    _, reader = keyed.key(scopes=["read:*"])
    with pytest.raises(Forbidden) as forbidden:
        client_for(keyed, api_key=reader).create_bucket("b", "test")
    assert forbidden.value.status == 403 and "append:b" in forbidden.value.message


def test_rate_limited_says_when_to_retry(keyed: KeyedServer) -> None:
    _, secret = keyed.key(rate_limit=1)
    client = client_for(keyed, api_key=secret)
    client.get_buckets()
    with pytest.raises(RateLimited) as info:
        client.get_buckets()
    assert info.value.code == "rate_limited"
    assert info.value.retry_after is not None and 0 < info.value.retry_after <= 60


def test_the_config_files_key_is_sent(keyed: KeyedServer, isolated_dirs: dict[str, str]) -> None:
    _, secret = keyed.key()
    write_client_config(isolated_dirs, server_config(secret))
    client = client_for(keyed)
    assert client.sends_api_key and client.get_buckets() == {}
    # an explicit api_key wins over the file's
    with pytest.raises(Unauthorized):
        client_for(keyed, api_key=WRONG_KEY).get_buckets()


def test_deleting_without_force_is_not_taken_for_a_key_problem(keyed: KeyedServer) -> None:
    """Both are 401s: the official servers' 'needs force' must stay a plain ServerError."""
    _, secret = keyed.key(scopes=["write:*"])
    client = client_for(keyed, api_key=secret)
    client.create_bucket("b", "test")
    with pytest.raises(ServerError) as info:
        client.delete_bucket("b")
    assert info.value.status == 401 and not isinstance(info.value, Unauthorized)
    assert info.value.code == "force_required"


# -- the CLI ---------------------------------------------------------------------------------------


def run(keyed: KeyedServer, *argv: str) -> tuple[int, str, str]:
    out = io.StringIO()
    errors = io.StringIO()
    real_stderr, sys.stderr = sys.stderr, errors
    try:
        code = main(["--port", str(keyed.port), *argv], out=out)
    finally:
        sys.stderr = real_stderr
    return code, out.getvalue(), errors.getvalue()


def run_process(keyed: KeyedServer, *argv: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "aw_client", "--port", str(keyed.port), *argv],
        env={**subprocess_env(), "PYTHONPATH": str(ROOT), **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("position", ["before", "after"])
def test_cli_api_key_option_before_or_after_the_command(keyed: KeyedServer, position: str) -> None:
    _, secret = keyed.key()
    option = ["--api-key", secret]
    argv = [*option, "buckets"] if position == "before" else ["buckets", *option]
    code, out, _ = run(keyed, *argv)
    assert (code, out) == (EXIT_OK, "No buckets yet.\n")


def test_cli_key_order_option_then_environment_then_config(
    keyed: KeyedServer, isolated_dirs: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, secret = keyed.key()
    write_client_config(isolated_dirs, server_config(WRONG_KEY))
    assert run(keyed, "buckets")[0] == EXIT_API_KEY  # the config file's (wrong) key is used
    monkeypatch.setenv("AW_API_KEY", secret)
    assert run(keyed, "buckets")[0] == EXIT_OK  # AW_API_KEY beats the config file
    monkeypatch.setenv("AW_API_KEY", WRONG_KEY)
    assert run(keyed, "buckets", "--api-key", secret)[0] == EXIT_OK  # --api-key beats both
    write_client_config(isolated_dirs, server_config(secret))
    code, _, err = run(keyed, "buckets")
    assert code == EXIT_API_KEY and "the API key from AW_API_KEY" in err


def test_cli_environment_variable_in_a_process(keyed: KeyedServer) -> None:
    _, secret = keyed.key()
    done = run_process(keyed, "heartbeat", "b", '{"a": 1}', "--create", AW_API_KEY=secret)
    assert done.returncode == EXIT_OK, done.stderr
    assert keyed.event_count("b") == 1


def test_cli_says_a_key_is_needed_or_which_was_refused_and_why(
    keyed: KeyedServer, isolated_dirs: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, err = run(keyed, "buckets")
    assert (code, out) == (EXIT_API_KEY, "")
    assert err == (
        "aw-client: the server needs an API key: give one with --api-key KEY or $AW_API_KEY, "
        "or set api_key in aw-client.toml\n"
    )
    code, _, err = run(keyed, "buckets", "--api-key", WRONG_KEY)
    assert code == EXIT_API_KEY
    assert (
        err == "aw-client: the server refused the API key from --api-key: it is not a valid key\n"
    )

    key_id, secret = keyed.key()
    keyed.revoke(key_id)
    monkeypatch.setenv("AW_API_KEY", secret)
    code, _, err = run(keyed, "buckets")
    assert err.endswith("the API key from AW_API_KEY: it has been revoked\n")
    monkeypatch.delenv("AW_API_KEY")

    expiry = datetime.now(UTC) + timedelta(seconds=1)  # the server takes no past expiry
    _, expired = keyed.key(expires=expiry.isoformat())
    time.sleep((expiry - datetime.now(UTC)).total_seconds() + 0.05)
    write_client_config(isolated_dirs, server_config(expired))
    code, _, err = run(keyed, "buckets")
    config_file = Path(isolated_dirs["XDG_CONFIG_HOME"]) / "activitywatch/aw-client/aw-client.toml"
    assert err == (
        f"aw-client: the server refused the API key from api_key in [server] of {config_file}: "
        "it has expired\n"
    )
    assert code == EXIT_API_KEY and secret not in err and expired not in err


def test_cli_forbidden_and_rate_limited(keyed: KeyedServer) -> None:
    _, reader = keyed.key(scopes=["read:*"])
    code, _, err = run(keyed, "create-bucket", "b", "--api-key", reader)
    assert code == EXIT_API_KEY
    assert err == (
        "aw-client: the API key from --api-key may not do this: "
        "this API key lacks the scope append:b\n"
    )
    _, limited = keyed.key(rate_limit=1)
    assert run(keyed, "buckets", "--api-key", limited)[0] == EXIT_OK
    code, _, err = run(keyed, "buckets", "--api-key", limited)
    assert code == EXIT_RATE_LIMITED
    assert err.startswith("aw-client: too many requests: try again in ") and err.endswith(" s\n")


def test_cli_delete_without_force_still_asks_for_force(keyed: KeyedServer) -> None:
    _, secret = keyed.key(scopes=["write:*"])
    assert run(keyed, "create-bucket", "b", "--api-key", secret)[0] == EXIT_OK
    code, _, err = run(keyed, "delete-bucket", "b", "--api-key", secret)
    assert code == EXIT_SERVER and "needs --force" in err
    code, _, err = run(keyed, "delete-bucket", "b")  # no key: a key problem, not --force
    assert code == EXIT_API_KEY and "needs an API key" in err


def test_cli_never_shows_the_key(keyed: KeyedServer) -> None:
    _, secret = keyed.key()
    shown = [
        run_process(keyed, "-v", "heartbeat", "b", '{"a": 1}', "--create", "--api-key", secret),
        run_process(keyed, "-v", "--json", "events", "b", AW_API_KEY=secret),
        run_process(keyed, "-v", "buckets", "--api-key", WRONG_KEY),
        run_process(keyed, "-v", "buckets", AW_API_KEY=WRONG_KEY),
    ]
    assert [p.returncode for p in shown] == [EXIT_OK, EXIT_OK, EXIT_API_KEY, EXIT_API_KEY]
    assert all("DEBUG" in p.stderr for p in shown)  # -v did log the requests
    for done in shown:
        for text in (done.stdout, done.stderr):
            assert secret not in text and WRONG_KEY not in text
            assert secret[:8] not in text and WRONG_KEY[:8] not in text


# -- the persistent queue --------------------------------------------------------------------------


@pytest.fixture
def quick_refusal_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Retry a refused key within a second (a minute in real use), so tests stay short."""
    monkeypatch.setattr(queue_module, "MIN_REFUSED_BACKOFF", 0.2)
    monkeypatch.setattr(queue_module, "MAX_REFUSED_BACKOFF", 1.0)


def queue_heartbeats(client: ActivityWatchClient, bucket_id: str) -> None:
    """A watcher's start: its bucket and three heartbeats (two changes of data) queued."""
    client.create_bucket(bucket_id, "test", queued=True)
    client.connect()
    for n in range(3):
        client.heartbeat(bucket_id, at(n, n=n), pulsetime=2, queued=True)
    client.flush()


def wait_for_refusal(queue: RequestQueue, timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    while queue.refusal is None:
        assert time.monotonic() < deadline, "the server never refused the queue's requests"
        time.sleep(0.02)
    return queue.refusal


@pytest.mark.usefixtures("quick_refusal_retries")
def test_queue_keeps_heartbeats_while_the_key_is_wrong_and_delivers_once_the_config_is_fixed(
    keyed: KeyedServer, isolated_dirs: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    _, secret = keyed.key()
    write_client_config(isolated_dirs, server_config(WRONG_KEY))
    client = client_for(keyed)
    queue_heartbeats(client, "watched")  # the queued bucket's 401 does not stop the watcher
    queue = client._queue_instance()
    assert wait_for_refusal(queue) == "unauthorized"
    assert len(queue) == 3 and queue.dropped == 0
    assert keyed.event_count("watched") == 0
    write_client_config(isolated_dirs, server_config(secret))  # no restart needed
    assert queue.wait_until_empty(30)
    client.disconnect()
    assert keyed.event_count("watched") == 3 and queue.dropped == 0
    refusals = [r for r in caplog.records if "keeping" in r.getMessage()]
    assert len(refusals) == 1  # one line, however many attempts were refused
    assert "(HTTP 401, unauthorized)" in refusals[0].getMessage()
    assert secret not in caplog.text and WRONG_KEY not in caplog.text


@pytest.mark.usefixtures("quick_refusal_retries")
def test_a_new_client_with_the_right_key_delivers_what_a_refused_one_queued(
    keyed: KeyedServer,
) -> None:
    key_id, revoked = keyed.key()
    keyed.revoke(key_id)
    first = client_for(keyed, "watcher", api_key=revoked)
    queue_heartbeats(first, "watched")
    assert wait_for_refusal(first._queue_instance()) == "key_revoked"
    first.disconnect(timeout=0.5)  # not delivered: kept on disk
    assert keyed.event_count("watched") == 0

    _, secret = keyed.key()
    second = client_for(keyed, "watcher", api_key=secret)
    assert second.queue_path() == first.queue_path()
    second.connect()
    second.disconnect(timeout=30)
    assert keyed.event_count("watched") == 3


class Refusing:
    """The queue's sender, answering from a script of errors (None = delivered)."""

    def __init__(self, outcomes: list[Exception | None]) -> None:
        self.outcomes = outcomes

    def __call__(self, path: str, body: Any) -> None:
        outcome = self.outcomes.pop(0) if self.outcomes else None
        if outcome is not None:
            raise outcome


def test_queue_keeps_requests_through_401_403_429_with_one_log_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url = "http://127.0.0.1/api/0/buckets/b/heartbeat"
    sender = Refusing(
        [
            Unauthorized(401, "no key", "POST", url, "unauthorized"),
            Unauthorized(401, "no key", "POST", url, "unauthorized"),
            Unauthorized(401, "no key", "POST", url, "unauthorized"),
            Forbidden(403, "lacks append:b", "POST", url, "forbidden"),
            RateLimited(429, "slow down", "POST", url, "rate_limited", retry_after=30),
            None,
        ]
    )
    queue = RequestQueue(tmp_path / "q.sqlite", sender)
    queue.put("b", "buckets/b/heartbeat?pulsetime=1", {"n": 0})
    caplog.set_level(logging.INFO, logger="aw_client.queue")
    outcomes = [queue.deliver_one() for _ in range(7)]
    assert outcomes == [False, False, False, False, False, True, None]
    assert (queue.delivered, queue.dropped, queue.refusal) == (1, 0, None)
    lines = [r.getMessage() for r in caplog.records]
    assert lines == [
        "the server needs an API key or refused the one sent (HTTP 401, unauthorized); "
        "keeping 1 queued requests and retrying",
        "the server does not let the API key do this (HTTP 403, forbidden); "
        "keeping 1 queued requests and retrying",
        "the server is rate limiting this client (HTTP 429, rate_limited); "
        "keeping 1 queued requests and retrying",
        "the server accepts requests again; delivering the queued ones",
    ]
    queue.close()
