"""Wiring the webhooks package into the app: store, outbox hooks on the service, sender, routes.

The sender is made here but started by whoever serves the app (the CLI, tests' servers), so
an app built only to be inspected or called in process starts no threads.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask

from aw_server.service import Service
from aw_server.webhooks.api import Webhooks, register_webhook_routes
from aw_server.webhooks.config import WebhooksConfig
from aw_server.webhooks.outbox import Outbox
from aw_server.webhooks.sender import Sender
from aw_server.webhooks.store import WebhookStore, open_webhook_store

SENDER = "aw_webhooks_sender"


def hook_outbox(service: Service, store: WebhookStore, wake: Callable[[], None]) -> Outbox:
    """Have the service's writes fill the webhooks' outbox (in their transactions); ``wake``
    tells a sender there is something to send. Programs that embed the service without serving
    (aw_server.embedded) hook it too, so their writes are announced when a server next runs."""
    outbox = Outbox(store, wake)
    outbox.refresh()
    service.listening = outbox.listening
    service.outbox = outbox.write
    return outbox


def register_webhooks(app: Flask, config: WebhooksConfig, service: Service) -> None:
    store = open_webhook_store(service.storage)
    sender = Sender(
        storage=service.storage,
        store=store,
        allow_private=config.allow_private,
        # a webhook the sender disables stops being listened for (the outbox is made below)
        on_webhooks_changed=lambda: outbox.refresh(),
    )
    outbox = hook_outbox(service, store, sender.wake)
    app.extensions["aw_webhooks"] = Webhooks(service, store, outbox, config.allow_private)
    app.extensions[SENDER] = sender
    register_webhook_routes(app)


def start_sender(app: Flask) -> None:
    """Start delivering (pending deliveries from before a restart go first)."""
    sender: Sender | None = app.extensions.get(SENDER)
    if sender is not None:
        sender.start()


def stop_sender(app: Flask) -> None:
    """Stop delivering; an attempt cut short stays pending and is sent after the next start."""
    sender: Sender | None = app.extensions.get(SENDER)
    if sender is not None:
        sender.stop()
