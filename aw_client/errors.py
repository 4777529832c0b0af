"""What can go wrong talking to the server: a small hierarchy that says what failed."""

from __future__ import annotations

from typing import Any


class ClientError(Exception):
    """Base class of every error the client raises."""


class ServerUnreachable(ClientError):
    """The server could not be reached (connection refused, DNS, timeout)."""


class ServerError(ClientError):
    """The server answered with an error status; ``message`` is the server's own message,
    ``code`` its machine-readable name of the error, when it sends one (``not_found``...), and
    ``details`` what the timers API adds about it (``{"field": "start_date"}``...), else empty."""

    def __init__(
        self,
        status: int,
        message: str,
        method: str,
        url: str,
        code: str | None = None,
        *,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(f"{method} {url} failed with {status}: {message}")
        self.status = status
        self.message = message
        self.method = method
        self.url = url
        self.code = code
        self.details = details or {}


class Unauthorized(ServerError):
    """401: the server needs an API key and none was sent, or it refused the one sent.

    ``code`` says why when the server tells: ``unauthorized`` (no key, or not a valid one),
    ``key_revoked`` or ``key_expired``."""


class Forbidden(ServerError):
    """403: the API key is valid but lacks the scope the request needs (the message names it)."""


class RateLimited(ServerError):
    """429: too many requests; ``retry_after`` is how many seconds to wait, when the server
    says (its ``Retry-After`` header)."""

    def __init__(
        self,
        status: int,
        message: str,
        method: str,
        url: str,
        code: str | None = None,
        retry_after: float | None = None,
        *,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(status, message, method, url, code, details=details)
        self.retry_after = retry_after


# Refusals that go away once the key is fixed or the rate-limit window passes: the queue keeps
# its requests through them.
KEY_REFUSALS = (Unauthorized, Forbidden, RateLimited)


class NotFound(ServerError):
    """404: the bucket, event, time entry or project does not exist."""


class BadRequest(ServerError):
    """400 or 422: the server refused what was sent; ``code`` says why (``unknown_project``,
    ``invalid_date``, ``project_archived``...) and ``details["field"]``, when there, names the
    field or parameter."""


class Conflict(ServerError):
    """409: the request conflicts with the server's state (``code``: ``project_exists``,
    ``project_has_entries``, ``entry_running``...)."""


class NoTimerRunning(Conflict):
    """409 ``no_timer_running``: there is no running timer to stop."""


class NotActivityWatch(ServerError):
    """The answer is not one an ActivityWatch server gives (an HTML page, a body that is not
    JSON): another web server, or a proxy, answers at that address. ``status`` is its HTTP
    status, which may be a success."""

    def __init__(self, status: int, content_type: str, method: str, url: str, address: str) -> None:
        what = content_type or "no content type"
        message = f"{address} did not answer as an ActivityWatch server (HTTP {status}, {what})"
        super().__init__(status, message, method, url)
        self.content_type = content_type
        self.args = (message,)
