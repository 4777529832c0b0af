"""The webhooks and their outbox: two tables beside the events (and a memory version).

Writes happen inside the caller's storage transaction (``Service.transaction``), so a delivery
is committed with the change that caused it, and every change of its state is committed on
its own. A webhook's deliveries leave in ``id`` order: ``head`` is the oldest pending one.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from dataclasses import replace
from typing import Any, Protocol

import orjson

from aw_server.webhooks.model import DELIVERED, FAILED, PENDING, Delivery, Webhook


class WebhookStore(Protocol):
    def add_webhook(self, webhook: Webhook) -> None: ...

    def get_webhook(self, webhook_id: str) -> Webhook | None: ...

    def webhooks(self) -> list[Webhook]:
        """Every webhook, oldest first."""
        ...

    def save_webhook(self, webhook: Webhook) -> None: ...

    def delete_webhook(self, webhook_id: str) -> bool:
        """Delete the webhook and its deliveries; False if there was none."""
        ...

    def add_deliveries(self, deliveries: list[Delivery]) -> None:
        """Store new deliveries, each with the next id, in list order; one whose webhook is
        gone or disabled (by now, in this transaction) is dropped."""
        ...

    def get_delivery(self, webhook_id: str, delivery_id: int) -> Delivery | None: ...

    def deliveries(self, webhook_id: str, limit: int, offset: int) -> tuple[list[Delivery], int]:
        """The webhook's deliveries, newest first, and how many it has in all."""
        ...

    def save_delivery(self, delivery: Delivery) -> None: ...

    def head(self, webhook_id: str) -> Delivery | None:
        """The webhook's oldest pending delivery: the next one to send."""
        ...

    def heads(self) -> list[Delivery]:
        """The head of every enabled webhook that has one."""
        ...

    def make_due(self, webhook_id: str, now_us: int) -> None:
        """Make the webhook's pending deliveries due now."""
        ...

    def prune(self, before_us: int) -> int:
        """Forget delivered and failed deliveries last changed before ``before_us``."""
        ...


def _create_tables(conn: sqlite3.Connection) -> None:
    conn.execute(
        "CREATE TABLE webhooks (id TEXT PRIMARY KEY, url TEXT NOT NULL, events TEXT NOT NULL,"
        " description TEXT, secret TEXT NOT NULL, enabled INTEGER NOT NULL,"
        " disabled_reason TEXT, consecutive_failures INTEGER NOT NULL DEFAULT 0,"
        " created_us INTEGER NOT NULL)"
    )
    # AUTOINCREMENT: an id is never used twice, so ids keep the order deliveries were made in
    conn.execute(
        "CREATE TABLE webhook_deliveries (id INTEGER PRIMARY KEY AUTOINCREMENT,"
        " webhook_id TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,"
        " event_id TEXT NOT NULL, type TEXT NOT NULL, body BLOB NOT NULL, status TEXT NOT NULL,"
        " attempts INTEGER NOT NULL, next_attempt_us INTEGER, last_status_code INTEGER,"
        " last_error TEXT, last_response TEXT, created_us INTEGER NOT NULL,"
        " updated_us INTEGER NOT NULL)"
    )
    # the head of a webhook's queue, and its deliveries newest first, are one index seek away;
    # the queue's index holds only pending deliveries, so it stays as small as the queue
    conn.execute(
        "CREATE INDEX webhook_deliveries_queue ON webhook_deliveries (webhook_id, id)"
        " WHERE status = 'pending'"
    )
    conn.execute("CREATE INDEX webhook_deliveries_list ON webhook_deliveries (webhook_id, id)")


MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_create_tables]

_HOOK_COLUMNS = (
    "id",
    "url",
    "events",
    "description",
    "secret",
    "enabled",
    "disabled_reason",
    "consecutive_failures",
    "created_us",
)
_DELIVERY_COLUMNS = (
    "id",
    "webhook_id",
    "event_id",
    "type",
    "body",
    "status",
    "attempts",
    "next_attempt_us",
    "last_status_code",
    "last_error",
    "last_response",
    "created_us",
    "updated_us",
)
_HOOKS = ", ".join(_HOOK_COLUMNS)
# The pending deliveries, through the index that holds only them (the planner cannot tell it
# from the list index without statistics, and scanning a webhook's delivered history for its
# head would grow with it). The term is written out, not bound: SQLite uses a partial index
# only for the very term it was made with.
_QUEUE = "webhook_deliveries INDEXED BY webhook_deliveries_queue"
_IS_PENDING = "status = 'pending'"

_DELIVERIES = ", ".join(_DELIVERY_COLUMNS)


def _webhook(row: tuple[Any, ...]) -> Webhook:
    values = dict(zip(_HOOK_COLUMNS, row, strict=True))
    values["events"] = tuple(orjson.loads(values["events"]))
    values["enabled"] = bool(values["enabled"])
    return Webhook(**values)


def _webhook_row(webhook: Webhook) -> tuple[Any, ...]:
    values = {name: getattr(webhook, name) for name in _HOOK_COLUMNS}
    values["events"] = orjson.dumps(list(webhook.events)).decode()
    values["enabled"] = int(webhook.enabled)
    return tuple(values.values())


def _delivery(row: tuple[Any, ...]) -> Delivery:
    values = dict(zip(_DELIVERY_COLUMNS, row, strict=True))
    values["body"] = bytes(values["body"])
    return Delivery(**values)


class SqlBackend(Protocol):
    def connection(self) -> sqlite3.Connection: ...

    def migrate_part(
        self, part: str, migrations: list[Callable[[sqlite3.Connection], None]]
    ) -> None: ...


class SqliteWebhookStore:
    def __init__(self, backend: SqlBackend) -> None:
        self.backend = backend
        backend.migrate_part("webhooks", MIGRATIONS)

    def _conn(self) -> sqlite3.Connection:
        return self.backend.connection()

    def add_webhook(self, webhook: Webhook) -> None:
        self._conn().execute(
            f"INSERT INTO webhooks ({_HOOKS}) VALUES ({', '.join('?' * len(_HOOK_COLUMNS))})",
            _webhook_row(webhook),
        )

    def get_webhook(self, webhook_id: str) -> Webhook | None:
        row = (
            self._conn()
            .execute(f"SELECT {_HOOKS} FROM webhooks WHERE id = ?", (webhook_id,))
            .fetchone()
        )
        return _webhook(row) if row else None

    def webhooks(self) -> list[Webhook]:
        rows = self._conn().execute(f"SELECT {_HOOKS} FROM webhooks ORDER BY created_us, id")
        return [_webhook(r) for r in rows]

    def save_webhook(self, webhook: Webhook) -> None:
        row = _webhook_row(webhook)
        names = _HOOK_COLUMNS[1:]
        self._conn().execute(
            f"UPDATE webhooks SET {', '.join(f'{n} = ?' for n in names)} WHERE id = ?",
            (*row[1:], row[0]),
        )

    def delete_webhook(self, webhook_id: str) -> bool:
        # the deliveries go with it (ON DELETE CASCADE; the storage turns foreign keys on)
        return self._conn().execute("DELETE FROM webhooks WHERE id = ?", (webhook_id,)).rowcount > 0

    def add_deliveries(self, deliveries: list[Delivery]) -> None:
        names = _DELIVERY_COLUMNS[1:]
        conn = self._conn()
        for delivery in deliveries:
            conn.execute(
                f"INSERT INTO webhook_deliveries ({', '.join(names)})"
                f" SELECT {', '.join('?' * len(names))}"
                " WHERE EXISTS (SELECT 1 FROM webhooks WHERE id = ? AND enabled = 1)",
                (*(getattr(delivery, n) for n in names), delivery.webhook_id),
            )

    def get_delivery(self, webhook_id: str, delivery_id: int) -> Delivery | None:
        row = (
            self._conn()
            .execute(
                f"SELECT {_DELIVERIES} FROM webhook_deliveries WHERE id = ? AND webhook_id = ?",
                (delivery_id, webhook_id),
            )
            .fetchone()
        )
        return _delivery(row) if row else None

    def deliveries(self, webhook_id: str, limit: int, offset: int) -> tuple[list[Delivery], int]:
        conn = self._conn()
        total = conn.execute(
            "SELECT count(*) FROM webhook_deliveries WHERE webhook_id = ?", (webhook_id,)
        ).fetchone()[0]
        rows = conn.execute(
            f"SELECT {_DELIVERIES} FROM webhook_deliveries WHERE webhook_id = ?"
            " ORDER BY id DESC LIMIT ? OFFSET ?",
            (webhook_id, limit, offset),
        )
        return [_delivery(r) for r in rows], int(total)

    def save_delivery(self, delivery: Delivery) -> None:
        names = _DELIVERY_COLUMNS[1:]
        self._conn().execute(
            f"UPDATE webhook_deliveries SET {', '.join(f'{n} = ?' for n in names)} WHERE id = ?",
            (*(getattr(delivery, n) for n in names), delivery.id),
        )

    def head(self, webhook_id: str) -> Delivery | None:
        row = (
            self._conn()
            .execute(
                f"SELECT {_DELIVERIES} FROM {_QUEUE} WHERE webhook_id = ? AND {_IS_PENDING}"
                " ORDER BY id LIMIT 1",
                (webhook_id,),
            )
            .fetchone()
        )
        return _delivery(row) if row else None

    def heads(self) -> list[Delivery]:
        rows = self._conn().execute(
            f"SELECT {', '.join('d.' + c for c in _DELIVERY_COLUMNS)} FROM webhooks w"
            f" JOIN webhook_deliveries d ON d.id = (SELECT min(id) FROM {_QUEUE}"
            f" WHERE webhook_id = w.id AND {_IS_PENDING}) WHERE w.enabled = 1"
        )
        return [_delivery(r) for r in rows]

    def make_due(self, webhook_id: str, now_us: int) -> None:
        self._conn().execute(
            f"UPDATE {_QUEUE} SET next_attempt_us = ?"
            f" WHERE webhook_id = ? AND {_IS_PENDING} AND next_attempt_us > ?",
            (now_us, webhook_id, now_us),
        )

    def prune(self, before_us: int) -> int:
        return (
            self._conn()
            .execute(
                "DELETE FROM webhook_deliveries WHERE status IN (?, ?) AND updated_us < ?",
                (DELIVERED, FAILED, before_us),
            )
            .rowcount
        )


class MemoryWebhookStore:
    """For ``--storage memory``. Writes are not rolled back with a failed transaction, as the
    memory storage's other feature tables are not: the outbox writes last in a transaction."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._webhooks: dict[str, Webhook] = {}
        self._deliveries: dict[int, Delivery] = {}
        self._pending: dict[str, set[int]] = {}  # webhook id -> ids of its pending deliveries
        self._next_id = 1

    def add_webhook(self, webhook: Webhook) -> None:
        with self._lock:
            self._webhooks[webhook.id] = webhook
            self._pending[webhook.id] = set()

    def get_webhook(self, webhook_id: str) -> Webhook | None:
        return self._webhooks.get(webhook_id)

    def webhooks(self) -> list[Webhook]:
        with self._lock:
            hooks = list(self._webhooks.values())
        return sorted(hooks, key=lambda w: (w.created_us, w.id))

    def save_webhook(self, webhook: Webhook) -> None:
        with self._lock:
            if webhook.id in self._webhooks:
                self._webhooks[webhook.id] = webhook

    def delete_webhook(self, webhook_id: str) -> bool:
        with self._lock:
            if self._webhooks.pop(webhook_id, None) is None:
                return False
            self._pending.pop(webhook_id, None)
            for delivery_id in [
                d.id for d in self._deliveries.values() if d.webhook_id == webhook_id
            ]:
                del self._deliveries[delivery_id]
            return True

    def add_deliveries(self, deliveries: list[Delivery]) -> None:
        with self._lock:
            for delivery in deliveries:
                webhook = self._webhooks.get(delivery.webhook_id)
                if webhook is None or not webhook.enabled:
                    continue
                stored = replace(delivery, id=self._next_id)
                self._next_id += 1
                self._deliveries[stored.id] = stored
                self._track(stored)

    def _track(self, delivery: Delivery) -> None:
        pending = self._pending.setdefault(delivery.webhook_id, set())
        if delivery.status == PENDING:
            pending.add(delivery.id)
        else:
            pending.discard(delivery.id)

    def get_delivery(self, webhook_id: str, delivery_id: int) -> Delivery | None:
        found = self._deliveries.get(delivery_id)
        return found if found is not None and found.webhook_id == webhook_id else None

    def deliveries(self, webhook_id: str, limit: int, offset: int) -> tuple[list[Delivery], int]:
        with self._lock:
            found = [d for d in self._deliveries.values() if d.webhook_id == webhook_id]
        found.reverse()  # the dict keeps insertion (id) order
        return found[offset : offset + limit], len(found)

    def save_delivery(self, delivery: Delivery) -> None:
        with self._lock:
            if delivery.id in self._deliveries:
                self._deliveries[delivery.id] = delivery
                self._track(delivery)

    def head(self, webhook_id: str) -> Delivery | None:
        with self._lock:
            pending = self._pending.get(webhook_id)
            return self._deliveries[min(pending)] if pending else None

    def heads(self) -> list[Delivery]:
        with self._lock:
            return [
                self._deliveries[min(pending)]
                for webhook_id, pending in self._pending.items()
                if pending and self._webhooks[webhook_id].enabled
            ]

    def make_due(self, webhook_id: str, now_us: int) -> None:
        with self._lock:
            for delivery_id in self._pending.get(webhook_id, ()):
                delivery = self._deliveries[delivery_id]
                if (delivery.next_attempt_us or 0) > now_us:
                    self._deliveries[delivery_id] = replace(delivery, next_attempt_us=now_us)

    def prune(self, before_us: int) -> int:
        with self._lock:
            old = [
                d.id
                for d in self._deliveries.values()
                if d.status != PENDING and d.updated_us < before_us
            ]
            for delivery_id in old:
                del self._deliveries[delivery_id]
            return len(old)


def open_webhook_store(storage: object) -> WebhookStore:
    from aw_server.storage.sqlite import SqliteStorage

    if isinstance(storage, SqliteStorage):
        return SqliteWebhookStore(storage)
    return MemoryWebhookStore()
