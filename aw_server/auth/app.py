"""Wiring access control into the app: the key ring, the per-request gate, the rules, /keys."""

from __future__ import annotations

from flask import Flask

from aw_server.auth import access, api
from aw_server.auth.config import AuthConfig
from aw_server.auth.keyring import KeyRing
from aw_server.auth.keys import open_key_store
from aw_server.auth.policy import PUBLIC_ENDPOINTS, Gate, register_policy
from aw_server.auth.ratelimit import RateLimiter


def register_auth(
    app: Flask,
    config: AuthConfig,
    storage: object,
    public_endpoints: frozenset[str] = frozenset(),
) -> KeyRing:
    """Authenticate every request first; check each endpoint's rule after the security hooks
    (so call this before register_security and call ``register_access`` after it)."""
    keyring = KeyRing(open_key_store(storage))
    keyring.ensure_config_key(config.api_key)
    app.extensions["aw_keys"] = keyring
    gate = Gate(config, keyring, RateLimiter(), PUBLIC_ENDPOINTS | public_endpoints)
    register_policy(app, gate)
    app.register_blueprint(api.bp, url_prefix="/api/0")
    return keyring


register_access = access.register_access
