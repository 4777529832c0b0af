from __future__ import annotations

from flask import Blueprint, Response

from aw_server.auth.access import can
from aw_server.auth.scopes import READ
from aw_server.errors import ForceRequired
from aw_server.http import arg_bool, json_response, read_json, service

bp = Blueprint("buckets", __name__)


@bp.get("/buckets/", strict_slashes=False)
def list_buckets() -> Response:
    """Every bucket this request may read."""
    buckets = service().list_buckets()
    return json_response({b: meta for b, meta in buckets.items() if can(READ, b)})


@bp.get("/buckets/<bucket_id>")
def get_bucket(bucket_id: str) -> Response:
    return json_response(service().get_bucket(bucket_id))


@bp.post("/buckets/<bucket_id>")
def create_bucket(bucket_id: str) -> Response:
    if service().create_bucket(bucket_id, read_json()):
        return json_response({})
    # 304 Not Modified carries no body; clients take it as "already exists".
    return Response(status=304)


@bp.put("/buckets/<bucket_id>")
def update_bucket(bucket_id: str) -> Response:
    return json_response(service().update_bucket(bucket_id, read_json()))


@bp.delete("/buckets/<bucket_id>")
def delete_bucket(bucket_id: str) -> Response:
    svc = service()
    svc.get_bucket(bucket_id)  # 404 before 401: say the bucket is missing, not that force is
    if not (svc.testing or arg_bool("force")):
        raise ForceRequired(
            "Deleting buckets is only permitted if the server runs in testing mode or with ?force=1"
        )
    svc.delete_bucket(bucket_id)
    return json_response({})
