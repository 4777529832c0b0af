from __future__ import annotations

from flask import Blueprint, Response, request

from aw_server.auth.access import read_filter
from aw_server.http import read_json, service

bp = Blueprint("query", __name__)


@bp.post("/query/", strict_slashes=False)
def query() -> Response:
    reader, reach = read_filter()
    payload = service().query(read_json(), request.args.get("name"), reader, reach)
    return Response(payload, mimetype="application/json")
