"""The ``[wakatime]`` section of aw-server.toml."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aw_core.config import ConfigError

TIMEOUT_RANGE = (60, 3600)


@dataclass
class WakatimeConfig:
    timeout: int = 600  # seconds: a longer gap between heartbeats is not coding time
    max_age_days: int = 180  # older heartbeats are refused (offline queues replay old ones)

    def validate(self) -> None:
        low, high = TIMEOUT_RANGE
        if not low <= self.timeout <= high:
            raise ConfigError(f"[wakatime] timeout must be {low} to {high} seconds")
        if self.max_age_days < 1:
            raise ConfigError("[wakatime] max_age_days must be at least 1")


def wakatime_config_from_document(document: dict[str, Any]) -> WakatimeConfig:
    table = document.get("wakatime", {})
    if not isinstance(table, dict):
        raise ConfigError("[wakatime] must be a table")
    config = WakatimeConfig()
    for key, value in table.items():
        if key not in ("timeout", "max_age_days"):
            raise ConfigError(
                f"unknown setting {key!r} in the [wakatime] section (timeout, max_age_days)"
            )
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"[wakatime] {key} must be a whole number")
        setattr(config, key, value)
    config.validate()
    return config
