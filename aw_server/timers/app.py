"""Wiring the timers package into the app: the projects store, the entries and the routes."""

from __future__ import annotations

from flask import Flask

from aw_server.service import Service
from aw_server.timers.api import register_timer_routes
from aw_server.timers.entries import TimeEntries
from aw_server.timers.projects import Projects
from aw_server.timers.store import open_project_store


def register_timers(app: Flask, service: Service) -> None:
    store = open_project_store(service.storage)
    entries = app.extensions["aw_timers"] = TimeEntries(service, store)
    app.extensions["aw_projects"] = Projects(service, store, entries)
    register_timer_routes(app)
