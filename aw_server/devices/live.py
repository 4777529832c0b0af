"""What each device is doing now: its current status, kept in memory.

A status is one process of one device: its title, when it began and was last reported, its
push mode and its merged metadata (media position and the like live only here). Reports of the
same process while its status is current merge into it (Waken-Wa's rule: top-level metadata
shallow, ``media`` one level); a new process, or one reporting again after its status went
stale, starts afresh. ``realtime`` statuses are current until ``process_stale_seconds`` after
their last report; ``active`` ones until the device reports again. At startup the statuses are
rebuilt from the newest events of the devices' buckets and their rows (see restore).
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field
from typing import Any

from aw_server.devices.model import Device

REALTIME, ACTIVE_MODE = "realtime", "active"
_counter = itertools.count(1)


@dataclass(frozen=True)
class Status:
    id: str
    device_id: str
    process_name: str
    process_title: str | None
    started_us: int
    updated_us: int
    push_mode: str
    metadata: dict[str, Any] = field(default_factory=dict)

    def current(self, now_us: int, stale_us: int) -> bool:
        return self.push_mode == ACTIVE_MODE or now_us <= self.updated_us + stale_us

    def same_process(self, process_name: str) -> bool:
        return self.process_name.casefold() == process_name.casefold()


def activity_id(now_us: int) -> str:
    """Waken-Wa's form of an activity id: ``activity_<ms>_<n>``."""
    return f"activity_{now_us // 1000}_{next(_counter)}"


class LiveState:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._statuses: dict[str, Status] = {}

    def current(self, device_id: str) -> Status | None:
        return self._statuses.get(device_id)

    def all(self) -> list[Status]:
        with self._lock:
            return list(self._statuses.values())

    def set(self, status: Status) -> None:
        with self._lock:
            self._statuses[status.device_id] = status

    def forget(self, device_id: str) -> None:
        with self._lock:
            self._statuses.pop(device_id, None)

    def continues(
        self, device_id: str, process_name: str, now_us: int, stale_us: int
    ) -> Status | None:
        """The device's status if this process reporting now continues it (same process,
        still current); None when a new status begins."""
        status = self._statuses.get(device_id)
        if status is None or not status.same_process(process_name):
            return None
        return status if status.current(now_us, stale_us) else None


def restored(
    device: Device,
    window: tuple[int, int, dict[str, Any]] | None,
    media: dict[str, Any] | None,
    push_mode: str,
) -> Status | None:
    """A device's status rebuilt from the newest event of its window bucket (start, end, data)
    and of its media bucket (its data, when it ends where the window event does)."""
    if window is None:
        return None
    start_us, end_us, data = window
    metadata: dict[str, Any] = {}
    if media:
        metadata["media"] = {
            key: value
            for key, value in (
                ("title", media.get("title")),
                ("singer", media.get("artist")),
                ("album", media.get("album")),
                ("status", media.get("status")),
            )
            if value is not None
        }
        if media.get("source"):
            metadata["play_source"] = media["source"]
    return Status(
        id=activity_id(end_us),
        device_id=device.id,
        process_name=str(data.get("app", "")),
        process_title=data.get("title"),
        started_us=start_us,
        updated_us=end_us,
        push_mode=push_mode,
        metadata=metadata,
    )
