from __future__ import annotations

from flask import Blueprint, Response, request

from aw_server.http import json_response, read_json, service

bp = Blueprint("query", __name__)


@bp.post("/query/", strict_slashes=False)
def query() -> Response:
    return json_response(service().query(read_json(), request.args.get("name")))
