"""The ``[auth]`` and ``[ratelimit]`` sections of aw-server.toml (the same in testing mode)."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

from aw_core.config import ConfigError
from aw_server.auth.scopes import PRESETS

LOCAL, REQUIRED = "local", "required"
POLICIES = (LOCAL, REQUIRED)
MAX_PER_MINUTE = 1_000_000


@dataclass
class AuthConfig:
    """Who needs a key (``policy``), and how many requests a minute each client may make."""

    policy: str = LOCAL
    api_key: str | None = None  # aw-server-rust's single key: an admin key with this secret
    trusted_proxies: list[str] = field(default_factory=list)
    rate_default: int = 600  # per key, unless its preset or the key itself says otherwise
    rate_presets: dict[str, int] = field(default_factory=dict)
    rate_failed_auth: int = 10  # failed authentications per address
    rate_address: int = 1200  # requests per remote address, keys or not

    def validate(self) -> None:
        if self.policy not in POLICIES:
            raise ConfigError(f"[auth] policy must be one of {', '.join(POLICIES)}")
        for proxy in self.trusted_proxies:
            try:
                ipaddress.ip_network(proxy, strict=False)
            except ValueError:
                raise ConfigError(
                    f"[auth] trusted_proxies: {proxy!r} is not an IP address or network"
                ) from None

    def rate_for(self, preset: str | None, own: int | None) -> int:
        """Requests per minute for a key: its own limit, else its preset's, else the default."""
        if own is not None:
            return own
        if preset is not None and preset in self.rate_presets:
            return self.rate_presets[preset]
        return self.rate_default


def _per_minute(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_PER_MINUTE:
        raise ConfigError(f"{where} must be a whole number of requests per minute (1 or more)")
    return value


def auth_config_from_document(document: dict[str, Any]) -> AuthConfig:
    """AuthConfig from the config file's ``[auth]`` and ``[ratelimit]`` tables (both optional)."""
    config = AuthConfig()
    auth = document.get("auth", {})
    limits = document.get("ratelimit", {})
    if not isinstance(auth, dict) or not isinstance(limits, dict):
        raise ConfigError("[auth] and [ratelimit] must be tables")
    explicit_policy = False
    for key, value in auth.items():
        if key == "policy":
            if not isinstance(value, str):
                raise ConfigError("[auth] policy must be a string")
            config.policy, explicit_policy = value, True
        elif key == "api_key":
            if not isinstance(value, str) or not value.strip():
                raise ConfigError("[auth] api_key must be a non-empty string")
            config.api_key = value.strip()
        elif key == "trusted_proxies":
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ConfigError("[auth] trusted_proxies must be a list of addresses")
            config.trusted_proxies = list(value)
        else:
            raise ConfigError(f"unknown setting {key!r} in the [auth] section")
    if config.api_key and not explicit_policy:
        config.policy = REQUIRED  # as aw-server-rust: with its key set, every request needs it
    for key, value in limits.items():
        where = f"[ratelimit] {key}"
        if key == "default":
            config.rate_default = _per_minute(value, where)
        elif key == "failed_auth":
            config.rate_failed_auth = _per_minute(value, where)
        elif key == "address":
            config.rate_address = _per_minute(value, where)
        elif key in PRESETS:
            config.rate_presets[key] = _per_minute(value, where)
        else:
            raise ConfigError(
                f"unknown setting {key!r} in the [ratelimit] section (default, failed_auth, "
                f"address or a preset: {', '.join(PRESETS)})"
            )
    config.validate()
    return config
