from __future__ import annotations

from flask import Blueprint, Response

from aw_server.http import json_response
from aw_server.logbuffer import log_buffer

bp = Blueprint("log", __name__)


@bp.get("/log")
def get_log() -> Response:
    return json_response(log_buffer().records())
