"""The OpenAPI entries of the webhook API; its errors have ClockEye's body."""

from __future__ import annotations

from typing import Any

from aw_server.webhooks.model import ALL, EVENT_TYPES, STATUSES

# Paths whose errors have the body below (aw_server/webhooks/api.py registers the same).
PREFIXES = ("/api/webhooks",)

ERROR = {
    "type": "object",
    "required": ["error", "code", "details"],
    "properties": {
        "error": {"type": "string", "description": "for people"},
        "code": {"type": "string", "description": "lower_snake_case, e.g. unknown_event_type"},
        "details": {"type": "object", "description": "e.g. {field} of a refused field"},
    },
}
_TIME = {"type": "string", "format": "date-time"}
_EVENTS = {
    "type": "array",
    "minItems": 1,
    "items": {"type": "string", "enum": [*EVENT_TYPES, ALL]},
    "description": "event types, or * for all",
}
WEBHOOK: dict[str, Any] = {
    "type": "object",
    "required": [
        "id",
        "url",
        "events",
        "description",
        "enabled",
        "disabled_reason",
        "consecutive_failures",
        "created",
    ],
    "properties": {
        "id": {"type": "string", "description": "wh_<hex>"},
        "url": {"type": "string"},
        "events": {"type": "array", "items": {"type": "string"}},
        "description": {"type": ["string", "null"]},
        "enabled": {"type": "boolean"},
        "disabled_reason": {
            "type": ["string", "null"],
            "description": "disabled_by_admin, receiver_gone (a 410) or too_many_failures",
        },
        "consecutive_failures": {
            "type": "integer",
            "description": "deliveries failed for good in a row",
        },
        "created": _TIME,
    },
}
CREATED = {
    **WEBHOOK,
    "required": [*WEBHOOK["required"], "secret"],
    "properties": {
        **WEBHOOK["properties"],
        "secret": {"type": "string", "description": "whsec_<base64>: shown this once only"},
    },
}
DELIVERY = {
    "type": "object",
    "required": ["id", "webhook_id", "event_id", "type", "status", "attempts", "payload"],
    "properties": {
        "id": {"type": "integer"},
        "webhook_id": {"type": "string"},
        "event_id": {"type": "string", "description": "evt_<hex>: the webhook-id header"},
        "type": {"type": "string"},
        "status": {"type": "string", "enum": list(STATUSES)},
        "attempts": {"type": "integer"},
        "next_attempt": {**_TIME, "type": ["string", "null"]},
        "last_status_code": {"type": ["integer", "null"]},
        "last_error": {"type": ["string", "null"]},
        "last_response": {"type": ["string", "null"], "description": "at most 1 KB"},
        "created": _TIME,
        "updated": _TIME,
        "payload": {"type": "object", "description": "the body sent: {id, type, timestamp, data}"},
    },
}
_NEW: dict[str, Any] = {
    "type": "object",
    "required": ["url", "events"],
    "additionalProperties": False,
    "properties": {
        "url": {"type": "string", "description": "http(s); see the SSRF guard"},
        "events": _EVENTS,
        "description": {"type": ["string", "null"], "maxLength": 500},
    },
}
_CHANGE = {
    "type": "object",
    "additionalProperties": False,
    "properties": {**_NEW["properties"], "enabled": {"type": "boolean"}},
}


def webhook_errors(*codes: int) -> dict[str, Any]:
    """Documented error answers in ClockEye's body shape."""
    meaning = {
        400: "Invalid input (code names it: invalid_url, url_refused, unknown_event_type...)",
        401: "No valid API key",
        403: "The key is not an admin key",
        404: "No such webhook or delivery",
        409: "The webhook is disabled (webhook_disabled)",
        413: "Request body too large",
        415: "Body is not application/json",
        422: "Too many webhooks",
        429: "Too many requests: see Retry-After",
        503: "Database unavailable",
        507: "Disk full",
    }
    return {str(c): _json(ERROR, meaning[c]) for c in codes}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def _path(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": schema}


def webhook_paths() -> dict[str, Any]:
    webhook_id = _path("webhook_id", {"type": "string"})
    delivery_id = _path("delivery_id", {"type": "integer", "minimum": 1})
    page = [
        {"name": n, "in": "query", "required": False, "schema": s}
        for n, s in (
            ("page", {"type": "integer", "minimum": 1, "maximum": 1_000_000}),
            ("per_page", {"type": "integer", "minimum": 1, "maximum": 500}),
        )
    ]
    tags = ["webhooks"]
    writes = (503, 507)
    return {
        "/api/webhooks": {
            "get": {
                "tags": tags,
                "summary": "Every webhook (without secrets)",
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "required": ["data"],
                            "properties": {"data": {"type": "array", "items": WEBHOOK}},
                        },
                        "The webhooks, oldest first",
                    )
                },
            },
            "post": {
                "tags": tags,
                "summary": "Create a webhook; the answer shows its secret, once",
                "requestBody": _body(_NEW),
                "responses": {
                    "201": _json(CREATED, "Created"),
                    **webhook_errors(400, 413, 415, 422, *writes),
                },
            },
        },
        "/api/webhooks/{webhook_id}": {
            "parameters": [webhook_id],
            "get": {
                "tags": tags,
                "summary": "One webhook",
                "responses": {"200": _json(WEBHOOK, "The webhook"), **webhook_errors(404)},
            },
            "patch": {
                "tags": tags,
                "summary": "Change url, events, description or enabled (enabling resets failures)",
                "requestBody": _body(_CHANGE),
                "responses": {
                    "200": _json(WEBHOOK, "The changed webhook"),
                    **webhook_errors(400, 404, 413, 415, *writes),
                },
            },
            "delete": {
                "tags": tags,
                "summary": "Delete a webhook and its deliveries",
                "responses": {"204": {"description": "Deleted"}, **webhook_errors(404, *writes)},
            },
        },
        "/api/webhooks/{webhook_id}/test": {
            "parameters": [webhook_id],
            "post": {
                "tags": tags,
                "summary": "Queue a ping delivery to this webhook",
                "responses": {
                    "202": _json(DELIVERY, "The queued delivery"),
                    **webhook_errors(404, 409, *writes),
                },
            },
        },
        "/api/webhooks/{webhook_id}/deliveries": {
            "parameters": [webhook_id],
            "get": {
                "tags": tags,
                "summary": "The webhook's deliveries, newest first, paged",
                "parameters": page,
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "required": ["data", "meta"],
                            "properties": {
                                "data": {"type": "array", "items": DELIVERY},
                                "meta": {
                                    "type": "object",
                                    "required": ["page", "per_page", "total", "total_pages"],
                                    "properties": {
                                        k: {"type": "integer"}
                                        for k in ("page", "per_page", "total", "total_pages")
                                    },
                                },
                            },
                        },
                        "A page of deliveries",
                    ),
                    **webhook_errors(400, 404),
                },
            },
        },
        "/api/webhooks/{webhook_id}/deliveries/{delivery_id}/retry": {
            "parameters": [webhook_id, delivery_id],
            "post": {
                "tags": tags,
                "summary": "Send a delivery again, now (it keeps its event id)",
                "responses": {
                    "202": _json(DELIVERY, "The delivery, pending"),
                    **webhook_errors(404, 409, *writes),
                },
            },
        },
    }
