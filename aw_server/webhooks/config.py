"""The ``[webhooks]`` section of aw-server.toml (the same for normal and testing mode)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aw_core.config import ConfigError


@dataclass
class WebhooksConfig:
    # Let webhooks reach loopback, private, link-local and reserved addresses (receivers on
    # this machine or the LAN). Off by default: a webhook URL must not become a way to make
    # the server send requests into its own network.
    allow_private: bool = False

    def validate(self) -> None:
        if not isinstance(self.allow_private, bool):
            raise ConfigError("[webhooks] allow_private must be true or false")


def webhooks_config_from_document(document: dict[str, Any]) -> WebhooksConfig:
    table = document.get("webhooks", {})
    if not isinstance(table, dict):
        raise ConfigError("[webhooks] must be a table")
    config = WebhooksConfig()
    for key, value in table.items():
        if key != "allow_private":
            raise ConfigError(f"unknown setting {key!r} in the [webhooks] section (allow_private)")
        config.allow_private = value
    config.validate()
    return config
