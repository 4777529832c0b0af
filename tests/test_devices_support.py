"""Helpers for the test_devices_* live-server files (this file holds no tests): a live server
with the device API, its keys, reports sent as the recorded reporters send them, a device
clock the test moves by hand, what a server keeps (device rows, buckets and events, pictures)
read back for comparison, and a Server-Sent Events listener."""

from __future__ import annotations

import contextlib
import http.client
import json
import queue
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pytest
import requests
from flask import Flask

import aw_server.devices.api
import aw_server.devices.reporting
from aw_server.app import create_app
from aw_server.auth.keyring import KeyRing
from aw_server.config import Config
from aw_server.devices.reporting import Reporting
from aw_server.devices.stream import Broadcaster
from aw_server.service import Service
from tests.conftest import make_config
from tests.fixtures.devices import RecordedRequest, png_data_url
from tests.liveserver import ThreadedServer

HASH_KEY = "YOUR_DEVICE_HASH_KEY"  # the reporting guide's placeholder (20 characters)
PREFIXES = ("waken-window_", "waken-media_", "waken-device_")


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


class DeviceClock:
    """The devices' wall clock (microseconds), moved by hand: reports, the feed and its
    staleness all read it, so a status can go stale without sleeping."""

    def __init__(self, start_us: int | None = None) -> None:
        self.now_us = start_us if start_us is not None else time.time_ns() // 1000
        self._lock = threading.Lock()

    def __call__(self) -> int:
        with self._lock:
            return self.now_us

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.now_us += int(seconds * 1_000_000)


def use_device_clock(monkeypatch: pytest.MonkeyPatch, clock: DeviceClock) -> None:
    monkeypatch.setattr(aw_server.devices.reporting, "_now_us", clock)
    monkeypatch.setattr(aw_server.devices.api, "_now_us", clock)


def report_body(
    hash_key: str = HASH_KEY, process: object = "VS Code", **fields: Any
) -> dict[str, Any]:
    """A report in the guide's curl style (fields given replace or add to it)."""
    body: dict[str, Any] = {
        "generatedHashKey": hash_key,
        "device": "MacBook Pro",
        "device_type": "desktop",
        "process_name": process,
        "process_title": "editing setup-form.tsx",
        "push_mode": "realtime",
    }
    body.update(fields)
    return body


def media(title: str | None = None, **fields: Any) -> dict[str, Any]:
    """``metadata`` with a ``media`` object."""
    found = {"title": title, **fields} if title is not None else dict(fields)
    return {"media": found}


COVER = png_data_url(4, 4, (200, 30, 30, 255))


@dataclass
class Snapshot:
    """What a server keeps for the devices: compared before and after a refused request."""

    devices: list[tuple[Any, ...]]
    buckets: dict[str, dict[str, Any]]
    events: dict[str, list[dict[str, Any]]]
    pictures: int


def _json(body: object) -> bytes:
    try:
        return orjson.dumps(body)
    except TypeError:  # integers beyond 64 bits, which only the standard library writes
        return json.dumps(body).encode()


class DeviceServer:
    """A live server (waitress on loopback) with the device API, keys made on its key ring."""

    def __init__(self, app: Flask, threads: int = 8) -> None:
        self.app = app
        self.server = ThreadedServer(app, threads=threads).start()
        self.url = self.server.url
        self.session = requests.Session()
        self.admin = self.key(preset="full")

    @property
    def ring(self) -> KeyRing:
        ring: KeyRing = self.app.extensions["aw_keys"]
        return ring

    @property
    def service(self) -> Service:
        service: Service = self.app.extensions["aw"]
        return service

    @property
    def reporting(self) -> Reporting:
        state: Reporting = self.app.extensions["aw_devices"]
        return state

    @property
    def caster(self) -> Broadcaster:
        caster: Broadcaster = self.app.extensions["aw_devices_stream"]
        return caster

    def key(self, *scopes: str, preset: str | None = None, name: str = "test") -> str:
        """A new key's secret (on the key ring: no request)."""
        _, secret = self.ring.create(name, scopes=list(scopes) or None, preset=preset)
        return secret

    def key_id(self, secret: str) -> int:
        found = self.ring.find(secret)
        assert found is not None
        return found.id

    def request(
        self,
        method: str,
        path: str,
        secret: str | None = None,
        *,
        body: object = None,
        raw: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
    ) -> requests.Response:
        """``method path`` (from the server root) with a JSON ``body`` or ``raw`` bytes."""
        data = raw if raw is not None else (None if body is None else _json(body))
        sent: dict[str, str] = {"Content-Type": "application/json"} if data is not None else {}
        if secret is not None:
            sent.update(bearer(secret))
        sent.update(headers or {})
        return self.session.request(
            method, self.url + path, data=data, headers=sent, params=params, timeout=60
        )

    def report(self, secret: str, body: object, **kw: Any) -> requests.Response:
        return self.request("POST", "/api/activity", secret, body=body, **kw)

    def replay(
        self, recorded: RecordedRequest, secret: str, hash_key: str | None = None
    ) -> requests.Response:
        """The recorded request, its body byte for byte, with this server's key in it."""
        filled = recorded.with_credentials(secret, hash_key)
        return self.session.request(
            filled.method,
            self.url + filled.path,
            data=filled.body.encode("utf-8"),
            headers=filled.headers,
            timeout=60,
        )

    def admin_call(
        self, method: str, path: str, body: object = None, **kw: Any
    ) -> requests.Response:
        return self.request(method, path, self.admin, body=body, **kw)

    def approve(self, device_id: str) -> dict[str, Any]:
        r = self.admin_call("PATCH", f"/api/admin/devices/{device_id}", {"status": "active"})
        assert r.status_code == 200, r.text
        device: dict[str, Any] = r.json()["data"]
        return device

    def device(self, device_id: str) -> dict[str, Any]:
        found = self.reporting.registry.get(device_id)
        assert found is not None, device_id
        return found.to_wire()

    def device_by_key(self, hash_key: str) -> dict[str, Any] | None:
        found = self.reporting.registry.by_key(hash_key)
        return found.to_wire() if found is not None else None

    def enrol(self, secret: str, hash_key: str = HASH_KEY, **fields: Any) -> str:
        """Report once (202, pending), approve the device; its id."""
        r = self.report(secret, report_body(hash_key, **fields))
        assert r.status_code == 202, r.text
        device = self.device_by_key(hash_key)
        assert device is not None
        self.approve(device["id"])
        return str(device["id"])

    def feed(self, secret: str | None = None) -> dict[str, Any]:
        r = self.request("GET", "/api/activity", secret if secret is not None else self.admin)
        assert r.status_code == 200, r.text
        data: dict[str, Any] = r.json()["data"]
        return data

    def events(self, bucket_id: str) -> list[dict[str, Any]]:
        storage = self.service.storage
        if storage.get_bucket(bucket_id) is None:
            return []
        return [e.to_json_dict() for e in storage.get_events(bucket_id)]

    def bucket(self, bucket_id: str) -> dict[str, Any] | None:
        found = self.service.storage.get_bucket(bucket_id)
        return found.to_json_dict() if found is not None else None

    def snapshot(self) -> Snapshot:
        """Device rows, device buckets and their events, the number of pictures (in-process,
        past any access control)."""
        storage = self.service.storage
        buckets = {
            b.id: b.to_json_dict() for b in storage.list_buckets() if b.id.startswith(PREFIXES)
        }
        return Snapshot(
            devices=sorted(
                tuple(sorted(d.to_wire().items())) for d in self.reporting.registry.all()
            ),
            buckets=buckets,
            events={b: self.events(b) for b in sorted(buckets)},
            pictures=self.reporting.images.count(),
        )

    def stop(self) -> None:
        self.session.close()
        self.server.stop()
        self.service.storage.close()


def devices_config(
    tmp_path: Path,
    storage: str,
    devices: Mapping[str, Any],
    auth: Mapping[str, Any],
    dbpath: str | None = None,
) -> Config:
    config = make_config(tmp_path / f"server-{time.monotonic_ns()}", storage=storage)
    if dbpath is not None:
        config.dbpath = dbpath
    for name, value in devices.items():
        if name in (
            "app_blocklist",
            "app_allowlist",
            "name_only_apps",
            "media_source_rules",
            "hide_media",
        ):
            config.devices.display[name] = value
        else:
            assert hasattr(config.devices, name), name
            setattr(config.devices, name, value)
    for name, value in auth.items():
        assert hasattr(config.auth, name), name
        setattr(config.auth, name, value)
    config.validate()
    return config


@contextmanager
def device_server(
    tmp_path: Path,
    *,
    storage: str = "sqlite",
    devices: Mapping[str, Any] | None = None,
    auth: Mapping[str, Any] | None = None,
    threads: int = 8,
    keepalive: float | None = None,
    dbpath: str | None = None,
) -> Iterator[DeviceServer]:
    """A live server; ``devices`` are ``[devices]`` settings (display rules included),
    ``auth`` AuthConfig fields (``policy="required"``), ``dbpath`` a database to share with
    an earlier server (a restart)."""
    config = devices_config(tmp_path, storage, devices or {}, auth or {}, dbpath)
    app = create_app(config)
    if keepalive is not None:
        app.extensions["aw_devices_stream"].keepalive = keepalive
    server = DeviceServer(app, threads=threads)
    try:
        yield server
    finally:
        server.stop()


# --- Server-Sent Events ----------------------------------------------------------------------


@dataclass
class Message:
    at: float  # time.monotonic() when it arrived
    event: str | None
    data: Any  # the decoded JSON of ``data:`` (None for a comment)
    comment: str | None = None
    retry: int | None = None


@dataclass
class Listener:
    """A live stream read in a thread: its messages arrive in ``messages`` as they come."""

    status: int
    headers: dict[str, str]
    messages: queue.Queue[Message] = field(default_factory=queue.Queue)
    ended: threading.Event = field(default_factory=threading.Event)
    body: bytes = b""
    sock: socket.socket | None = None

    def next(self, timeout: float = 10.0, *, comments: bool = False) -> Message:
        """The next message (skipping keep-alive comments unless asked for)."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no message arrived")
            message = self.messages.get(timeout=left)
            if comments or message.comment is None:
                return message

    def wait_for(self, check: Callable[[Message], bool], timeout: float = 10.0) -> Message:
        deadline = time.monotonic() + timeout
        while True:
            message = self.next(max(deadline - time.monotonic(), 0.001))
            if check(message):
                return message

    def close(self) -> None:
        """Go away as a browser tab does: the connection ends (the reader thread too)."""
        if self.sock is not None:
            with contextlib.suppress(OSError):
                self.sock.shutdown(socket.SHUT_RDWR)
            self.sock.close()


def _parse(block: bytes, at: float) -> Message:
    event, data, comment, retry = None, [], None, None
    for line in block.decode("utf-8").split("\n"):
        if line.startswith(":"):
            comment = line[1:].strip()
        elif line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].lstrip(" "))
        elif line.startswith("retry:"):
            retry = int(line[6:].strip())
    decoded = orjson.loads("\n".join(data)) if data else None
    return Message(at=at, event=event, data=decoded, comment=comment, retry=retry)


def listen(url: str, path: str = "/api/activity/stream", secret: str | None = None) -> Listener:
    """Open a live stream; a thread reads it message by message. A refused stream's body is in
    ``body`` and nothing is read further."""
    host, _, port = url.removeprefix("http://").partition(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    conn.request("GET", path, headers=bearer(secret) if secret else {})
    sock = conn.sock  # the response keeps using it after the connection object lets it go
    response = conn.getresponse()
    listener = Listener(status=response.status, headers=dict(response.getheaders()), sock=sock)
    if response.status != 200:
        listener.body = response.read()
        conn.close()
        listener.ended.set()
        return listener

    def read() -> None:
        buffer = b""
        try:
            while True:
                chunk = response.read1(65536)
                if not chunk:
                    break
                buffer += chunk
                while b"\n\n" in buffer:
                    block, buffer = buffer.split(b"\n\n", 1)
                    listener.messages.put(_parse(block, time.monotonic()))
        except (OSError, ValueError, http.client.HTTPException):
            pass
        finally:
            listener.ended.set()

    threading.Thread(target=read, daemon=True).start()
    return listener
