"""Request parsing and JSON responses: the boundary where user input is validated."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
from flask import Response, current_app, request

from aw_core.timeutil import parse_datetime
from aw_server.errors import BadRequest, UnsupportedMediaType
from aw_server.service import Service
from aw_server.wire import dumps

_JSON_MIMETYPES = ("application/json",)


def service() -> Service:
    svc: Service = current_app.extensions["aw"]
    return svc


def json_response(value: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(dumps(value), status=status, mimetype="application/json", headers=headers)


def is_json_request() -> bool:
    mimetype = request.mimetype
    return mimetype in _JSON_MIMETYPES or mimetype.endswith("+json")


def parse_json_bytes(raw: bytes, what: str = "request body") -> Any:
    if not raw.strip():
        raise BadRequest(f"the {what} is empty; expected JSON")
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"the {what} is not valid JSON: {exc}") from None


def read_json() -> Any:
    """The request body parsed as JSON; 415 unless sent as ``application/json``.

    Requiring the JSON content type also means a cross-site page cannot send this request
    without a CORS preflight, which unknown origins fail.
    """
    if not is_json_request():
        raise UnsupportedMediaType(
            f"expected Content-Type: application/json, got {request.mimetype or 'none'!r}"
        )
    return parse_json_bytes(request.get_data(cache=False))


def arg_datetime(name: str) -> datetime | None:
    value = request.args.get(name)
    if value is None or value == "":
        return None
    try:
        return parse_datetime(value)
    except ValueError as first_error:
        # An unencoded '+' in a query string arrives as a space: "...T10:00:00 02:00".
        if " " in value:
            try:
                return parse_datetime(value.replace(" ", "+"))
            except ValueError:
                pass
        raise BadRequest(f"invalid '{name}': {first_error}") from None


def arg_limit() -> int | None:
    """The ``limit`` parameter: absent or negative means no limit."""
    value = request.args.get("limit")
    if value is None or value == "":
        return None
    try:
        limit = int(value)
    except ValueError:
        raise BadRequest(f"'limit' must be an integer, got {value!r}") from None
    # negative means all, and so does anything beyond SQLite's 64-bit integers
    return None if limit < 0 or limit >= 2**63 else limit


def arg_bool(name: str) -> bool:
    return request.args.get(name, "").lower() in ("1", "true", "yes")
