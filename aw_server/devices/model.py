"""A reporting device as the registry keeps it, and as Waken-Wa's API shows it."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from aw_core.timeutil import from_us

ACTIVE, PENDING, REVOKED = "active", "pending", "revoked"
STATUSES = (ACTIVE, PENDING, REVOKED)
DEVICE_TYPES = ("desktop", "tablet", "mobile")


def new_device_id() -> str:
    """A short, stable, server-made id: it names the device's buckets, so it never holds the
    device's key or its (changeable) display name."""
    return f"dev_{secrets.token_hex(4)}"


def _iso(us: int | None) -> str | None:
    return from_us(us).isoformat().replace("+00:00", "Z") if us is not None else None


@dataclass(frozen=True)
class Device:
    id: str
    display_name: str
    hash_key: str
    status: str
    created_us: int
    api_key_id: int | None = None
    device_type: str | None = None
    pin_to_top: bool = False
    last_seen_us: int | None = None
    battery: int | None = None
    charging: bool | None = None
    push_mode: str = "realtime"  # of its last report: an ``active`` status outlives a restart

    def to_wire(self, *, with_key: bool = True) -> dict[str, Any]:
        """Waken-Wa's camelCase shape (the key only for admins, who manage it)."""
        wire: dict[str, Any] = {
            "id": self.id,
            "displayName": self.display_name,
            "status": self.status,
            "apiTokenId": self.api_key_id,
            "deviceType": self.device_type,
            "pinToTop": self.pin_to_top,
            "lastSeenAt": _iso(self.last_seen_us),
            "batteryPercent": self.battery,
            "charging": self.charging,
            "pushMode": self.push_mode,
            "createdAt": _iso(self.created_us),
        }
        if with_key:
            wire["generatedHashKey"] = self.hash_key
        return wire
