"""The REST API under /api/0: one blueprint per resource."""

from __future__ import annotations

from flask import Flask

from aw_server.api import buckets, docs, events, export, info, query, serverlog, settings
from aw_server.embedded import ServerAPI  # the official server's Python API lives at this name

__all__ = ["ServerAPI", "register_api"]


def register_api(app: Flask) -> None:
    for module in (info, buckets, events, export, query, settings, serverlog):
        app.register_blueprint(module.bp, url_prefix="/api/0")
    app.register_blueprint(docs.bp, url_prefix="/api")
