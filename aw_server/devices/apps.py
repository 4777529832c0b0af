"""The app records export: every app the devices reported, with its newest titles."""

from __future__ import annotations

from typing import Any

from aw_server.devices.feed import iso
from aw_server.devices.model import Device
from aw_server.storage.base import Storage

TITLES = 3  # the newest distinct titles kept per app
MAX_APPS = 5000


def platform(device: Device) -> str:
    """``mobile`` for phones and tablets, ``pc`` for everything else."""
    return "mobile" if device.device_type in ("mobile", "tablet") else "pc"


def apps_export(devices: list[Device], storage: Storage, exported_at: str) -> dict[str, Any]:
    """``{version: 1, exportedAt, groups: {pc: [...], mobile: [...]}}`` from the devices'
    window buckets: per app (by name), its newest three distinct titles and when it was last
    seen, newest first."""
    apps: dict[str, dict[tuple[str, str], dict[str, Any]]] = {"pc": {}, "mobile": {}}
    for device in devices:
        bucket = f"waken-window_{device.id}"
        if storage.get_bucket(bucket) is None:
            continue
        group = apps[platform(device)]
        for event in storage.get_events(bucket):  # newest first
            name = str(event.data.get("app") or "")
            if not name:
                continue
            key = (name.casefold(), name)
            entry = group.setdefault(
                key, {"appName": name, "titles": [], "lastSeenUs": event.end_us}
            )
            entry["lastSeenUs"] = max(entry["lastSeenUs"], event.end_us)
            title = event.data.get("title")
            if title and title not in entry["titles"] and len(entry["titles"]) < TITLES:
                entry["titles"].append(title)
    groups = {
        name: [
            {"appName": e["appName"], "titles": e["titles"], "lastSeenAt": iso(e["lastSeenUs"])}
            for e in sorted(entries.values(), key=lambda e: -e["lastSeenUs"])[:MAX_APPS]
        ]
        for name, entries in apps.items()
    }
    return {"version": 1, "exportedAt": exported_at, "groups": groups}
