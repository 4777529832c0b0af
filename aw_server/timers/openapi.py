"""The OpenAPI entries of the timers API, made from its one declaration (aw_server/timers/api.py
ROUTES) under both prefixes; its errors have ClockEye's body."""

from __future__ import annotations

import re
from typing import Any

from aw_server.timers.parsing import MAX_DESCRIPTION, MAX_ID, MAX_NAME, MAX_PAGE, MAX_PER_PAGE

ERROR: dict[str, Any] = {
    "type": "object",
    "required": ["error", "code", "details"],
    "properties": {
        "error": {"type": "string", "description": "for people"},
        "code": {"type": "string", "description": "lower_snake_case, e.g. no_timer_running"},
        "details": {"type": "object", "description": "e.g. {field} of a refused field"},
    },
}
_TIME = {"type": "string", "format": "date-time"}
_ID = {"type": ["string", "null"], "minLength": 1, "maxLength": MAX_ID}
_ANY: dict[str, Any] = {"description": "read-only: ignored"}
ENTRY: dict[str, Any] = {
    "type": "object",
    "required": [
        "id",
        "project_id",
        "task_id",
        "description",
        "start",
        "end",
        "duration",
        "running",
        "user_id",
    ],
    "properties": {
        "id": {"type": "integer", "description": "the event's id in the stopwatch bucket"},
        "project_id": {"type": ["string", "null"]},
        "task_id": {"type": ["string", "null"]},
        "description": {"type": ["string", "null"], "description": "the web UI's label"},
        "start": _TIME,
        "end": {**_TIME, "type": ["string", "null"], "description": "null while running"},
        "duration": {
            "type": "number",
            "minimum": 0,
            "description": "seconds, up to now if running",
        },
        "running": {"type": "boolean"},
        "user_id": {"type": "string", "description": "always 'me' (a single-user server)"},
    },
}
PROJECT: dict[str, Any] = {
    "type": "object",
    "required": ["id", "name", "color", "archived", "created"],
    "properties": {
        "id": {"type": "string", "description": "proj_<hex>"},
        "name": {"type": "string"},
        "color": {"type": "string", "description": "#rrggbb"},
        "archived": {"type": "boolean"},
        "created": _TIME,
    },
}
TASK: dict[str, Any] = {
    "type": "object",
    "required": ["id", "project_id", "name", "created"],
    "properties": {
        "id": {"type": "string", "description": "task_<hex>"},
        "project_id": {"type": "string"},
        "name": {"type": "string"},
        "created": _TIME,
    },
}
_LABELS = {
    "description": {"type": ["string", "null"], "maxLength": MAX_DESCRIPTION},
    "project_id": _ID,
    "task_id": {**_ID, "description": "names its project unless project_id is given too"},
}
_READ_ONLY = {
    "id": _ANY,
    "user_id": _ANY,
    "running": {"description": "read-only: ignored, but true or false must be the entry's"},
}
_TIMES = {
    "start": {**_TIME, "type": ["string", "null"], "description": "ISO 8601; no offset is UTC"},
    "end": {**_TIME, "type": ["string", "null"]},
    "duration": {"type": ["number", "null"], "minimum": 0, "description": "seconds"},
}
START = {
    "type": "object",
    "additionalProperties": False,
    "properties": {**_LABELS, "id": _ANY, "user_id": _ANY, "running": _ANY},
}
NEW_ENTRY = {
    "type": "object",
    "required": ["start"],
    "additionalProperties": False,
    "description": "a finished entry: start, and end or duration",
    "properties": {**_LABELS, **_TIMES, **_READ_ONLY},
}
CHANGE_ENTRY = {
    "type": "object",
    "additionalProperties": False,
    "description": "a running entry takes no end, and ignores duration",
    "properties": {**_LABELS, **_TIMES, **_READ_ONLY},
}
_NAME = {"type": "string", "minLength": 1, "maxLength": MAX_NAME}
_COLOR = {"type": ["string", "null"], "pattern": "^#[0-9a-fA-F]{6}$"}
NEW_PROJECT = {
    "type": "object",
    "required": ["name"],
    "additionalProperties": False,
    "properties": {
        "name": _NAME,
        "color": _COLOR,
        "archived": {"type": ["boolean", "null"]},
        "id": _ANY,
        "created": _ANY,
    },
}
CHANGE_PROJECT = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "name": {**_NAME, "type": ["string", "null"]},
        "color": _COLOR,
        "archived": {"type": ["boolean", "null"]},
        "id": _ANY,
        "created": _ANY,
    },
}
NEW_TASK = {
    "type": "object",
    "required": ["name"],
    "additionalProperties": False,
    "properties": {"name": _NAME, "id": _ANY, "project_id": _ANY, "created": _ANY},
}


def _listing(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["data", "meta"],
        "properties": {
            "data": {"type": "array", "items": item},
            "meta": {
                "type": "object",
                "required": ["page", "per_page", "total", "total_pages"],
                "properties": {
                    name: {"type": "integer", "minimum": 0}
                    for name in ("page", "per_page", "total", "total_pages")
                },
            },
        },
    }


def timer_errors(*codes: int) -> dict[str, Any]:
    """Documented error answers in ClockEye's body shape."""
    meaning = {
        400: "Invalid input (code names it: invalid_field, invalid_date, unknown_project...)",
        401: "No valid API key",
        403: "The key lacks the scope the message names",
        404: "No such entry, project or task",
        409: "Conflict (no_timer_running, entry_running, project_has_entries, project_exists...)",
        413: "Request body too large",
        415: "Body is not application/json",
        422: "Not a stopwatch bucket, or an archived project",
        429: "Too many requests: see Retry-After",
        503: "Database unavailable",
        507: "Disk full",
    }
    return {str(c): _json(ERROR, meaning[c]) for c in codes}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def _query(name: str, schema: dict[str, Any], description: str = "") -> dict[str, Any]:
    param = {"name": name, "in": "query", "required": False, "schema": schema}
    if description:
        param["description"] = description
    return param


_BUCKET = _query(
    "bucket", {"type": "string", "maxLength": 512}, "a general.stopwatch bucket (aw-stopwatch)"
)
_PAGE = [
    _query("page", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE}, "default 1"),
    _query("per_page", {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE}, "default 50"),
]
# a date, or empty (no bound: what an empty date field of a form sends)
_DATE = {"type": "string", "pattern": r"^(\d{4}-\d{2}-\d{2})?$"}
_FILTERS = [
    _query("user_id", {"type": "string"}, "'me': every entry; another id: none"),
    _query("project_id", {"type": "string"}),
    _query(
        "start_date", _DATE, "YYYY-MM-DD in [server] timezone: entries starting that day or later"
    ),
    _query("end_date", _DATE, "YYYY-MM-DD, included"),
]
_WRITE = (413, 415, 503, 507)


def _operations() -> dict[str, dict[str, Any]]:
    """Each view's parameters, body and answers, by its name."""
    entry, listing = _json(ENTRY, "The entry"), {"200": _json(_listing(ENTRY), "A page")}
    project = _json(PROJECT, "The project")
    return {
        "list_entries": {
            "parameters": [_BUCKET, *_FILTERS, *_PAGE],
            "responses": {**listing, **timer_errors(400, 422)},
        },
        "create_entry": {
            "parameters": [_BUCKET],
            "requestBody": _body(NEW_ENTRY),
            "responses": {"201": entry, **timer_errors(400, 422, *_WRITE)},
        },
        "start_timer": {
            "parameters": [_BUCKET],
            "requestBody": {**_body(START), "required": False},
            "responses": {"201": entry, **timer_errors(400, 422, *_WRITE)},
        },
        "stop_timer": {
            "parameters": [_BUCKET],
            "responses": {"200": entry, **timer_errors(400, 409, 422, 503, 507)},
        },
        "get_current": {
            "parameters": [_BUCKET],
            "responses": {
                "200": _json({"anyOf": [ENTRY, {"type": "null"}]}, "The running entry, or null"),
                **timer_errors(400, 422),
            },
        },
        "get_entry": {
            "parameters": [_BUCKET],
            "responses": {"200": entry, **timer_errors(400, 404, 422)},
        },
        "update_entry": {
            "parameters": [_BUCKET],
            "requestBody": _body(CHANGE_ENTRY),
            "responses": {"200": entry, **timer_errors(400, 404, 409, 422, *_WRITE)},
        },
        "delete_entry": {
            "parameters": [_BUCKET],
            "responses": {
                "200": _json(ENTRY, "The deleted entry"),
                **timer_errors(400, 404, 422, 503, 507),
            },
        },
        "list_projects": {
            "parameters": [
                _query(
                    "archived",
                    {"type": "string", "enum": ["true", "false", "1", "0", ""]},
                    "only archived projects, or only the others (empty: all)",
                ),
                *_PAGE,
            ],
            "responses": {"200": _json(_listing(PROJECT), "A page"), **timer_errors(400)},
        },
        "create_project": {
            "requestBody": _body(NEW_PROJECT),
            "responses": {"201": project, **timer_errors(400, 409, *_WRITE)},
        },
        "get_project": {"responses": {"200": project, **timer_errors(404)}},
        "update_project": {
            "requestBody": _body(CHANGE_PROJECT),
            "responses": {"200": project, **timer_errors(400, 404, 409, *_WRITE)},
        },
        "delete_project": {
            "parameters": [
                _query(
                    "force",
                    {"type": "string", "enum": ["1", "0", "true", "false", ""]},
                    "1: delete it although entries name it (they lose their project)",
                )
            ],
            "responses": {
                "200": _json(
                    {
                        **PROJECT,
                        "required": [*PROJECT["required"], "entries_cleared"],
                        "properties": {
                            **PROJECT["properties"],
                            "entries_cleared": {"type": "integer", "minimum": 0},
                        },
                    },
                    "The deleted project, and how many entries lost it",
                ),
                **timer_errors(400, 404, 409, 503, 507),
            },
        },
        "list_tasks": {
            "parameters": _PAGE,
            "responses": {"200": _json(_listing(TASK), "A page"), **timer_errors(400, 404)},
        },
        "create_task": {
            "requestBody": _body(NEW_TASK),
            "responses": {
                "201": _json(TASK, "The task"),
                **timer_errors(400, 404, 409, 422, *_WRITE),
            },
        },
    }


_PATH_PARAMETERS = {
    "entry_id": {
        "name": "entry_id",
        "in": "path",
        "required": True,
        "schema": {"type": "integer", "minimum": 0},
    },
    "project_id": {
        "name": "project_id",
        "in": "path",
        "required": True,
        "schema": {"type": "string"},
    },
}


def timer_paths() -> dict[str, Any]:
    from aw_server.timers.api import PREFIXES, ROUTES

    operations = _operations()
    paths: dict[str, Any] = {}
    for prefix in PREFIXES:
        for route in ROUTES:
            path = prefix + re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", route.path)
            item = paths.setdefault(path, {})
            names = re.findall(r"{(\w+)}", path)
            if names:
                item["parameters"] = [_PATH_PARAMETERS[n] for n in names]
            item[route.method.lower()] = {
                "tags": ["timers"],
                "summary": route.summary,
                **operations[route.view.__name__],
            }
    return paths


def prefixes() -> tuple[str, ...]:
    """The paths whose errors have ClockEye's body (the same aw_server/timers/api.py registers)."""
    from aw_server.timers.api import FAMILIES, PREFIXES

    return tuple(prefix + family for prefix in PREFIXES for family in FAMILIES)
