"""ClockEye's time entries, timer, projects and tasks, under ``/api`` (its paths) and again under
``/api/0`` (beside the ActivityWatch API). Routes are declared once in ROUTES, which also makes
their OpenAPI entries (aw_server/timers/openapi.py).

Errors here have ClockEye's body ``{"error", "code", "details"}``, refusals of the access gate
(401, 403, 429) included.

Access: entries live in a stopwatch bucket (``?bucket=``, default ``aw-stopwatch``). Reading them
needs ``read`` on it; a new finished entry ``append`` (it only adds an event); starting (which
stops the running timers), stopping, changing and deleting entries ``write``. Projects and tasks
belong to no bucket: reading them needs ``read`` on ``aw-stopwatch``, changing them ``write`` on
it, and a forced deletion also ``write`` on every bucket whose entries it changes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any

from flask import Blueprint, Flask, Response, current_app, request

from aw_server.auth.access import require
from aw_server.auth.scopes import APPEND, READ, WRITE
from aw_server.config import zone_info
from aw_server.errors import register_error_shape
from aw_server.http import json_response, read_json
from aw_server.timers import parsing
from aw_server.timers.entries import TimeEntries
from aw_server.timers.model import DEFAULT_BUCKET, Entry, now_us
from aw_server.timers.projects import Projects

PREFIXES = ("/api", "/api/0")
FAMILIES = ("/time-entries", "/projects")  # the paths under each prefix with ClockEye's errors


def entries() -> TimeEntries:
    state: TimeEntries = current_app.extensions["aw_timers"]
    return state


def projects() -> Projects:
    state: Projects = current_app.extensions["aw_projects"]
    return state


def _zone() -> tzinfo:
    return zone_info(current_app.extensions["aw_config"].timezone)


def _bucket(action: str) -> str:
    """The request's stopwatch bucket, once the key may do ``action`` on it."""
    bucket_id = parsing.bucket_param(request.args)
    require(action, bucket_id)
    return bucket_id


def _entry(entry: Entry, status: int = 200) -> Response:
    return json_response(entry.to_json(now_us()), status=status)


def _optional_body() -> Any:
    """The JSON body, or an empty object when there is none (``curl -X POST .../start``)."""
    if not request.content_length and not request.headers.get("Transfer-Encoding"):
        return {}
    return read_json()


def _listing(items: list[dict[str, Any]], meta: dict[str, int]) -> Response:
    return json_response({"data": items, "meta": meta})


# -- time entries --------------------------------------------------------------------------------


def list_entries() -> Response:
    bucket_id = _bucket(READ)
    where = parsing.entry_filter(request.args, _zone())
    paging = parsing.paging(request.args)
    found, total = entries().page(bucket_id, where, paging)
    at_us = now_us()
    return _listing([e.to_json(at_us) for e in found], paging.meta(total))


def create_entry() -> Response:
    bucket_id = _bucket(APPEND)
    labels, span = parsing.new_entry_body(read_json())
    return _entry(entries().create(bucket_id, labels, span), 201)


def start_timer() -> Response:
    bucket_id = _bucket(WRITE)
    labels = parsing.start_body(_optional_body())
    return _entry(entries().start(bucket_id, labels), 201)


def stop_timer() -> Response:
    return _entry(entries().stop(_bucket(WRITE)))


def get_current() -> Response:
    entry = entries().current(_bucket(READ))
    return json_response(None) if entry is None else _entry(entry)


def get_entry(entry_id: int) -> Response:
    return _entry(entries().get(_bucket(READ), entry_id))


def update_entry(entry_id: int) -> Response:
    bucket_id = _bucket(WRITE)
    labels, span = parsing.change_body(read_json())
    return _entry(entries().update(bucket_id, entry_id, labels, span))


def delete_entry(entry_id: int) -> Response:
    return _entry(entries().delete(_bucket(WRITE), entry_id))


# -- projects and tasks --------------------------------------------------------------------------


def list_projects() -> Response:
    require(READ, DEFAULT_BUCKET)
    archived = parsing.archived_param(request.args)
    paging = parsing.paging(request.args)
    found, total = projects().page(archived, paging)
    return _listing([p.to_json() for p in found], paging.meta(total))


def create_project() -> Response:
    require(WRITE, DEFAULT_BUCKET)
    fields = parsing.project_body(read_json(), new=True)
    assert fields.name is not None  # a new project's name is required
    project = projects().create(fields.name, fields.color, bool(fields.archived))
    return json_response(project.to_json(), status=201)


def get_project(project_id: str) -> Response:
    require(READ, DEFAULT_BUCKET)
    return json_response(projects().get(project_id).to_json())


def update_project(project_id: str) -> Response:
    require(WRITE, DEFAULT_BUCKET)
    fields = parsing.project_body(read_json(), new=False)
    project = projects().update(project_id, fields.name, fields.color, fields.archived)
    return json_response(project.to_json())


def delete_project(project_id: str) -> Response:
    require(WRITE, DEFAULT_BUCKET)
    force = parsing.force_param(request.args)
    project, cleared = projects().delete(
        project_id, force=force, check_bucket=lambda bucket_id: require(WRITE, bucket_id)
    )
    return json_response({**project.to_json(), "entries_cleared": cleared})


def list_tasks(project_id: str) -> Response:
    require(READ, DEFAULT_BUCKET)
    paging = parsing.paging(request.args)
    found, total = projects().tasks(project_id, paging)
    return _listing([t.to_json() for t in found], paging.meta(total))


def create_task(project_id: str) -> Response:
    require(WRITE, DEFAULT_BUCKET)
    name = parsing.task_body(read_json())
    return json_response(projects().create_task(project_id, name).to_json(), status=201)


# -- routes --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    path: str  # under each prefix
    method: str
    view: Callable[..., Response]
    summary: str


ROUTES = (
    Route("/time-entries", "GET", list_entries, "Time entries, newest first, a page at a time"),
    Route("/time-entries", "POST", create_entry, "Add a finished time entry"),
    Route("/time-entries/start", "POST", start_timer, "Start a timer (stops the running ones)"),
    Route("/time-entries/stop", "POST", stop_timer, "Stop the running timer"),
    Route("/time-entries/current", "GET", get_current, "The running timer, or null"),
    Route("/time-entries/<int:entry_id>", "GET", get_entry, "One time entry"),
    Route("/time-entries/<int:entry_id>", "PATCH", update_entry, "Change a time entry"),
    Route("/time-entries/<int:entry_id>", "DELETE", delete_entry, "Delete a time entry"),
    Route("/projects", "GET", list_projects, "Projects, by name"),
    Route("/projects", "POST", create_project, "Create a project"),
    Route("/projects/<project_id>", "GET", get_project, "One project"),
    Route("/projects/<project_id>", "PATCH", update_project, "Change a project"),
    Route("/projects/<project_id>", "DELETE", delete_project, "Delete a project"),
    Route("/projects/<project_id>/tasks", "GET", list_tasks, "A project's tasks, by name"),
    Route("/projects/<project_id>/tasks", "POST", create_task, "Add a task to a project"),
)


def clockeye_body(body: dict[str, Any]) -> dict[str, Any]:
    """ClockEye's error body, from the ``{"message", "code", "details"?}`` of every error."""
    return {
        "error": body.get("message"),
        "code": body.get("code"),
        "details": body.get("details") or {},
    }


def register_timer_routes(app: Flask) -> None:
    bp = Blueprint("timers", __name__)
    for prefix in PREFIXES:
        for route in ROUTES:
            bp.add_url_rule(prefix + route.path, view_func=route.view, methods=[route.method])
        for family in FAMILIES:
            register_error_shape(prefix + family, clockeye_body)
    app.register_blueprint(bp)
