"""Server-Sent Events of the live feed, pushed when a report or a device change commits.

One broadcaster per server: a change bumps its version and wakes every stream; each stream then
sends the feed of that version, built once per version and view however many listen. A view is
what its streams may see (the public view, or what one key may read): a feed built for one view
is never sent to a stream of another. An idle stream sends a comment line every 15 s (proxies
and browsers keep it open). At most MAX_STREAMS are open at once; each holds one of the
server's request threads, which the server adds for them (see cli.py).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable, Iterator
from typing import Any

import orjson

MAX_STREAMS = 50
KEEPALIVE_SECONDS = 15.0
LIFETIME_SECONDS = 600.0  # a stream then ends; EventSource reconnects by itself (retry: 2 s)

FeedBuilder = Callable[[], dict[str, Any]]  # the feed of one view, now


class Busy(Exception):
    """All stream slots are taken."""


class Broadcaster:
    def __init__(
        self,
        max_streams: int = MAX_STREAMS,
        keepalive: float = KEEPALIVE_SECONDS,
        lifetime: float = LIFETIME_SECONDS,
    ) -> None:
        self.keepalive = keepalive
        self.lifetime = lifetime
        self._changed = threading.Condition()
        self._version = 0
        self._slots = threading.BoundedSemaphore(max_streams)
        self._built: dict[tuple[int, Hashable], bytes] = {}
        self._build_lock = threading.Lock()
        self.open_streams = 0
        self._closed = False

    def close(self) -> None:
        """End every stream (the server is stopping): their threads return at once."""
        with self._changed:
            self._closed = True
            self._changed.notify_all()

    def notify(self, *_: object) -> None:
        """Something the feed shows has changed (also a change feed subscriber)."""
        with self._changed:
            self._version += 1
            self._changed.notify_all()

    def _message(self, version: int, view: Hashable, build: FeedBuilder) -> bytes:
        key = (version, view)
        with self._build_lock:
            message = self._built.get(key)
            if message is None:
                data = orjson.dumps({"success": True, "data": build()})
                message = b"event: activity\ndata: " + data + b"\n\n"
                # only the newest version is ever asked for again
                self._built = {k: v for k, v in self._built.items() if k[0] >= version}
                self._built[key] = message
            return message

    def open(self, view: Hashable, build: FeedBuilder) -> Stream:
        """A stream of the feed of ``view`` (built by ``build``): now, then at every change;
        Busy when all slots are taken. Its slot is given back when the server closes it (the
        client went away, or shutdown)."""
        if not self._slots.acquire(blocking=False):
            raise Busy
        with self._build_lock:
            self.open_streams += 1
        return Stream(self._run(view, build), self._release)

    def _release(self) -> None:
        with self._build_lock:
            self.open_streams -= 1
        self._slots.release()

    def _run(self, view: Hashable, build: FeedBuilder) -> Iterator[bytes]:
        with self._changed:
            seen = self._version
        ends = time.monotonic() + self.lifetime
        yield b"retry: 2000\n" + self._message(seen, view, build)
        while True:
            with self._changed:
                left = ends - time.monotonic()
                if self._version == seen and not self._closed and left > 0:
                    self._changed.wait(min(self.keepalive, left))
                if self._closed or time.monotonic() >= ends:
                    return
                version = self._version
            if version == seen:
                yield b": keep-alive\n\n"
                continue
            seen = version
            yield self._message(version, view, build)


class Stream:
    """A WSGI body that gives its slot back when closed, even if it was never iterated."""

    def __init__(self, chunks: Iterator[bytes], release: Callable[[], None]) -> None:
        self._chunks = chunks
        self._release: Callable[[], None] | None = release

    def __iter__(self) -> Stream:
        return self

    def __next__(self) -> bytes:
        return next(self._chunks)

    def close(self) -> None:
        close = getattr(self._chunks, "close", None)
        if close is not None:
            close()
        release, self._release = self._release, None
        if release is not None:
            release()
