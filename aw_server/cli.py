"""``aw-server``: command line -> Config -> create_app -> serve with waitress."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from types import FrameType

from waitress.server import create_server

from aw_core.config import ConfigError
from aw_core.log import setup_logging
from aw_server import __version__
from aw_server.app import create_app
from aw_server.config import STORAGES, Config, load_config
from aw_server.malloc import tune_malloc
from aw_server.storage import StorageError

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
    parser.add_argument("--verbose", "-v", action="store_true", help="debug logging")
    parser.add_argument("--version", action="version", version=f"aw-server {__version__}")
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
    config.verbose = args.verbose
    config.validate()
    return config


def serve(config: Config) -> None:
    """Serve until SIGINT or SIGTERM; every acknowledged write is already committed."""
    tune_malloc()  # before any thread starts
    app = create_app(config)
    server = create_server(
        app,
        host=config.host,
        port=config.port,
        threads=config.threads,
        max_request_body_size=config.max_body_bytes,
        ident="aw-server",
        clear_untrusted_proxy_headers=True,
        # bulk inserts, imports and exports move megabytes: read and write in larger pieces
        recv_bytes=65536,
        send_bytes=65536,
        outbuf_high_watermark=4 * 1024 * 1024,
        # keep responses (a week's query result is a few MiB) in memory instead of spilling
        # them to a temporary file past 1 MiB; the watermark above still bounds streaming
        outbuf_overflow=16 * 1024 * 1024,
    )

    def _stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _stop)
    # Requests waiting for a free thread are normal under load; waitress would warn on each one.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    port = getattr(server, "effective_port", config.port)
    logger.info("aw-server %s listening on http://%s:%s", __version__, config.host, port)
    try:
        server.run()
    except KeyboardInterrupt:
        logger.info("shutting down")
    finally:
        server.close()
        app.extensions["aw"].storage.close()


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    setup_logging("aw-server", testing=args.testing, verbose=args.verbose, log_file=True)
    try:
        config = config_from_args(args)
        serve(config)
    except (ConfigError, StorageError) as exc:
        print(f"aw-server: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"aw-server: cannot start: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
