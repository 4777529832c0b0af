"""The WSGI layer around the Flask app: the request log, and a JSON 500 for failures Flask misses.

Flask turns exceptions raised by views into JSON errors (aw_server/errors.py), but some happen
after Flask has built its response: a header value waitress cannot encode as latin-1, or a
streamed body that fails before its first chunk. Without this layer waitress would answer those
with a plain-text 500. Here headers are checked before they reach waitress, and a streamed body's
first chunk is produced before the status line is sent, so any failure up to that point still
gets the JSON error. Once the first byte is sent, a failure can only end the connection.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING
from urllib.parse import unquote_plus

import orjson

from aw_server.errors import INTERNAL_ERROR_MESSAGE

if TYPE_CHECKING:
    from _typeshed import OptExcInfo
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

logger = logging.getLogger("aw_server.requests")

# Where the access gate leaves the client's address (a trusted proxy's forwarded one).
CLIENT_ADDRESS_KEY = "aw.client_address"
# Query parameters whose values never reach the log (credentials some clients put in URLs).
SECRET_PARAMS = frozenset({"api_key", "apikey", "key", "token", "access_token", "password"})


def _printable(text: str) -> str:
    """``text`` with control characters escaped, so a request cannot forge log lines."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def redact_query(query: str) -> str:
    """The query string with the values of SECRET_PARAMS replaced by ``[redacted]``."""
    parts = query.split("&")
    for i, part in enumerate(parts):
        name, sep, _value = part.partition("=")
        if sep and unquote_plus(name).strip().lower() in SECRET_PARAMS:
            parts[i] = f"{name}=[redacted]"
    return "&".join(parts)


def request_target(environ: WSGIEnvironment) -> str:
    """The request's path and redacted query string, decoded and safe to log."""
    raw_path = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
    # WSGI hands over the raw bytes as latin-1 text; the URL itself is UTF-8
    path = raw_path.encode("latin-1", "replace").decode("utf-8", "replace")
    query = environ.get("QUERY_STRING", "")
    target = f"{path}?{redact_query(query)}" if query else path
    return _printable(target)


def _check_headers(headers: list[tuple[str, str]]) -> None:
    """Raise ValueError for a header value waitress would fail on (after the response began)."""
    for name, value in headers:
        if value.isascii():
            if "\n" in value or "\r" in value:
                raise ValueError(f"line break in the {name} header")
        else:
            value.encode("latin-1")  # UnicodeEncodeError is a ValueError


def _has_length(headers: list[tuple[str, str]]) -> bool:
    return any(name.lower() == "content-length" for name, _ in headers)


class _DeferredStart:
    """Holds the app's start_response call until the response is known to be sendable."""

    __slots__ = ("_real", "_real_write", "status", "headers", "_exc_info", "started", "eager")

    def __init__(self, real: StartResponse) -> None:
        self._real = real
        self._real_write: Callable[[bytes], object] | None = None
        self.status = ""
        self.headers: list[tuple[str, str]] = []
        self._exc_info: OptExcInfo | None = None
        self.started = False
        self.eager = False  # set when the app returned without starting: pass calls through

    def __call__(
        self, status: str, headers: list[tuple[str, str]], exc_info: OptExcInfo | None = None, /
    ) -> Callable[[bytes], object]:
        _check_headers(headers)
        self.status, self.headers, self._exc_info = status, headers, exc_info
        if self.eager:
            self.send()
        return self._write

    def send(self) -> None:
        if not self.started:
            self.started = True
            self._real_write = self._real(self.status, self.headers, self._exc_info)

    def _write(self, data: bytes) -> object:
        # the legacy write() callable: the response starts now
        self.send()
        assert self._real_write is not None
        return self._real_write(data)


class _FirstChunkThen:
    """Yields an already produced first chunk, then the rest; close() closes the original body."""

    def __init__(self, first: bytes, rest: Iterator[bytes], body: Iterable[bytes]) -> None:
        self._first: bytes | None = first
        self._rest = rest
        self._body = body

    def __iter__(self) -> Iterator[bytes]:
        if self._first is not None:
            first, self._first = self._first, None
            yield first
        yield from self._rest

    def close(self) -> None:
        close = getattr(self._body, "close", None)
        if close is not None:
            close()


def _close(body: Iterable[bytes]) -> None:
    close = getattr(body, "close", None)
    if close is not None:
        close()


class ServerMiddleware:
    """Wraps the Flask WSGI app: JSON 500 for late failures, one log line per request."""

    def __init__(self, app: WSGIApplication) -> None:
        self.app = app

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        # Two cached level checks per request; nothing is formatted unless a line is written.
        log_all = logger.isEnabledFor(logging.DEBUG)
        log_errors = log_all or logger.isEnabledFor(logging.INFO)
        started = time.perf_counter() if log_errors else 0.0
        deferred = _DeferredStart(start_response)
        try:
            body = self._respond(environ, deferred)
        except Exception:
            if deferred.started:
                raise
            logger.exception(
                "unhandled error on %s %s",
                environ.get("REQUEST_METHOD", "-"),
                request_target(environ),
            )
            deferred.status = "500 INTERNAL SERVER ERROR"
            body = _json_500(start_response)
        if log_errors:
            self._log(environ, deferred.status, started, log_all)
        return body

    def _respond(self, environ: WSGIEnvironment, deferred: _DeferredStart) -> Iterable[bytes]:
        body = self.app(environ, deferred)
        if not deferred.status:
            # the app starts the response while its body is iterated (allowed by PEP 3333)
            deferred.eager = True
            return body
        if _has_length(deferred.headers):
            # a buffered body (Flask set its length) cannot fail any more
            deferred.send()
            return body
        # A streamed body: produce its first chunk before the status line goes out.
        try:
            rest = iter(body)
            first = next(rest, None)
        except BaseException:
            _close(body)
            raise
        deferred.send()
        if first is None:
            return body
        return _FirstChunkThen(first, rest, body)

    @staticmethod
    def _log(environ: WSGIEnvironment, status: str, started: float, log_all: bool) -> None:
        code = int(status[:3]) if status[:3].isdigit() else 0
        if code >= 400:
            level = logging.INFO
        elif log_all:
            level = logging.DEBUG
        else:
            return
        logger.log(
            level,
            "%s %s %d %.1f ms %s",
            environ.get("REQUEST_METHOD", "-"),
            request_target(environ),
            code,
            (time.perf_counter() - started) * 1000,
            environ.get(CLIENT_ADDRESS_KEY) or environ.get("REMOTE_ADDR", "-"),
        )


def _json_500(start_response: StartResponse) -> list[bytes]:
    body = orjson.dumps({"message": INTERNAL_ERROR_MESSAGE, "code": "internal_error"})
    start_response(
        "500 INTERNAL SERVER ERROR",
        [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
    )
    return [body]
