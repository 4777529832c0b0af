"""Helpers for the test_webhooks_* files (this file holds no tests): a live server with webhooks
and a fast retry schedule, a real loopback receiver whose answers a test scripts, and the
verification snippets of docs/webhooks.md, loaded from the document itself."""

from __future__ import annotations

import json
import re
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TypeVar

import requests
from flask import Flask
from standardwebhooks import Webhook as StandardWebhook
from standardwebhooks import WebhookVerificationError

from aw_server.app import create_app
from aw_server.service import Service, Writes
from aw_server.webhooks.app import SENDER
from aw_server.webhooks.config import WebhooksConfig
from aw_server.webhooks.sender import Schedule, Sender
from aw_server.webhooks.store import WebhookStore
from tests.conftest import make_config
from tests.liveserver import ROOT, ThreadedServer

T = TypeVar("T")
DOCS = ROOT / "docs" / "webhooks.md"
# retries within moments, so a test can watch a whole schedule run
FAST = Schedule(delays=(0.05,) * 6, jitter=0.0, timeout=5.0)


def eventually(check: Callable[[], T | None], timeout: float = 20.0, what: str = "it") -> T:
    """Poll until ``check`` gives something truthy (readiness, not a sleep); that value."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout} s for {what}")
        time.sleep(0.01)


# -- the documented snippets -------------------------------------------------------------------


def doc_blocks(language: str) -> list[str]:
    text = DOCS.read_text(encoding="utf-8")
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.S)


def doc_verifiers() -> dict[str, Any]:
    """The Python functions docs/webhooks.md defines (verify_*), run from the document."""
    namespace: dict[str, Any] = {}
    for block in doc_blocks("python"):
        if block.lstrip().startswith(("import", "from")):
            exec(compile(block, str(DOCS), "exec"), namespace)
    return namespace


VERIFY = doc_verifiers()


# -- the receiver ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: bytes = b"ok"
    headers: dict[str, str] = field(default_factory=dict)
    hang: bool = False  # hold the request until the receiver is released (or closed)


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]  # names in lower case
    body: bytes

    @property
    def payload(self) -> dict[str, Any]:
        value: dict[str, Any] = json.loads(self.body)
        return value

    @property
    def event_id(self) -> str:
        return self.headers["webhook-id"]

    def aw_valid(self, secret: str) -> bool:
        """X-AW-Signature, checked by the documented standard-library snippet."""
        return bool(
            VERIFY["verify_aw_signature"](self.body, self.headers.get("x-aw-signature", ""), secret)
        )

    def standard_valid(self, secret: str) -> bool:
        """The Standard Webhooks headers, checked by the standardwebhooks package."""
        try:
            StandardWebhook(secret).verify(self.body, self.headers)
        except (WebhookVerificationError, ValueError):
            return False
        return True

    def signed(self, secret: str) -> bool:
        return self.aw_valid(secret) and self.standard_valid(secret)


class Receiver:
    """A threaded HTTP server on loopback that records every POST and answers as scripted."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.received: list[Received] = []
        self._lock = threading.Lock()
        self._script: list[Reply] = []
        self._then = Reply()
        self.release = threading.Event()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.scheme = "https" if tls is not None else "http"
        self.port = self.server.server_port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str = "/hook", host: str = "127.0.0.1") -> str:
        return f"{self.scheme}://{host}:{self.port}{path}"

    def answer(self, *replies: Reply, then: Reply | None = None) -> None:
        """The next requests get ``replies`` in order, later ones ``then`` (default 200)."""
        with self._lock:
            self._script = list(replies)
            self._then = then or Reply()

    def _next(self, received: Received) -> Reply:
        with self._lock:
            self.received.append(received)
            return self._script.pop(0) if self._script else self._then

    def count(self) -> int:
        with self._lock:
            return len(self.received)

    def wait_for(self, count: int, timeout: float = 20.0) -> list[Received]:
        eventually(lambda: self.count() >= count, timeout, f"{count} requests")
        with self._lock:
            return list(self.received)

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802 - the name http.server calls
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                headers = {k.lower(): v for k, v in self.headers.items()}
                reply = receiver._next(Received(self.path, headers, body))
                if reply.hang:
                    receiver.release.wait(60)
                try:
                    self.send_response(reply.status)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    self.wfile.write(reply.body)
                except OSError:
                    pass  # the sender gave up on this request

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


@contextmanager
def receiver(tls: ssl.SSLContext | None = None) -> Iterator[Receiver]:
    made = Receiver(tls)
    try:
        yield made
    finally:
        made.close()


# -- the server ------------------------------------------------------------------------------


class HookServer:
    """A live server with webhooks, called as an admin from loopback (no key needed)."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.server = ThreadedServer(app).start()
        self.url = self.server.url
        self.session = requests.Session()

    @property
    def service(self) -> Service:
        service: Service = self.app.extensions["aw"]
        return service

    @property
    def sender(self) -> Sender:
        sender: Sender = self.app.extensions[SENDER]
        return sender

    @property
    def store(self) -> WebhookStore:
        store: WebhookStore = self.app.extensions["aw_webhooks"].store
        return store

    def call(
        self,
        method: str,
        path: str,
        body: object = None,
        *,
        headers: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
    ) -> requests.Response:
        """A request to ``/api/<path>``; a body other than None is sent as JSON."""
        data = json.dumps(body).encode() if body is not None else None
        sent = {**({"Content-Type": "application/json"} if data else {}), **(headers or {})}
        return self.session.request(
            method, f"{self.url}/api/{path}", data=data, headers=sent, params=params, timeout=30
        )

    def create(self, url: str, events: list[str] | None = None, **fields: Any) -> dict[str, Any]:
        response = self.call("POST", "webhooks", {"url": url, "events": events or ["*"], **fields})
        assert response.status_code == 201, response.text
        made: dict[str, Any] = response.json()
        return made

    def webhook(self, webhook_id: str) -> dict[str, Any]:
        response = self.call("GET", f"webhooks/{webhook_id}")
        assert response.status_code == 200, response.text
        found: dict[str, Any] = response.json()
        return found

    def deliveries(self, webhook_id: str) -> list[dict[str, Any]]:
        """All the webhook's deliveries, oldest first."""
        items: list[dict[str, Any]] = []
        page = 1
        while True:
            response = self.call(
                "GET",
                f"webhooks/{webhook_id}/deliveries",
                params={"page": str(page), "per_page": "500"},
            )
            assert response.status_code == 200, response.text
            body = response.json()
            items += body["data"]
            if page >= body["meta"]["total_pages"]:
                return items[::-1]
            page += 1

    def settled(self, webhook_id: str, count: int, timeout: float = 20.0) -> list[dict[str, Any]]:
        """Wait until the webhook has ``count`` deliveries and none is pending; oldest first."""

        def check() -> bool:
            # read from the store: cheap enough to poll while thousands go out
            total = self.store.deliveries(webhook_id, 1, 0)[1]
            return total == count and self.store.head(webhook_id) is None

        eventually(check, timeout, f"{count} settled deliveries")
        return self.deliveries(webhook_id)

    def attempted(self, webhook_id: str) -> dict[str, Any]:
        """Wait until the webhook's first delivery has had one attempt; that delivery."""

        def check() -> dict[str, Any] | None:
            found = self.deliveries(webhook_id)
            return found[0] if found and found[0]["attempts"] >= 1 else None

        return eventually(check, what="an attempt")

    def disabled(self, webhook_id: str) -> dict[str, Any]:
        """Wait until the webhook is disabled; the webhook."""

        def check() -> dict[str, Any] | None:
            webhook = self.webhook(webhook_id)
            return webhook if not webhook["enabled"] else None

        return eventually(check, what="the webhook disabled")

    def occur(self, kind: str, data: dict[str, Any], fail: bool = False) -> None:
        """An occurrence noted in a write through Service.transaction (as a feature would)."""

        def write(writes: Writes) -> None:
            writes.occurred(kind, lambda: data)
            if fail:
                raise RuntimeError("the write fails after noting its occurrence")

        self.service.transaction(write)

    def bucket(self, bucket_id: str = "b") -> None:
        response = self.call(
            "POST", f"0/buckets/{bucket_id}", {"client": "test", "type": "test", "hostname": "h"}
        )
        assert response.status_code == 200, response.text

    def event(self, bucket_id: str = "b", n: int = 0, **data: Any) -> dict[str, Any]:
        body = {"timestamp": f"2024-05-01T09:{n // 60:02d}:{n % 60:02d}Z", "duration": 1}
        response = self.call("POST", f"0/buckets/{bucket_id}/events", {**body, "data": data})
        assert response.status_code == 200, response.text
        made: dict[str, Any] = response.json()
        return made

    def close(self) -> None:
        self.server.stop()
        self.service.storage.close()


def hook_app(
    tmp_path: Path,
    *,
    allow_private: bool = True,
    schedule: Schedule = FAST,
    **config: Any,
) -> Flask:
    app = create_app(
        make_config(tmp_path, webhooks=WebhooksConfig(allow_private=allow_private), **config)
    )
    app.extensions[SENDER].schedule = schedule
    return app


@contextmanager
def hook_server(tmp_path: Path, **options: Any) -> Iterator[HookServer]:
    server = HookServer(hook_app(tmp_path, **options))
    try:
        yield server
    finally:
        server.close()
