"""Loading TOML configuration files from the config dir."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from aw_core import dirs


class ConfigError(Exception):
    """A configuration file exists but cannot be used."""


def config_file_path(appname: str) -> Path:
    """``<config dir>/<appname>/<appname>.toml``."""
    return Path(dirs.get_config_dir(appname, create=False)) / f"{appname}.toml"


def load_config_toml(appname: str, path: Path | None = None) -> dict[str, Any]:
    """Read the app's TOML config file; a missing file is an empty config.

    Raises ConfigError naming the file when it cannot be parsed.
    """
    path = path or config_file_path(appname)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from exc
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from exc
