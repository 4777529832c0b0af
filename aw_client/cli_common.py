"""What every ``aw-client`` command shares: the usage error, output formatting and the global
options (accepted before or after any command or subcommand)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import IO, Any

import orjson

API_KEY_ENV = "AW_API_KEY"


class UsageError(Exception):
    """Bad usage or input: one line on stderr and exit 2."""


# -- formatting ---------------------------------------------------------------------------------


def plural(count: int, noun: str) -> str:
    """``1 event``, ``2 events``."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def duration_text(seconds: float) -> str:
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"


def table(rows: Sequence[Sequence[str]], headers: Sequence[str]) -> str:
    widths = [max(len(str(c)) for c in column) for column in zip(headers, *rows, strict=False)]
    line = "  ".join(f"{{:<{w}}}" for w in widths)
    out = [line.format(*headers).rstrip(), line.format(*("-" * w for w in widths)).rstrip()]
    out += [line.format(*(str(c) for c in row)).rstrip() for row in rows]
    return "\n".join(out)


def emit_json(value: Any, out: IO[str]) -> None:
    out.write(
        orjson.dumps(value, option=orjson.OPT_INDENT_2, default=lambda e: e.to_json_dict()).decode()
        + "\n"
    )


# -- global options -----------------------------------------------------------------------------


def port_number(value: str) -> int:
    if not value.isdigit() or not 1 <= int(value) <= 65535:
        raise argparse.ArgumentTypeError(f"not a port number (1-65535): {value!r}")
    return int(value)


# The options every command takes, before or after the command name, with their defaults.
GLOBAL_DEFAULTS: dict[str, Any] = {
    "host": None,
    "port": None,
    "api_key": None,
    "testing": False,
    "json": False,
    "verbose": False,
}


def add_global_options(parser: argparse.ArgumentParser) -> None:
    """Add the global options to the main parser or a command's parser.

    Their defaults are suppressed: a parser that did not see an option leaves the attribute
    unset instead of overwriting what the other parser read (the command's parser runs after
    the main one), and parse_args fills in GLOBAL_DEFAULTS at the end.
    """
    group = parser.add_argument_group("global options (before or after the command)")
    group.add_argument(
        "--host",
        default=argparse.SUPPRESS,
        help="server host (default from aw-client.toml, else 127.0.0.1)",
    )
    group.add_argument(
        "--port",
        type=port_number,
        default=argparse.SUPPRESS,
        help="server port (default 5600, 5666 with --testing)",
    )
    group.add_argument(
        "--api-key",
        metavar="KEY",
        default=argparse.SUPPRESS,
        help=f"API key to send (default: ${API_KEY_ENV}, else api_key in aw-client.toml); "
        f"other users of this machine can see command lines, ${API_KEY_ENV} they cannot",
    )
    group.add_argument(
        "--testing", action="store_true", default=argparse.SUPPRESS, help="use the testing server"
    )
    group.add_argument(
        "--json",
        action="store_true",
        default=argparse.SUPPRESS,
        help="machine-readable JSON output",
    )
    group.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        default=argparse.SUPPRESS,
        help="log requests and details to stderr",
    )


def add_command(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], name: str, help: str, **kwargs: Any
) -> argparse.ArgumentParser:
    """A command (or subcommand) parser that takes the global options too."""
    parser = sub.add_parser(name, help=help, description=help, **kwargs)
    add_global_options(parser)
    return parser
