"""The outbox: what happened in a write becomes deliveries in the same transaction.

What the enabled webhooks subscribe to is kept in memory, rebuilt (``refresh``) after every
committed change to the webhooks, before the change is answered. ``Service.listening`` asks
``listening(type)`` before an occurrence's data is even made. ``Service.outbox`` calls
``write`` inside the transaction with the write's occurrences: one delivery per occurrence and
subscribed webhook, in order; the store drops any for a webhook that is gone or disabled by
then (a change committed a moment before its refresh), so that never fails the write. The
deliveries are kept or lost with the write that caused them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from aw_server.service import Occurrence
from aw_server.webhooks.model import (
    ALL,
    PING,
    Delivery,
    Webhook,
    envelope,
    new_delivery,
    new_event_id,
)
from aw_server.webhooks.store import WebhookStore


def now_us() -> int:
    return time.time_ns() // 1000


class Outbox:
    def __init__(self, store: WebhookStore, wake: Callable[[], None]) -> None:
        self.store = store
        self._wake = wake  # tells the sender there is something new (it reads after the commit)
        self._lock = threading.Lock()
        self._types: frozenset[str] = frozenset()
        self._subscribed: tuple[Webhook, ...] = ()

    def refresh(self) -> None:
        """Rebuild what is listened for from the store (call after webhooks changed)."""
        with self._lock:
            enabled = tuple(w for w in self.store.webhooks() if w.enabled)
            self._subscribed = enabled
            self._types = frozenset(t for w in enabled for t in w.events)

    def wake(self) -> None:
        """Tell the sender to look for due deliveries (after a commit that made some due)."""
        self._wake()

    def listening(self, occurrence_type: str) -> bool:
        types = self._types  # one read of an immutable set: no lock needed
        return ALL in types or occurrence_type in types

    def write(self, occurrences: list[Occurrence]) -> None:
        """Add the deliveries of a write's occurrences (called inside its transaction)."""
        webhooks = self._subscribed
        if not webhooks:
            return
        now = now_us()
        deliveries: list[Delivery] = []
        for occurrence in occurrences:
            targets = [w for w in webhooks if w.wants(occurrence.type)]
            if targets:
                deliveries += _deliveries(targets, occurrence.type, occurrence.data, now)
        if deliveries:
            self.store.add_deliveries(deliveries)
            self._wake()

    def ping(self, webhook: Webhook) -> Delivery:
        """Add a ``ping`` delivery for one webhook (inside a transaction); the stored delivery."""
        data = {"webhook_id": webhook.id, "message": "a test delivery from aw-server-py"}
        (delivery,) = _deliveries([webhook], PING, data, now_us())
        self.store.add_deliveries([delivery])
        self._wake()
        newest, _ = self.store.deliveries(webhook.id, 1, 0)
        return newest[0]


def _deliveries(
    webhooks: list[Webhook], kind: str, data: dict[str, Any], now: int
) -> list[Delivery]:
    """One body for all subscribers of an occurrence: the same event id and bytes for each."""
    event_id = new_event_id()
    body = envelope(event_id, kind, now, data)
    return [new_delivery(w.id, event_id, kind, body, now) for w in webhooks]
