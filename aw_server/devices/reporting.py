"""A device report, from its key and body to events, device state and the live status.

The device must be known, active and bound to the presenting key; an unknown one (when
auto-registration is on) or one re-bound to a new key is registered ``pending`` and answered
202, as Waken-Wa's reporters expect. The key must also be one that may append to the device's
buckets, before anything about the device changes: a read-only key registers or re-binds
nothing. A report is one transaction: the heartbeats of the device's window, media and state
buckets, its stored images and its row (read again inside the transaction, so an admin's edit
since the admission is kept, and a revocation answers 403); only then does the live status
change and the feed's listeners hear of it.
"""

from __future__ import annotations

import hashlib
import threading
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from aw_core.models import Bucket, Event
from aw_core.timeutil import from_us
from aw_server.auth.access import can
from aw_server.auth.keys import ApiKey
from aw_server.auth.scopes import APPEND
from aw_server.devices import images as image_files
from aw_server.devices.config import DevicesConfig
from aw_server.devices.live import LiveState, Status, activity_id
from aw_server.devices.media import bucket_data, media_of
from aw_server.devices.model import ACTIVE, PENDING, REVOKED, Device, new_device_id
from aw_server.devices.registry import DeviceStore, DuplicateKey
from aw_server.devices.report import (
    DEFAULT_DEVICE_NAME,
    Images,
    Report,
    attach_image_urls,
    merge_metadata,
)
from aw_server.errors import BadRequest, Forbidden
from aw_server.service import Service, Writes

WINDOW, MEDIA, STATE = "waken-window_", "waken-media_", "waken-device_"
LAST_SEEN_EVERY_US = 30_000_000
RECENT_IMAGES = 64  # decoded images remembered by the SHA-256 of their data URL


def bucket_ids(device_id: str) -> tuple[str, str, str]:
    return WINDOW + device_id, MEDIA + device_id, STATE + device_id


_OCCURRENCES = {PENDING: "device.pending", ACTIVE: "device.approved", REVOKED: "device.revoked"}


def announce(writes: Writes, before: Device | None, after: Device) -> None:
    """Note (for webhooks) a device that became pending, active (approved) or revoked."""
    if before is None or before.status != after.status:
        writes.occurred(_OCCURRENCES[after.status], lambda: after.to_wire(with_key=False))


class Pending(Exception):
    """The device waits for an admin's approval (the API answers 202)."""

    def __init__(self, device: Device) -> None:
        super().__init__(device.id)
        self.device = device


@dataclass
class Reporting:
    """The package's state: in ``app.extensions["aw_devices"]``."""

    config: DevicesConfig
    service: Service
    registry: DeviceStore
    images: image_files.ImageStore
    live: LiveState
    notify: Any  # Callable[[], None]: wakes the feed's streams

    def __post_init__(self) -> None:
        self._locks: defaultdict[str, threading.Lock] = defaultdict(threading.Lock)
        self._recent_images: dict[str, image_files.StoredImage] = {}
        self._images_lock = threading.Lock()

    # -- approval ----------------------------------------------------------------------------

    def admitted(self, key: ApiKey, hash_key: str, display_name: str | None) -> Device:
        """The active device of this key; Pending (after registering or re-binding it), or
        Forbidden when it may not report."""
        device = self.registry.by_key(hash_key)
        if device is None:
            return self._register(key, hash_key, display_name)
        if device.status == REVOKED:
            raise Forbidden("this device has been revoked")
        # before the binding may change: a key that could not report for the device must not
        # re-bind it (and so knock it back to pending)
        _check_may_report(device.id)
        if device.api_key_id != key.id:
            if device.api_key_id is not None and not self.config.rebind_on_token_change:
                raise Forbidden("this device is bound to another API key")
            rebound = replace(device, api_key_id=key.id, status=PENDING)

            def rebind(writes: Writes) -> None:
                self.registry.save(rebound)
                announce(writes, device, rebound)

            self.service.transaction(rebind)
            self.notify()
            raise Pending(rebound)
        if device.status != ACTIVE:
            raise Pending(device)
        return device

    def _register(self, key: ApiKey, hash_key: str, display_name: str | None) -> Device:
        """Register an unknown device, pending and bound to the key (Pending), or Forbidden."""
        if not self.config.auto_register:
            raise Forbidden("this device is not registered; add it on the Devices page")
        made = Device(
            id=new_device_id(),
            display_name=display_name or DEFAULT_DEVICE_NAME,
            hash_key=hash_key,
            status=PENDING,
            created_us=_now_us(),
            api_key_id=key.id,
        )
        # a key that could not report for the device must not create it
        if not all(can(APPEND, bucket) for bucket in bucket_ids(made.id)):
            raise Forbidden(
                "this API key may not register devices (needs append:waken-*, as the preset"
                " 'device' gives)"
            )

        def add(writes: Writes) -> None:
            self.registry.add(made)
            announce(writes, None, made)

        try:
            self.service.transaction(add)
        except DuplicateKey:
            # the device's other request registered it a moment ago (or, once in four billion,
            # the id was taken): judge the device as it is now
            return self.admitted(key, hash_key, display_name)
        self.notify()
        raise Pending(made)

    # -- reports -----------------------------------------------------------------------------

    def report(self, key: ApiKey, report: Report) -> tuple[Device, Status]:
        while True:
            done = self._report_once(key, report)
            if done is not None:
                self.notify()
                return done

    def _report_once(self, key: ApiKey, report: Report) -> tuple[Device, Status] | None:
        """Admit the device and write the report; None when the device changed meanwhile
        (revoked, re-bound, deleted), so that the next admission answers for it."""
        device = self.admitted(key, report.hash_key, report.device_name)
        stored, urls = self._decode_images(report.images)
        metadata = attach_image_urls(report.metadata, **urls)
        with self._locks[device.id]:  # reports of one device, one at a time
            now = _now_us()
            status = self._next_status(device.id, report, metadata, now)
            try:
                device = self.service.transaction(
                    lambda writes: self._write(writes, key, report, status, stored, now)
                )
            except _Readmit:
                return None
            self.live.set(status)
        return device, status

    def _next_status(
        self, device_id: str, report: Report, metadata: dict[str, Any], now: int
    ) -> Status:
        """The device's status after this report: the current one continued (metadata merged)
        when the same process reports while it is current, else a fresh one."""
        stale = self.config.process_stale_seconds * 1_000_000
        before = self.live.continues(device_id, report.process_name, now, stale)
        return Status(
            id=before.id if before else activity_id(now),
            device_id=device_id,
            process_name=before.process_name if before else report.process_name,
            process_title=report.process_title,
            started_us=before.started_us if before else now,
            updated_us=now,
            push_mode=report.push_mode,
            metadata=merge_metadata(before.metadata, metadata) if before else metadata,
        )

    def _decode_images(
        self, pictures: Images
    ) -> tuple[list[image_files.StoredImage], dict[str, str | None]]:
        """Decode and check the report's images (before the transaction: it is CPU work); the
        images to store and the URLs they will be served at. A reporter sends the same cover on
        every report: a data URL seen lately is not decoded again."""
        stored: list[image_files.StoredImage] = []
        urls: dict[str, str | None] = {"cover_url": None, "icon_url": None}
        for name, data_url, wanted in (
            ("cover_url", pictures.cover, self.config.store_covers),
            ("icon_url", pictures.icon, self.config.store_icons),
        ):
            if not data_url or not wanted:
                continue
            seen = hashlib.sha256(data_url.encode()).hexdigest()
            with self._images_lock:
                image = self._recent_images.get(seen)
            if image is None:
                try:
                    image = image_files.decode_image(data_url)
                except image_files.ImageError as exc:
                    raise BadRequest(str(exc)) from None
                with self._images_lock:
                    self._recent_images[seen] = image
                    while len(self._recent_images) > RECENT_IMAGES:
                        self._recent_images.pop(next(iter(self._recent_images)))
            stored.append(image)
            urls[name] = image_files.cover_url(image.hash)
        return stored, urls

    def _write(
        self,
        writes: Writes,
        key: ApiKey,
        report: Report,
        status: Status,
        stored: list[image_files.StoredImage],
        now: int,
    ) -> Device:
        # The row as it is now, not as admission read it: an admin may have revoked, re-bound
        # or edited the device since, and writing the old row back would undo that.
        device = self.registry.get(status.device_id)
        if device is None or device.status != ACTIVE or device.api_key_id != key.id:
            raise _Readmit
        pulsetime = float(self.config.process_stale_seconds)
        window, media_bucket, state_bucket = bucket_ids(device.id)
        # a report without a name (the parser's default) keeps the name an admin gave
        name = (
            device.display_name if report.device_name == DEFAULT_DEVICE_NAME else report.device_name
        )
        for bucket_id, kind in (
            (window, "currentwindow"),
            (media_bucket, "currently-playing"),
            (state_bucket, "device.state"),
        ):
            writes.ensure_bucket(_bucket(bucket_id, kind, name))
        at = from_us(now)
        data = {"app": status.process_name, "title": status.process_title or ""}
        writes.heartbeat(window, Event(timestamp=at, duration=0, data=data), pulsetime)
        playing = media_of(status.metadata)
        if playing is not None:
            writes.heartbeat(
                media_bucket, Event(timestamp=at, duration=0, data=bucket_data(playing)), pulsetime
            )
        charging = report.charging if report.charging is not None else device.charging
        battery = report.battery if report.battery is not None else device.battery
        if battery is not None or charging is not None:
            state = {"battery": battery, "charging": charging}
            writes.heartbeat(state_bucket, Event(timestamp=at, duration=0, data=state), pulsetime)
        for image in stored:
            self.images.put(device.id, image, keep=self.config.max_images_per_device)
        updated = replace(
            device,
            display_name=name,
            battery=battery,
            charging=charging,
            device_type=report.device_type or device.device_type,
            push_mode=report.push_mode,
            last_seen_us=(
                now
                if device.last_seen_us is None or now - device.last_seen_us >= LAST_SEEN_EVERY_US
                else device.last_seen_us
            ),
        )
        if updated.display_name != device.display_name:
            for bucket_id in bucket_ids(device.id):
                writes.update_bucket(bucket_id, {"hostname": updated.display_name})
        if updated != device:
            self.registry.save(updated)
        return updated


class _Readmit(Exception):
    """The device changed between its admission and the report's write: admit it again."""


def _check_may_report(device_id: str) -> None:
    """Forbidden unless the request's key may append to the device's buckets."""
    for bucket in bucket_ids(device_id):
        if not can(APPEND, bucket):
            raise Forbidden(f"this API key may not report for this device (needs append:{bucket})")


def _bucket(bucket_id: str, kind: str, hostname: str) -> Bucket:
    return Bucket(
        id=bucket_id,
        type=kind,
        client="waken",
        hostname=hostname,
        created=datetime.now(UTC),
    )


def _now_us() -> int:
    return int(datetime.now(UTC).timestamp() * 1_000_000)
