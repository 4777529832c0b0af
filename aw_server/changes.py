"""The change feed: every committed write is published once, in process, to its subscribers.

Writers publish after their transaction commits (never before: a subscriber that reads the
database when told must see the change). Subscribers — the query cache, the WakaTime day
totals, live streams — are called in the writer's thread, so they must be quick: note what
changed, wake a waiting thread, drop cached entries. A subscriber that fails is logged and
never fails the write, which is committed already.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Change:
    """A committed write: events of ``bucket_id`` changed within ``[start_us, end_us]``;
    ``bucket_id`` None means the set of buckets (or their metadata) changed, or anything may
    have: subscribers treat it as "everything"."""

    bucket_id: str | None
    start_us: int = 0
    end_us: int = 0


Subscriber = Callable[[list[Change]], None]


class ChangeFeed:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribers: tuple[Subscriber, ...] = ()

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Call ``subscriber`` with every published batch; returns the way to stop."""
        with self._lock:
            self._subscribers = (*self._subscribers, subscriber)

        def unsubscribe() -> None:
            with self._lock:
                self._subscribers = tuple(s for s in self._subscribers if s is not subscriber)

        return unsubscribe

    def publish(self, changes: list[Change]) -> None:
        """Tell every subscriber about committed changes (call after the commit)."""
        if not changes:
            return
        for subscriber in self._subscribers:  # a tuple: (un)subscribing never disturbs this
            try:
                subscriber(changes)
            except Exception:
                logger.exception("a change feed subscriber failed")
