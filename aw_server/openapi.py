"""The OpenAPI 3.1 description of /api/0, served at /api/openapi.json. A test checks that it and
the app's routes match both ways, and the fuzz tests check every response against it."""

from __future__ import annotations

from typing import Any

from aw_server import __version__

REF = "#/components/schemas/"


def ref(name: str) -> dict[str, str]:
    return {"$ref": REF + name}


def json_body(schema: dict[str, Any], description: str = "") -> dict[str, Any]:
    body: dict[str, Any] = {"content": {"application/json": {"schema": schema}}}
    if description:
        body["description"] = description
    return body


def ok(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"200": json_body(schema, description)}


def errors(*codes: int) -> dict[str, Any]:
    meaning = {
        400: "Invalid input",
        401: "No valid API key (or, deleting a bucket, no force)",
        403: "The key lacks the scope, or the origin is not allowed",
        404: "Not found",
        413: "Request body too large",
        415: "Body is not application/json",
        429: "Too many requests: see Retry-After",
        503: "Database unavailable",
        507: "Disk full",
    }
    return {str(c): {**json_body(ref("Error")), "description": meaning[c]} for c in codes}


BUCKET_ID = {
    "name": "bucket_id",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "minLength": 1},
}
EVENT_ID = {
    "name": "event_id",
    "in": "path",
    "required": True,
    "schema": {"type": "integer", "minimum": 0},
}
SETTING_KEY = {
    "name": "key",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "minLength": 1, "maxLength": 128},
}
TIME = {"type": "string", "format": "date-time"}
RANGE = [
    {
        "name": "start",
        "in": "query",
        "required": False,
        "schema": TIME,
        "description": "ISO 8601; events ending after it",
    },
    {
        "name": "end",
        "in": "query",
        "required": False,
        "schema": TIME,
        "description": "ISO 8601; events starting before it",
    },
]
WRITE_ERRORS = (400, 403, 404, 413, 415, 503, 507)

SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["message"],
        "properties": {
            "message": {"type": "string"},
            "code": {"type": "string", "description": "a stable name, e.g. not_found"},
            "type": {"type": "string", "description": "query errors: the official class name"},
        },
    },
    "Info": {
        "type": "object",
        "required": ["hostname", "version", "testing", "device_id"],
        "properties": {
            "hostname": {"type": "string"},
            "version": {"type": "string"},
            "testing": {"type": "boolean"},
            "device_id": {"type": "string"},
        },
    },
    "Event": {
        "type": "object",
        "required": ["id", "timestamp", "duration", "data"],
        "properties": {
            "id": {"type": ["integer", "null"]},
            "timestamp": TIME,
            "duration": {"type": "number", "minimum": 0, "description": "seconds"},
            "data": {"type": "object"},
        },
    },
    "NewEvent": {
        "type": "object",
        "required": ["timestamp"],
        "properties": {
            "id": {
                "type": ["integer", "null"],
                "description": "an id of an event in this bucket replaces that event",
            },
            "timestamp": TIME,
            "duration": {
                "type": ["number", "null"],
                "minimum": 0,
                "description": "seconds, default 0",
            },
            "data": {"type": ["object", "null"]},
        },
    },
    "Heartbeat": {
        "type": "object",
        "required": ["timestamp"],
        "properties": {
            "timestamp": TIME,
            "duration": {"type": ["number", "null"], "minimum": 0},
            "data": {"type": ["object", "null"]},
        },
    },
    "Bucket": {
        "type": "object",
        "required": [
            "id",
            "name",
            "type",
            "client",
            "hostname",
            "created",
            "data",
            "metadata",
            "last_updated",
        ],
        "properties": {
            "id": {"type": "string"},
            "name": {"type": ["string", "null"]},
            "type": {"type": "string"},
            "client": {"type": "string"},
            "hostname": {"type": "string"},
            "created": TIME,
            "data": {"type": "object"},
            "metadata": {
                "type": "object",
                "required": ["start", "end"],
                "properties": {
                    "start": {"type": ["string", "null"]},
                    "end": {"type": ["string", "null"]},
                },
            },
            "last_updated": {"type": ["string", "null"]},
        },
    },
    "NewBucket": {
        "type": "object",
        "required": ["client", "type", "hostname"],
        "properties": {
            "client": {"type": "string"},
            "type": {"type": "string"},
            "hostname": {"type": "string", "description": '"!local" means the server\'s hostname'},
            "name": {"type": ["string", "null"]},
            "created": TIME,
            "data": {"type": ["object", "null"]},
        },
    },
    "BucketUpdate": {
        "type": "object",
        "properties": {
            "client": {"type": "string"},
            "type": {"type": "string"},
            "hostname": {"type": "string"},
            "name": {"type": ["string", "null"]},
            "data": {"type": ["object", "null"]},
        },
    },
    "Export": {
        "type": "object",
        "required": ["buckets"],
        "properties": {
            "buckets": {
                "type": "object",
                "additionalProperties": {
                    "allOf": [ref("NewBucket")],
                    "properties": {
                        "id": {"type": "string"},
                        "events": {"type": "array", "items": ref("NewEvent")},
                    },
                },
            }
        },
    },
    "ImportDocument": {
        "type": "object",
        "required": ["buckets"],
        "properties": {
            "buckets": {
                "type": ["object", "array"],
                "description": "an export's buckets by id, or a list of buckets (each validated on import)",
            }
        },
    },
    "ImportSummary": {
        "type": "object",
        "required": ["buckets"],
        "properties": {
            "buckets": {
                "type": "object",
                "additionalProperties": {
                    "type": "object",
                    "required": ["created", "inserted", "skipped"],
                    "properties": {
                        "created": {"type": "boolean"},
                        "inserted": {"type": "integer"},
                        "skipped": {"type": "integer"},
                    },
                },
            }
        },
    },
    "Query": {
        "type": "object",
        "required": ["query", "timeperiods"],
        "properties": {
            "query": {
                "oneOf": [{"type": "array", "items": {"type": "string"}}, {"type": "string"}],
                "description": "the program's lines (joined with newlines)",
            },
            "timeperiods": {
                "type": "array",
                "minItems": 1,
                "items": {"type": "string", "description": "start/end in ISO 8601"},
            },
        },
    },
    "Settings": {"type": "object", "additionalProperties": True},
}

PATHS: dict[str, Any] = {
    "/api/0/info": {
        "get": {"tags": ["server"], "summary": "Server information", "responses": ok(ref("Info"))},
    },
    "/api/0/buckets/": {
        "get": {
            "tags": ["buckets"],
            "summary": "All buckets, by id",
            "responses": ok({"type": "object", "additionalProperties": ref("Bucket")}),
        },
    },
    "/api/0/buckets/{bucket_id}": {
        "parameters": [BUCKET_ID],
        "get": {
            "tags": ["buckets"],
            "summary": "One bucket",
            "responses": {**ok(ref("Bucket")), **errors(404)},
        },
        "post": {
            "tags": ["buckets"],
            "summary": "Create a bucket (304 if it exists)",
            "requestBody": {**json_body(ref("NewBucket")), "required": True},
            "responses": {
                **ok({"type": "object"}, "Created"),
                "304": {"description": "Exists already"},
                **errors(400, 403, 413, 415, 503, 507),
            },
        },
        "put": {
            "tags": ["buckets"],
            "summary": "Update a bucket's fields",
            "requestBody": {**json_body(ref("BucketUpdate")), "required": True},
            "responses": {**ok(ref("Bucket")), **errors(*WRITE_ERRORS)},
        },
        "delete": {
            "tags": ["buckets"],
            "summary": "Delete a bucket and its events (needs force=1 outside testing mode)",
            "parameters": [
                {
                    "name": "force",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "string", "enum": ["1", "0", "true", "false"]},
                }
            ],
            "responses": {**ok({"type": "object"}), **errors(401, 403, 404, 503, 507)},
        },
    },
    "/api/0/buckets/{bucket_id}/events": {
        "parameters": [BUCKET_ID],
        "get": {
            "tags": ["events"],
            "summary": "Events overlapping [start, end], newest first, clipped",
            "parameters": [
                {
                    "name": "limit",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "integer"},
                    "description": "negative or absent: all",
                },
                *RANGE,
            ],
            "responses": {**ok({"type": "array", "items": ref("Event")}), **errors(400, 404)},
        },
        "post": {
            "tags": ["events"],
            "summary": "Insert one event (object body) or several (list body); returns them with ids",
            "requestBody": {
                **json_body(
                    {"oneOf": [ref("NewEvent"), {"type": "array", "items": ref("NewEvent")}]}
                ),
                "required": True,
            },
            "responses": {
                **ok({"oneOf": [ref("Event"), {"type": "array", "items": ref("Event")}]}),
                **errors(*WRITE_ERRORS),
            },
        },
    },
    "/api/0/buckets/{bucket_id}/events/count": {
        "parameters": [BUCKET_ID],
        "get": {
            "tags": ["events"],
            "summary": "How many events overlap [start, end]",
            "parameters": RANGE,
            "responses": {**ok({"type": "integer", "minimum": 0}), **errors(400, 404)},
        },
    },
    "/api/0/buckets/{bucket_id}/events/{event_id}": {
        "parameters": [BUCKET_ID, EVENT_ID],
        "get": {
            "tags": ["events"],
            "summary": "One event",
            "responses": {**ok(ref("Event")), **errors(404)},
        },
        "delete": {
            "tags": ["events"],
            "summary": "Delete one event",
            "responses": {**ok({"type": "object"}), **errors(403, 404, 503, 507)},
        },
    },
    "/api/0/buckets/{bucket_id}/heartbeat": {
        "parameters": [BUCKET_ID],
        "post": {
            "tags": ["events"],
            "summary": "Merge a heartbeat into the newest event, or insert it",
            "parameters": [
                {
                    "name": "pulsetime",
                    "in": "query",
                    "required": True,
                    "schema": {"type": "number", "minimum": 0},
                }
            ],
            "requestBody": {**json_body(ref("Heartbeat")), "required": True},
            "responses": {**ok(ref("Event")), **errors(*WRITE_ERRORS)},
        },
    },
    "/api/0/buckets/{bucket_id}/export": {
        "parameters": [BUCKET_ID],
        "get": {
            "tags": ["export"],
            "summary": "Export one bucket",
            "responses": {**ok(ref("Export")), **errors(404)},
        },
    },
    "/api/0/export": {
        "get": {
            "tags": ["export"],
            "summary": "Export every bucket (streamed)",
            "responses": ok(ref("Export")),
        },
    },
    "/api/0/import": {
        "post": {
            "tags": ["export"],
            "summary": "Import an export, all or nothing; existing buckets are merged without duplicates",
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": ref("ImportDocument")},
                    "multipart/form-data": {
                        "schema": {
                            "type": "object",
                            "additionalProperties": {"type": "string", "format": "binary"},
                        }
                    },
                },
            },
            "responses": {**ok(ref("ImportSummary")), **errors(400, 403, 413, 415, 503, 507)},
        },
    },
    "/api/0/query/": {
        "post": {
            "tags": ["query"],
            "summary": "Run a query2 program once per timeperiod",
            "parameters": [
                {"name": "name", "in": "query", "required": False, "schema": {"type": "string"}}
            ],
            "requestBody": {**json_body(ref("Query")), "required": True},
            "responses": {
                **ok({"type": "array"}, "One result per timeperiod"),
                **errors(400, 403, 413, 415),
            },
        },
    },
    "/api/0/settings": {
        "get": {"tags": ["settings"], "summary": "All settings", "responses": ok(ref("Settings"))},
        "post": {
            "tags": ["settings"],
            "summary": "Always 400: the key goes in the path",
            "responses": errors(400, 403),
        },
    },
    "/api/0/settings/{key}": {
        "parameters": [SETTING_KEY],
        "get": {
            "tags": ["settings"],
            "summary": "One setting (null if unset)",
            "responses": {**ok({}), **errors(400)},
        },
        "post": {
            "tags": ["settings"],
            "summary": "Store any JSON value",
            "requestBody": {**json_body({}), "required": True},
            "responses": {**ok({}), **errors(400, 403, 413, 415, 503, 507)},
        },
        "delete": {
            "tags": ["settings"],
            "summary": "Remove a setting",
            "responses": {**ok({"type": "object"}), **errors(400, 403, 503, 507)},
        },
    },
    "/api/0/log": {
        "get": {
            "tags": ["server"],
            "summary": "Recent server log records, newest first",
            "responses": ok({"type": "array", "items": {"type": "object"}}),
        },
    },
}


# Operations anyone may call without a key (see aw_server/auth/access.py).
PUBLIC_OPERATIONS = {("/api/0/info", "get")}
_OPERATIONS = ("get", "post", "put", "patch", "delete")


def _secured(paths: dict[str, Any]) -> dict[str, Any]:
    """Every operation with the key schemes and the 401/403/429 answers any key check gives."""
    from aw_server.auth.openapi import SECURITY
    from aw_server.devices.openapi import PREFIXES as DEVICE_PREFIXES
    from aw_server.devices.openapi import device_errors
    from aw_server.timers.openapi import prefixes as timer_prefixes
    from aw_server.timers.openapi import timer_errors
    from aw_server.webhooks.openapi import PREFIXES as WEBHOOK_PREFIXES
    from aw_server.webhooks.openapi import webhook_errors

    result: dict[str, Any] = {}
    for path, item in paths.items():
        result[path] = dict(item)
        for method in _OPERATIONS:
            if method not in item:
                continue
            operation = dict(item[method])
            if (path, method) in PUBLIC_OPERATIONS:
                operation["security"] = [{}]
            else:
                operation["security"] = SECURITY
                key_errors = (
                    device_errors(401, 403, 429)
                    if path.startswith(DEVICE_PREFIXES)
                    else timer_errors(401, 403, 429)
                    if path.startswith(timer_prefixes())
                    else webhook_errors(401, 403, 429)
                    if path.startswith(WEBHOOK_PREFIXES)
                    else errors(401, 403, 429)
                )
                operation["responses"] = {**key_errors, **operation["responses"]}
            result[path][method] = operation
    return result


def openapi_document() -> dict[str, Any]:
    from aw_server.auth import openapi as auth
    from aw_server.devices.openapi import device_paths
    from aw_server.timers.openapi import timer_paths
    from aw_server.wakatime.openapi import wakatime_paths
    from aw_server.webhooks.openapi import webhook_paths

    return {
        "openapi": "3.1.0",
        "info": {
            "title": "ActivityWatch-compatible server API",
            "version": __version__,
            "description": "Buckets, events, heartbeats, query2, import/export, settings and API "
            'keys. Errors are JSON {"message", "code"} with a 4xx status; bodies are '
            "application/json. From loopback no key is needed (unless the server requires "
            "keys); from elsewhere, send one in any of the security schemes.",
        },
        "servers": [{"url": "/"}],
        "tags": [
            {"name": t}
            for t in (
                "server",
                "buckets",
                "events",
                "query",
                "export",
                "settings",
                "keys",
                "wakatime",
                "timers",
                "webhooks",
            )
        ],
        "paths": _secured(
            {
                **PATHS,
                **auth.key_paths(),
                **wakatime_paths(),
                **device_paths(),
                **timer_paths(),
                **webhook_paths(),
            }
        ),
        "components": {
            "schemas": {**SCHEMAS, **auth.SCHEMAS},
            "securitySchemes": auth.SECURITY_SCHEMES,
        },
    }
