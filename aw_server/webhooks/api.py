"""The webhook API (admin only): webhooks, their test ping, their deliveries and retries.

Errors under ``/api/webhooks`` have ClockEye's body ``{"error", "code", "details"}``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from flask import Blueprint, Flask, Response, current_app, request

from aw_server.errors import BadRequest, Conflict, NotFound, Unprocessable, register_error_shape
from aw_server.http import json_response, read_json
from aw_server.service import Service
from aw_server.webhooks import ssrf
from aw_server.webhooks.model import (
    ALL,
    BY_ADMIN,
    EVENT_TYPES,
    PENDING,
    Delivery,
    Webhook,
    new_webhook_id,
)
from aw_server.webhooks.outbox import Outbox, now_us
from aw_server.webhooks.signing import new_secret
from aw_server.webhooks.store import WebhookStore

bp = Blueprint("webhooks", __name__)

PREFIX = "/api/webhooks"
MAX_WEBHOOKS = 100  # each write that matches is one delivery per webhook: keep that bounded
MAX_DESCRIPTION = 500
DEFAULT_PER_PAGE, MAX_PER_PAGE, MAX_PAGE = 50, 500, 1_000_000
FIELDS = {"url", "events", "description"}


@dataclass
class Webhooks:
    """The package's state: in ``app.extensions["aw_webhooks"]``."""

    service: Service
    store: WebhookStore
    outbox: Outbox
    allow_private: bool


def state() -> Webhooks:
    hooks: Webhooks = current_app.extensions["aw_webhooks"]
    return hooks


def _invalid(field: str, message: str, code: str = "invalid_field") -> BadRequest:
    return BadRequest(message, code=code, details={"field": field})


def _url(body: dict[str, Any]) -> str:
    url = body.get("url")
    if not isinstance(url, str):
        raise _invalid("url", "'url' must be a string (an http or https URL)", "invalid_url")
    try:
        return ssrf.check_url(url, state().allow_private)
    except ssrf.Refused as exc:
        raise _invalid("url", str(exc), exc.code) from None


def _events(body: dict[str, Any]) -> tuple[str, ...]:
    events = body.get("events")
    if not isinstance(events, list) or not events or not all(isinstance(e, str) for e in events):
        raise _invalid("events", "'events' must be a non-empty list of event types")
    unknown = sorted({e for e in events if e != ALL and e not in EVENT_TYPES})
    if unknown:
        raise BadRequest(
            f"unknown event type(s): {', '.join(repr(e) for e in unknown)}",
            code="unknown_event_type",
            details={"field": "events", "unknown": unknown, "known": [*EVENT_TYPES, ALL]},
        )
    return tuple(dict.fromkeys(events))


def _description(body: dict[str, Any]) -> str | None:
    value = body.get("description")
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > MAX_DESCRIPTION:
        raise _invalid(
            "description", f"'description' must be a string of at most {MAX_DESCRIPTION} characters"
        )
    return value


def _object(allowed: set[str]) -> dict[str, Any]:
    body = read_json()
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object", code="invalid_body")
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise BadRequest(
            f"unknown field(s): {', '.join(unknown)}",
            code="unknown_field",
            details={"fields": unknown},
        )
    return body


# Writes run in whichever thread commits the group (see SqliteStorage.write), outside this
# request's app context: what they need is passed in, never read from current_app.


def _webhook(store: WebhookStore, webhook_id: str) -> Webhook:
    webhook = store.get_webhook(webhook_id)
    if webhook is None:
        raise NotFound(f"there is no webhook {webhook_id!r}", details={"id": webhook_id})
    return webhook


def _delivery(store: WebhookStore, webhook_id: str, delivery_id: str) -> Delivery:
    number = int(delivery_id) if delivery_id.isdigit() and len(delivery_id) < 19 else None
    found = store.get_delivery(webhook_id, number) if number else None
    if found is None:
        raise NotFound(
            f"webhook {webhook_id!r} has no delivery {delivery_id!r}",
            details={"id": delivery_id},
        )
    return found


def _changed(write: Any) -> Any:
    """Run a change to the webhooks in a transaction, then refresh what the outbox listens for."""
    hooks = state()
    result = hooks.service.transaction(lambda writes: write())
    hooks.outbox.refresh()
    return result


@bp.get("/webhooks")
def list_webhooks() -> Response:
    return json_response({"data": [w.to_wire() for w in state().store.webhooks()]})


@bp.post("/webhooks")
def create_webhook() -> Response:
    body = _object(FIELDS)
    if "url" not in body or "events" not in body:
        raise BadRequest("'url' and 'events' are required", code="missing_field")
    webhook = Webhook(
        id=new_webhook_id(),
        url=_url(body),
        events=_events(body),
        description=_description(body),
        secret=new_secret(),
        enabled=True,
        disabled_reason=None,
        consecutive_failures=0,
        created_us=now_us(),
    )
    store = state().store

    def add() -> None:
        if len(store.webhooks()) >= MAX_WEBHOOKS:
            raise Unprocessable(
                f"a server may have at most {MAX_WEBHOOKS} webhooks",
                code="too_many_webhooks",
                details={"max": MAX_WEBHOOKS},
            )
        store.add_webhook(webhook)

    _changed(add)
    # the only answer that ever holds the secret
    return json_response({**webhook.to_wire(), "secret": webhook.secret}, status=201)


@bp.get("/webhooks/<webhook_id>")
def get_webhook(webhook_id: str) -> Response:
    return json_response(_webhook(state().store, webhook_id).to_wire())


def _changes(body: dict[str, Any]) -> dict[str, Any]:
    """The fields a PATCH body changes, checked (before the transaction: see above)."""
    changes: dict[str, Any] = {}
    if "url" in body:
        changes["url"] = _url(body)
    if "events" in body:
        changes["events"] = _events(body)
    if "description" in body:
        changes["description"] = _description(body)
    if "enabled" in body:
        if not isinstance(body["enabled"], bool):
            raise _invalid("enabled", "'enabled' must be true or false")
        changes["enabled"] = body["enabled"]
    return changes


def _patched(webhook: Webhook, changes: dict[str, Any]) -> Webhook:
    enabled = changes.get("enabled", webhook.enabled)
    if enabled and not webhook.enabled:
        # a fresh start: the failures that disabled it are forgiven
        changes = {**changes, "disabled_reason": None, "consecutive_failures": 0}
    elif not enabled and webhook.enabled:
        changes = {**changes, "disabled_reason": BY_ADMIN}
    return replace(webhook, **changes)


@bp.patch("/webhooks/<webhook_id>")
def update_webhook(webhook_id: str) -> Response:
    changes = _changes(_object(FIELDS | {"enabled"}))
    store = state().store

    def save() -> Webhook:
        webhook = _webhook(store, webhook_id)  # as it is now, in the transaction
        updated = _patched(webhook, changes)
        store.save_webhook(updated)
        if updated.enabled and not webhook.enabled:
            store.make_due(webhook_id, now_us())  # what waited while it was off goes now
        return updated

    updated: Webhook = _changed(save)
    state().outbox.wake()
    return json_response(updated.to_wire())


@bp.delete("/webhooks/<webhook_id>")
def delete_webhook(webhook_id: str) -> Response:
    store = state().store
    if not _changed(lambda: store.delete_webhook(webhook_id)):
        raise NotFound(f"there is no webhook {webhook_id!r}", details={"id": webhook_id})
    return Response(status=204)


def _require_enabled(webhook: Webhook) -> None:
    if not webhook.enabled:
        raise Conflict(
            f"webhook {webhook.id!r} is disabled ({webhook.disabled_reason}); enable it first",
            code="webhook_disabled",
            details={"id": webhook.id, "disabled_reason": webhook.disabled_reason},
        )


@bp.post("/webhooks/<webhook_id>/test")
def test_webhook(webhook_id: str) -> Response:
    hooks = state()

    def ping() -> Delivery:
        webhook = _webhook(hooks.store, webhook_id)
        _require_enabled(webhook)
        return hooks.outbox.ping(webhook)

    delivery: Delivery = hooks.service.transaction(lambda writes: ping())
    return json_response(delivery.to_wire(), status=202)


def _int_arg(name: str, default: int, high: int) -> int:
    value = request.args.get(name)
    if value is None or value == "":
        return default
    number = int(value) if value.isdigit() and len(value) <= 12 else 0
    if not 1 <= number <= high:
        raise BadRequest(
            f"'{name}' must be a whole number from 1 to {high}",
            code="invalid_parameter",
            details={"field": name},
        )
    return number


@bp.get("/webhooks/<webhook_id>/deliveries")
def list_deliveries(webhook_id: str) -> Response:
    store = state().store
    _webhook(store, webhook_id)
    page = _int_arg("page", 1, MAX_PAGE)
    per_page = _int_arg("per_page", DEFAULT_PER_PAGE, MAX_PER_PAGE)
    items, total = store.deliveries(webhook_id, per_page, (page - 1) * per_page)
    return json_response(
        {
            "data": [d.to_wire() for d in items],
            "meta": {
                "page": page,
                "per_page": per_page,
                "total": total,
                "total_pages": -(-total // per_page),
            },
        }
    )


@bp.post("/webhooks/<webhook_id>/deliveries/<delivery_id>/retry")
def retry_delivery(webhook_id: str, delivery_id: str) -> Response:
    hooks = state()

    def retry() -> Delivery:
        webhook = _webhook(hooks.store, webhook_id)
        _require_enabled(webhook)
        delivery = _delivery(hooks.store, webhook_id, delivery_id)
        # one more attempt, now; it keeps its event id, so a receiver can tell it is the same
        again = replace(delivery, status=PENDING, next_attempt_us=now_us(), updated_us=now_us())
        hooks.store.save_delivery(again)
        hooks.store.make_due(webhook_id, now_us())  # the ones waiting before it go now too
        return again

    delivery: Delivery = hooks.service.transaction(lambda writes: retry())
    hooks.outbox.wake()
    return json_response(delivery.to_wire(), status=202)


def _clockeye_body(body: dict[str, Any]) -> dict[str, Any]:
    return {
        "error": body.get("message"),
        "code": body.get("code"),
        "details": body.get("details") or {},
    }


def register_webhook_routes(app: Flask) -> None:
    app.register_blueprint(bp, url_prefix="/api")
    register_error_shape(PREFIX, _clockeye_body)
