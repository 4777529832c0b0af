"""A bounded in-memory copy of recent log records, served by GET /api/0/log."""

from __future__ import annotations

import logging
import threading
from collections import deque
from datetime import UTC, datetime
from typing import Any

MAX_RECORDS = 1000


class LogBuffer(logging.Handler):
    def __init__(self, capacity: int = MAX_RECORDS) -> None:
        super().__init__(level=logging.DEBUG)
        self._records: deque[dict[str, Any]] = deque(maxlen=capacity)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string in someone's log call must not break logging
            message = str(record.msg)
        self._records.append(
            {
                "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
                "level": record.levelname,
                "logger": record.name,
                "message": message,
            }
        )

    def records(self) -> list[dict[str, Any]]:
        """The kept records, newest first."""
        return list(reversed(self._records))


_lock = threading.Lock()
_buffer: LogBuffer | None = None


def log_buffer() -> LogBuffer:
    """The process-wide buffer, attached to the root logger on first use."""
    global _buffer
    with _lock:
        if _buffer is None:
            _buffer = LogBuffer()
            logging.getLogger().addHandler(_buffer)
        return _buffer
