"""Helpers for the test_wakatime_* files (this file holds no tests): a live server with the
WakaTime API, requests sent as the clients send them, and what a server keeps (the raw table,
the events of the machine buckets) read back for comparison."""

from __future__ import annotations

import base64
import sqlite3
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
import requests
from flask import Flask

from aw_server.app import create_app
from aw_server.auth.keyring import KeyRing
from aw_server.wakatime.api import ROUTES
from tests.conftest import make_config
from tests.fixtures.wakatime import RecordedRequest
from tests.liveserver import ThreadedServer

FIXTURE_KEY = "12345678-1234-4abc-8abc-123456789abc"  # the dummy key of the recorded requests
BUCKET_PREFIX = "aw-watcher-wakatime_"
DATA_KEYS = {"file", "project", "language", "branch", "category", "type", "editor", "os"}
GO_UA = "wakatime/v1.90.0 (linux-6.5.0-amd64) go1.21.5 vscode/1.85.1 vscode-wakatime/24.4.0"
READ_PREFIXES = ("/api/v1", "/api/compat/wakatime/v1", "/api")


def post_paths(user: str = "current") -> list[str]:
    """Every path (under the server root) that receives heartbeats, from api.ROUTES."""
    return [
        "/api" + r.path.replace("<user>", user)
        for r in ROUTES
        if r.method == "POST" and r.view.__name__ == "post_heartbeats"
    ]


def _sorted_json(value: object) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def basic(secret: str) -> dict[str, str]:
    """The Go and legacy CLIs' form: ``Authorization: Basic base64(key)``."""
    return {"Authorization": "Basic " + base64.b64encode(secret.encode()).decode()}


def heartbeat(at: float, entity: str = "/home/ann/proj/a.py", **fields: Any) -> dict[str, Any]:
    """A file heartbeat as the Go CLI sends it."""
    beat: dict[str, Any] = {
        "entity": entity,
        "type": "file",
        "category": "coding",
        "time": at,
        "project": "proj",
        "branch": "main",
        "language": "Python",
        "user_agent": GO_UA,
    }
    beat.update(fields)
    return beat


class WakaServer:
    """A live server (waitress on loopback) with the WakaTime API and direct access to its
    key ring and raw heartbeat table."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.server = ThreadedServer(app).start()
        self.url = self.server.url
        self.session = requests.Session()

    @property
    def ring(self) -> KeyRing:
        ring: KeyRing = self.app.extensions["aw_keys"]
        return ring

    def key(self, *scopes: str, preset: str | None = None, secret: str | None = None) -> str:
        """A new key's secret, made on the key ring (no request)."""
        _, made = self.ring.create(
            "test", scopes=list(scopes) or None, preset=preset, secret=secret
        )
        return made

    def request(
        self,
        method: str,
        path: str,
        *,
        body: object = None,
        raw: bytes | None = None,
        headers: Mapping[str, str | bytes] | None = None,
        params: Mapping[str, str] | None = None,
    ) -> requests.Response:
        """``method path`` with a JSON ``body`` (or ``raw`` bytes as they are)."""
        data = raw if raw is not None else (None if body is None else orjson.dumps(body))
        sent: dict[str, str | bytes] = {"Content-Type": "application/json"} if data else {}
        sent.update(headers or {})
        return self.session.request(
            method, self.url + path, data=data, headers=sent, params=params, timeout=60
        )

    def post(self, path: str, body: object, **kw: Any) -> requests.Response:
        return self.request("POST", path, body=body, **kw)

    def get(self, path: str, **params: str) -> requests.Response:
        return self.request("GET", path, params=params)

    def send(
        self,
        beats: list[dict[str, Any]],
        machine: str = "devbox",
        path: str = "/api/v1/users/current/heartbeats.bulk",
        **headers: str,
    ) -> requests.Response:
        """POST heartbeats as the Go CLI does; asserts the request was accepted."""
        sent = {"X-Machine-Name": machine, "User-Agent": GO_UA, **headers}
        r = self.post(path, beats, headers=sent)
        assert r.status_code == 201, r.text
        return r

    def replay(self, recorded: RecordedRequest, path: str | None = None) -> requests.Response:
        """The recorded request, byte for byte (headers as UTF-8), on its path or ``path``."""
        return self.session.request(
            recorded.method,
            self.url + (path or recorded.path),
            data=recorded.body.encode("utf-8"),
            headers=recorded.wire_headers(),
            timeout=60,
        )

    def events(self, machine: str) -> list[dict[str, Any]]:
        """The machine bucket's events, oldest first, without their ids."""
        r = self.session.get(
            f"{self.url}/api/0/buckets/{BUCKET_PREFIX}{machine}/events",
            params={"limit": "-1"},
            timeout=60,
        )
        if r.status_code == 404:
            return []
        assert r.status_code == 200, r.text
        found = [{k: v for k, v in e.items() if k != "id"} for e in r.json()]
        return sorted(found, key=lambda e: (e["timestamp"], e["duration"], _sorted_json(e)))

    def buckets(self) -> dict[str, Any]:
        r = self.session.get(f"{self.url}/api/0/buckets/", timeout=60)
        assert r.status_code == 200, r.text
        found: dict[str, Any] = r.json()
        return found

    def dbpath(self) -> Path:
        return Path(self.app.extensions["aw_config"].resolved_dbpath())

    def raw_rows(self) -> list[tuple[Any, ...]]:
        """Every row of the raw table, read from the SQLite file by a connection of our own
        (with ``--storage memory``, the store's heartbeats)."""
        if self.app.extensions["aw_config"].storage == "memory":
            store = self.app.extensions["aw_wakatime_store"]
            return sorted((i, repr(h)) for i, h in store.between(0, 2**62))
        with sqlite3.connect(self.dbpath()) as conn:
            return list(conn.execute("SELECT * FROM wakatime_heartbeats ORDER BY id"))

    def state(self) -> tuple[list[tuple[Any, ...]], dict[str, list[dict[str, Any]]]]:
        """The raw table and every WakaTime bucket's events (with their ids), read in-process
        past any access control: compared before and after a request that must change
        nothing."""
        storage = self.app.extensions["aw"].storage
        buckets = sorted(b.id for b in storage.list_buckets() if b.id.startswith(BUCKET_PREFIX))
        return self.raw_rows(), {
            b: sorted((e.to_json_dict() for e in storage.get_events(b)), key=_sorted_json)
            for b in buckets
        }

    def stop(self) -> None:
        self.session.close()
        self.server.stop()
        self.app.extensions["aw"].storage.close()


@contextmanager
def waka_server(
    tmp_path: Path,
    *,
    storage: str = "sqlite",
    timeout: int | None = None,
    timezone: str | None = None,
    **auth: object,
) -> Iterator[WakaServer]:
    """A live server; ``timeout`` is ``[wakatime] timeout``, ``timezone`` ``[server]
    timezone``, ``auth`` AuthConfig fields (``policy="required"``)."""
    config = make_config(tmp_path / f"server-{time.monotonic_ns()}", storage=storage)
    config.timezone = timezone
    if timeout is not None:
        config.wakatime.timeout = timeout
    for name, value in auth.items():
        assert hasattr(config.auth, name), name
        setattr(config.auth, name, value)
    config.validate()
    server = WakaServer(create_app(config))
    try:
        yield server
    finally:
        server.stop()
