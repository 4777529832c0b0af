"""A persistent queue of requests and the thread that delivers them in order.

Requests are rows of a SQLite file, so nothing queued is lost when the client or the server
stops. The dispatcher sends the oldest row and deletes it only after a successful response:
connection errors, timeouts, 5xx and answers that do not come from an ActivityWatch server (an
HTML page) keep it and retry with capped exponential backoff; so do refusals that go away by
themselves or once the key is fixed (401 no or refused API key, 403 key without the scope, 429
rate limited), waiting at least the server's Retry-After; a 404 for a bucket this client
registered re-creates the bucket and retries; any other 4xx drops the row with a log line naming
the reason.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from aw_client.errors import (
    KEY_REFUSALS,
    NotActivityWatch,
    NotFound,
    RateLimited,
    ServerError,
    ServerUnreachable,
)

logger = logging.getLogger(__name__)

MIN_BACKOFF = 0.2
MAX_BACKOFF = 10.0
# Each attempt with a refused key counts against the server's limit of failed authentications
# per address (10 a minute by default), which then blocks every key from this machine, the
# right ones of other watchers included: after a refusal, retry 10 s later, then less often,
# down to once a minute (a few watchers sharing a bad key stay under the limit).
MIN_REFUSED_BACKOFF = 10.0
MAX_REFUSED_BACKOFF = 60.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    bucket_id TEXT NOT NULL,
    path TEXT NOT NULL,
    body TEXT NOT NULL,
    queued_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS buckets (
    bucket_id TEXT PRIMARY KEY,
    body TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class QueuedRequest:
    id: int
    bucket_id: str
    path: str
    body: Any


# post(path, body) sends one request and raises the client's errors.
Sender = Callable[[str, Any], Any]


class RequestQueue:
    def __init__(self, path: Path, send: Sender) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._send = send
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._idle = threading.Event()
        self._thread: threading.Thread | None = None
        self.delivered = 0
        self.dropped = 0
        # why delivery is held back by the server (its error code, e.g. key_revoked), if it is
        self.refusal: str | None = None
        self._retry_after = 0.0

    # -- storage -------------------------------------------------------------------------------

    def put(self, bucket_id: str, path: str, body: Any) -> None:
        """Append a request; it is on disk when this returns."""
        with self._lock:
            self._db.execute(
                "INSERT INTO requests (bucket_id, path, body, queued_at) VALUES (?, ?, ?, ?)",
                (bucket_id, path, orjson.dumps(body).decode(), time.time()),
            )
        self._idle.clear()
        self._wake.set()

    def register_bucket(self, bucket_id: str, body: dict[str, Any]) -> None:
        """Remember how to create the bucket, so a 404 can be repaired by re-creating it."""
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO buckets (bucket_id, body) VALUES (?, ?)",
                (bucket_id, orjson.dumps(body).decode()),
            )

    def registered_buckets(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            rows = self._db.execute("SELECT bucket_id, body FROM buckets").fetchall()
        return {bucket_id: orjson.loads(body) for bucket_id, body in rows}

    def _peek(self) -> QueuedRequest | None:
        with self._lock:
            row = self._db.execute(
                "SELECT id, bucket_id, path, body FROM requests ORDER BY id LIMIT 1"
            ).fetchone()
        if row is None:
            return None
        return QueuedRequest(row[0], row[1], row[2], orjson.loads(row[3]))

    def _remove(self, request_id: int) -> None:
        with self._lock:
            self._db.execute("DELETE FROM requests WHERE id = ?", (request_id,))

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT count(*) FROM requests").fetchone()[0])

    # -- delivery ------------------------------------------------------------------------------

    def _create_bucket(self, bucket_id: str) -> bool:
        body = self.registered_buckets().get(bucket_id)
        if body is None:
            return False
        self._send(f"buckets/{bucket_id}", body)
        return True

    def _refused(self, exc: ServerError) -> None:
        """Hold delivery back after a 401/403/429; one log line when that starts or changes."""
        refusal = exc.code or f"HTTP {exc.status}"
        self._retry_after = 0.0
        if isinstance(exc, RateLimited) and exc.retry_after is not None:
            self._retry_after = exc.retry_after
        if refusal == self.refusal:
            return
        self.refusal = refusal
        # our own words, not the server's message: that may name part of the key
        reason = {
            401: "needs an API key or refused the one sent",
            403: "does not let the API key do this",
            429: "is rate limiting this client",
        }.get(exc.status, "refuses the requests")
        logger.warning(
            "the server %s (HTTP %d, %s); keeping %d queued requests and retrying",
            reason,
            exc.status,
            refusal,
            len(self),
        )

    def _accepted(self) -> None:
        if self.refusal is not None:
            logger.info("the server accepts requests again; delivering the queued ones")
        self.refusal = None
        self._retry_after = 0.0

    def deliver_one(self) -> bool | None:
        """Try the oldest request: True if it was delivered or dropped, False to retry later,
        None if the queue is empty."""
        request = self._peek()
        if request is None:
            return None
        try:
            self._send(request.path, request.body)
        except KEY_REFUSALS as exc:
            self._refused(exc)
            return False
        except ServerUnreachable as exc:
            logger.debug("server unreachable, keeping %d queued requests: %s", len(self), exc)
            return False
        except NotActivityWatch as exc:
            # the wrong server (or a proxy page) answers: the right one may come back, so keep it
            logger.warning("keeping %d queued requests: %s", len(self), exc.message)
            return False
        except NotFound as exc:
            try:
                if self._create_bucket(request.bucket_id):
                    logger.info("re-created bucket %s for queued requests", request.bucket_id)
                    return False
            except KEY_REFUSALS as refusal:
                self._refused(refusal)
                return False
            except (ServerUnreachable, ServerError):
                return False
            logger.warning("dropping queued request to %s: %s", request.path, exc.message)
            self._remove(request.id)
            self.dropped += 1
            return True
        except ServerError as exc:
            if exc.status >= 500:
                logger.warning("server error, will retry %s: %s", request.path, exc.message)
                return False
            logger.warning(
                "dropping queued request to %s (%d): %s", request.path, exc.status, exc.message
            )
            self._remove(request.id)
            self.dropped += 1
            return True
        self._remove(request.id)
        self.delivered += 1
        self._accepted()
        return True

    def _create_registered(self) -> bool:
        buckets = self.registered_buckets()
        try:
            for bucket_id, body in buckets.items():
                self._send(f"buckets/{bucket_id}", body)
        except KEY_REFUSALS as exc:
            self._refused(exc)
            return False
        except (ServerUnreachable, ServerError) as exc:
            logger.debug("cannot create registered buckets yet: %s", exc)
            return False
        if buckets:
            self._accepted()
        return True

    def _back_off(self, backoff: float) -> float:
        """Wait before the next attempt (at least what the server asked); the next backoff."""
        limit = MAX_BACKOFF
        if self.refusal is not None:
            backoff, limit = max(backoff, MIN_REFUSED_BACKOFF), MAX_REFUSED_BACKOFF
        # new requests must not cut the wait short: that would hammer a down server
        self._stop.wait(max(backoff, self._retry_after))
        return min(backoff * 2, limit)

    def _run(self) -> None:
        backoff = MIN_BACKOFF
        connected = False
        while not self._stop.is_set():
            if not connected:
                connected = self._create_registered()
                if not connected:
                    backoff = self._back_off(backoff)
                    continue
            outcome = self.deliver_one()
            if outcome is None:
                self._idle.set()
                self._wake.wait(1.0)
                self._wake.clear()
            elif outcome:
                backoff = MIN_BACKOFF
            else:
                connected = False
                backoff = self._back_off(backoff)

    def start(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="aw-client-queue", daemon=True)
            self._thread.start()

    def wait_until_empty(self, timeout: float) -> bool:
        """Wait (at most ``timeout`` s) until everything queued is delivered or dropped."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self) == 0:
                return True
            self._wake.set()
            time.sleep(0.05)
        return len(self) == 0

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._thread = None

    def close(self) -> None:
        self.stop()
        with self._lock:
            self._db.close()
