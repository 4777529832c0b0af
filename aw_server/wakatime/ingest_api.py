"""Receiving heartbeats on every path the WakaTime clients post to, in one handler.

Every answer that accepted the body is WakaTime's bulk shape, in input order, even on the
single-heartbeat paths: the legacy Python CLI re-sends all heartbeats of an answer without
``responses``. Duplicates (an offline queue replaying) are answered like the first copy and
stored once.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

from flask import Response, current_app, request

from aw_server.auth.access import require
from aw_server.auth.scopes import APPEND
from aw_server.errors import BadRequest, PayloadTooLarge
from aw_server.http import json_response, service
from aw_server.service import Writes
from aw_server.wakatime import ingest
from aw_server.wakatime.config import WakatimeConfig
from aw_server.wakatime.model import PLACEHOLDERS, Heartbeat
from aw_server.wakatime.store import HeartbeatStore
from aw_server.wakatime.view import bucket_id, refresh

DAY_US = 86_400_000_000


def heartbeat_store() -> HeartbeatStore:
    store: HeartbeatStore = current_app.extensions["aw_wakatime_store"]
    return store


def wakatime_config() -> WakatimeConfig:
    config: WakatimeConfig = current_app.extensions["aw_config"].wakatime
    return config


def _resolve_placeholders(store: HeartbeatStore, beats: list[Heartbeat]) -> list[Heartbeat]:
    """``<<LAST_PROJECT>>`` and friends of file heartbeats take the value of the machine's
    previous heartbeat (stored, or earlier in this batch); with none, null."""
    by_time = sorted(range(len(beats)), key=lambda i: beats[i].time_us)
    resolved = list(beats)
    for position, index in enumerate(by_time):
        beat = beats[index]
        fields = [f for f, mark in PLACEHOLDERS.items() if getattr(beat, f) == mark]
        if not fields:
            continue
        earlier = [resolved[i] for i in by_time[:position] if resolved[i].time_us < beat.time_us]
        stored = store.before(beat.machine, beat.time_us)
        candidates = [h for h in (earlier[-1] if earlier else None, stored and stored[1]) if h]
        previous = max(candidates, key=lambda h: h.time_us) if candidates else None
        resolved[index] = replace(
            beat,
            project=_pick(beat.project, "project", previous),
            language=_pick(beat.language, "language", previous),
            branch=_pick(beat.branch, "branch", previous),
        )
    return resolved


def _pick(value: str | None, field: str, previous: Heartbeat | None) -> str | None:
    """The value, or for a placeholder the previous heartbeat's value of that field."""
    if value != PLACEHOLDERS[field]:
        return value
    found: str | None = getattr(previous, field) if previous is not None else None
    return found


def receive(user: str | None = None) -> Response:
    """Store the posted heartbeats; 201 with one ``[result, status]`` pair per input item."""
    check_user(user)
    try:
        items = ingest.parse_body(request.get_data(cache=False))
    except ingest.TooManyHeartbeats as exc:
        raise PayloadTooLarge(str(exc)) from None
    except ValueError as exc:
        raise BadRequest(str(exc)) from None
    try:
        machine = ingest.machine_name(request.headers.get("X-Machine-Name"))
    except ValueError as exc:
        raise BadRequest(str(exc)) from None
    require(APPEND, bucket_id(machine))
    config = wakatime_config()
    now_us = int(time.time() * 1_000_000)
    parsed: list[Heartbeat | str] = []
    for item in items:
        try:
            parsed.append(
                ingest.parse_item(
                    item,
                    machine=machine,
                    header_user_agent=request.headers.get("User-Agent"),
                    now_us=now_us,
                    max_age_us=config.max_age_days * DAY_US,
                )
            )
        except ingest.ItemError as exc:
            parsed.append(str(exc))
    valid = [p for p in parsed if isinstance(p, Heartbeat)]
    # what the write needs is taken here: it may run in another thread (group commit), where
    # there is no app context
    store, timeout_us = heartbeat_store(), config.timeout * 1_000_000
    stored = (
        service().transaction(lambda writes: _store(writes, store, timeout_us, machine, valid))
        if valid
        else []
    )
    answers = iter(stored)
    responses: list[list[Any]] = []
    for item in parsed:
        if isinstance(item, Heartbeat):
            heartbeat_id, beat = next(answers)
            responses.append([{"data": beat.to_wire(str(heartbeat_id)), "error": None}, 201])
        else:
            responses.append([{"data": None, "error": item}, 400])
    if not valid:
        return json_response(
            {
                "message": "no valid heartbeat object given",
                "code": "bad_request",
                "responses": responses,
            },
            status=400,
        )
    return json_response({"responses": responses}, status=201)


def _store(
    writes: Writes, store: HeartbeatStore, timeout_us: int, machine: str, beats: list[Heartbeat]
) -> list[tuple[int, Heartbeat]]:
    # the digest of a heartbeat as sent: a replay is the same heartbeat even if a placeholder
    # in it would now resolve differently
    digests = [beat.digest() for beat in beats]
    beats = _resolve_placeholders(store, beats)
    results = store.add(list(zip(digests, beats, strict=True)))
    new = [beat for _, beat, fresh in results if fresh]
    for first, last in _clusters(sorted(b.time_us for b in new), timeout_us):
        refresh(store, writes, machine, first, last, timeout_us)
    # a duplicate is answered as its first copy was stored (a replay of a placeholder may
    # resolve differently now; its cursor or line count may differ)
    return [(heartbeat_id, stored) for heartbeat_id, stored, _ in results]


def _clusters(times: list[int], timeout_us: int) -> list[tuple[int, int]]:
    """Sorted times in groups whose neighbours are less than the timeout apart: an offline
    queue's batch may hold days, and only the time around each group has to be recomputed."""
    groups: list[tuple[int, int]] = []
    for moment in times:
        if groups and moment - groups[-1][1] < timeout_us:
            groups[-1] = (groups[-1][0], moment)
        else:
            groups.append((moment, moment))
    return groups


def check_user(user: str | None) -> None:
    """``<user>`` in a path must be ``current`` (or the presenting key's name)."""
    from aw_server.auth.policy import current_principal

    if user is None or user == "current":
        return
    key = current_principal().key
    if key is not None and user == key.name:
        return
    from aw_server.errors import NotFound

    raise NotFound(f"there is no user {user!r} here; use 'current'")
