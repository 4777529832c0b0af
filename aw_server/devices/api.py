"""Waken-Wa's device API: reports, their verification, the live feed and its stream, covers,
and the admin's device registry. Errors here have Waken-Wa's body ``{success: false, error}``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from dataclasses import replace
from typing import Any

from flask import Blueprint, Flask, Response, current_app, request, stream_with_context

from aw_core.timeutil import from_us
from aw_server.auth.access import can, read_filter
from aw_server.auth.keys import ApiKey
from aw_server.auth.policy import current_principal
from aw_server.auth.scopes import READ
from aw_server.devices import images as image_files
from aw_server.devices.apps import apps_export
from aw_server.devices.feed import build_feed, iso, status_item
from aw_server.devices.model import ACTIVE, PENDING, STATUSES, Device, new_device_id
from aw_server.devices.registry import DuplicateKey
from aw_server.devices.report import ReportError, parse_report, parse_verify
from aw_server.devices.reporting import WINDOW, Pending, Reporting, announce, bucket_ids
from aw_server.devices.rules import DisplayRules, public_item
from aw_server.devices.stream import Broadcaster, Busy
from aw_server.errors import (
    BadRequest,
    Forbidden,
    NotFound,
    ServiceUnavailable,
    Unauthorized,
    register_error_shape,
)
from aw_server.http import json_response, parse_json_bytes, read_json
from aw_server.service import Writes

bp = Blueprint("devices", __name__)

PUBLIC = "public"  # the view of the public live status (any other view is a key's reach)

DEFAULT_PAGE, MAX_PAGE = 20, 500
MIN_KEY, MAX_KEY = 8, 128


def reporting() -> Reporting:
    state: Reporting = current_app.extensions["aw_devices"]
    return state


def broadcaster() -> Broadcaster:
    caster: Broadcaster = current_app.extensions["aw_devices_stream"]
    return caster


def rules() -> DisplayRules:
    display: DisplayRules = current_app.extensions["aw_devices_rules"]
    return display


def ok(data: Any, status: int = 200) -> Response:
    return json_response({"success": True, "data": data}, status=status)


def _device_key() -> ApiKey:
    """Reports always need an API key, from loopback too: the key is what binds a device."""
    key = current_principal().key
    if key is None:
        raise Unauthorized("reports need an API key: send Authorization: Bearer <key>")
    return key


def _json_body() -> Any:
    # Waken-Wa's reporters send JSON; accept it whatever the Content-Type says
    return parse_json_bytes(request.get_data(cache=False))


def _pending(device: Device) -> Response:
    return json_response(
        {
            "success": False,
            "pending": True,
            "error": "this device is waiting for approval",
            "approvalUrl": f"{request.host_url.rstrip('/')}/#/devices?device={device.id}",
            # the reporter's own key, echoed to it (as Waken-Wa does); never in the feed
            "registration": {
                "displayName": device.display_name,
                "generatedHashKey": device.hash_key,
                "status": PENDING,
            },
        },
        status=202,
    )


@bp.post("/activity")
def post_report() -> Response:
    key = _device_key()
    try:
        report = parse_report(_json_body())
    except ReportError as exc:
        raise BadRequest(str(exc)) from None
    try:
        device, status = reporting().report(key, report)
    except Pending as pending:
        return _pending(pending.device)
    return ok(status_item(status, device))


@bp.post("/activity/verify")
def verify() -> Response:
    key = _device_key()
    try:
        hash_key, name = parse_verify(_json_body())
    except ReportError as exc:
        raise BadRequest(str(exc)) from None
    try:
        device = reporting().admitted(key, hash_key, name)
    except Pending as pending:
        return _pending(pending.device)
    return ok(
        {
            "tokenValid": True,
            "approved": True,
            "deviceStatus": device.status,
            "generatedHashKey": device.hash_key,
            "displayName": device.display_name,
        }
    )


def _feed_view() -> tuple[Callable[[str], bool], Hashable]:
    """Which devices the request may see, and its view: ``PUBLIC`` (the display rules apply)
    or what its key may read (streams of one view share each built feed)."""
    principal = current_principal()
    if principal.everything or (principal.key is not None and can(READ)):
        visible, reach = read_filter()
        return (lambda device_id: visible is None or visible(WINDOW + device_id)), reach
    if reporting().config.public_status:
        return (lambda device_id: True), PUBLIC
    if principal.key is not None:
        raise Forbidden("the live status needs an API key that may read the device buckets")
    raise Unauthorized("the live status needs an API key that may read the device buckets")


def _build(visible: Callable[[str], bool], view: Hashable) -> Callable[[], dict[str, Any]]:
    state = reporting()

    def build() -> dict[str, Any]:
        now = _now_us()
        devices = [d for d in state.registry.all() if d.status == ACTIVE and visible(d.id)]
        window = state.config.history_window_minutes * 60_000_000
        storage = state.service.storage
        recent = []
        for device in devices:
            bucket = WINDOW + device.id
            if storage.get_bucket(bucket) is None:
                continue
            for event in storage.get_events(bucket, from_us(now - window), from_us(now)):
                recent.append((device, bucket, event))
        display = rules()
        return build_feed(
            devices=devices,
            statuses=state.live.all(),
            recent=recent,
            now_us=now,
            stale_us=state.config.process_stale_seconds * 1_000_000,
            history_minutes=state.config.history_window_minutes,
            public=(lambda item: public_item(item, display)) if view == PUBLIC else None,
        )

    return build


@bp.get("/activity")
def get_feed() -> Response:
    visible, view = _feed_view()
    return ok(_build(visible, view)())


@bp.get("/activity/stream")
def get_stream() -> Response:
    visible, view = _feed_view()
    try:
        # a stream shows what its opener may see: a feed built for one view is never sent
        # to a stream of another
        stream = broadcaster().open(view, _build(visible, view))
    except Busy:
        raise ServiceUnavailable("too many live streams are open; try again later") from None
    return Response(
        stream_with_context(stream),
        mimetype="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@bp.get("/media/covers/<digest>")
def get_cover(digest: str) -> Response:
    found = image_files.cover_response(reporting().images, digest)
    if found is None:
        raise NotFound("there is no such picture")
    data, mime, headers = found
    return Response(data, mimetype=mime, headers=headers)


# -- the registry (admin) ------------------------------------------------------------------------


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    value = request.args.get(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise BadRequest(f"'{name}' must be a whole number") from None
    if not low <= number <= high:
        raise BadRequest(f"'{name}' must be {low} to {high}")
    return number


@bp.get("/admin/devices")
def list_devices() -> Response:
    status = request.args.get("status") or None
    if status is not None and status not in STATUSES:
        raise BadRequest(f"'status' must be one of {', '.join(STATUSES)}")
    limit = _int_arg("limit", DEFAULT_PAGE, 1, MAX_PAGE)
    offset = _int_arg("offset", 0, 0, 2**31)
    items, total = reporting().registry.search(
        status=status, text=request.args.get("q") or None, limit=limit, offset=offset
    )
    return ok(
        {"items": [d.to_wire() for d in items], "total": total, "limit": limit, "offset": offset}
    )


def _text(body: dict[str, Any], name: str, low: int, high: int) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not low <= len(value.strip()) <= high:
        raise BadRequest(f"'{name}' must be a string of {low} to {high} characters")
    if any(ord(c) < 32 for c in value):
        raise BadRequest(f"'{name}' must not contain control characters")
    return value.strip()


def _key_id(body: dict[str, Any]) -> int | None:
    value = body.get("apiTokenId")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadRequest("'apiTokenId' must be a key id (an integer) or null")
    if all(k.id != value for k in current_app.extensions["aw_keys"].all()):
        raise BadRequest(f"there is no API key {value}")
    return value


@bp.post("/admin/devices")
def create_device() -> Response:
    body = read_json()
    if not isinstance(body, dict):
        raise BadRequest("a device must be a JSON object")
    name = _text(body, "displayName", 1, 128)
    if name is None:
        raise BadRequest("'displayName' is required")
    hash_key = (
        _text(body, "generatedHashKey", MIN_KEY, MAX_KEY) or new_device_id() + new_device_id()
    )
    key_id = _key_id(body)
    device = Device(
        id=new_device_id(),
        display_name=name,
        hash_key=hash_key,
        status=ACTIVE if key_id is not None else PENDING,
        created_us=_now_us(),
        api_key_id=key_id,
    )

    def add(writes: Writes) -> Device:
        added = reporting().registry.add(device)
        announce(writes, None, added)
        return added

    _save(add)
    return ok(device.to_wire(), status=201)


def _save(write: Callable[[Writes], Device]) -> Device:
    state = reporting()
    try:
        device: Device = state.service.transaction(write)
    except DuplicateKey:
        raise BadRequest("another device already has this generatedHashKey") from None
    state.notify()
    return device


def _changes(body: dict[str, Any]) -> dict[str, Any]:
    """The Device fields a PATCH body changes, checked."""
    unknown = set(body) - {"id", "displayName", "status", "apiTokenId", "pinToTop"}
    if unknown:
        raise BadRequest(f"unknown field(s) {sorted(unknown)}")
    changes: dict[str, Any] = {}
    name = _text(body, "displayName", 1, 128)
    if name is not None:
        changes["display_name"] = name
    if "status" in body:
        if body["status"] not in STATUSES:
            raise BadRequest(f"'status' must be one of {', '.join(STATUSES)}")
        changes["status"] = body["status"]
    if "apiTokenId" in body:
        changes["api_key_id"] = _key_id(body)
    if "pinToTop" in body:
        if not isinstance(body["pinToTop"], bool):
            raise BadRequest("'pinToTop' must be true or false")
        changes["pin_to_top"] = body["pinToTop"]
    return changes


def _update(device_id: str, body: Any) -> Response:
    if not isinstance(body, dict):
        raise BadRequest("a device update must be a JSON object")
    changes = _changes(body)
    state = reporting()

    def write(writes: Writes) -> Device:
        # the row as it is now: a report may have changed it since the request began
        device = state.registry.get(device_id)
        if device is None:
            raise NotFound(f"there is no device {device_id!r}")
        updated = replace(device, **changes)
        if updated.status == ACTIVE and updated.api_key_id is None:
            raise BadRequest("a device with no API key bound cannot be active")
        state.registry.save(updated)
        announce(writes, device, updated)
        if updated.display_name != device.display_name:
            for bucket_id in bucket_ids(device.id):
                if state.service.storage.get_bucket(bucket_id) is not None:
                    writes.update_bucket(bucket_id, {"hostname": updated.display_name})
        return updated

    saved: Device = state.service.transaction(write)
    if saved.status != ACTIVE:
        state.live.forget(saved.id)
    state.notify()
    return ok(saved.to_wire())


@bp.patch("/admin/devices/<device_id>")
def update_device(device_id: str) -> Response:
    return _update(device_id, read_json())


@bp.patch("/admin/devices")
def update_device_in_body() -> Response:
    body = read_json()
    device_id = body.get("id") if isinstance(body, dict) else None
    if not isinstance(device_id, str):
        raise BadRequest("'id' (the device's id) is required")
    return _update(device_id, body)


def _delete(device_id: str | None) -> Response:
    if not device_id:
        raise BadRequest("'id' (the device's id) is required")
    state = reporting()

    def write(writes: Any) -> bool:
        state.images.forget_device(device_id)
        return state.registry.delete(device_id)

    if not state.service.transaction(write):
        raise NotFound(f"there is no device {device_id!r}")
    state.live.forget(device_id)
    state.notify()
    return ok({"id": device_id})


@bp.delete("/admin/devices/<device_id>")
def delete_device(device_id: str) -> Response:
    return _delete(device_id)


@bp.delete("/admin/devices")
def delete_device_by_query() -> Response:
    return _delete(request.args.get("id"))


@bp.get("/admin/activity/apps-export")
def get_apps_export() -> Response:
    state = reporting()
    return ok(apps_export(state.registry.all(), state.service.storage, iso(_now_us())))


def _now_us() -> int:
    return time.time_ns() // 1000


def _waken_body(body: dict[str, Any]) -> dict[str, Any]:
    return {"success": False, "error": body.get("message"), "code": body.get("code")}


def register_device_routes(app: Flask) -> None:
    app.register_blueprint(bp, url_prefix="/api")
    for prefix in ("/api/activity", "/api/admin", "/api/media"):
        register_error_shape(prefix, _waken_body)
