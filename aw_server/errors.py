"""Domain errors with their HTTP status, and the one handler that turns every error into JSON.

Every error answered under ``/api`` has the body ``{"message": ...}`` (plus ``"type"`` for query
errors) and a 4xx/5xx status; user input never produces a 500.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from typing import Any

import orjson
import peewee
from flask import Flask, Response, current_app, has_request_context, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.exceptions import NotFound as RouteNotFound

logger = logging.getLogger(__name__)

INTERNAL_ERROR_MESSAGE = "internal server error; see the server log"


class APIError(Exception):
    """An error answered as ``{"message", "code"}`` (plus ``"type"`` for query errors) with its
    status; ``code`` is a stable machine-readable name, the message is for people."""

    status = 500
    code = "internal_error"

    def __init__(
        self,
        message: str,
        *,
        type: str | None = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.type = type
        if code is not None:
            self.code = code
        self.headers = headers or {}
        self.details = details

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"message": self.message, "code": self.code}
        if self.type:
            body["type"] = self.type
        if self.details is not None:
            body["details"] = self.details
        return body


class BadRequest(APIError):
    status = 400
    code = "bad_request"


class Unauthorized(APIError):
    """401 for a missing or unusable key; it tells the client how to authenticate."""

    status = 401
    code = "unauthorized"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(
            message, code=code, headers={"WWW-Authenticate": 'Bearer realm="aw-server"'}
        )


class ForceRequired(APIError):
    """The official servers' 401 for deleting a bucket without ``force``: not about keys."""

    status = 401
    code = "force_required"


class Forbidden(APIError):
    status = 403
    code = "forbidden"


class Conflict(APIError):
    status = 409
    code = "conflict"


class Unprocessable(APIError):
    status = 422
    code = "unprocessable"


class NotFound(APIError):
    status = 404
    code = "not_found"


class BucketNotFound(NotFound):
    def __init__(self, bucket_id: str) -> None:
        super().__init__(f"There's no bucket named {bucket_id!r}")
        self.bucket_id = bucket_id


class PayloadTooLarge(APIError):
    status = 413
    code = "payload_too_large"


class UnsupportedMediaType(APIError):
    status = 415
    code = "unsupported_media_type"


class TooManyRequests(APIError):
    status = 429
    code = "rate_limited"


class ServiceUnavailable(APIError):
    status = 503
    code = "service_unavailable"


class InsufficientStorage(APIError):
    status = 507
    code = "insufficient_storage"


def storage_error(exc: Exception) -> APIError:
    """Map a SQLite failure that is not the client's fault to a clear 503/507."""
    text = str(exc).lower()
    if "full" in text:
        return InsufficientStorage("the database is full or the disk has no space left")
    if "locked" in text or "busy" in text:
        return ServiceUnavailable("the database is locked by another process; try again")
    if "readonly" in text or "read-only" in text:
        return ServiceUnavailable("the database cannot be written (read-only file or directory)")
    return ServiceUnavailable(f"the database failed: {exc}")


def is_api_path(path: str) -> bool:
    """``/api`` and what is under it; ``/api-guide.html`` or ``/apis/`` are dashboard files."""
    return path == "/api" or path.startswith("/api/")


# A feature family whose clients expect another error body: (path prefix, body maker). The
# one handler below renders every error; a family only says how its body looks.
ErrorShape = Callable[[dict[str, Any]], dict[str, Any]]
_SHAPES: list[tuple[str, ErrorShape]] = []


def register_error_shape(prefix: str, shape: ErrorShape) -> None:
    """Errors under ``prefix`` get ``shape({"message", "code", ...})`` as their body."""
    if all(existing != prefix for existing, _ in _SHAPES):
        _SHAPES.append((prefix, shape))


def json_error(status: int, body: dict[str, Any]) -> Response:
    path = request.path if has_request_context() else ""
    for prefix, shape in _SHAPES:
        if path == prefix or path.startswith(prefix + "/"):
            body = shape(body)
            break
    return Response(orjson.dumps(body), status=status, mimetype="application/json")


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(APIError)
    def _api_error(exc: APIError) -> Response:
        response = json_error(exc.status, exc.body())
        response.headers.update(exc.headers)
        return response

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response | HTTPException:
        if not is_api_path(request.path):
            return exc
        if isinstance(exc, RouteNotFound):
            exc = _slash_route_method_error(exc)
        status = exc.code or 500
        code = exc.name.lower().replace(" ", "_").replace("'", "")
        response = json_error(status, {"message": exc.description or exc.name, "code": code})
        if status == 405 and exc.get_response().headers.get("Allow"):
            response.headers["Allow"] = exc.get_response().headers["Allow"]
        return response

    @app.errorhandler(sqlite3.Error)
    @app.errorhandler(peewee.DatabaseError)
    def _db_error(exc: Exception) -> Response:
        mapped = storage_error(exc)
        logger.error("database error on %s %s: %s", request.method, request.path, exc)
        return json_error(mapped.status, mapped.body())

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        logger.exception("unhandled error on %s %s", request.method, request.path)
        return json_error(500, {"message": INTERNAL_ERROR_MESSAGE, "code": APIError.code})


def _slash_route_method_error(exc: RouteNotFound) -> HTTPException:
    """405 for a path that misses only its trailing slash, when the slashed route has other methods.

    A route like ``/query/`` with ``strict_slashes=False`` matches ``POST /query``, but werkzeug
    answers ``GET /query`` with 404 where ``GET /query/`` gets 405: both should say the same.
    """
    if request.url_rule is not None or request.path.endswith("/"):
        return exc
    adapter = current_app.url_map.bind_to_environ(request.environ)
    allowed = adapter.allowed_methods(request.path + "/")
    return MethodNotAllowed(valid_methods=allowed) if allowed else exc
