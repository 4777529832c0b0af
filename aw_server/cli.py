"""``aw-server``: command line -> Config -> create_app -> serve with waitress."""

from __future__ import annotations

import argparse
import errno
import logging
import shlex
import signal
import socket
import sys
from types import FrameType

from flask import Flask
from waitress.server import BaseWSGIServer, MultiSocketServer, create_server

from aw_core.config import ConfigError
from aw_core.log import setup_logging
from aw_server import __version__
from aw_server.app import create_app
from aw_server.auth.cli import add_keys_parser, run_keys
from aw_server.auth.config import POLICIES
from aw_server.config import STORAGES, Config, load_config
from aw_server.devices.stream import MAX_STREAMS
from aw_server.lock import DatabaseInUse, ServerLock
from aw_server.malloc import tune_malloc
from aw_server.security import is_loopback
from aw_server.storage import StorageError
from aw_server.webhooks.app import start_sender, stop_sender

logger = logging.getLogger(__name__)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="aw-server", description="A fast, drop-in replacement for the ActivityWatch server."
    )
    parser.add_argument("--testing", action="store_true", help="port 5666, separate database")
    parser.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (default 5600, 5666 with --testing)")
    parser.add_argument("--storage", choices=STORAGES, help="storage backend (default sqlite)")
    parser.add_argument("--dbpath", help="SQLite database file (default: in the user data dir)")
    parser.add_argument("--cors-origins", help="extra allowed CORS origins, comma separated")
    parser.add_argument(
        "--custom-static",
        action="append",
        default=[],
        metavar="NAME=PATH",
        help="serve directory PATH under /pages/NAME/ (repeatable, or comma separated)",
    )
    parser.add_argument(
        "--webui-path", help="serve this web UI directory at / instead of the built-in page"
    )
    parser.add_argument(
        "--auth",
        choices=POLICIES,
        help="who needs an API key: 'local' (default: everyone but loopback) or 'required'",
    )
    parser.add_argument("--verbose", "-v", action="store_true", help="debug logging")
    parser.add_argument("--version", action="version", version=f"aw-server {__version__}")
    commands = parser.add_subparsers(
        dest="command", metavar="COMMAND", help="without one, the server serves"
    )
    add_keys_parser(commands)
    return parser


def config_from_args(args: argparse.Namespace) -> Config:
    """The config file's values, overridden by whatever was given on the command line."""
    config = load_config(args.testing)
    for name in ("host", "port", "storage", "dbpath", "webui_path"):
        value = getattr(args, name)
        if value is not None:
            setattr(config, name, value)
    if args.cors_origins:
        config.cors_origins = [o.strip() for o in args.cors_origins.split(",") if o.strip()]
    for item in args.custom_static:
        for pair in item.split(","):
            name, sep, path = pair.partition("=")
            if not sep or not name or not path:
                raise ConfigError(f"--custom-static takes NAME=PATH, got {pair!r}")
            config.custom_static[name] = path
    if args.auth is not None:
        config.auth.policy = args.auth
    config.verbose = args.verbose
    config.validate()
    return config


class CannotListen(Exception):
    """The address is valid but cannot be bound (port in use, address not on this machine)."""


def _url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def check_listen_address(host: str, port: int) -> None:
    """Refuse a host name that does not resolve, before anything is opened."""
    try:
        socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError) as exc:
        reason = exc.strerror if isinstance(exc, socket.gaierror) else str(exc)
        raise ConfigError(f"cannot listen on host {host!r}: {reason}") from exc


def lock_database(config: Config) -> ServerLock | None:
    """Create the database's directory if needed and take its server lock (None for memory)."""
    if config.storage != "sqlite":
        return None
    dbpath = config.resolved_dbpath().resolve()
    if not dbpath.parent.is_dir():
        logger.info("creating the directory %s for the database", dbpath.parent)
        try:
            dbpath.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(
                f"cannot create the directory of the database {dbpath}: {exc.strerror}"
            ) from exc
    lock = ServerLock(dbpath)
    try:
        lock.acquire(config.port)
    except OSError as exc:
        raise StorageError(f"cannot create the lock file {lock.path}: {exc.strerror}") from exc
    return lock


def _create_server(app: Flask, config: Config) -> BaseWSGIServer | MultiSocketServer:
    try:
        return create_server(
            app,
            host=config.host,
            port=config.port,
            # each open live stream holds a thread: they get their own, beyond the requests'
            threads=config.threads + MAX_STREAMS,
            max_request_body_size=config.max_body_bytes,
            ident="aw-server",
            # keep Forwarded / X-Forwarded-*: a request that carries them came through a proxy
            # and must never count as local (aw_server/auth/policy.py)
            clear_untrusted_proxy_headers=False,
            # bulk inserts, imports and exports move megabytes: read in larger pieces (what is
            # written is sent at once: a live stream's events must not wait for 64 KiB)
            recv_bytes=65536,
            outbuf_high_watermark=4 * 1024 * 1024,
            # keep responses (a week's query result is a few MiB) in memory instead of spilling
            # them to a temporary file past 1 MiB; the watermark above still bounds streaming
            outbuf_overflow=16 * 1024 * 1024,
        )
    except ValueError as exc:  # waitress: "Invalid host/port specified."
        raise ConfigError(f"cannot listen on {_url(config.host, config.port)}: {exc}") from exc
    except OSError as exc:
        hint = " (is another server running on that port?)" if exc.errno == errno.EADDRINUSE else ""
        raise CannotListen(
            f"cannot listen on {_url(config.host, config.port)}: {exc.strerror}{hint}"
        ) from exc


def _storage_description(config: Config) -> str:
    if config.storage == "memory":
        return "memory storage: nothing is kept"
    return f"database {config.resolved_dbpath().resolve()}"


def serve(config: Config) -> None:
    """Serve until SIGINT or SIGTERM; every acknowledged write is already committed.

    Bad settings are refused before anything is opened; then the database's server lock is
    taken, so a second server on the same database stops with DatabaseInUse.
    """
    config.check_directories()
    check_listen_address(config.host, config.port)
    tune_malloc()  # before any thread starts
    lock = lock_database(config)
    try:
        _serve_app(config, lock)
    finally:
        if lock is not None:
            lock.release()


def _warn_if_unreachable(app: Flask, config: Config) -> None:
    """Bound beyond loopback with no key, other machines can do nothing: say how to make one."""
    if is_loopback(config.host) or app.extensions["aw_keys"].has_keys():
        return
    options = " --testing" if config.testing else ""
    if config.dbpath:
        options += f" --dbpath {shlex.quote(config.dbpath)}"
    logger.warning(
        "listening on %s, but other machines need an API key and none exists; create one with: "
        "aw-server%s keys create --name my-phone --preset watcher",
        config.host,
        options,
    )


def _serve_app(config: Config, lock: ServerLock | None) -> None:
    app = create_app(config)
    _warn_if_unreachable(app, config)
    try:
        server = _create_server(app, config)
        port = int(getattr(server, "effective_port", config.port))
        if lock is not None:
            lock.record_port(port)

        def _stop(signum: int, frame: FrameType | None) -> None:
            # live streams end first: waitress's run() waits (5 s) for busy threads to return
            app.extensions["aw_devices_stream"].close()
            raise KeyboardInterrupt

        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
        # Requests waiting for a free thread are normal under load; waitress would warn on each.
        logging.getLogger("waitress.queue").setLevel(logging.ERROR)
        logger.info(
            "aw-server %s serving %s (%s)",
            __version__,
            _url(config.host, port),
            _storage_description(config),
        )
        start_sender(app)  # webhook deliveries, those left pending last time first
        try:
            server.run()
        except KeyboardInterrupt:
            logger.info("shutting down")
        finally:
            app.extensions["aw_devices_stream"].close()  # live streams end, their threads return
            stop_sender(app)  # before the storage closes; what is not sent stays pending
            server.close()
    finally:
        app.extensions["aw"].storage.close()


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        setup_logging("aw-server", testing=args.testing, verbose=args.verbose, log_file=True)
    except OSError as exc:
        # an unwritable log dir is no reason not to serve: log to stderr only
        setup_logging("aw-server", testing=args.testing, verbose=args.verbose)
        logger.warning("cannot write a log file: %s", exc)
    try:
        config = config_from_args(args)
        if args.command == "keys":
            return run_keys(args, config)
        serve(config)
    except (ConfigError, StorageError, DatabaseInUse) as exc:
        print(f"aw-server: {exc}", file=sys.stderr)
        return 2
    except CannotListen as exc:
        print(f"aw-server: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"aw-server: cannot start: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
