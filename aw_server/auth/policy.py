"""Who a request comes from: its key (in any of the accepted forms) or loopback, and its limits.

Under the ``local`` policy a request from a loopback address that carries no key may do
everything, exactly as with the official servers; under ``required``, and from any other address,
a key is needed. A request that carries ``Forwarded``, ``X-Forwarded-For`` or ``X-Real-IP`` came
through a proxy, so it is never taken as local. A key that is presented is always checked: a
wrong key on loopback is a 401, never "no key".
"""

from __future__ import annotations

import base64
import binascii
import functools
import ipaddress
import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import Flask, Request, Response, g, request

from aw_server.auth.config import LOCAL, AuthConfig
from aw_server.auth.keyring import KeyRing
from aw_server.auth.keys import PLANS, ApiKey
from aw_server.auth.ratelimit import RateLimiter, Verdict
from aw_server.auth.scopes import allows
from aw_server.errors import TooManyRequests, Unauthorized, is_api_path
from aw_server.wsgi import CLIENT_ADDRESS_KEY

logger = logging.getLogger(__name__)

FORWARDING_HEADERS = ("Forwarded", "X-Forwarded-For", "X-Real-IP")
HOUR_SECONDS = 3600.0
_FORWARDING_ENVIRON = ("HTTP_FORWARDED", "HTTP_X_FORWARDED_FOR", "HTTP_X_REAL_IP")
MAX_SECRET_LENGTH = 512
# Endpoints anyone may call without a key (aw-server-rust keeps /info open too): the server's
# identity, the API's description, and the dashboard's files (it asks for a key itself).
PUBLIC_ENDPOINTS = frozenset({"info.get_info", "docs.openapi", "docs.browser"})


@dataclass(frozen=True)
class Principal:
    """What the request may do: everything (loopback without a key), a key's scopes, or nothing."""

    key: ApiKey | None
    everything: bool = False

    def can(self, action: str, bucket_id: str | None = None) -> bool:
        if self.key is None:
            return self.everything
        return allows(self.key.scopes, action, bucket_id)


LOCAL_USER = Principal(None, everything=True)
NOBODY = Principal(None)


def current_principal() -> Principal:
    """This request's principal; a request that skipped authentication may do nothing."""
    principal: Principal = g.get("aw_principal", NOBODY)
    return principal


_BASE64 = re.compile(r"[A-Za-z0-9+/]+={0,2}")


def _b64(text: str) -> str | None:
    if not _BASE64.fullmatch(text):
        return None  # e.g. a plain UUID key: no exception to raise and catch on every request
    try:
        return base64.b64decode(text.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return None


def presented_secrets(req: Request) -> list[str] | None:
    """The secrets a request may be carrying, in the order to try; None if it presents no key.

    Accepted: ``Authorization: Bearer <key>`` or ``Bearer base64(<key>)``, ``Basic base64(<key>)``
    or ``Basic base64(<user>:<key>)`` (what the WakaTime clients send), ``X-API-Key: <key>`` and
    ``?api_key=<key>`` (for EventSource, which cannot send headers). An empty list means a key
    was presented in a form that cannot hold one (another scheme, bad base64): a 401.
    """
    header = req.headers.get("Authorization")
    candidates: list[str] = []
    if header is not None:
        scheme, _, value = header.strip().partition(" ")
        value = value.strip()
        decoded = _b64(value) if value else None
        if scheme.lower() == "bearer":
            candidates = [value, decoded or ""]
        elif scheme.lower() == "basic" and decoded is not None:
            user, sep, password = decoded.partition(":")
            candidates = [decoded, password, user] if sep else [decoded]
    elif "X-API-Key" in req.headers:
        candidates = [req.headers["X-API-Key"].strip()]
    elif "api_key" in req.args:
        candidates = [req.args["api_key"].strip()]
    else:
        return None
    return [c for c in dict.fromkeys(candidates) if c and len(c) <= MAX_SECRET_LENGTH]


def _in_networks(address: str, networks: list[str]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(n, strict=False) for n in networks)


def _without_port(node: str) -> str:
    """``192.0.2.1:4711`` -> ``192.0.2.1``, ``[2001:db8::1]:4711`` -> ``2001:db8::1``: limits
    count per address, so a client must not get a fresh budget with each source port."""
    node = node.strip().strip('"')
    if node.startswith("["):
        return node[1:].split("]")[0]
    if node.count(":") == 1:  # an IPv4 address or name with a port; bare IPv6 has more colons
        return node.split(":")[0]
    return node


def _forwarded_for(req: Request) -> str | None:
    """The client address a proxy reports (X-Real-IP, else the last X-Forwarded-For hop, else
    the last ``for=`` of Forwarded), without a port."""
    if req.headers.get("X-Real-IP"):
        return _without_port(req.headers["X-Real-IP"])
    if req.headers.get("X-Forwarded-For"):
        return _without_port(req.headers["X-Forwarded-For"].split(",")[-1])
    for part in reversed(req.headers.get("Forwarded", "").replace(",", ";").split(";")):
        name, _, value = part.strip().partition("=")
        if name.lower() == "for" and value:
            return _without_port(value)
    return None


@functools.lru_cache(maxsize=1024)
def _is_loopback(address: str) -> bool:
    """(Cached: the same few addresses ask again and again, and parsing one costs microseconds.)"""
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def client_address(req: Request, trusted_proxies: list[str]) -> tuple[str, bool]:
    """The client's address (believing a trusted proxy's report) and whether the request is
    local: from a loopback address and not forwarded by any proxy."""
    peer = req.remote_addr or ""
    forwarded = any(h in req.headers for h in FORWARDING_HEADERS)
    if not forwarded:
        return peer, _is_loopback(peer)
    if trusted_proxies and _in_networks(peer, trusted_proxies):
        return _forwarded_for(req) or peer, False
    return peer, False


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _limit_headers(verdict: Verdict) -> dict[str, str]:
    return {
        "X-RateLimit-Limit": str(verdict.limit),
        "X-RateLimit-Remaining": str(verdict.remaining),
        "X-RateLimit-Reset": str(verdict.reset_seconds),
    }


def _too_many(verdict: Verdict, what: str) -> TooManyRequests:
    return TooManyRequests(
        f"too many {what}; try again in {verdict.reset_seconds} s",
        headers={"Retry-After": str(verdict.reset_seconds), **_limit_headers(verdict)},
    )


class Gate:
    """The per-request check: who is asking, and whether they may ask now."""

    def __init__(
        self,
        config: AuthConfig,
        keyring: KeyRing,
        limiter: RateLimiter,
        public_endpoints: frozenset[str] = PUBLIC_ENDPOINTS,
    ) -> None:
        self.config = config
        self.keyring = keyring
        self.limiter = limiter
        self.public_endpoints = public_endpoints
        self.hourly = RateLimiter(window=HOUR_SECONDS)  # ClockEye's plans (keys.PLANS)

    def authenticate(self) -> None:
        environ = request.environ
        if environ.get("REQUEST_METHOD") == "OPTIONS":
            return
        # Every heartbeat passes here: a request from loopback without a key or proxy headers
        # (the common case) is told by a few lookups in the WSGI environ, without parsing.
        if any(name in environ for name in _FORWARDING_ENVIRON):
            address, local = client_address(request, self.config.trusted_proxies)
        else:
            address = environ.get("REMOTE_ADDR") or ""
            local = _is_loopback(address)
        # the request log (outside Flask, aw_server/wsgi.py) names this address, not a proxy's
        environ[CLIENT_ADDRESS_KEY] = address
        presents = (
            "HTTP_AUTHORIZATION" in environ
            or "HTTP_X_API_KEY" in environ
            or "api_key" in environ.get("QUERY_STRING", "")
        )
        secrets = presented_secrets(request) if presents else None
        if secrets is not None:
            g.aw_principal = Principal(self._key(secrets, address))
            return
        if local and self.config.policy == LOCAL:
            g.aw_principal = LOCAL_USER
            return
        if not local:
            self._limit_address(address)
        if request.endpoint in self.public_endpoints or not is_api_path(request.path):
            g.aw_principal = NOBODY
            return
        raise Unauthorized("this server needs an API key: send Authorization: Bearer <key>")

    def _limit_address(self, address: str) -> None:
        verdict = self.limiter.hit(("address", address), self.config.rate_address)
        if not verdict.allowed:
            raise _too_many(verdict, f"requests from {address}")

    def _key(self, secrets: list[str], address: str) -> ApiKey:
        failures = ("failed", address)
        if self.limiter.counting(failures):
            blocked = self.limiter.peek(failures, self.config.rate_failed_auth)
            if not blocked.allowed:
                raise _too_many(blocked, f"failed authentications from {address}")
        key = next((k for k in map(self.keyring.find, secrets) if k is not None), None)
        problem = self._problem(key)
        if problem is not None:
            self.limiter.hit(failures, self.config.rate_failed_auth)
            message, code = problem
            logger.warning("failed authentication from %s: %s", address, message)
            raise Unauthorized(message, code=code)
        assert key is not None
        if not _is_loopback(address):
            self._limit_address(address)
        limit = self.config.rate_for(key.preset, key.rate_limit)
        verdict = self.limiter.hit(("key", key.id), limit)
        if not verdict.allowed:
            raise _too_many(verdict, f"requests with key {key.prefix}…")
        hourly = PLANS.get(key.plan) if key.plan else None
        if hourly is not None:
            per_hour = self.hourly.hit(("key", key.id), hourly)
            if not per_hour.allowed:
                raise _too_many(
                    per_hour, f"requests this hour with key {key.prefix}… ({key.plan} plan)"
                )
            if per_hour.remaining < verdict.remaining:
                verdict = per_hour  # the headers show the limit that is nearer
        g.aw_rate_headers = _limit_headers(verdict)
        self.keyring.used(key)
        return key

    @staticmethod
    def _problem(key: ApiKey | None) -> tuple[str, str] | None:
        if key is None:
            return "the API key is not valid", "unauthorized"
        if not key.enabled:
            return f"the API key {key.prefix}… has been revoked", "key_revoked"
        if key.expired(_utc_now):
            return f"the API key {key.prefix}… has expired", "key_expired"
        return None


def register_policy(app: Flask, gate: Gate) -> None:
    """Authenticate every request before anything else looks at it."""
    app.before_request_funcs.setdefault(None, []).insert(0, gate.authenticate)

    @app.after_request
    def _rate_headers(response: Response) -> Response:
        headers = g.get("aw_rate_headers")
        if headers:
            response.headers.update(headers)
        return response
