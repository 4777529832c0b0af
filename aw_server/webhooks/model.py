"""Webhooks and their deliveries as the store keeps them and as the API shows them."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

import orjson

from aw_core.timeutil import from_us

# What a webhook may subscribe to ("*": everything). ClockEye's screenshot.* and user.* do
# not apply to a single-user server without screenshots.
EVENT_TYPES = (
    "time_entry.created",
    "time_entry.updated",
    "time_entry.deleted",
    "time_entry.started",
    "time_entry.stopped",
    "project.created",
    "project.updated",
    "project.deleted",
    "bucket.created",
    "bucket.deleted",
    "event.created",
    "event.deleted",
    "device.pending",
    "device.approved",
    "device.revoked",
)
ALL = "*"
PING = "ping"  # sent by POST /api/webhooks/<id>/test to that webhook alone

PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"
STATUSES = (PENDING, DELIVERED, FAILED)

# why a webhook is disabled
BY_ADMIN, RECEIVER_GONE, TOO_MANY_FAILURES = (
    "disabled_by_admin",
    "receiver_gone",
    "too_many_failures",
)

MAX_RESPONSE_CHARS = 1024


def new_webhook_id() -> str:
    return f"wh_{secrets.token_hex(8)}"


def new_event_id() -> str:
    return f"evt_{secrets.token_hex(12)}"


def iso(us: int | None) -> str | None:
    return from_us(us).isoformat().replace("+00:00", "Z") if us is not None else None


@dataclass(frozen=True)
class Webhook:
    id: str
    url: str
    events: tuple[str, ...]
    description: str | None
    secret: str
    enabled: bool
    disabled_reason: str | None
    consecutive_failures: int
    created_us: int

    def wants(self, occurrence_type: str) -> bool:
        return ALL in self.events or occurrence_type in self.events

    def to_wire(self) -> dict[str, Any]:
        """The API's view: never the secret (only the answer that creates it shows it)."""
        return {
            "id": self.id,
            "url": self.url,
            "events": list(self.events),
            "description": self.description,
            "enabled": self.enabled,
            "disabled_reason": self.disabled_reason,
            "consecutive_failures": self.consecutive_failures,
            "created": iso(self.created_us),
        }


@dataclass(frozen=True)
class Delivery:
    """One event for one webhook, in the outbox until delivered or given up.

    ``body`` is the exact bytes sent on every attempt; ``event_id`` (the body's ``id`` and the
    ``webhook-id`` header) stays the same across attempts. ``id`` orders a webhook's deliveries.
    """

    id: int
    webhook_id: str
    event_id: str
    type: str
    body: bytes
    status: str
    attempts: int
    next_attempt_us: int | None
    last_status_code: int | None
    last_error: str | None
    last_response: str | None
    created_us: int
    updated_us: int

    def to_wire(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "webhook_id": self.webhook_id,
            "event_id": self.event_id,
            "type": self.type,
            "status": self.status,
            "attempts": self.attempts,
            "next_attempt": iso(self.next_attempt_us) if self.status == PENDING else None,
            "last_status_code": self.last_status_code,
            "last_error": self.last_error,
            "last_response": self.last_response,
            "created": iso(self.created_us),
            "updated": iso(self.updated_us),
            "payload": orjson.loads(self.body),
        }


def new_delivery(webhook_id: str, event_id: str, kind: str, body: bytes, now_us: int) -> Delivery:
    """A pending delivery, due now (its id is given by the store)."""
    return Delivery(
        id=0,
        webhook_id=webhook_id,
        event_id=event_id,
        type=kind,
        body=body,
        status=PENDING,
        attempts=0,
        next_attempt_us=now_us,
        last_status_code=None,
        last_error=None,
        last_response=None,
        created_us=now_us,
        updated_us=now_us,
    )


def envelope(event_id: str, kind: str, now_us: int, data: dict[str, Any]) -> bytes:
    """The body every subscriber of an occurrence gets: ``{"id", "type", "timestamp", "data"}``."""
    return orjson.dumps({"id": event_id, "type": kind, "timestamp": iso(now_us), "data": data})
