"""Logging setup shared by the server and client: stderr, and one size-bounded file per instance.

Log files live in the log dir (see :func:`aw_core.dirs.get_log_dir`), named like the official
components' files plus the process id, so two instances started within the same second never
share a file: ``<name>_[testing_]<YYYY-MM-DDTHH-MM-SS>_<pid>.log`` (``.log.json`` for JSON lines).
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import logging.handlers
import os
import re
import warnings
from datetime import UTC, datetime
from pathlib import Path

from aw_core import dirs

LOG_FORMAT = "%(asctime)s [%(levelname)-5s]: %(message)s  (%(name)s:%(lineno)s)"
MAX_LOG_BYTES = 10 * 1024 * 1024
LOG_BACKUPS = 3
# Instances (each with its rotated backups) kept per name and mode; older ones are deleted at
# startup so a server restarted often cannot fill the disk with logs.
KEEP_INSTANCES = 20
_HANDLER_FLAG = "_aw_handler"
_STAMP_FORMAT = "%Y-%m-%dT%H-%M-%S"

# The file the last setup_logging() call opened, for the deprecated get_log_file_path().
_current_log_file: str | None = None


class JsonLinesFormatter(logging.Formatter):
    """One JSON object per record: time (ISO 8601, UTC), level, logger, message, exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, str] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False)


def _instance_pattern(name: str, testing: bool) -> re.Pattern[str]:
    """Matches this name's log files of one mode: group 1 is the start time, group 2 the
    rotation suffix. The official name without a process id matches too."""
    prefix = re.escape(f"{name}_{'testing_' if testing else ''}")
    return re.compile(
        prefix + r"(\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d)(?:_\d+)?\.log(?:\.json)?(\.\d+)?\Z"
    )


def _new_log_file(name: str, testing: bool, json_lines: bool) -> Path:
    stamp = datetime.now().strftime(_STAMP_FORMAT)
    ext = ".log.json" if json_lines else ".log"
    file_name = f"{name}_{'testing_' if testing else ''}{stamp}_{os.getpid()}{ext}"
    return Path(dirs.get_log_dir(name)) / file_name


def _instance_files(log_dir: Path, name: str, testing: bool) -> dict[str, list[Path]]:
    """Each instance's current file name -> that file and its rotated backups."""
    pattern = _instance_pattern(name, testing)
    instances: dict[str, list[Path]] = {}
    for path in log_dir.iterdir():
        match = pattern.match(path.name)
        if match:
            current = path.name[: len(path.name) - len(match.group(2) or "")]
            instances.setdefault(current, []).append(path)
    return instances


def _start_key(log_dir: Path, current_name: str, pattern: re.Pattern[str]) -> tuple[str, float]:
    """Sort key, newest last: the start time in the name, then the modification time."""
    match = pattern.match(current_name)
    stamp = match.group(1) if match else ""
    try:
        mtime = (log_dir / current_name).stat().st_mtime
    except OSError:
        mtime = 0.0
    return stamp, mtime


def _instances_newest_first(
    log_dir: Path, name: str, testing: bool
) -> list[tuple[str, list[Path]]]:
    pattern = _instance_pattern(name, testing)
    instances = _instance_files(log_dir, name, testing)
    order = sorted(instances, key=lambda n: _start_key(log_dir, n, pattern), reverse=True)
    return [(current, instances[current]) for current in order]


def prune_log_files(name: str, testing: bool = False, keep: int = KEEP_INSTANCES) -> None:
    """Delete all but the ``keep`` newest instances' log files (with their backups)."""
    log_dir = Path(dirs.get_log_dir(name, create=False))
    if not log_dir.is_dir():
        return
    for _current, paths in _instances_newest_first(log_dir, name, testing)[keep:]:
        for path in paths:
            # best effort: a file already removed or not ours to delete is left alone
            with contextlib.suppress(OSError):
                path.unlink()


def _file_handler(name: str, testing: bool, json_lines: bool) -> logging.Handler:
    global _current_log_file
    path = _new_log_file(name, testing, json_lines)
    if not os.access(path.parent, os.W_OK):
        # fail here, not with a "Logging error" traceback at every record
        raise PermissionError(errno.EACCES, "the log directory is not writable", str(path.parent))
    # this instance's file is created at its first record, after the older ones are pruned
    prune_log_files(name, testing, keep=KEEP_INSTANCES - 1)
    # delay: a process that stops before logging anything (a refused start) leaves no file
    handler = logging.handlers.RotatingFileHandler(
        path, maxBytes=MAX_LOG_BYTES, backupCount=LOG_BACKUPS, encoding="utf-8", delay=True
    )
    handler.setFormatter(JsonLinesFormatter() if json_lines else logging.Formatter(LOG_FORMAT))
    _current_log_file = str(path)
    return handler


def setup_logging(
    name: str,
    testing: bool = False,
    verbose: bool = False,
    log_stderr: bool = True,
    log_file: bool = False,
    log_file_json: bool = False,
) -> None:
    """Configure the root logger; calling it again replaces the handlers it installed before.

    ``log_file`` opens a new file for this process in the log dir (JSON lines with
    ``log_file_json``). ``LOG_LEVEL`` in the environment overrides the level chosen by ``verbose``.
    """
    global _current_log_file
    root = logging.getLogger()
    level_name = os.environ.get("LOG_LEVEL", "DEBUG" if verbose else "INFO").upper()
    root.setLevel(getattr(logging, level_name, logging.INFO))
    for handler in list(root.handlers):
        if getattr(handler, _HANDLER_FLAG, False):
            root.removeHandler(handler)
            handler.close()
    _current_log_file = None
    handlers: list[logging.Handler] = []
    if log_stderr:
        stderr = logging.StreamHandler()
        stderr.setFormatter(logging.Formatter(LOG_FORMAT))
        handlers.append(stderr)
    if log_file:
        handlers.append(_file_handler(name, testing, log_file_json))
    for handler in handlers:
        setattr(handler, _HANDLER_FLAG, True)
        root.addHandler(handler)


def get_latest_log_file(name: str, testing: bool = False) -> str | None:
    """The path of the log file of ``name``'s most recently started instance, or None."""
    log_dir = Path(dirs.get_log_dir(name, create=False))
    if not log_dir.is_dir():
        return None
    instances = _instances_newest_first(log_dir, name, testing)
    return str(log_dir / instances[0][0]) if instances else None


def get_log_file_path() -> str | None:
    """Deprecated (as in aw-core): the file this process logs to; use get_latest_log_file()."""
    warnings.warn(
        "get_log_file_path() is deprecated; use get_latest_log_file(name, testing)",
        DeprecationWarning,
        stacklevel=2,
    )
    return _current_log_file
