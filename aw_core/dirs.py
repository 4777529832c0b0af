"""Per-platform data, config, cache and log directories (XDG variables honoured on Linux).

Every directory lives under an ``activitywatch`` application folder, one sub-folder per module,
as the official ActivityWatch components lay them out. Paths are computed on call, never at import.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import platformdirs

APP_NAME = "activitywatch"


def ensure_path_exists(path: str | os.PathLike[str]) -> None:
    """Create the directory (and its parents) if it does not exist yet."""
    Path(path).mkdir(parents=True, exist_ok=True)


def _module_dir(base: Path, module_name: str | None, create: bool) -> str:
    path = base / module_name if module_name else base
    if create:
        ensure_path_exists(path)
    return str(path)


def get_data_dir(module_name: str | None = None, *, create: bool = True) -> str:
    return _module_dir(platformdirs.user_data_path(APP_NAME), module_name, create)


def get_config_dir(module_name: str | None = None, *, create: bool = True) -> str:
    return _module_dir(platformdirs.user_config_path(APP_NAME), module_name, create)


def get_cache_dir(module_name: str | None = None, *, create: bool = True) -> str:
    return _module_dir(platformdirs.user_cache_path(APP_NAME), module_name, create)


def get_log_dir(module_name: str | None = None, *, create: bool = True) -> str:
    """Where the official components write their logs, so users find ours in the same place.

    On Linux that is ``<cache dir>/log`` (``~/.cache/activitywatch/log/<module>``, honouring
    ``XDG_CACHE_HOME``): aw-core kept it there when platformdirs moved its log dir to the state
    dir. Elsewhere it is the platform's log dir (``~/Library/Logs/activitywatch`` on macOS).
    """
    if sys.platform.startswith("linux"):
        base = platformdirs.user_cache_path(APP_NAME) / "log"
    else:
        base = platformdirs.user_log_path(APP_NAME)
    return _module_dir(base, module_name, create)
