"""Client configuration: ``aw-client/aw-client.toml`` in the config dir, then arguments."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aw_core.config import load_config_toml

DEFAULT_PORT = 5600
DEFAULT_TESTING_PORT = 5666


@dataclass
class ClientConfig:
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    commit_interval: float = 10.0
    api_key: str | None = None


def _section(document: dict[str, Any], name: str) -> dict[str, Any]:
    value = document.get(name, {})
    return value if isinstance(value, dict) else {}


def load_client_config(testing: bool) -> ClientConfig:
    """Defaults (127.0.0.1:5600, or 5666 when testing) overlaid with the config file."""
    document = load_config_toml("aw-client")
    server = _section(document, "server-testing" if testing else "server")
    client = _section(document, "client-testing" if testing else "client")
    config = ClientConfig(
        port=DEFAULT_TESTING_PORT if testing else DEFAULT_PORT,
        commit_interval=5.0 if testing else 10.0,
    )
    if isinstance(server.get("hostname"), str):
        config.host = server["hostname"]
    if isinstance(server.get("host"), str):
        config.host = server["host"]
    if str(server.get("port", "")).isdigit():
        config.port = int(server["port"])
    if isinstance(server.get("api_key"), str) and server["api_key"]:
        config.api_key = server["api_key"]
    interval = client.get("commit_interval")
    if isinstance(interval, int | float) and not isinstance(interval, bool) and interval >= 0:
        config.commit_interval = float(interval)
    return config
