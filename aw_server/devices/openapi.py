"""The OpenAPI entries of the device API (Waken-Wa's paths)."""

from __future__ import annotations

from typing import Any

WAKEN_ERROR = {
    "type": "object",
    "required": ["success", "error"],
    "properties": {
        "success": {"const": False},
        "error": {"type": "string"},
        "code": {"type": "string"},
    },
}
REPORT = {
    "type": "object",
    "required": ["generatedHashKey", "process_name"],
    "properties": {
        "generatedHashKey": {"type": "string", "description": "the device's stable key"},
        "process_name": {"type": "string"},
        "process_title": {"type": ["string", "null"]},
        "device": {"type": ["string", "null"], "description": "display name"},
        "battery_level": {"type": ["number", "null"]},
        "device_battery": {"type": ["number", "null"]},
        "is_charging": {"type": ["boolean", "null"]},
        "isCharging": {"type": ["boolean", "null"]},
        "device_type": {"type": ["string", "null"], "description": "desktop, tablet or mobile"},
        "push_mode": {"type": ["string", "null"], "description": "realtime or active"},
        "metadata": {"type": ["object", "null"], "description": "≤ 50 keys, ≤ 10,240 characters"},
    },
}
DEVICE = {
    "type": "object",
    "required": ["id", "displayName", "status"],
    "properties": {
        "id": {"type": "string"},
        "displayName": {"type": "string"},
        "generatedHashKey": {"type": "string"},
        "status": {"type": "string", "enum": ["active", "pending", "revoked"]},
        "apiTokenId": {"type": ["integer", "null"]},
        "deviceType": {"type": ["string", "null"]},
        "pinToTop": {"type": "boolean"},
        "lastSeenAt": {"type": ["string", "null"]},
        "batteryPercent": {"type": ["integer", "null"]},
        "charging": {"type": ["boolean", "null"]},
        "pushMode": {"type": "string"},
        "createdAt": {"type": "string"},
    },
}
DEVICE_UPDATE = {
    "type": "object",
    "properties": {
        "id": {"type": "string", "description": "on PATCH /api/admin/devices"},
        "displayName": {"type": "string"},
        "status": {"type": "string", "enum": ["active", "pending", "revoked"]},
        "apiTokenId": {"type": ["integer", "null"]},
        "pinToTop": {"type": "boolean"},
    },
}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _success(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["success", "data"],
        "properties": {"success": {"const": True}, "data": data},
    }


# Paths whose errors have Waken-Wa's body (aw_server/devices/api.py registers the same).
PREFIXES = ("/api/activity", "/api/admin", "/api/media")


def device_errors(*codes: int) -> dict[str, Any]:
    """Documented error answers in Waken-Wa's body shape."""
    return _errors(*codes)


def _errors(*codes: int) -> dict[str, Any]:
    meaning = {
        400: "Invalid input",
        401: "No valid API key",
        429: "Too many requests: see Retry-After",
        403: "Not allowed: the key may not do this (device revoked, bound to another key, not"
        " registered, or a feed key that may not read the device buckets)",
        404: "Not found",
        413: "Request body too large",
        415: "Body is not JSON",
        503: "Unavailable (too many live streams, or the database)",
        507: "Disk full",
    }
    return {str(c): _json(WAKEN_ERROR, meaning[c]) for c in codes}


def device_paths() -> dict[str, Any]:
    pending = _json(
        {
            "type": "object",
            "properties": {
                "success": {"const": False},
                "pending": {"const": True},
                "error": {"type": "string"},
                "approvalUrl": {"type": "string"},
                "registration": {"type": "object"},
            },
        },
        "The device waits for approval",
    )
    feed = _success({"type": "object"})
    device_id = {"name": "device_id", "in": "path", "required": True, "schema": {"type": "string"}}
    body = {"required": True, "content": {"application/json": {"schema": REPORT}}}
    update = {"required": True, "content": {"application/json": {"schema": DEVICE_UPDATE}}}
    page = [
        {"name": n, "in": "query", "required": False, "schema": {"type": t}}
        for n, t in (
            ("limit", "integer"),
            ("offset", "integer"),
            ("status", "string"),
            ("q", "string"),
        )
    ]
    return {
        "/api/activity": {
            "post": {
                "tags": ["devices"],
                "summary": "Report what is in front of a device now (needs a key)",
                "requestBody": body,
                "responses": {
                    "200": _json(_success({"type": "object"}), "Stored"),
                    "202": pending,
                    **_errors(400, 403, 413, 415, 503, 507),
                },
            },
            "get": {
                "tags": ["devices"],
                "summary": "The live feed: current statuses, recent activities, top apps",
                "responses": {"200": _json(feed, "The feed"), **_errors(403)},
            },
        },
        "/api/activity/verify": {
            "post": {
                "tags": ["devices"],
                "summary": "Check a key and a device without reporting",
                "requestBody": body,
                "responses": {
                    "200": _json(_success({"type": "object"}), "The device may report"),
                    "202": pending,
                    **_errors(400, 403, 415),
                },
            }
        },
        "/api/activity/stream": {
            "get": {
                "tags": ["devices"],
                "summary": "The live feed as Server-Sent Events (event: activity)",
                "responses": {
                    "200": {
                        "description": "An event stream",
                        # each event: `event: activity`, its data the JSON text of
                        # {"success": true, "data": <the feed>}
                        "content": {
                            "text/event-stream": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "event": {"const": "activity"},
                                        "data": {"type": "string"},
                                    },
                                }
                            }
                        },
                    },
                    **_errors(403, 503),
                },
            }
        },
        "/api/media/covers/{digest}": {
            "parameters": [
                {"name": "digest", "in": "path", "required": True, "schema": {"type": "string"}}
            ],
            "get": {
                "tags": ["devices"],
                "summary": "A stored cover or app icon (cached for good)",
                "responses": {
                    "200": {
                        "description": "The picture",
                        "content": {"image/png": {}, "image/jpeg": {}},
                    },
                    **_errors(404),
                },
            },
        },
        "/api/admin/devices": {
            "get": {
                "tags": ["devices"],
                "summary": "Devices (admin)",
                "parameters": page,
                "responses": {
                    "200": _json(_success({"type": "object"}), "A page of devices"),
                    **_errors(400),
                },
            },
            "post": {
                "tags": ["devices"],
                "summary": "Register a device (admin)",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["displayName"],
                                "properties": {
                                    "displayName": {"type": "string"},
                                    "generatedHashKey": {"type": "string"},
                                    "apiTokenId": {"type": ["integer", "null"]},
                                },
                            }
                        }
                    },
                },
                "responses": {"201": _json(_success(DEVICE), "Created"), **_errors(400, 415)},
            },
            "patch": {
                "tags": ["devices"],
                "summary": "Change a device given by `id` in the body (admin)",
                "requestBody": update,
                "responses": {"200": _json(_success(DEVICE), "Changed"), **_errors(400, 404, 415)},
            },
            "delete": {
                "tags": ["devices"],
                "summary": "Delete the device `?id=` (admin)",
                "parameters": [
                    {"name": "id", "in": "query", "required": True, "schema": {"type": "string"}}
                ],
                "responses": {
                    "200": _json(_success({"type": "object"}), "Deleted"),
                    **_errors(400, 404),
                },
            },
        },
        "/api/admin/devices/{device_id}": {
            "parameters": [device_id],
            "patch": {
                "tags": ["devices"],
                "summary": "Change a device (admin)",
                "requestBody": update,
                "responses": {"200": _json(_success(DEVICE), "Changed"), **_errors(400, 404, 415)},
            },
            "delete": {
                "tags": ["devices"],
                "summary": "Delete a device (admin)",
                "responses": {
                    "200": _json(_success({"type": "object"}), "Deleted"),
                    **_errors(404),
                },
            },
        },
        "/api/admin/activity/apps-export": {
            "get": {
                "tags": ["devices"],
                "summary": "Every reported app with its newest titles (admin)",
                "responses": {"200": _json(_success({"type": "object"}), "The export")},
            }
        },
    }
