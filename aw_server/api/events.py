from __future__ import annotations

from flask import Blueprint, Response, request, stream_with_context

from aw_core.timeutil import parse_seconds
from aw_server.auth.access import require
from aw_server.auth.scopes import WRITE
from aw_server.errors import BadRequest
from aw_server.http import arg_datetime, arg_limit, json_response, read_json, service
from aw_server.service import parse_event

bp = Blueprint("events", __name__)


@bp.get("/buckets/<bucket_id>/events")
def get_events(bucket_id: str) -> Response:
    limit = arg_limit()
    start, end = arg_datetime("start"), arg_datetime("end")
    chunks = service().get_events_json(bucket_id, start, end, limit)
    return Response(stream_with_context(chunks), mimetype="application/json")


@bp.post("/buckets/<bucket_id>/events")
def post_events(bucket_id: str) -> Response:
    body = read_json()
    single = not isinstance(body, list)
    if single:
        events = [parse_event(body, "event")]
    else:
        events = [parse_event(e, f"event {i}") for i, e in enumerate(body)]
    if any(e.id is not None for e in events):
        require(WRITE, bucket_id)  # an event with an id replaces that event
    inserted = service().insert_events(bucket_id, events)
    return json_response(inserted[0] if single else inserted)


@bp.get("/buckets/<bucket_id>/events/count")
def count_events(bucket_id: str) -> Response:
    start, end = arg_datetime("start"), arg_datetime("end")
    return json_response(service().count_events(bucket_id, start, end))


@bp.get("/buckets/<bucket_id>/events/<int:event_id>")
def get_event(bucket_id: str, event_id: int) -> Response:
    return json_response(service().get_event(bucket_id, event_id))


@bp.delete("/buckets/<bucket_id>/events/<int:event_id>")
def delete_event(bucket_id: str, event_id: int) -> Response:
    service().delete_event(bucket_id, event_id)
    return json_response({"success": True})


@bp.post("/buckets/<bucket_id>/heartbeat")
def heartbeat(bucket_id: str) -> Response:
    raw_pulsetime = request.args.get("pulsetime")
    if raw_pulsetime is None:
        raise BadRequest("Missing required parameter pulsetime")
    try:
        pulsetime = parse_seconds(raw_pulsetime, "pulsetime")
    except ValueError as exc:
        raise BadRequest(str(exc)) from None
    event = parse_event(read_json(), "heartbeat", allow_id=False)
    return json_response(service().heartbeat(bucket_id, event, pulsetime))
