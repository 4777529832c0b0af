"""The keys a server knows, cached in memory by secret hash, and the operations on them.

Checking a key is a SHA-256 and a dict lookup. The cache is trusted for at most a second: after
that, one query of the store's change counter tells whether a key was created, revoked or
deleted by someone else (the ``aw-server keys`` command, another server on the database). A key's
last use is written at most once a minute.
"""

from __future__ import annotations

import hmac
import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from aw_core.timeutil import parse_datetime
from aw_server.auth.keys import (
    MAX_NAME_LENGTH,
    PLANS,
    ApiKey,
    KeyStore,
    NewKey,
    hash_secret,
    new_secret,
    secret_prefix,
)
from aw_server.auth.scopes import ScopeError, parse_scopes, preset_scopes

logger = logging.getLogger(__name__)

RECHECK_SECONDS = 1.0
TOUCH_SECONDS = 60.0
MAX_RATE_LIMIT = 1_000_000
CONFIG_KEY_NAME = "[auth] api_key from the config file"


class KeyRequestError(ValueError):
    """A key request that cannot be carried out (bad name, scope, expiry...)."""


def _now() -> datetime:
    return datetime.now(UTC)


class KeyRing:
    def __init__(self, store: KeyStore, clock: Callable[[], float] = time.monotonic) -> None:
        self.store = store
        self._clock = clock
        self._lock = threading.Lock()
        self._by_hash: dict[str, ApiKey] = {}
        self._version = -1
        self._checked_at = float("-inf")
        self._touched: dict[int, float] = {}

    # -- lookups -----------------------------------------------------------------------------

    def _refresh(self) -> None:
        """Reload the keys if the cache is older than RECHECK_SECONDS and the store changed."""
        now = self._clock()
        if now - self._checked_at < RECHECK_SECONDS:
            return
        with self._lock:
            if now - self._checked_at < RECHECK_SECONDS:
                return
            version = self.store.version()
            if version != self._version:
                self._by_hash = {k.secret_hash: k for k in self.store.all()}
                self._version = version
            self._checked_at = now

    def invalidate(self) -> None:
        """Forget the cache: the next lookup reads the store (after a change made here)."""
        with self._lock:
            self._checked_at = float("-inf")
            self._version = -1

    def find(self, secret: str) -> ApiKey | None:
        """The key with this secret, enabled or not, expired or not; None if there is none."""
        self._refresh()
        digest = hash_secret(secret)
        key = self._by_hash.get(digest)
        # the dict finds the entry by hash; compare in constant time all the same
        if key is None or not hmac.compare_digest(key.secret_hash, digest):
            return None
        return key

    def has_keys(self) -> bool:
        self._refresh()
        return bool(self._by_hash)

    def used(self, key: ApiKey) -> None:
        """Note a successful use; written to the store at most once a minute per key."""
        now = self._clock()
        last = self._touched.get(key.id)
        if last is not None and now - last < TOUCH_SECONDS:
            return
        self._touched[key.id] = now
        self.store.touch(key.id, _now())

    # -- management --------------------------------------------------------------------------

    def all(self) -> list[ApiKey]:
        return self.store.all()

    def create(
        self,
        name: str,
        *,
        scopes: list[str] | None = None,
        preset: str | None = None,
        expires: datetime | str | None = None,
        rate_limit: int | None = None,
        plan: str | None = None,
        secret: str | None = None,
    ) -> tuple[ApiKey, str]:
        """Create a key from a preset and/or scopes; returns it with its secret (shown once)."""
        _check_name(name)
        if secret is None and name.strip() == CONFIG_KEY_NAME:
            # that key is replaced whenever the config file changes: keep the name for it
            raise KeyRequestError(f"the name {CONFIG_KEY_NAME!r} is kept for the config's key")
        texts: list[str] = []
        try:
            if preset is not None:
                texts += preset_scopes(preset)
            if scopes is not None:
                if not isinstance(scopes, list):
                    raise ScopeError("'scopes' must be a list of strings")
                texts += scopes
            parsed = parse_scopes(texts)
        except ScopeError as exc:
            raise KeyRequestError(str(exc)) from None
        expiry = _expiry(expires)
        if expiry is not None and expiry <= _now():
            raise KeyRequestError("'expires' must be in the future")
        if rate_limit is not None and (
            isinstance(rate_limit, bool)
            or not isinstance(rate_limit, int)
            or not 1 <= rate_limit <= MAX_RATE_LIMIT
        ):
            raise KeyRequestError(f"'rate_limit' must be a whole number from 1 to {MAX_RATE_LIMIT}")
        if plan is not None and plan not in PLANS:
            raise KeyRequestError(f"'plan' must be one of {', '.join(PLANS)}")
        secret = secret or new_secret()
        key = self.store.create(
            NewKey(
                name=name.strip(),
                scopes=parsed,
                secret_hash=hash_secret(secret),
                prefix=secret_prefix(secret),
                created=_now(),
                expires=expiry,
                rate_limit=rate_limit,
                plan=plan,
                preset=preset,
            )
        )
        self.invalidate()
        return key, secret

    def set_enabled(self, key_id: int, enabled: bool) -> ApiKey | None:
        key = self.store.set_enabled(key_id, enabled)
        self.invalidate()
        return key

    def delete(self, key_id: int) -> bool:
        deleted = self.store.delete(key_id)
        self.invalidate()
        return deleted

    def ensure_config_key(self, secret: str | None) -> ApiKey | None:
        """The admin key of ``[auth] api_key``: created on first start, kept afterwards. A key
        made from an earlier value (changed or removed since) is deleted: replacing a leaked
        secret in the config file must stop it from working."""
        current = self.find(secret) if secret else None
        for key in self.store.all():
            if key.name == CONFIG_KEY_NAME and (current is None or key.id != current.id):
                self.delete(key.id)
                logger.info("deleted key %d: its [auth] api_key is no longer in the config", key.id)
        if secret is None or current is not None:
            return current
        key, _ = self.create(CONFIG_KEY_NAME, preset="full", secret=secret)
        return key


def _check_name(name: Any) -> None:
    # names are printed one key a line by `aw-server keys list`: a line break could forge a key
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME_LENGTH:
        raise KeyRequestError(f"a key needs a name of 1 to {MAX_NAME_LENGTH} characters")
    if not name.isprintable():
        raise KeyRequestError("a key's name may not hold control characters or line breaks")


def _expiry(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        raise KeyRequestError("'expires' must be an ISO 8601 time")
    try:
        return parse_datetime(value)
    except ValueError as exc:
        raise KeyRequestError(f"'expires': {exc}") from None
