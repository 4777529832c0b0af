"""Fixed-window rate limits: at most N requests per minute per key or per address.

A window starts with the first request after the previous one ended; the counters of past windows
are dropped when a window is next looked at, and all stale ones now and then, so memory stays
bounded by the clients seen in the last minute.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

WINDOW_SECONDS = 60.0
_SWEEP_EVERY = 1024  # hits between sweeps of stale windows


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int  # until the window ends (Retry-After when refused)


class RateLimiter:
    def __init__(
        self, window: float = WINDOW_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.window = window
        self._clock = clock
        self._lock = threading.Lock()
        self._windows: dict[object, list[float]] = {}  # name -> [window start, count]
        self._hits = 0

    def _current(self, name: object, now: float) -> list[float]:
        entry = self._windows.get(name)
        if entry is None or now - entry[0] >= self.window:
            entry = [now, 0.0]
            self._windows[name] = entry
        return entry

    def _verdict(self, entry: list[float], limit: int, now: float) -> Verdict:
        count = int(entry[1])
        reset = max(1, math.ceil(entry[0] + self.window - now))
        return Verdict(count <= limit, limit, max(0, limit - count), reset)

    def hit(self, name: object, limit: int) -> Verdict:
        """Count one request under ``name``; refused once more than ``limit`` came this window."""
        now = self._clock()
        with self._lock:
            self._hits += 1
            if self._hits % _SWEEP_EVERY == 0:
                self._sweep(now)
            entry = self._current(name, now)
            entry[1] += 1
            return self._verdict(entry, limit, now)

    def counting(self, name: object) -> bool:
        """Whether anything was counted under ``name`` lately (a lock-free first look: most
        names, like an address that never failed to authenticate, have nothing)."""
        return name in self._windows

    def peek(self, name: object, limit: int) -> Verdict:
        """The verdict for one more request, without counting it: ``allowed`` is False once
        ``limit`` requests were counted this window."""
        now = self._clock()
        with self._lock:
            entry = self._windows.get(name)
            if entry is None or now - entry[0] >= self.window:
                return Verdict(True, limit, limit, math.ceil(self.window))
            verdict = self._verdict(entry, limit, now)
            return Verdict(entry[1] < limit, limit, verdict.remaining, verdict.reset_seconds)

    def _sweep(self, now: float) -> None:
        stale = [name for name, (start, _) in self._windows.items() if now - start >= self.window]
        for name in stale:
            del self._windows[name]
