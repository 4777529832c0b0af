from __future__ import annotations

from flask import Blueprint, Response, request

from aw_core.query import gc_paused
from aw_server.http import dumps, read_json, service

bp = Blueprint("query", __name__)


@bp.post("/query/", strict_slashes=False)
def query() -> Response:
    body, name = read_json(), request.args.get("name")
    with gc_paused():  # the results are freed before the collector resumes (see gc_paused)
        payload = dumps(service().query(body, name))
    return Response(payload, mimetype="application/json")
