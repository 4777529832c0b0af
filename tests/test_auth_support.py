"""Helpers for the test_auth_* files (this file holds no tests): live servers with access
control, keys made straight on the server's key ring, a fake clock, the CLI as a subprocess."""

from __future__ import annotations

import base64
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask

import aw_server.auth.app
from aw_server.app import create_app
from aw_server.auth.keyring import KeyRing
from aw_server.auth.keys import KeyStore
from aw_server.auth.ratelimit import RateLimiter
from aw_server.service import Service
from tests.conftest import make_config, subprocess_env
from tests.liveserver import ROOT, ThreadedServer

BUCKET = {"client": "test", "type": "test", "hostname": "host"}
EVENT = {"timestamp": "2020-01-01T00:00:00+00:00", "duration": 5.0, "data": {"app": "x"}}
UUID4 = r"^(waka_)?[a-f0-9]{8}-[a-f0-9]{4}-4[a-f0-9]{3}-[89ab][a-f0-9]{3}-[a-f0-9]{12}$"
REMOTE = "192.0.2.9"  # TEST-NET-1: only ever an environ value, never a destination


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def use_clock(monkeypatch: pytest.MonkeyPatch, clock: FakeClock) -> None:
    """Apps created from now on count rate limits and key uses on ``clock``."""

    def limiter() -> RateLimiter:
        return RateLimiter(clock=clock)

    def ring(store: KeyStore) -> KeyRing:
        return KeyRing(store, clock=clock)

    monkeypatch.setattr(aw_server.auth.app, "RateLimiter", limiter)
    monkeypatch.setattr(aw_server.auth.app, "KeyRing", ring)


class AuthServer:
    """A live server (waitress on loopback) with access control."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.server = ThreadedServer(app).start()
        self.url = self.server.url

    @property
    def ring(self) -> KeyRing:
        ring: KeyRing = self.app.extensions["aw_keys"]
        return ring

    @property
    def service(self) -> Service:
        service: Service = self.app.extensions["aw"]
        return service

    @property
    def dbpath(self) -> Path:
        return Path(self.app.extensions["aw_config"].resolved_dbpath())

    def key(self, *scopes: str, **options: Any) -> str:
        """A new key's secret (made on the key ring: no request, no failed attempt)."""
        _, secret = self.ring.create("test", scopes=list(scopes) or None, **options)
        return secret

    def call(
        self,
        method: str,
        path: str,
        secret: str | None = None,
        *,
        body: object = None,
        headers: Mapping[str, str] | None = None,
    ) -> requests.Response:
        """``method /api/0/<path>`` (or ``path`` itself when it starts with /), with the key
        as a bearer token if given."""
        url = self.url + (path if path.startswith("/") else f"/api/0/{path}")
        sent = {**(bearer(secret) if secret else {}), **(headers or {})}
        return requests.request(method, url, json=body, headers=sent, timeout=30)

    def stop(self) -> None:
        self.server.stop()
        self.service.storage.close()


@contextmanager
def auth_server(tmp_path: Path, **auth: object) -> Iterator[AuthServer]:
    """A live server whose ``[auth]``/``[ratelimit]`` settings (AuthConfig fields) are ``auth``."""
    config = make_config(tmp_path / f"server-{time.monotonic_ns()}")
    for name, value in auth.items():
        assert hasattr(config.auth, name), name
        setattr(config.auth, name, value)
    server = AuthServer(create_app(config))
    try:
        yield server
    finally:
        server.stop()


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """``python -m aw_server ARGS`` in the isolated environment."""
    return subprocess.run(
        [sys.executable, "-m", "aw_server", *args],
        env=subprocess_env(),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def server_log_files_text(isolated_dirs: dict[str, str]) -> str:
    """Every aw-server log file written in the isolated cache dir (servers and CLI runs)."""
    log_dir = Path(isolated_dirs["XDG_CACHE_HOME"]) / "activitywatch" / "log" / "aw-server"
    files = sorted(log_dir.iterdir()) if log_dir.is_dir() else []
    assert files, "no log file was written"
    return "\n".join(f.read_text() for f in files)


def poll(check: Callable[[], bool], timeout: float = 3.0) -> bool:
    """Whether ``check`` comes true within ``timeout`` seconds (asked every 50 ms)."""
    deadline = time.monotonic() + timeout
    while True:
        if check():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
