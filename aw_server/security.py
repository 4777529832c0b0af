"""Host-header check (DNS rebinding), Origin check for writes, and CORS for allowed origins."""

from __future__ import annotations

import ipaddress
import logging
import re
from collections.abc import Callable
from typing import cast

from flask import Flask, Response, request
from flask_cors import CORS

from aw_core.config import ConfigError
from aw_server.config import Config
from aw_server.errors import BadRequest, Forbidden

logger = logging.getLogger(__name__)

OFFICIAL_CHROME_EXTENSION = "chrome-extension://nglaklhklhcoonedhgnpgddginnjdadi"
_LOOPBACK_NAMES = {"localhost", "127.0.0.1", "[::1]", "::1"}
_UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


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
    if not check_host:
        logger.warning(
            "listening on %s, which is not a loopback address: anyone who can reach this machine "
            "can read and write your activity data",
            config.host,
        )

    @app.before_request
    def _check_host() -> None:
        if not check_host:
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
        if origin == request.host_url.rstrip("/"):
            return
        if any(p.match(origin) for p in patterns):
            return
        raise Forbidden(f"requests from origin {origin!r} are not allowed")

    CORS(
        app,
        resources={r"/api/*": {"origins": patterns}},
        methods=["GET", "POST", "PUT", "DELETE", "OPTIONS"],
        supports_credentials=False,
    )
    _only_for_cross_origin_requests(app)


def _only_for_cross_origin_requests(app: Flask) -> None:
    """Run flask-cors's response hook only for requests that carry an Origin header.

    Without one there is nothing for CORS to add, and the hook costs tens of microseconds on
    every heartbeat.
    """
    hooks = app.after_request_funcs.setdefault(None, [])
    cors_hook = cast(Callable[[Response], Response], hooks[-1])

    def cors_if_origin(response: Response) -> Response:
        return cors_hook(response) if "Origin" in request.headers else response

    hooks[-1] = cors_if_origin
