from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, request, stream_with_context

from aw_server.auth.access import can, require
from aw_server.auth.scopes import READ, WRITE
from aw_server.errors import BadRequest, UnsupportedMediaType
from aw_server.http import is_json_request, json_response, parse_json_bytes, service

bp = Blueprint("export", __name__)


# Characters kept in the plain filename="..." fallback: printable ASCII without the quote,
# backslash and semicolon a naive parser trips over, the percent sign some browsers decode, and
# the path separators.
_UNSAFE_FALLBACK = set('"\\;%/')


def _ascii_fallback(filename: str) -> str:
    """``café`` -> ``cafe``, ``日本`` -> ``__``: a name any client can take literally."""
    decomposed = unicodedata.normalize("NFKD", filename)
    without_accents = "".join(c for c in decomposed if not unicodedata.combining(c))
    return "".join(
        c if " " <= c <= "~" and c not in _UNSAFE_FALLBACK else "_" for c in without_accents
    )


def content_disposition(filename: str) -> str:
    """An attachment header (RFC 6266) for any name: an ASCII fallback, the exact name in
    ``filename*`` (RFC 5987). Header values must be latin-1, so the raw name never goes in."""
    return (
        f'attachment; filename="{_ascii_fallback(filename)}"; '
        f"filename*=UTF-8''{quote(filename, safe='')}"
    )


def _attachment(chunks: Iterator[bytes], filename: str) -> Response:
    return Response(
        stream_with_context(chunks),
        mimetype="application/json",
        headers={"Content-Disposition": content_disposition(filename)},
    )


@bp.get("/export")
def export_all() -> Response:
    return _attachment(service().export(reader=lambda b: can(READ, b)), "aw-buckets-export.json")


@bp.get("/buckets/<bucket_id>/export")
def export_bucket(bucket_id: str) -> Response:
    return _attachment(service().export(bucket_id), f"aw-bucket-export_{bucket_id}.json")


@bp.post("/import")
def import_buckets() -> Response:
    """Import a JSON body, or every file of a multipart upload (any field name) at once."""
    if request.mimetype == "multipart/form-data":
        uploads = list(request.files.values())
        if not uploads:
            raise BadRequest("the multipart upload holds no file")
        payloads = [parse_json_bytes(f.read(), f"uploaded file {f.name!r}") for f in uploads]
    elif is_json_request():
        payloads = [parse_json_bytes(request.get_data(cache=False))]
    else:
        raise UnsupportedMediaType(
            "send the export as application/json or as a multipart file upload"
        )
    if len(payloads) == 1:
        return json_response(service().import_buckets(payloads[0], _may_write))
    merged: dict[str, Any] = {}
    for payload in payloads:
        if not isinstance(payload, dict) or not isinstance(payload.get("buckets"), dict):
            raise BadRequest('each uploaded file must be a JSON object with a "buckets" object')
        merged.update(payload["buckets"])
    return json_response(service().import_buckets({"buckets": merged}, _may_write))


def _may_write(bucket_id: str) -> None:
    require(WRITE, bucket_id)
