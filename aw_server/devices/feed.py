"""The live feed: what each device is doing now, what happened lately, the top apps.

``activeStatuses`` holds one entry per device whose status is current (active push mode first,
pinned devices first, then the newest); ``recentActivities`` the devices' window events of the
last ``history_window_minutes``, newest first; ``recentTopApps`` the three apps with the most
time in that window. The public feed applies the display rules to every entry; a device's key
is never in either.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from aw_core.models import Event
from aw_core.timeutil import from_us
from aw_server.devices.live import ACTIVE_MODE, Status
from aw_server.devices.model import Device

MAX_RECENT = 50
TOP_APPS = 3

PublicFilter = Callable[[dict[str, Any]], dict[str, Any] | None]


def iso(us: int) -> str:
    return from_us(us).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def status_metadata(status: Status, device: Device) -> dict[str, Any]:
    """The status's merged metadata with the device's own values, as Waken-Wa shows them."""
    metadata = dict(status.metadata)
    if device.battery is not None:
        metadata["deviceBatteryPercent"] = device.battery
    if device.charging is not None:
        metadata["deviceBatteryCharging"] = device.charging
    if device.device_type is not None:
        metadata["deviceType"] = device.device_type
    metadata["pushMode"] = status.push_mode
    return metadata


def status_item(status: Status, device: Device) -> dict[str, Any]:
    """A status as the report's answer and the feed show it."""
    return {
        "id": status.id,
        "deviceId": device.id,
        "device": device.display_name,
        "processName": status.process_name,
        "processTitle": status.process_title,
        "startedAt": iso(status.started_us),
        "updatedAt": iso(status.updated_us),
        "endedAt": None,
        "pushMode": status.push_mode,
        "lastReportAt": iso(status.updated_us),
        "metadata": status_metadata(status, device),
    }


def recent_item(device: Device, bucket_id: str, event: Event, current: bool) -> dict[str, Any]:
    end_us = event.start_us + event.duration_us
    return {
        "id": f"{bucket_id}:{event.id}",
        "deviceId": device.id,
        "device": device.display_name,
        "processName": event.data.get("app"),
        "processTitle": event.data.get("title") or None,
        "startedAt": iso(event.start_us),
        "updatedAt": iso(end_us),
        "endedAt": None if current else iso(end_us),
        "metadata": {"deviceType": device.device_type} if device.device_type else {},
    }


def build_feed(
    *,
    devices: Iterable[Device],
    statuses: Iterable[Status],
    recent: Iterable[tuple[Device, str, Event]],
    now_us: int,
    stale_us: int,
    history_minutes: int,
    public: PublicFilter | None,
) -> dict[str, Any]:
    by_id = {d.id: d for d in devices}
    current = [
        (s, by_id[s.device_id])
        for s in statuses
        if s.device_id in by_id and s.current(now_us, stale_us)
    ]
    current.sort(
        key=lambda pair: (
            not pair[1].pin_to_top,
            pair[0].push_mode != ACTIVE_MODE,
            -pair[0].updated_us,
        )
    )
    now_current = {(s.device_id, s.process_name.casefold()) for s, _ in current}
    active = [status_item(s, d) for s, d in current]
    events = sorted(recent, key=lambda item: -(item[2].start_us + item[2].duration_us))
    history = [
        recent_item(
            device,
            bucket_id,
            event,
            (device.id, str(event.data.get("app", "")).casefold()) in now_current,
        )
        for device, bucket_id, event in events
    ]
    if public is not None:
        active = [shown for item in active if (shown := public(item)) is not None]
        history = [shown for item in history if (shown := public(item)) is not None]
    history = history[:MAX_RECENT]
    return {
        "activeStatuses": active,
        "recentActivities": history,
        "recentTopApps": _top_apps(history),
        "historyWindowMinutes": history_minutes,
        "processStaleSeconds": stale_us // 1_000_000,
        "generatedAt": iso(now_us),
    }


def _top_apps(history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seconds: dict[str, float] = {}
    for item in history:
        name = item.get("processName")
        if not name:
            continue
        start = datetime.fromisoformat(item["startedAt"]).timestamp()
        end = datetime.fromisoformat(item["updatedAt"]).timestamp()
        seconds[name] = seconds.get(name, 0.0) + max(end - start, 0.0)
    top = sorted(seconds.items(), key=lambda pair: (-pair[1], pair[0]))[:TOP_APPS]
    return [{"processName": name, "seconds": round(total, 3)} for name, total in top]


def now_us() -> int:
    return int(datetime.now(UTC).timestamp() * 1_000_000)
