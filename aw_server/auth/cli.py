"""``aw-server [--testing] [--dbpath X] keys create|list|revoke|delete``.

These open the database directly, whether or not a server runs on it (the server lock guards
only against a second server); a running server sees the change within two seconds.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

import orjson

from aw_core.config import ConfigError
from aw_server.auth.keyring import KeyRequestError, KeyRing
from aw_server.auth.keys import PLANS, ApiKey, SqliteKeyStore
from aw_server.auth.scopes import PRESETS
from aw_server.config import Config
from aw_server.storage import SqliteStorage


def add_keys_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    keys = commands.add_parser(
        "keys",
        help="create, list, revoke or delete API keys",
        description="Manage API keys in the server's database (a running server sees changes "
        "within 2 s).",
    )
    actions = keys.add_subparsers(dest="keys_action", metavar="ACTION", required=True)
    create = actions.add_parser(
        "create",
        help="create a key; its secret is printed once, alone on the last line",
        epilog="Scopes: read:<glob>, append:<glob>, write:<glob>, admin. Presets: "
        + ", ".join(f"{name} ({' '.join(scopes)})" for name, scopes in PRESETS.items()),
    )
    create.add_argument("--name", required=True, help="what the key is for, e.g. 'phone'")
    create.add_argument("--preset", choices=list(PRESETS))
    create.add_argument("--scope", action="append", default=[], metavar="SCOPE", help="repeatable")
    create.add_argument("--expires", metavar="TIME", help="ISO 8601 time the key stops working")
    create.add_argument("--rate-limit", type=int, metavar="N", help="requests per minute")
    create.add_argument(
        "--plan",
        choices=list(PLANS),
        help="an hourly limit as ClockEye's plans: "
        + ", ".join(f"{name} {limit or 'unlimited'}" for name, limit in PLANS.items()),
    )
    listing = actions.add_parser("list", help="the keys (never their secrets)")
    listing.add_argument("--json", action="store_true", help="machine-readable output")
    for action, text in (("revoke", "disable a key (it stays listed)"), ("delete", "remove a key")):
        parser = actions.add_parser(action, help=text)
        parser.add_argument("key_id", type=int, metavar="ID")


@contextmanager
def _storage_notes_hidden() -> Iterator[None]:
    """Keep the storage's INFO notes (a new database migrated) off the terminal: a keys command
    says what it did on stdout, and exactly one line on stderr when it fails."""
    storage_logger = logging.getLogger("aw_server.storage")
    level = storage_logger.level
    storage_logger.setLevel(max(level, logging.WARNING))
    try:
        yield
    finally:
        storage_logger.setLevel(level)


def _open(config: Config) -> tuple[SqliteStorage, KeyRing]:
    if config.storage != "sqlite":
        raise ConfigError("keys are kept in the SQLite database; --storage memory has none")
    storage = SqliteStorage(
        config.resolved_dbpath(),
        synchronous=config.synchronous,
        busy_timeout_ms=config.busy_timeout_ms,
    )
    return storage, KeyRing(SqliteKeyStore(storage))


def _line(key: ApiKey) -> str:
    state = "enabled" if key.enabled else "revoked"
    expires = f", expires {key.expires:%Y-%m-%d %H:%M} UTC" if key.expires else ""
    used = f"{key.last_used:%Y-%m-%d %H:%M} UTC" if key.last_used else "never"
    scopes = " ".join(str(s) for s in key.scopes)
    return f"{key.id:>4}  {key.prefix}…  {key.name}  [{scopes}]  {state}{expires}, last used {used}"


def run_keys(args: argparse.Namespace, config: Config, out: IO[str] = sys.stdout) -> int:
    """Carry out a ``keys`` action; raises ConfigError (exit 2) for what cannot be done."""
    with _storage_notes_hidden():
        storage, ring = _open(config)
    try:
        if args.keys_action == "create":
            try:
                key, secret = ring.create(
                    args.name,
                    scopes=args.scope or None,
                    preset=args.preset,
                    expires=args.expires,
                    rate_limit=args.rate_limit,
                    plan=args.plan,
                )
            except KeyRequestError as exc:
                raise ConfigError(str(exc)) from None
            out.write(f"created key {key.id}: {_line(key).strip()}\n")
            out.write("the secret, shown only now:\n")
            out.write(secret + "\n")
        elif args.keys_action == "list":
            keys = ring.all()
            if args.json:
                out.write(orjson.dumps([k.to_json_dict() for k in keys]).decode() + "\n")
            else:
                out.write("".join(_line(k) + "\n" for k in keys) or "no keys\n")
        elif args.keys_action == "revoke":
            revoked = ring.set_enabled(args.key_id, False) if args.key_id < 2**63 else None
            if revoked is None:
                raise ConfigError(f"there is no key {args.key_id}")
            out.write(f"revoked key {revoked.id} ({revoked.name})\n")
        else:
            if args.key_id >= 2**63 or not ring.delete(args.key_id):
                raise ConfigError(f"there is no key {args.key_id}")
            out.write(f"deleted key {args.key_id}\n")
    finally:
        storage.close()
    return 0
