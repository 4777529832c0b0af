"""The WakaTime read APIs: status bar, summaries, stats, heartbeats of a day, projects.

Coding time is computed from the raw heartbeats with the same rule that makes the
ActivityWatch events (aw_server/wakatime/durations.py), so totals equal the events' durations.
Only machines whose bucket the request may read are counted.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import orjson
from flask import current_app, request

from aw_core.query import gc_paused
from aw_server.auth.access import can
from aw_server.auth.policy import current_principal
from aw_server.auth.scopes import ADMIN, READ
from aw_server.config import zone_info
from aw_server.errors import BadRequest, Forbidden
from aw_server.wakatime import summaries as S
from aw_server.wakatime.daycache import DayCache
from aw_server.wakatime.durations import durations
from aw_server.wakatime.store import HeartbeatStore
from aw_server.wakatime.view import BUCKET_PREFIX, bucket_id

FILTERS = ("project", "language", "editor", "operating_system", "machine", "category", "branch")


def _store() -> HeartbeatStore:
    store: HeartbeatStore = current_app.extensions["aw_wakatime_store"]
    return store


def _timeout_us() -> int:
    return int(current_app.extensions["aw_config"].wakatime.timeout) * 1_000_000


def request_zone() -> ZoneInfo:
    """``?timezone=``, else the ``Timezone`` header the CLIs send, else ``[server] timezone``,
    else the system's zone."""
    for value in (request.args.get("timezone"), request.headers.get("Timezone")):
        if value:
            try:
                return S.zone(value)
            except S.RangeError as exc:
                raise BadRequest(str(exc)) from None
    zone = zone_info(current_app.extensions["aw_config"].timezone)
    return zone if isinstance(zone, ZoneInfo) else ZoneInfo("UTC")


def require_read() -> None:
    """403 unless this request may read some WakaTime bucket, whether or not it exists yet: a
    key that can only append (the watcher preset) gets the same answer on an empty server as
    on one with data."""
    principal = current_principal()
    if principal.key is None:
        allowed = principal.everything
    else:
        allowed = any(
            scope.action == ADMIN or (scope.action == READ and _may_start_with(scope.glob))
            for scope in principal.key.scopes
        )
    if not allowed:
        raise Forbidden(f"this API key may read no WakaTime bucket (needs read:{BUCKET_PREFIX}*)")


def _may_start_with(glob: str, prefix: str = BUCKET_PREFIX) -> bool:
    """Whether a bucket glob (``*`` the only wildcard) matches some id beginning with
    ``prefix``: its text before the first ``*`` and the prefix agree as far as both go."""
    literal, star, _ = glob.partition("*")
    if not star:
        return literal.startswith(prefix)
    return literal.startswith(prefix) or prefix.startswith(literal)


def readable_machines() -> Callable[[str], bool]:
    """Which machines' heartbeats this request may read (see require_read for the 403)."""
    require_read()
    allowed = {m for m in _store().machines() if can(READ, bucket_id(m))}
    return allowed.__contains__


def machine_slices(machine: str, lo_us: int, hi_us: int) -> list[S.Slice]:
    """The machine's coding time that may fall in ``[lo, hi]``, one Slice per heartbeat
    that counts (made straight from the store's rows: a month is ~90k of them)."""
    store = _store()
    timeout = _timeout_us()
    rows = store.coding(machine, lo_us - timeout, hi_us)
    if not rows:
        return []
    later = store.after(machine, rows[-1][0])
    lengths = durations([r[0] for r in rows], later[1].time_us if later else None, timeout)
    decoded: dict[str, tuple[str, ...]] = {}  # a file's dependencies repeat: decode them once
    result = []
    for row, length in zip(rows, lengths, strict=True):
        if length:
            text = row[9]
            dependencies = decoded.get(text)
            if dependencies is None:
                dependencies = decoded[text] = tuple(orjson.loads(text))
            _, project, language, editor, os, machine_, category, branch, entity, _ = row
            result.append(
                S.Slice(
                    row[0],
                    length,
                    project,
                    language,
                    editor,
                    os,
                    machine_,
                    category,
                    branch,
                    entity,
                    dependencies,
                )
            )
    return result


def slices(lo_us: int, hi_us: int) -> list[S.Slice]:
    """Every readable heartbeat's coding time that may fall in ``[lo, hi]``."""
    readable = readable_machines()
    return [
        piece
        for machine in _store().machines()
        if readable(machine)
        for piece in machine_slices(machine, lo_us, hi_us)
    ]


def _day_cache() -> DayCache:
    cache: DayCache = current_app.extensions["aw_wakatime_days"]
    return cache


def _machine_days(machine: str, first: date, last: date, zone: ZoneInfo) -> list[S.DayTotals]:
    """The machine's totals of each day, from the cache where it has them."""
    cache = _day_cache()
    days: list[S.DayTotals | None] = [
        cache.get(machine, zone.key, first + timedelta(days=i))
        for i in range((last - first).days + 1)
    ]
    missing = [i for i, totals in enumerate(days) if totals is None]
    if missing:
        since = cache.mark(machine)
        lo_day, hi_day = first + timedelta(days=missing[0]), first + timedelta(days=missing[-1])
        lo = S.midnight_us(lo_day, zone)
        hi = S.midnight_us(hi_day + timedelta(days=1), zone)
        computed = S.day_totals(machine_slices(machine, lo, hi), lo_day, hi_day, zone)
        cache.put(machine, zone.key, computed, since)
        for totals in computed:
            days[(totals.day - first).days] = totals
    return [totals for totals in days if totals is not None]


def _days(first: date, last: date, zone: ZoneInfo) -> list[S.DayTotals]:
    """The readable machines' totals of each day, filtered by the request's parameters."""
    chosen = {k: v for k, v in request.args.items() if k in FILTERS and v}
    readable = readable_machines()
    machines = [m for m in _store().machines() if readable(m)]
    with gc_paused():  # ~100k short-lived objects without cycles: no collector passes over them
        if chosen:
            lo = S.midnight_us(first, zone)
            hi = S.midnight_us(last + timedelta(days=1), zone)
            found = S.filter_slices(
                [p for m in machines for p in machine_slices(m, lo, hi)], chosen
            )
            return S.day_totals(found, first, last, zone)
        per_machine = [_machine_days(m, first, last, zone) for m in machines]
    if not per_machine:
        return S.day_totals([], first, last, zone)
    return [S.add_days(same_day) for same_day in zip(*per_machine, strict=True)]


def _today(zone: ZoneInfo) -> date:
    return datetime.now(zone).date()


def _now_us() -> int:
    return int(time.time() * 1_000_000)


def _bad_range(fn: Callable[[], tuple[date, date]]) -> tuple[date, date]:
    try:
        return fn()
    except S.RangeError as exc:
        raise BadRequest(str(exc)) from None


def _first_day(zone: ZoneInfo) -> date | None:
    """The day of the first heartbeat this request may read."""
    store = _store()
    readable = readable_machines()
    times = [store.first_time(m) for m in store.machines() if readable(m)]
    first = min((t for t in times if t is not None), default=None)
    return S.local_day(first, zone) if first is not None else None


def statusbar() -> dict[str, Any]:
    zone = request_zone()
    today = _today(zone)
    (totals,) = _days(today, today, zone)
    return S.statusbar_response(totals, zone, _now_us())


def summaries() -> dict[str, Any]:
    zone = request_zone()
    today = _today(zone)
    name = request.args.get("range")
    if name:
        first, last = _bad_range(lambda: S.parse_range(name, today, first_day=_first_day(zone)))
    else:
        start, end = request.args.get("start"), request.args.get("end")
        first, last = _bad_range(lambda: S.parse_start_end(start, end, today, zone))
    return S.summaries_response(_days(first, last, zone), zone)


def stats(range_name: str) -> dict[str, Any]:
    zone = request_zone()
    today = _today(zone)
    first, last = _bad_range(lambda: S.parse_range(range_name, today, first_day=_first_day(zone)))
    return S.stats_response(
        _days(first, last, zone),
        zone,
        range_name=range_name,
        today=today,
        now_us=_now_us(),
        timeout_s=_timeout_us() // 1_000_000,
    )


def all_time() -> dict[str, Any]:
    zone = request_zone()
    today = _today(zone)
    first = _first_day(zone) or today
    return S.all_time_response(
        _days(first, today, zone), zone, timeout_s=_timeout_us() // 1_000_000
    )


def heartbeats_of_day() -> dict[str, Any]:
    zone = request_zone()
    value = request.args.get("date")
    if not value:
        raise BadRequest("missing required 'date' parameter (YYYY-MM-DD)")
    try:
        day = S.parse_day(value, _today(zone), zone)
    except S.RangeError as exc:
        raise BadRequest(str(exc)) from None
    lo, hi = S.midnight_us(day, zone), S.midnight_us(day + timedelta(days=1), zone) - 1
    readable = readable_machines()
    rows = [(i, h) for i, h in _store().between(lo, hi) if readable(h.machine)]
    rows.sort(key=lambda row: (row[1].time_us, row[0]))
    return {
        "data": [h.to_wire(str(i)) for i, h in rows],
        "start": S.utc_text(lo),
        "end": S.utc_text(hi),
        "timezone": zone.key,
    }


def projects() -> dict[str, Any]:
    """Every project with its first and last heartbeat, newest first."""
    readable = readable_machines()
    seen: dict[str, tuple[int, int]] = {}
    for project, machine, start, end in _store().projects():
        if project and readable(machine):
            first, last = seen.get(project, (start, end))
            seen[project] = (min(first, start), max(last, end))
    ordered = sorted(seen.items(), key=lambda item: -item[1][1])
    return {
        "data": [
            {
                "id": name,
                "name": name,
                "first_heartbeat_at": S.utc_text(first),
                "last_heartbeat_at": S.utc_text(last),
            }
            for name, (first, last) in ordered
        ]
    }
