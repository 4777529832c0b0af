"""ActivityWatchClient: the official client's API over one keep-alive session, with a
persistent queue for heartbeats so nothing is lost when the server is away."""

from __future__ import annotations

import copy
import email.utils
import logging
import socket
import threading
import time
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, Protocol, overload

import orjson
import requests

from aw_client.config import load_client_config
from aw_client.errors import (
    KEY_REFUSALS,
    BadRequest,
    Conflict,
    Forbidden,
    NotActivityWatch,
    NotFound,
    NoTimerRunning,
    RateLimited,
    ServerError,
    ServerUnreachable,
    Unauthorized,
)
from aw_client.queue import RequestQueue
from aw_client.timers import Projects, TimeEntries
from aw_core import dirs
from aw_core.config import ConfigError
from aw_core.heartbeat import heartbeat_merge
from aw_core.models import Event
from aw_core.timeutil import format_datetime

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 30.0
FLUSH_TIMEOUT = 5.0
_NO_BODY = object()


def _iso(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("datetimes sent to the server must be timezone-aware")
    return format_datetime(value)


class Readable(Protocol):
    """A file-like object requests can stream a request body from."""

    def read(self, amount: int = -1) -> bytes: ...


def _media_type(response: requests.Response) -> str:
    """``text/html`` of ``text/html; charset=utf-8``; empty when the header is missing."""
    return response.headers.get("Content-Type", "").split(";")[0].strip().lower()


def _one_line(text: str, limit: int = 200) -> str:
    """A body as one short line: error messages end up on a single terminal line."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _looks_like_html(response: requests.Response) -> bool:
    return "html" in _media_type(response) or response.text.lstrip().startswith("<")


def _authorization(api_key: str | None) -> str | None:
    return f"Bearer {api_key}" if api_key else None


def _retry_after(response: requests.Response) -> float | None:
    """Seconds to wait from ``Retry-After`` (a number of seconds or an HTTP date)."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - datetime.now(when.tzinfo)).total_seconds())


_ERRORS_BY_STATUS: dict[int, type[ServerError]] = {
    400: BadRequest,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    422: BadRequest,
}
_ERRORS_BY_CODE: dict[str, type[ServerError]] = {"no_timer_running": NoTimerRunning}


def _error_fields(body: Any, response: requests.Response) -> tuple[str, str | None, dict[str, Any]]:
    """Message, code and details of an error answer: ``{"message", "code"}`` on ``/api/0``,
    ``{"error", "code", "details"}`` on the timers API; any other body becomes the message."""
    if isinstance(body, dict):
        message = body.get("message", body.get("error"))
        if isinstance(message, str):
            code = body.get("code")
            details = body.get("details")
            return (
                message,
                code if isinstance(code, str) else None,
                details if isinstance(details, dict) else {},
            )
    return _one_line(response.text) or response.reason or "no message", None, {}


def _is_force_refusal(code: str | None, message: str) -> bool:
    """The official servers' 401 for deleting a bucket without ``force``: not about keys.

    Ours says so with its code; the official Python server only in its message."""
    return code == "force_required" or (code is None and "force" in message.lower())


def _snapshot(event: Event) -> Event:
    """A copy of the caller's event that later changes to it (or to its data) cannot reach:
    whatever the client keeps past a call must not share objects with the caller."""
    return Event.of_us(event.id, event.start_us, event.duration_us, copy.deepcopy(event.data))


class ActivityWatchClient:
    """A client for an ActivityWatch-compatible server.

    ``host``/``port`` come from the arguments, else ``aw-client/aw-client.toml`` in the config
    dir, else 127.0.0.1:5600 (5666 when ``testing``). Every request has a timeout. Queued
    heartbeats are pre-merged in memory and kept on disk until the server has them; call
    ``connect()`` (or use ``with client:``) to deliver them in the background.

    ``api_key`` (else the config file's ``api_key``) is sent as ``Authorization: Bearer <key>``
    on every request, queued ones included. A key from the config file is read again when the
    server refuses it, so fixing the file lets a running watcher deliver what it queued.

    ``time_entries`` (the timer and time entries) and ``projects`` (projects and tasks) reach
    the timers API of aw-server-py through the same session, key and timeouts.
    """

    def __init__(
        self,
        client_name: str = "unknown",
        testing: bool = False,
        host: str | None = None,
        port: int | str | None = None,
        protocol: str = "http",
        timeout: float = DEFAULT_TIMEOUT,
        api_key: str | None = None,
        commit_interval: float | None = None,
    ) -> None:
        config = load_client_config(testing)
        self.client_name = client_name
        self.testing = testing
        self.client_hostname = socket.gethostname()
        self.hostname = self.client_hostname  # the name the official client uses
        self.server_host = host or config.host
        self.server_port = int(port) if port is not None else config.port
        self.server_address = f"{protocol}://{self.server_host}:{self.server_port}"
        self.timeout = timeout
        self.commit_interval = (
            commit_interval if commit_interval is not None else config.commit_interval
        )
        self.session = requests.Session()
        self._key_from_config = not api_key
        # Sent with each request rather than set on the session: the queue's thread may swap
        # it (a fixed config file) while other threads are sending, and this is one assignment.
        self._authorization = _authorization(api_key or config.api_key)
        self._key_refused = False  # the queue's last request was answered 401
        # per bucket: the heartbeat being merged in memory and the pulsetime it came with
        self._last_heartbeat: dict[str, tuple[Event, float]] = {}
        self._heartbeat_lock = threading.Lock()
        self._queue: RequestQueue | None = None
        # ClockEye's SDK shape for the server's timers API (see aw_client/timers.py)
        self.time_entries = TimeEntries(self)
        self.projects = Projects(self)

    # -- plumbing ------------------------------------------------------------------------------

    @property
    def sends_api_key(self) -> bool:
        """Whether requests carry an API key (given as an argument or in the config file)."""
        return self._authorization is not None

    def _url(self, path: str) -> str:
        return f"{self.server_address}/api/0/{path}"

    def _headers(self, has_body: bool) -> dict[str, str]:
        headers = {"Content-Type": "application/json"} if has_body else {}
        authorization = self._authorization
        if authorization is not None:
            headers["Authorization"] = authorization
        return headers

    def _request(
        self,
        method: str,
        path: str,
        body: Any = _NO_BODY,
        params: dict[str, Any] | None = None,
        *,
        raw: Readable | None = None,
        stream: bool = False,
        timeout: float | None = None,
    ) -> requests.Response:
        """Send one request; raise ServerUnreachable, or the error the answer stands for."""
        url = self._url(path)
        kwargs: dict[str, Any] = {
            "params": params,
            "timeout": timeout or self.timeout,
            "stream": stream,
        }
        if body is not _NO_BODY:
            kwargs["data"] = orjson.dumps(body)
        elif raw is not None:
            kwargs["data"] = raw
        kwargs["headers"] = self._headers(body is not _NO_BODY or raw is not None)
        try:
            response = self.session.request(method, url, **kwargs)
        except requests.Timeout as exc:
            raise ServerUnreachable(f"{method} {url} timed out after {kwargs['timeout']}s") from exc
        except requests.ConnectionError as exc:
            raise ServerUnreachable(
                f"cannot connect to the server at {self.server_address}"
            ) from exc
        if response.status_code >= 400:
            raise self._answer_error(response, method)
        return response

    def _answer_error(self, response: requests.Response, method: str) -> ServerError:
        """The typed error for a 4xx/5xx answer, with the server's one-line message.

        ActivityWatch servers answer errors with JSON ``{"message": ...}``; an HTML page means
        something else answered (another web server, a proxy)."""
        status = response.status_code
        try:
            body = response.json()
        except ValueError:
            if _looks_like_html(response):
                return self._not_activitywatch(response, method)
            body = None
        message, code, details = _error_fields(body, response)
        message = self._without_key(message)
        if status == 429:
            return RateLimited(
                status,
                message,
                method,
                response.url,
                code,
                _retry_after(response),
                details=details,
            )
        error = _ERRORS_BY_CODE.get(code or "") or _ERRORS_BY_STATUS.get(status, ServerError)
        if status == 401 and not _is_force_refusal(code, message):
            error = Unauthorized
        return error(status, message, method, response.url, code, details=details)

    def _without_key(self, text: str) -> str:
        """The text with the API key blanked out, should a server ever echo it back."""
        authorization = self._authorization
        if authorization is None:
            return text
        return text.replace(authorization.removeprefix("Bearer "), "<api key>")

    def _not_activitywatch(self, response: requests.Response, method: str) -> NotActivityWatch:
        return NotActivityWatch(
            response.status_code,
            _media_type(response),
            method,
            response.url,
            self.server_address,
        )

    def _json(
        self, method: str, path: str, body: Any = _NO_BODY, params: dict[str, Any] | None = None
    ) -> Any:
        return self._decode(self._request(method, path, body, params), method)

    def _decode(self, response: requests.Response, method: str) -> Any:
        """The JSON body of a successful answer (None when empty)."""
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:  # requests' JSONDecodeError: HTML or text from some other server
            raise self._not_activitywatch(response, method) from None

    # -- server and buckets --------------------------------------------------------------------

    def get_info(self) -> dict[str, Any]:
        return self._json("GET", "info")

    def wait_for_start(self, timeout: float = 10) -> None:
        """Wait until the server answers; raise ServerUnreachable after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        delay = 0.05
        while True:
            try:
                self.get_info()
                return
            except ServerUnreachable:
                if time.monotonic() + delay > deadline:
                    raise
                time.sleep(delay)
                delay = min(delay * 2, 1.0)

    def get_buckets(self) -> dict[str, dict[str, Any]]:
        return self._json("GET", "buckets/")

    def _bucket_body(
        self,
        event_type: str,
        data: dict[str, Any] | None,
        client: str | None,
        hostname: str | None,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "client": client or self.client_name,
            "hostname": hostname or self.client_hostname,
            "type": event_type,
        }
        if data:
            body["data"] = copy.deepcopy(data)
        return body

    def create_bucket(
        self,
        bucket_id: str,
        event_type: str,
        queued: bool = False,
        data: dict[str, Any] | None = None,
        *,
        client: str | None = None,
        hostname: str | None = None,
    ) -> bool | None:
        """Create the bucket; True if created, False if it existed.

        ``client`` and ``hostname`` default to this client's name and the machine's hostname;
        the hostname ``"!local"`` asks the server to use its own. With ``queued=True`` the bucket
        is registered with the queue instead: it is created when the server is reachable, and
        again whenever the server reports it missing.
        """
        body = self._bucket_body(event_type, data, client, hostname)
        if queued:
            self._queue_instance().register_bucket(bucket_id, body)
            try:
                self._json("POST", f"buckets/{bucket_id}", body)
            except ServerUnreachable:
                logger.info(
                    "server unreachable; bucket %s will be created when it is back", bucket_id
                )
            except KEY_REFUSALS as exc:
                # like the server being away: the queue creates it once the key is accepted
                logger.warning(
                    "bucket %s not created yet (HTTP %d, %s); the queue will retry",
                    bucket_id,
                    exc.status,
                    exc.code or "refused",
                )
            return None
        response = self._request("POST", f"buckets/{bucket_id}", body)
        self._decode(response, "POST")  # an HTML page with 200 is no bucket
        return response.status_code == 200

    def setup_bucket(self, bucket_id: str, event_type: str) -> None:
        """Deprecated alias of ``create_bucket(bucket_id, event_type, queued=True)``."""
        self.create_bucket(bucket_id, event_type, queued=True)

    def delete_bucket(self, bucket_id: str, force: bool = False) -> None:
        self._json("DELETE", f"buckets/{bucket_id}", params={"force": 1} if force else None)

    # -- events --------------------------------------------------------------------------------

    def get_event(self, bucket_id: str, event_id: int) -> Event | None:
        """The event, or None if there is no such event (or bucket)."""
        try:
            return Event.from_json_dict(self._json("GET", f"buckets/{bucket_id}/events/{event_id}"))
        except NotFound:
            return None

    def _range(
        self, limit: int | None, start: datetime | None, end: datetime | None
    ) -> dict[str, Any]:
        params: dict[str, Any] = {}
        if limit is not None:
            params["limit"] = limit
        if start is not None:
            params["start"] = _iso(start)
        if end is not None:
            params["end"] = _iso(end)
        return params

    def get_events(
        self,
        bucket_id: str,
        limit: int = -1,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> list[Event]:
        """Events overlapping [start, end] (both bounds inclusive), newest first, clipped."""
        events = self._json(
            "GET", f"buckets/{bucket_id}/events", params=self._range(limit, start, end)
        )
        return [Event.from_json_dict(e) for e in events]

    def get_eventcount(
        self,
        bucket_id: str,
        limit: int = -1,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> int:
        return int(
            self._json(
                "GET", f"buckets/{bucket_id}/events/count", params=self._range(None, start, end)
            )
        )

    @overload
    def insert_event(
        self, bucket_id: str, event: Event, queued: Literal[False] = False
    ) -> Event: ...

    @overload
    def insert_event(self, bucket_id: str, event: Event, queued: Literal[True]) -> None: ...

    @overload
    def insert_event(self, bucket_id: str, event: Event, queued: bool) -> Event | None: ...

    def insert_event(self, bucket_id: str, event: Event, queued: bool = False) -> Event | None:
        """Insert one event; returns it with the id the server gave it.

        With ``queued=True`` it goes through the persistent queue (see ``insert_events``) and
        None is returned.
        """
        if queued:
            self.insert_events(bucket_id, [event], queued=True)
            return None
        return Event.from_json_dict(
            self._json("POST", f"buckets/{bucket_id}/events", event.to_json_dict())
        )

    @overload
    def insert_events(
        self, bucket_id: str, events: Sequence[Event], queued: Literal[False] = False
    ) -> list[Event]: ...

    @overload
    def insert_events(
        self, bucket_id: str, events: Sequence[Event], queued: Literal[True]
    ) -> None: ...

    @overload
    def insert_events(
        self, bucket_id: str, events: Sequence[Event], queued: bool
    ) -> list[Event] | None: ...

    def insert_events(
        self, bucket_id: str, events: Sequence[Event], queued: bool = False
    ) -> list[Event] | None:
        """Insert events in one request (all or nothing); returns them with their ids.

        With ``queued=True`` the request is written to the persistent queue (the events as they
        are now) and delivered in the background like queued heartbeats; None is returned. A
        request whose answer was lost (a timeout) is sent again, so a queued insert can arrive
        twice; heartbeats cannot, so prefer them for state that continues.
        """
        body = [e.to_json_dict() for e in events]
        path = f"buckets/{bucket_id}/events"
        if queued:
            # put() serialises the body at once: the caller may reuse its events right away
            self._queue_instance().put(bucket_id, path, body)
            return None
        return [Event.from_json_dict(e) for e in self._json("POST", path, body)]

    send_event = insert_event
    send_events = insert_events

    def delete_event(self, bucket_id: str, event_id: int) -> None:
        self._json("DELETE", f"buckets/{bucket_id}/events/{event_id}")

    # -- heartbeats ----------------------------------------------------------------------------

    def heartbeat(
        self,
        bucket_id: str,
        event: Event,
        pulsetime: float,
        queued: bool = False,
        commit_interval: float | None = None,
    ) -> Event | None:
        """Send a heartbeat; without ``queued`` it returns the server's merged or new event.

        Queued heartbeats are merged locally and sent (through the persistent queue) when the
        merged event reaches ``commit_interval`` seconds or the data changes; they return None.
        """
        if not queued:
            path = f"buckets/{bucket_id}/heartbeat?pulsetime={pulsetime}"
            return Event.from_json_dict(self._json("POST", path, event.to_json_dict()))
        interval = commit_interval if commit_interval is not None else self.commit_interval
        # The pending heartbeat outlives this call, and watchers commonly reuse one Event and
        # change its timestamp: keep a copy, or the next change would alter what is pending.
        event = _snapshot(event)
        with self._heartbeat_lock:
            pending = self._last_heartbeat.get(bucket_id)
            if pending is None:
                self._last_heartbeat[bucket_id] = (event, pulsetime)
                return None
            last, last_pulsetime = pending
            merged = heartbeat_merge(last, event, pulsetime)
            if merged is None:
                self._enqueue_heartbeat(bucket_id, last, last_pulsetime)
                self._last_heartbeat[bucket_id] = (event, pulsetime)
            elif merged.duration.total_seconds() >= interval:
                self._enqueue_heartbeat(bucket_id, merged, pulsetime)
                self._last_heartbeat[bucket_id] = (event, pulsetime)
            else:
                self._last_heartbeat[bucket_id] = (merged, pulsetime)
        return None

    def _enqueue_heartbeat(self, bucket_id: str, event: Event, pulsetime: float) -> None:
        path = f"buckets/{bucket_id}/heartbeat?pulsetime={pulsetime}"
        self._queue_instance().put(bucket_id, path, event.to_json_dict())

    def flush(self) -> None:
        """Put the heartbeats still being merged in memory into the persistent queue."""
        with self._heartbeat_lock:
            pending, self._last_heartbeat = self._last_heartbeat, {}
        for bucket_id, (event, pulsetime) in pending.items():
            self._enqueue_heartbeat(bucket_id, event, pulsetime)

    # -- query, export, import, settings -------------------------------------------------------

    def query(
        self,
        query: str,
        timeperiods: Sequence[tuple[datetime, datetime]],
        name: str | None = None,
        cache: bool = False,
    ) -> list[Any]:
        """Run a query2 program for each (start, end) period; one result per period."""
        if cache and not name:
            raise ValueError("a query can only be cached when it has a name")
        params: dict[str, Any] = {}
        if name:
            params["name"] = name
        if cache:
            params["cache"] = 1
        body = {
            "timeperiods": [f"{_iso(s)}/{_iso(e)}" for s, e in timeperiods],
            "query": query.split("\n"),
        }
        return self._json("POST", "query/", body, params)

    def export_all(self) -> dict[str, Any]:
        return self._json("GET", "export")

    def export_chunks(
        self, bucket_id: str | None = None, chunk_size: int = 1 << 16
    ) -> Iterator[bytes]:
        """The export document (all buckets, or one) as raw JSON bytes in chunks, so a large
        database never has to fit in memory. The request is made (and its errors raised)
        before this returns; a connection lost midway raises ServerUnreachable."""
        path = f"buckets/{bucket_id}/export" if bucket_id else "export"
        response = self._request("GET", path, stream=True)
        if "json" not in _media_type(response):
            response.close()
            raise self._not_activitywatch(response, "GET")
        return self._stream_chunks(response, chunk_size)

    def _stream_chunks(self, response: requests.Response, chunk_size: int) -> Iterator[bytes]:
        with response:
            try:
                yield from response.iter_content(chunk_size=chunk_size)
            except requests.RequestException as exc:
                raise ServerUnreachable(
                    f"the connection to {self.server_address} broke during the transfer"
                ) from exc

    def import_file(self, handle: Readable, timeout: float | None = None) -> Any:
        """Import an export document read from a file-like object, streamed rather than loaded
        into memory; returns the server's summary. ``timeout`` defaults to 10 minutes, as a
        large import takes a while."""
        response = self._request(
            "POST", "import", raw=handle, timeout=timeout or max(self.timeout, 600)
        )
        return self._decode(response, "POST")

    def export_bucket(self, bucket_id: str) -> dict[str, Any]:
        return self._json("GET", f"buckets/{bucket_id}/export")

    def import_bucket(self, bucket: dict[str, Any]) -> Any:
        return self._json("POST", "import", {"buckets": {bucket["id"]: bucket}})

    def import_buckets(self, export: dict[str, Any]) -> Any:
        """Import a whole export document ``{"buckets": {...}}`` in one transaction."""
        return self._json("POST", "import", export)

    def get_setting(self, key: str | None = None) -> Any:
        return self._json("GET", f"settings/{key}" if key else "settings")

    def set_setting(self, key: str, value: Any) -> Any:
        """Store any JSON value (``None`` included) under ``key``; returns the stored value."""
        return self._json("POST", f"settings/{key}", value)

    # -- queue lifecycle -----------------------------------------------------------------------

    def queue_path(self) -> Path:
        name = f"{self.client_name}{'-testing' if self.testing else ''}.sqlite"
        return Path(dirs.get_data_dir("aw-client")) / "queued" / name

    def _queue_instance(self) -> RequestQueue:
        if self._queue is None:
            self._queue = RequestQueue(self.queue_path(), self._queued_post)
        return self._queue

    def _queued_post(self, path: str, body: Any) -> Any:
        """The queue's sender: after a refused key, each attempt reads the config file again."""
        if self._key_refused:
            self._reload_config_key()
        try:
            result = self._json("POST", path, body)
        except Unauthorized:
            self._key_refused = True
            raise
        self._key_refused = False
        return result

    def _reload_config_key(self) -> None:
        """Take up a changed ``api_key`` from the config file (not one given as an argument)."""
        if not self._key_from_config:
            return
        try:
            authorization = _authorization(load_client_config(self.testing).api_key)
        except ConfigError as exc:  # perhaps saved half-edited: keep the key in use
            logger.warning("cannot read the API key from the config file: %s", exc)
            return
        if authorization != self._authorization:
            logger.info("the config file's api_key changed; the queue uses the new one")
            self._authorization = authorization

    def connect(self) -> None:
        """Start delivering queued requests in the background."""
        self._queue_instance().start()

    def disconnect(self, timeout: float = FLUSH_TIMEOUT) -> None:
        """Queue what is still merging in memory, try (for at most ``timeout`` s) to deliver
        everything queued, then stop; whatever is left stays on disk for next time."""
        self.flush()
        queue = self._queue
        if queue is None:
            return
        queue.start()
        if not queue.wait_until_empty(timeout):
            logger.warning(
                "%d queued requests not delivered yet; they are kept for next time", len(queue)
            )
        queue.close()
        self._queue = None

    def __enter__(self) -> ActivityWatchClient:
        self.connect()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.disconnect()
