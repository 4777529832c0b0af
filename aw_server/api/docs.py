"""The OpenAPI document and the API browser page, under /api."""

from __future__ import annotations

from flask import Blueprint, Response, send_from_directory

from aw_server.http import json_response
from aw_server.openapi import openapi_document
from aw_server.static_files import BUILTIN_STATIC

bp = Blueprint("docs", __name__)


@bp.get("/openapi.json")
def openapi() -> Response:
    return json_response(openapi_document())


@bp.get("/", strict_slashes=False)
def browser() -> Response:
    return send_from_directory(BUILTIN_STATIC / "apidocs", "index.html")
