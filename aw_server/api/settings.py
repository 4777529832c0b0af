from __future__ import annotations

from flask import Blueprint, Response

from aw_server.errors import BadRequest
from aw_server.http import json_response, read_json, service

bp = Blueprint("settings", __name__)


@bp.get("/settings", strict_slashes=False)
def get_settings() -> Response:
    return json_response(service().get_settings())


@bp.post("/settings", strict_slashes=False)
def post_settings_without_key() -> Response:
    raise BadRequest("Missing required parameter key: POST /api/0/settings/<key>")


@bp.get("/settings/<key>")
def get_setting(key: str) -> Response:
    return json_response(service().get_setting(key))


@bp.post("/settings/<key>")
def set_setting(key: str) -> Response:
    return json_response(service().set_setting(key, read_json()))


@bp.delete("/settings/<key>")
def delete_setting(key: str) -> Response:
    service().delete_setting(key)
    return json_response({})
