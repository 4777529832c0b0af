"""Helpers for the test_timers_* live-server files (this file holds no tests): a live server with
the timers API on a real SQLite file (or the memory storage), its keys, calls under either
prefix, the AW web UI's own stopwatch requests, and a fake webhooks outbox."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests
from flask import Flask

from aw_server.app import create_app
from aw_server.auth.keyring import KeyRing
from aw_server.service import Occurrence, Service
from tests.conftest import make_config
from tests.liveserver import ThreadedServer

PREFIXES = ("/api", "/api/0")
STOPWATCH = "aw-stopwatch"


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


class TimerServer:
    """A live server (waitress on loopback); ``prefix`` is where the timers API is called."""

    def __init__(self, app: Flask, prefix: str = "/api") -> None:
        self.app = app
        self.server = ThreadedServer(app).start()
        self.url = self.server.url
        self.prefix = prefix
        self.session = requests.Session()

    @property
    def service(self) -> Service:
        service: Service = self.app.extensions["aw"]
        return service

    @property
    def ring(self) -> KeyRing:
        ring: KeyRing = self.app.extensions["aw_keys"]
        return ring

    def key(self, *scopes: str, preset: str | None = None) -> str:
        _, secret = self.ring.create("test", scopes=list(scopes) or None, preset=preset)
        return secret

    def call(
        self,
        method: str,
        path: str,
        body: object = None,
        *,
        secret: str | None = None,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        session: requests.Session | None = None,
    ) -> requests.Response:
        """``method <prefix><path>`` (or ``path`` itself when it starts with /api), JSON body."""
        url = self.url + (path if path.startswith("/api") else self.prefix + path)
        sent = {**(bearer(secret) if secret else {}), **(headers or {})}
        return (session or self.session).request(
            method, url, json=body, params=params, headers=sent, timeout=30
        )

    def ok(self, method: str, path: str, body: object = None, **kw: Any) -> Any:
        """The JSON of a call that must succeed (200 or 201)."""
        r = self.call(method, path, body, **kw)
        assert r.status_code in (200, 201), (method, path, r.status_code, r.text)
        return r.json()

    def start(self, **body: Any) -> dict[str, Any]:
        return dict(self.ok("POST", "/time-entries/start", body))

    def entry(self, **body: Any) -> dict[str, Any]:
        """A new finished entry."""
        return dict(self.ok("POST", "/time-entries", body))

    def project(self, name: str = "Website", **body: Any) -> dict[str, Any]:
        return dict(self.ok("POST", "/projects", {"name": name, **body}))

    def task(self, project_id: str, name: str = "Design") -> dict[str, Any]:
        return dict(self.ok("POST", f"/projects/{project_id}/tasks", {"name": name}))

    def events(self, bucket: str = STOPWATCH) -> list[dict[str, Any]]:
        """The bucket's events through the ActivityWatch API, newest first."""
        r = self.session.get(f"{self.url}/api/0/buckets/{bucket}/events", timeout=30)
        assert r.status_code == 200, r.text
        return list(r.json())

    # -- the AW web UI's Stopwatch page, request for request ------------------------------------

    def webui_ensure_bucket(self, bucket: str = STOPWATCH) -> requests.Response:
        body = {"client": "aw-webui", "type": "general.stopwatch", "hostname": "unknown"}
        return self.session.post(f"{self.url}/api/0/buckets/{bucket}", json=body, timeout=30)

    def webui_start(self, label: str, bucket: str = STOPWATCH) -> dict[str, Any]:
        """What its Start button sends: a heartbeat (pulsetime 1) of a running event."""
        now = datetime.now(UTC).isoformat()
        body = {"timestamp": now, "duration": 0, "data": {"running": True, "label": label}}
        r = self.session.post(
            f"{self.url}/api/0/buckets/{bucket}/heartbeat?pulsetime=1", json=body, timeout=30
        )
        assert r.status_code == 200, r.text
        return dict(r.json())

    def webui_stop(self, event: dict[str, Any], bucket: str = STOPWATCH) -> None:
        """What its Stop button sends: the event back with its id, running false, a duration."""
        started = datetime.fromisoformat(event["timestamp"])
        stopped = {
            **event,
            "duration": (datetime.now(UTC) - started).total_seconds(),
            "data": {**event["data"], "running": False},
        }
        r = self.session.post(f"{self.url}/api/0/buckets/{bucket}/events", json=stopped, timeout=30)
        assert r.status_code == 200, r.text

    def webui_running(
        self, bucket: str = STOPWATCH, limit: int | None = 100
    ) -> list[dict[str, Any]]:
        """The page's "Running" list: running events among its 100 newest (or all)."""
        query = f"?limit={limit}" if limit is not None else ""
        r = self.session.get(f"{self.url}/api/0/buckets/{bucket}/events{query}", timeout=30)
        assert r.status_code == 200, r.text
        return [e for e in r.json() if e["data"].get("running")]

    def stop(self) -> None:
        self.server.stop()
        self.service.storage.close()


@contextmanager
def timer_server(
    tmp_path: Path,
    *,
    prefix: str = "/api",
    auth: dict[str, object] | None = None,
    **config: object,
) -> Iterator[TimerServer]:
    """A live server; ``config`` are Config fields (storage, timezone...), ``auth`` AuthConfig's."""
    settings = make_config(tmp_path / f"server-{threading.get_ident()}-{id(config)}", **config)
    for name, value in (auth or {}).items():
        assert hasattr(settings.auth, name), name
        setattr(settings.auth, name, value)
    server = TimerServer(create_app(settings), prefix)
    try:
        yield server
    finally:
        server.stop()


@dataclass
class FakeOutbox:
    """Stands in for the webhooks' outbox: listens for every type and records, for each
    transaction, the occurrences handed over and whether a storage transaction was open."""

    service: Service
    batches: list[list[Occurrence]] = field(default_factory=list)
    in_transaction: list[bool] = field(default_factory=list)

    def install(self) -> FakeOutbox:
        self.service.listening = lambda kind: True
        self.service.outbox = self._receive
        return self

    def _receive(self, occurrences: list[Occurrence]) -> None:
        self.batches.append(list(occurrences))
        self.in_transaction.append(_in_transaction(self.service))

    def of(self, prefix: str) -> list[Occurrence]:
        """Every occurrence whose type starts with ``prefix``, in order."""
        return [o for batch in self.batches for o in batch if o.type.startswith(prefix)]

    def clear(self) -> None:
        self.batches.clear()
        self.in_transaction.clear()


def _in_transaction(service: Service) -> bool:
    storage: Any = service.storage
    if hasattr(storage, "connection"):
        return bool(storage.connection().in_transaction)
    return bool(storage._depth)  # the memory storage's nesting depth (test-only peek)
