"""The application factory."""

from __future__ import annotations

from flask import Flask

from aw_server import __version__
from aw_server.api import register_api
from aw_server.auth.app import register_access, register_auth
from aw_server.config import Config
from aw_server.devices.app import public_endpoints as devices_public
from aw_server.devices.app import register_devices
from aw_server.errors import register_error_handlers
from aw_server.logbuffer import log_buffer
from aw_server.security import register_security
from aw_server.service import Service, load_device_id
from aw_server.static_files import register_static
from aw_server.storage import MemoryStorage, SqliteStorage, Storage
from aw_server.timers.app import register_timers
from aw_server.wakatime.api import register_wakatime_routes
from aw_server.wakatime.daycache import DayCache
from aw_server.wakatime.store import open_heartbeat_store
from aw_server.webhooks.app import register_webhooks
from aw_server.wsgi import ServerMiddleware


def open_storage(config: Config) -> Storage:
    if config.storage == "memory":
        return MemoryStorage()
    return SqliteStorage(
        config.resolved_dbpath(),
        synchronous=config.synchronous,
        busy_timeout_ms=config.busy_timeout_ms,
        max_size_mb=config.max_db_size_mb,
    )


def create_app(config: Config | None = None, *, storage: Storage | None = None) -> Flask:
    """Build the Flask app: storage, service, security, API, static files, error handlers."""
    config = config or Config()
    config.validate()
    app = Flask(__name__, static_folder=None)
    app.config["MAX_CONTENT_LENGTH"] = config.max_body_bytes
    app.config["MAX_FORM_MEMORY_SIZE"] = config.max_body_bytes
    service = Service(
        storage or open_storage(config),
        testing=config.testing,
        device_id=load_device_id(config.resolved_data_dir()),
        version=f"v{__version__}",
    )
    app.extensions["aw"] = service
    app.extensions["aw_config"] = config
    log_buffer()
    register_error_handlers(app)
    register_auth(app, config.auth, service.storage, devices_public(config.devices))
    register_security(app, config)
    register_access(app)
    register_api(app)
    app.extensions["aw_wakatime_store"] = open_heartbeat_store(service.storage)
    days = app.extensions["aw_wakatime_days"] = DayCache()
    service.changes.subscribe(days.on_changes)
    register_wakatime_routes(app)
    register_devices(app, config.devices, service)
    register_timers(app, service)
    register_webhooks(app, config.webhooks, service)
    register_static(app, config)
    # Outside Flask: logs every request in one place, and answers JSON for failures that
    # happen after Flask has built its response (see aw_server/wsgi.py).
    app.wsgi_app = ServerMiddleware(app.wsgi_app)  # type: ignore[method-assign]
    return app
