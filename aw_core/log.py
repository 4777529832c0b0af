"""Logging setup shared by the server and client: stderr, a size-bounded rotating file."""

from __future__ import annotations

import logging
import logging.handlers
import os
from pathlib import Path

from aw_core import dirs

LOG_FORMAT = "%(asctime)s [%(levelname)-5s]: %(message)s  (%(name)s:%(lineno)s)"
MAX_LOG_BYTES = 10 * 1024 * 1024
LOG_BACKUPS = 3
_HANDLER_FLAG = "_aw_handler"


def _log_file_name(name: str, testing: bool) -> str:
    return f"{name}{'-testing' if testing else ''}.log"


def setup_logging(
    name: str,
    testing: bool = False,
    verbose: bool = False,
    log_stderr: bool = True,
    log_file: bool = False,
) -> None:
    """Configure the root logger; calling it again replaces the handlers it installed before.

    ``LOG_LEVEL`` in the environment overrides the level chosen by ``verbose``.
    """
    root = logging.getLogger()
    level_name = os.environ.get("LOG_LEVEL", "DEBUG" if verbose else "INFO").upper()
    root.setLevel(getattr(logging, level_name, logging.INFO))
    for handler in list(root.handlers):
        if getattr(handler, _HANDLER_FLAG, False):
            root.removeHandler(handler)
            handler.close()
    formatter = logging.Formatter(LOG_FORMAT)
    handlers: list[logging.Handler] = []
    if log_stderr:
        handlers.append(logging.StreamHandler())
    if log_file:
        path = Path(dirs.get_log_dir(name)) / _log_file_name(name, testing)
        handlers.append(
            logging.handlers.RotatingFileHandler(
                path, maxBytes=MAX_LOG_BYTES, backupCount=LOG_BACKUPS, encoding="utf-8"
            )
        )
    for handler in handlers:
        setattr(handler, _HANDLER_FLAG, True)
        handler.setFormatter(formatter)
        root.addHandler(handler)


def get_latest_log_file(name: str, testing: bool = False) -> str | None:
    """The path of the most recently written log file of ``name``, or None if there is none."""
    log_dir = Path(dirs.get_log_dir(name, create=False))
    if not log_dir.is_dir():
        return None
    stem = _log_file_name(name, testing)
    candidates = [p for p in log_dir.iterdir() if p.name == stem or p.name.startswith(stem + ".")]
    if not candidates:
        return None
    return str(max(candidates, key=lambda p: p.stat().st_mtime))
