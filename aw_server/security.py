"""Host-header check (DNS rebinding), Origin check for writes, and CORS for allowed origins."""

from __future__ import annotations

import ipaddress
import logging
import re
from collections.abc import Callable, Collection
from typing import cast
from urllib.parse import urlsplit

from flask import Flask, Response, request
from flask_cors import CORS

from aw_core.config import ConfigError
from aw_server.auth.policy import current_principal
from aw_server.config import Config
from aw_server.errors import BadRequest, Forbidden

logger = logging.getLogger(__name__)

OFFICIAL_CHROME_EXTENSION = "chrome-extension://nglaklhklhcoonedhgnpgddginnjdadi"
_LOOPBACK_NAMES = {"localhost", "127.0.0.1", "[::1]", "::1"}
_UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
EXPOSED_HEADERS = [
    "Retry-After",
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
]
CORS_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
_DEFAULT_PORTS = {"http": 80, "https": 443}


def is_loopback(host: str) -> bool:
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _host_name(header: str) -> str:
    """The Host header without its port: ``localhost:5600`` -> ``localhost``, ``[::1]:80`` -> ``[::1]``."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[: header.find("]") + 1] if "]" in header else header
    return header.rsplit(":", 1)[0] if ":" in header else header


def _host_and_port(url: str, scheme: str) -> tuple[str, int] | None:
    """``http://[::1]:5600`` -> ``("::1", 5600)``; None for anything that is not such an origin."""
    try:
        parts = urlsplit(url)
        port = parts.port or _DEFAULT_PORTS.get(scheme)
    except ValueError:
        return None
    if parts.scheme != scheme or not parts.hostname or port is None:
        return None
    return parts.hostname, port


def is_own_origin(origin: str, host_header: str, scheme: str, aliases: Collection[str]) -> bool:
    """Whether a page with this Origin was served by this server itself.

    That is the origin the ``Host`` header names, or, for a server bound to loopback, any of
    its loopback names (``aliases``: ``localhost``, ``127.0.0.1``, ``[::1]``, the configured
    host) with the same port: a page from ``http://localhost:5600`` calling
    ``http://127.0.0.1:5600`` talks to the same server. Other ports are other programs.
    """
    own = _host_and_port(f"{scheme}://{host_header}", scheme)
    theirs = _host_and_port(origin, scheme)
    if own is None or theirs is None or own[1] != theirs[1]:
        return False
    return theirs[0] == own[0] or theirs[0] in aliases


def allowed_origin_patterns(config: Config) -> list[re.Pattern[str]]:
    """Origins that get CORS headers: configured ones, the browser extensions, the dev web UI."""
    exact = list(config.cors_origins)
    if config.testing:
        exact += ["http://127.0.0.1:27180", "http://localhost:27180"]
    patterns = [re.compile(re.escape(origin.rstrip("/")) + r"\Z") for origin in exact]
    regexes = [r"moz-extension://[^/]+", re.escape(OFFICIAL_CHROME_EXTENSION), *config.cors_regex]
    for regex in regexes:
        try:
            patterns.append(re.compile(f"(?:{regex})\\Z"))
        except re.error as exc:
            raise ConfigError(f"invalid cors_regex {regex!r}: {exc}") from exc
    return patterns


def register_security(app: Flask, config: Config) -> None:
    patterns = allowed_origin_patterns(config)
    allowed_hosts = set(_LOOPBACK_NAMES) | {config.host.lower()}
    check_host = is_loopback(config.host)
    # Host names (as urlsplit gives them, without brackets) that are this server's own when it
    # is bound to loopback; bound elsewhere, only the Host header's own origin counts.
    own_aliases = {h.strip("[]") for h in allowed_hosts} if check_host else set()

    def own_origin(origin: str) -> bool:
        return is_own_origin(origin, request.host, request.scheme, own_aliases)

    @app.before_request
    def _check_host() -> None:
        # Only requests without a key are checked: a key proves the caller is no page that a
        # rebound DNS name pointed here, and a phone may reach us as http://192.168.1.5:5600.
        # Bound elsewhere than loopback, pages and public endpoints are open to any Host; the
        # full access of a local request without a key still needs a loopback Host.
        principal = current_principal()
        if principal.key is not None or not (check_host or principal.everything):
            return
        header = request.headers.get("Host")
        if not header:
            raise BadRequest("the Host header is missing")
        if _host_name(header) not in allowed_hosts:
            raise BadRequest(f"the Host header is invalid (was {header!r})")

    @app.before_request
    def _check_origin() -> None:
        # Browsers send Origin on cross-site writes; a page from an unknown origin may not write
        # here even with a "simple" request (form or text/plain) that skips the CORS preflight.
        origin = request.headers.get("Origin")
        if origin is None or request.method not in _UNSAFE_METHODS:
            return
        # A valid key proves the caller is no page riding on a local user's access (the
        # WakaTime browser extensions post from their own origin, with a key).
        if current_principal().key is not None:
            return
        if own_origin(origin):
            return
        if any(p.match(origin) for p in patterns):
            return
        raise Forbidden(f"requests from origin {origin!r} are not allowed")

    CORS(
        app,
        resources={
            # Device reporters may run in any web page: they need a key, which no other page
            # has, so answering any origin opens nothing (no cookies are involved).
            r"/api/activity(/.*)?": {"origins": "*"},
            r"/api/*": {"origins": patterns},
        },
        methods=CORS_METHODS,
        supports_credentials=False,
        # a page of another origin may read its rate-limit state and when to retry
        expose_headers=EXPOSED_HEADERS,
    )
    _only_for_cross_origin_requests(app, own_origin)


def _allow_own_origin(response: Response, origin: str) -> None:
    """The CORS headers flask-cors gives an allowed origin, for this server's own origins."""
    response.headers["Access-Control-Allow-Origin"] = origin
    response.vary.add("Origin")
    if request.method == "OPTIONS" and request.headers.get("Access-Control-Request-Method"):
        response.headers["Access-Control-Allow-Methods"] = ", ".join(CORS_METHODS)
        requested = request.headers.get("Access-Control-Request-Headers")
        if requested:
            response.headers["Access-Control-Allow-Headers"] = requested


def _only_for_cross_origin_requests(app: Flask, own_origin: Callable[[str], bool]) -> None:
    """Run flask-cors's response hook only for requests that carry an Origin header.

    Without one there is nothing for CORS to add, and the hook costs tens of microseconds on
    every heartbeat. The server's own origins (which flask-cors's fixed list cannot know: they
    depend on the port) get the same headers here.
    """
    hooks = app.after_request_funcs.setdefault(None, [])
    cors_hook = cast(Callable[[Response], Response], hooks[-1])

    def cors_if_origin(response: Response) -> Response:
        origin = request.headers.get("Origin")
        if origin is None:
            return response
        response = cors_hook(response)
        if (
            "Access-Control-Allow-Origin" not in response.headers
            and request.path.startswith("/api/")
            and own_origin(origin)
        ):
            _allow_own_origin(response, origin)
        return response

    hooks[-1] = cors_if_origin
