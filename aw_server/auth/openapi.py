"""The OpenAPI description of access control: how to present a key, and ``/api/0/keys``."""

from __future__ import annotations

from typing import Any

SECURITY_SCHEMES: dict[str, Any] = {
    "bearer": {
        "type": "http",
        "scheme": "bearer",
        "description": "Authorization: Bearer <key> (or Bearer base64(<key>))",
    },
    "basic": {
        "type": "http",
        "scheme": "basic",
        "description": "Authorization: Basic base64(<key>) or base64(<user>:<key>), as the "
        "WakaTime clients send it",
    },
    "apiKeyHeader": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
    "apiKeyQuery": {
        "type": "apiKey",
        "in": "query",
        "name": "api_key",
        "description": "for clients that cannot send headers (EventSource)",
    },
}
# Any one of the schemes, or none: under the default policy, requests from loopback need no key.
NO_KEY: dict[str, list[str]] = {}
SECURITY: list[dict[str, list[str]]] = [
    *({name: list[str]()} for name in SECURITY_SCHEMES),
    NO_KEY,
]

KEY_SCOPE = {
    "type": "string",
    "description": "read:<glob>, append:<glob>, write:<glob> or admin",
    "examples": ["read:*", "append:aw-watcher-wakatime_*", "admin"],
}
SCHEMAS: dict[str, Any] = {
    "ApiKey": {
        "type": "object",
        "required": ["id", "name", "scopes", "prefix", "created", "enabled"],
        "properties": {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "scopes": {"type": "array", "items": KEY_SCOPE},
            "preset": {"type": ["string", "null"]},
            "prefix": {"type": "string", "description": "the secret's first 8 characters"},
            "created": {"type": "string", "format": "date-time"},
            "expires": {"type": ["string", "null"], "format": "date-time"},
            "enabled": {"type": "boolean"},
            "last_used": {"type": ["string", "null"], "format": "date-time"},
            "rate_limit": {"type": ["integer", "null"], "description": "requests per minute"},
            "plan": {
                "type": ["string", "null"],
                "description": "requests per hour: free 100, standard 1000, pro 5000, enterprise any",
            },
        },
    },
    "NewApiKey": {
        "type": "object",
        "required": ["name"],
        "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": 200},
            "scopes": {"type": "array", "items": KEY_SCOPE},
            "preset": {
                "type": "string",
                "enum": ["dashboard", "watcher", "wakatime", "device", "full"],
            },
            "expires": {"type": "string", "format": "date-time"},
            "rate_limit": {"type": "integer", "minimum": 1},
            "plan": {"type": "string", "enum": ["free", "standard", "pro", "enterprise"]},
        },
        "description": "scopes, a preset, or both",
    },
    "CreatedApiKey": {
        "allOf": [{"$ref": "#/components/schemas/ApiKey"}],
        "required": ["secret"],
        "properties": {"secret": {"type": "string", "description": "shown only this once"}},
    },
}


def key_paths() -> dict[str, Any]:
    """The ``/api/0/keys`` operations (admin keys only)."""
    from aw_server.openapi import errors, json_body, ok, ref  # that module builds on this one

    key_id = {"name": "key_id", "in": "path", "required": True, "schema": {"type": "integer"}}
    return {
        "/api/0/keys": {
            "get": {
                "tags": ["keys"],
                "summary": "All API keys (never their secrets)",
                "responses": ok({"type": "array", "items": ref("ApiKey")}),
            },
            "post": {
                "tags": ["keys"],
                "summary": "Create a key; the answer holds its secret, shown only this once",
                "requestBody": {**json_body(ref("NewApiKey")), "required": True},
                "responses": {
                    "201": json_body(ref("CreatedApiKey"), "Created"),
                    **errors(400, 413, 415, 503, 507),
                },
            },
        },
        "/api/0/keys/{key_id}": {
            "parameters": [key_id],
            "patch": {
                "tags": ["keys"],
                "summary": "Enable or disable (revoke) a key",
                "requestBody": {
                    **json_body(
                        {
                            "type": "object",
                            "required": ["enabled"],
                            "properties": {"enabled": {"type": "boolean"}},
                            "additionalProperties": False,
                        }
                    ),
                    "required": True,
                },
                "responses": {**ok(ref("ApiKey")), **errors(400, 404, 415, 503, 507)},
            },
            "delete": {
                "tags": ["keys"],
                "summary": "Delete a key",
                "responses": {**ok({"type": "object"}), **errors(404, 503, 507)},
            },
        },
    }
