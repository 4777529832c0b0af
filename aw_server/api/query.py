from __future__ import annotations

from flask import Blueprint, Response

from aw_server.errors import NotImplementedYet

bp = Blueprint("query", __name__)


@bp.post("/query/", strict_slashes=False)
def query() -> Response:
    raise NotImplementedYet("the query2 language is not implemented yet")
