"""The ``[devices]`` section of aw-server.toml: registration, the live feed and its display rules."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from aw_core.config import ConfigError
from aw_server.devices.rules import rules_from_config

_RANGES = {
    "process_stale_seconds": (30, 86_400),
    "history_window_minutes": (10, 1_440),
    "max_images_per_device": (1, 1_000),
}
_DISPLAY_KEYS = (
    "app_blocklist",
    "app_allowlist",
    "name_only_apps",
    "media_source_rules",
    "hide_media",
)


@dataclass
class DevicesConfig:
    auto_register: bool = True  # an unknown device with a valid key: pending (202), not 403
    rebind_on_token_change: bool = False  # a device reporting with another key: 403, or re-bind
    public_status: bool = False  # GET /api/activity (and its stream) without a key
    process_stale_seconds: int = 500  # a status is current this long after its last report
    history_window_minutes: int = 120  # recent activities of the feed
    store_covers: bool = True
    store_icons: bool = True
    max_images_per_device: int = 50
    display: dict[str, Any] = field(default_factory=dict)  # the public display rules, as written

    def validate(self) -> None:
        for name, (low, high) in _RANGES.items():
            if not low <= getattr(self, name) <= high:
                raise ConfigError(f"[devices] {name} must be {low} to {high}")
        rules_from_config(self.display)  # refused at startup, not at the first feed


def devices_config_from_document(document: dict[str, Any]) -> DevicesConfig:
    table = document.get("devices", {})
    if not isinstance(table, dict):
        raise ConfigError("[devices] must be a table")
    config = DevicesConfig()
    kinds = {f.name: f.type for f in fields(DevicesConfig)}
    for key, value in table.items():
        if key in _DISPLAY_KEYS:
            config.display[key] = value
            continue
        kind = kinds.get(key)
        if kind is None or key == "display":
            raise ConfigError(f"unknown setting {key!r} in the [devices] section")
        if kind == "bool" and not isinstance(value, bool):
            raise ConfigError(f"[devices] {key} must be true or false")
        if kind == "int" and (isinstance(value, bool) or not isinstance(value, int)):
            raise ConfigError(f"[devices] {key} must be a whole number")
        setattr(config, key, value)
    config.validate()
    return config
