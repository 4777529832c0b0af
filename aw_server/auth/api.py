"""``/api/0/keys``: list, create, enable/disable and delete API keys (admin only, see access)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app

from aw_server.auth.keyring import KeyRequestError, KeyRing
from aw_server.errors import BadRequest, NotFound
from aw_server.http import json_response, read_json

bp = Blueprint("keys", __name__)

_CREATE_FIELDS = {"name", "scopes", "preset", "expires", "rate_limit", "plan"}


def keyring() -> KeyRing:
    ring: KeyRing = current_app.extensions["aw_keys"]
    return ring


def _object(body: Any, what: str) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise BadRequest(f"{what} must be a JSON object")
    return body


@bp.get("/keys")
def list_keys() -> Response:
    return json_response([k.to_json_dict() for k in keyring().all()])


@bp.post("/keys")
def create_key() -> Response:
    """Create a key; the answer is the only place its secret ever appears."""
    body = _object(read_json(), "a key")
    unknown = set(body) - _CREATE_FIELDS
    if unknown:
        raise BadRequest(f"unknown field(s) {sorted(unknown)}; a key has {sorted(_CREATE_FIELDS)}")
    if "scopes" not in body and "preset" not in body:
        raise BadRequest("a key needs 'scopes' (e.g. [\"read:*\"]) or a 'preset'")
    preset = body.get("preset")
    if preset is not None and not isinstance(preset, str):
        raise BadRequest("'preset' must be a string")
    try:
        key, secret = keyring().create(
            body.get("name", ""),
            scopes=body.get("scopes"),
            preset=preset,
            expires=body.get("expires"),
            rate_limit=body.get("rate_limit"),
            plan=body.get("plan"),
        )
    except KeyRequestError as exc:
        raise BadRequest(str(exc)) from None
    return json_response({**key.to_json_dict(), "secret": secret}, status=201)


@bp.patch("/keys/<int:key_id>")
def update_key(key_id: int) -> Response:
    body = _object(read_json(), "a key update")
    if set(body) != {"enabled"} or not isinstance(body["enabled"], bool):
        raise BadRequest('a key update is {"enabled": true} or {"enabled": false}')
    key = keyring().set_enabled(key_id, body["enabled"]) if key_id < 2**63 else None
    if key is None:
        raise NotFound(f"there is no key {key_id}")
    return json_response(key.to_json_dict())


@bp.delete("/keys/<int:key_id>")
def delete_key(key_id: int) -> Response:
    if key_id >= 2**63 or not keyring().delete(key_id):
        raise NotFound(f"there is no key {key_id}")
    return json_response({})
