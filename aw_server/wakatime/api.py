"""The WakaTime-compatible routes, declared once: registered from ROUTES, and documented from
it in the OpenAPI document (aw_server/wakatime/openapi.py).

Clients reach the same handlers on every prefix they use: ``/api/v1`` (where the Go CLI posts
with ``api_url = http://host:5600/api/v1``), wakapi's ``/api/compat/wakatime/v1`` and the bare
``/api``; the legacy Python CLI posts to its ``api_url`` verbatim, so ``POST /api/v1`` receives.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from flask import Blueprint, Flask, Response, request

from aw_server.errors import NotFound
from aw_server.http import json_response
from aw_server.wakatime import reading
from aw_server.wakatime.ingest_api import check_user, receive

logger = logging.getLogger(__name__)

PREFIXES = ("/v1", "/compat/wakatime/v1", "")
MAX_REPORT_BYTES = 64 * 1024


def post_heartbeats(user: str | None = None) -> Response:
    return receive(user)


def get_statusbar(user: str) -> Response:
    check_user(user)
    return json_response(reading.statusbar())


def get_summaries(user: str) -> Response:
    check_user(user)
    return json_response(reading.summaries())


def get_stats(user: str, range_name: str = "last_7_days") -> Response:
    check_user(user)
    return json_response(reading.stats(range_name))


def get_all_time(user: str) -> Response:
    check_user(user)
    return json_response(reading.all_time())


def get_heartbeats(user: str) -> Response:
    check_user(user)
    return json_response(reading.heartbeats_of_day())


def get_projects(user: str) -> Response:
    check_user(user)
    return json_response(reading.projects())


def get_goal(user: str, goal_id: str) -> Response:
    check_user(user)
    reading.require_read()  # a read like the others: a key that may not read gets its 403
    raise NotFound("goals are not kept by this server")


def post_plugin_error() -> Response:
    """Plugins report their own failures here; they are logged (shortened), nothing more."""
    text = request.get_data(cache=False)[:MAX_REPORT_BYTES].decode("utf-8", "replace")
    logger.info("a WakaTime plugin reported an error: %s", " ".join(text.split())[:500])
    return json_response({}, status=201)


@dataclass(frozen=True)
class Route:
    path: str  # under /api
    method: str
    view: Callable[..., Response]
    summary: str


def _routes() -> list[Route]:
    routes = [
        Route("/v1", "POST", post_heartbeats, "Heartbeats (the legacy CLI posts to its api_url)"),
        Route("/heartbeat", "POST", post_heartbeats, "Heartbeats"),
        Route("/heartbeats", "POST", post_heartbeats, "Heartbeats"),
        Route("/v1/heartbeat", "POST", post_heartbeats, "Heartbeats"),
        Route("/v1/heartbeats", "POST", post_heartbeats, "Heartbeats"),
    ]
    for prefix in PREFIXES:
        users = f"{prefix}/users/<user>"
        routes += [
            Route(f"{users}/heartbeats", "POST", post_heartbeats, "Heartbeats"),
            Route(f"{users}/heartbeats.bulk", "POST", post_heartbeats, "Heartbeats (bulk)"),
            Route(f"{users}/heartbeats", "GET", get_heartbeats, "The heartbeats of one day"),
            Route(f"{users}/statusbar/today", "GET", get_statusbar, "Today's coding time"),
            Route(f"{users}/summaries", "GET", get_summaries, "Coding time per day"),
            Route(f"{users}/stats", "GET", get_stats, "Stats of the last 7 days"),
            Route(f"{users}/stats/<range_name>", "GET", get_stats, "Stats of a range"),
            Route(f"{users}/all_time_since_today", "GET", get_all_time, "All coding time"),
            Route(f"{users}/projects", "GET", get_projects, "Projects"),
            Route(f"{users}/goals/<goal_id>", "GET", get_goal, "Goals (none are kept)"),
            Route(f"{prefix}/plugins/errors", "POST", post_plugin_error, "Plugin error reports"),
        ]
    return routes


ROUTES = _routes()


def register_wakatime_routes(app: Flask) -> None:
    bp = Blueprint("wakatime", __name__)
    for route in ROUTES:
        bp.add_url_rule(
            route.path, view_func=route.view, methods=[route.method], strict_slashes=False
        )
    app.register_blueprint(bp, url_prefix="/api")
