"""Server configuration: defaults, then the TOML file, then the command line. Nothing runs at import."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field, fields
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aw_core import dirs
from aw_core.config import ConfigError, config_file_path, load_config_toml
from aw_server.auth.config import AuthConfig, auth_config_from_document
from aw_server.devices.config import DevicesConfig, devices_config_from_document
from aw_server.wakatime.config import WakatimeConfig, wakatime_config_from_document
from aw_server.webhooks.config import WebhooksConfig, webhooks_config_from_document

APP_NAME = "aw-server"
DEFAULT_PORT = 5600
DEFAULT_TESTING_PORT = 5666
STORAGES = ("sqlite", "memory")
SYNCHRONOUS = ("full", "normal")
# The top-level tables aw-server.toml may hold; any other is a typo and refused. A feature with
# its own section adds its name here. ([server.custom_static] is a table inside [server].)
SECTIONS = ("server", "server-testing", "auth", "ratelimit", "wakatime", "devices", "webhooks")
# Config fields that the [server] sections do not set (they have sections of their own).
_NOT_SERVER_SETTINGS = frozenset({"auth", "wakatime", "devices", "webhooks"})


@dataclass
class Config:
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    testing: bool = False
    storage: str = "sqlite"
    dbpath: str | None = None
    data_dir: str | None = None
    cors_origins: list[str] = field(default_factory=list)
    cors_regex: list[str] = field(default_factory=list)
    custom_static: dict[str, str] = field(default_factory=dict)
    webui_path: str | None = None
    max_body_mb: float = 256.0
    threads: int = 8
    synchronous: str = "full"
    busy_timeout_ms: int = 10_000
    max_db_size_mb: float = 0.0
    verbose: bool = False
    timezone: str | None = None  # IANA name for per-day figures; default the system's zone
    auth: AuthConfig = field(default_factory=AuthConfig)
    wakatime: WakatimeConfig = field(default_factory=WakatimeConfig)
    devices: DevicesConfig = field(default_factory=DevicesConfig)
    webhooks: WebhooksConfig = field(default_factory=WebhooksConfig)

    @property
    def max_body_bytes(self) -> int:
        return int(self.max_body_mb * 1024 * 1024)

    def resolved_data_dir(self) -> Path:
        """The data directory (created if missing): ``data_dir`` or the user data dir."""
        path = Path(self.data_dir) if self.data_dir else Path(dirs.get_data_dir(APP_NAME))
        dirs.ensure_path_exists(path)
        return path

    def resolved_dbpath(self) -> Path:
        if self.dbpath:
            return Path(self.dbpath)
        name = "aw-server-testing.sqlite" if self.testing else "aw-server.sqlite"
        return self.resolved_data_dir() / name

    def validate(self) -> None:
        self.auth.validate()
        self.wakatime.validate()
        self.devices.validate()
        self.webhooks.validate()
        if self.timezone is not None:
            zone_info(self.timezone)
        if self.storage not in STORAGES:
            raise ConfigError(f"storage must be one of {', '.join(STORAGES)}, not {self.storage!r}")
        if self.synchronous not in SYNCHRONOUS:
            raise ConfigError(f"synchronous must be one of {', '.join(SYNCHRONOUS)}")
        if not 0 <= self.port <= 65535:
            raise ConfigError(f"port {self.port} is out of range")
        if self.threads < 1:
            raise ConfigError("threads must be at least 1")
        if self.max_body_mb <= 0:
            raise ConfigError("max_body_mb must be positive")
        if self.busy_timeout_ms < 0 or self.max_db_size_mb < 0:
            raise ConfigError("busy_timeout_ms and max_db_size_mb must not be negative")

    def check_directories(self) -> None:
        """Refuse a web UI or custom page directory that is missing, before serving a bare 404.

        Not part of validate(): it looks at the file system, which only matters when serving.
        """
        if self.webui_path is not None:
            webui = Path(self.webui_path)
            if not webui.is_dir():
                raise ConfigError(f"the web UI directory {webui} does not exist")
            if not (webui / "index.html").is_file():
                raise ConfigError(f"the web UI directory {webui} has no index.html")
        for name, path in self.custom_static.items():
            if not Path(path).is_dir():
                raise ConfigError(
                    f"the custom static directory {path} (for {name!r}) does not exist"
                )


def _as_list(value: Any, key: str) -> list[str]:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    raise ConfigError(f"{key} must be a string or a list of strings")


def config_from_table(table: dict[str, Any], base: Config) -> Config:
    """Apply one TOML section (``[server]`` or ``[server-testing]``) on top of ``base``."""
    known = {f.name: f for f in fields(Config) if f.name not in _NOT_SERVER_SETTINGS}
    values: dict[str, Any] = {f.name: getattr(base, f.name) for f in fields(Config)}
    for key, value in table.items():
        name = key.replace("-", "_")
        if name not in known:
            raise ConfigError(f"unknown setting {key!r} in the [server] section")
        if name in ("cors_origins", "cors_regex"):
            value = _as_list(value, key)
        elif name == "custom_static" and not (
            isinstance(value, dict) and all(isinstance(v, str) for v in value.values())
        ):
            raise ConfigError("custom_static must be a table of name = path")
        values[name] = value
    config = Config(**values)
    expected_types: dict[str, tuple[type, ...]] = {
        "int": (int,),
        "float": (int, float),
        "bool": (bool,),
        "str": (str,),
    }
    for name, f in known.items():
        expected = expected_types.get(str(f.type))
        if expected and not isinstance(getattr(config, name), expected):
            raise ConfigError(f"{name} has the wrong type in the config file")
    return config


def _check_sections(document: dict[str, Any], path: Path) -> None:
    """Refuse a top-level table or key that is not a known section (a typo would be ignored)."""
    for key, value in document.items():
        if key in SECTIONS:
            continue
        what = (
            f"section [{key}]" if isinstance(value, dict) else f"setting {key!r} outside a section"
        )
        raise ConfigError(f"unknown {what} in {path} (known sections: {', '.join(SECTIONS)})")


def load_config(testing: bool, path: Path | None = None) -> Config:
    """Defaults overlaid with the ``[server]`` (or ``[server-testing]``) section of the config file."""
    base = Config(testing=testing, port=DEFAULT_TESTING_PORT if testing else DEFAULT_PORT)
    path = path or config_file_path(APP_NAME)
    document = load_config_toml(APP_NAME, path)
    _check_sections(document, path)
    section = document.get("server-testing" if testing else "server", {})
    if not isinstance(section, dict):
        raise ConfigError("the [server] section must be a table")
    config = config_from_table(section, base)
    config.auth = auth_config_from_document(document)
    config.wakatime = wakatime_config_from_document(document)
    config.devices = devices_config_from_document(document)
    config.webhooks = webhooks_config_from_document(document)
    config.testing = testing
    config.validate()
    return config


def zone_info(name: str | None) -> tzinfo:
    """The time zone of ``[server] timezone`` (an IANA name), else the system's local zone."""
    if name is None:
        return _system_zone()
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"timezone {name!r} is not an IANA time zone name") from None


def _system_zone() -> tzinfo:
    """The system's zone by IANA name where it can be found (so days follow its DST rules): TZ,
    the target of /etc/localtime, /etc/timezone; else the current fixed offset."""
    candidates = [os.environ.get("TZ", "").lstrip(":")]
    with contextlib.suppress(OSError):
        candidates.append(str(Path("/etc/localtime").resolve()).partition("/zoneinfo/")[2])
    with contextlib.suppress(OSError):
        candidates.append(Path("/etc/timezone").read_text(encoding="utf-8").strip())
    for candidate in candidates:
        if candidate:
            try:
                return ZoneInfo(candidate)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    local = datetime.now().astimezone().tzinfo
    assert local is not None
    return local
