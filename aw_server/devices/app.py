"""Wiring the devices package into the app: registry, images, live state, feed stream, routes."""

from __future__ import annotations

from flask import Flask

from aw_server.changes import Change
from aw_server.devices.api import register_device_routes
from aw_server.devices.config import DevicesConfig
from aw_server.devices.images import open_image_store
from aw_server.devices.live import LiveState, restored
from aw_server.devices.model import ACTIVE
from aw_server.devices.registry import DeviceStore, open_device_store
from aw_server.devices.reporting import MEDIA, WINDOW, Reporting
from aw_server.devices.rules import rules_from_config
from aw_server.devices.stream import Broadcaster
from aw_server.service import Service
from aw_server.storage.base import Storage


def public_endpoints(config: DevicesConfig) -> frozenset[str]:
    """Endpoints that need no key: covers (pages show them in <img>, which sends no key), and
    the live status when the admin made it public."""
    endpoints = {"devices.get_cover"}
    if config.public_status:
        endpoints |= {"devices.get_feed", "devices.get_stream"}
    return frozenset(endpoints)


def restore(live: LiveState, registry: DeviceStore, storage: Storage) -> None:
    """Rebuild each active device's status from the newest events of its buckets."""
    for device in registry.all():
        if device.status != ACTIVE or storage.get_bucket(WINDOW + device.id) is None:
            continue
        window = storage.last_event(WINDOW + device.id)
        if window is None:
            continue
        media = None
        if storage.get_bucket(MEDIA + device.id) is not None:
            playing = storage.last_event(MEDIA + device.id)
            if playing is not None and playing.end_us >= window.end_us:
                media = playing.data
        status = restored(
            device, (window.start_us, window.end_us, window.data), media, device.push_mode
        )
        if status is not None:
            live.set(status)


def _touches_devices(changes: list[Change]) -> bool:
    return any(
        c.bucket_id is None or c.bucket_id.startswith(("waken-window_", "waken-media_"))
        for c in changes
    )


def register_devices(app: Flask, config: DevicesConfig, service: Service) -> None:
    display = rules_from_config(config.display)
    registry = open_device_store(service.storage)
    live = LiveState()
    restore(live, registry, service.storage)
    caster = Broadcaster()
    app.extensions["aw_devices_rules"] = display
    app.extensions["aw_devices_stream"] = caster
    app.extensions["aw_devices"] = Reporting(
        config=config,
        service=service,
        registry=registry,
        images=open_image_store(service.storage),
        live=live,
        notify=caster.notify,
    )
    # writes to the device buckets from elsewhere (an import, a deletion) change the feed too
    service.changes.subscribe(
        lambda changes: caster.notify() if _touches_devices(changes) else None
    )
    register_device_routes(app)
