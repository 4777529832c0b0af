"""The OpenAPI entries of the WakaTime-compatible routes, made from their one declaration
(aw_server/wakatime/api.py ROUTES)."""

from __future__ import annotations

import re
from typing import Any

HEARTBEAT = {
    "type": "object",
    "required": ["entity", "type", "time"],
    "properties": {
        "entity": {"type": "string", "description": "file path, domain, URL or app"},
        "type": {"type": "string", "enum": ["file", "app", "domain", "url", "event"]},
        "time": {"type": ["number", "string"], "description": "epoch seconds"},
        "category": {"type": ["string", "null"]},
        "project": {"type": ["string", "null"]},
        "branch": {"type": ["string", "null"]},
        "language": {"type": ["string", "null"]},
        "dependencies": {"type": ["array", "null"], "items": {"type": "string"}},
        "is_write": {"type": ["boolean", "string", "null"]},
        "lineno": {"type": ["integer", "string", "null"]},
        "cursorpos": {"type": ["integer", "string", "null"]},
        "lines": {"type": ["integer", "string", "null"]},
        "line_additions": {"type": ["integer", "string", "null"]},
        "line_deletions": {"type": ["integer", "string", "null"]},
        "project_root_count": {"type": ["integer", "string", "null"]},
        "user_agent": {"type": ["string", "null"]},
    },
}
BULK_RESPONSE = {
    "type": "object",
    "required": ["responses"],
    "properties": {
        "responses": {
            "type": "array",
            "description": "one [result, status] per heartbeat sent, in order",
            "items": {"type": "array", "minItems": 2, "maxItems": 2},
        }
    },
}
_PARAMETERS: dict[str, dict[str, Any]] = {
    "user": {
        "name": "user",
        "in": "path",
        "required": True,
        "schema": {"type": "string"},
        "description": "'current' (or the presenting key's name)",
    },
    "range_name": {
        "name": "range_name",
        "in": "path",
        "required": True,
        "schema": {"type": "string"},
    },
    "goal_id": {"name": "goal_id", "in": "path", "required": True, "schema": {"type": "string"}},
}
_QUERY = {
    "get_summaries": [
        "range",
        "start",
        "end",
        "timezone",
        "project",
        "language",
        "editor",
        "operating_system",
        "machine",
        "category",
        "branch",
    ],
    "get_heartbeats": ["date", "timezone"],
    "get_statusbar": ["timezone"],
    "get_stats": ["timezone"],
    "get_all_time": ["timezone"],
}


def wakatime_paths() -> dict[str, Any]:
    from aw_server.openapi import errors, json_body
    from aw_server.wakatime.api import ROUTES

    paths: dict[str, Any] = {}
    for route in ROUTES:
        path = "/api" + re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", route.path)
        item = paths.setdefault(path, {})
        names = re.findall(r"{(\w+)}", path)
        if names:
            item["parameters"] = [_PARAMETERS[n] for n in names]
        name = route.view.__name__
        operation: dict[str, Any] = {"tags": ["wakatime"], "summary": route.summary}
        if name == "post_heartbeats":
            body = {"oneOf": [HEARTBEAT, {"type": "array", "items": HEARTBEAT}]}
            operation["requestBody"] = {**json_body(body), "required": True}
            operation["responses"] = {
                "201": json_body(BULK_RESPONSE, "Stored (per-heartbeat results inside)"),
                **errors(400, 404, 413, 503, 507),
            }
        elif name == "post_plugin_error":
            operation["responses"] = {"201": json_body({"type": "object"}, "Logged")}
        else:
            operation["parameters"] = [
                {"name": q, "in": "query", "required": False, "schema": {"type": "string"}}
                for q in _QUERY.get(name, [])
            ]
            operation["responses"] = {
                "200": json_body({"type": "object"}, "WakaTime's answer"),
                **errors(400, 404),
            }
        item[route.method.lower()] = operation
    return paths
