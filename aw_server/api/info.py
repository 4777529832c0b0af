from __future__ import annotations

from flask import Blueprint, Response

from aw_server.http import json_response, service

bp = Blueprint("info", __name__)


@bp.get("/info")
def get_info() -> Response:
    return json_response(service().info())
