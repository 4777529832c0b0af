"""Client configuration: ``aw-client/aw-client.toml`` in the config dir, then arguments.

The file is checked as a whole: an unknown section or key (a typo such as ``prot``) or a value
of the wrong kind raises ConfigError naming the file and the line, instead of being ignored and
leaving the client talking to the default server.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aw_core.config import ConfigError, config_file_path, load_config_toml

APP_NAME = "aw-client"
DEFAULT_PORT = 5600
DEFAULT_TESTING_PORT = 5666


@dataclass
class ClientConfig:
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    commit_interval: float = 10.0
    api_key: str | None = None


# -- one parser per kind of value: the checked value, or ValueError saying what it must be -----


def _host(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f'must be a host name or address such as "127.0.0.1", not {value!r}')
    return value.strip()


def _port(value: object) -> int:
    # the official client writes the port as a string ("5600"), so digit strings are fine
    number = value if isinstance(value, int) and not isinstance(value, bool) else None
    if isinstance(value, str) and value.strip().isdigit():
        number = int(value)
    if number is None or not 1 <= number <= 65535:
        raise ValueError(f"must be a port number (1-65535), not {value!r}")
    return number


def _api_key(value: object) -> str | None:
    if not isinstance(value, str):
        # the value is a secret: the message does not repeat it
        raise ValueError(f"must be a string in quotes, not a {type(value).__name__}")
    return value or None  # an empty key means no key


def _seconds(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
        raise ValueError(f"must be a number of seconds (0 or more), not {value!r}")
    return float(value)


Parser = Callable[[object], Any]
_SERVER_KEYS: dict[str, Parser] = {
    "hostname": _host,
    "host": _host,
    "port": _port,
    "api_key": _api_key,
}
_CLIENT_KEYS: dict[str, Parser] = {"commit_interval": _seconds}
SECTIONS: dict[str, dict[str, Parser]] = {
    "server": _SERVER_KEYS,
    "server-testing": _SERVER_KEYS,
    "client": _CLIENT_KEYS,
    "client-testing": _CLIENT_KEYS,
}


# -- checking the document ----------------------------------------------------------------------


class _Invalid(Exception):
    """A problem in the document, with the section ("" for the top level) and the key it is
    about (None for the section itself), to find its line."""

    def __init__(self, message: str, section: str, key: str | None = None) -> None:
        super().__init__(message)
        self.section = section
        self.key = key


def _did_you_mean(name: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _check_section(name: str, section: object) -> dict[str, Any]:
    parsers = SECTIONS.get(name)
    if parsers is None:
        raise _Invalid(
            f"unknown section [{name}]{_did_you_mean(name, SECTIONS)}; "
            f"the sections are {', '.join(f'[{s}]' for s in SECTIONS)}",
            name,
        )
    if not isinstance(section, dict):
        raise _Invalid(f"{name} must be a [{name}] table", "", name)  # a top-level key
    values: dict[str, Any] = {}
    for key, value in section.items():
        parse = parsers.get(key)
        if parse is None:
            raise _Invalid(
                f"unknown key {key!r} in [{name}]{_did_you_mean(key, parsers)}; "
                f"the keys are {', '.join(parsers)}",
                name,
                key,
            )
        try:
            values[key] = parse(value)
        except ValueError as exc:
            raise _Invalid(f"[{name}] {key} {exc}", name, key) from None
    return values


_HEADER = re.compile(r'^\s*\[\s*"?([^\]"]+?)"?\s*\]')


def _line_of(path: Path, section: str, key: str | None) -> int | None:
    """The line of ``key`` in ``[section]`` (of the section header when key is None)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    assignment = re.compile(rf'^\s*"?{re.escape(key)}"?\s*=') if key is not None else None
    current = ""
    for number, line in enumerate(lines, 1):
        header = _HEADER.match(line)
        if header:
            current = header.group(1).strip()
            found = assignment is None and current == section
        else:
            found = assignment is not None and current == section and bool(assignment.match(line))
        if found:
            return number
    return None


def check_config(document: dict[str, Any], path: Path) -> dict[str, dict[str, Any]]:
    """Every section of the document with its values checked; ConfigError on the first
    problem, naming the file and (when it can be found) the line."""
    try:
        return {name: _check_section(name, section) for name, section in document.items()}
    except _Invalid as problem:
        line = _line_of(path, problem.section, problem.key)
        where = f"{path}, line {line}" if line else str(path)
        raise ConfigError(f"{where}: {problem}") from None


def load_client_config(testing: bool, path: Path | None = None) -> ClientConfig:
    """Defaults (127.0.0.1:5600, or 5666 when testing) overlaid with the config file.

    Raises ConfigError when the file is not valid TOML or holds an unknown or bad setting.
    """
    path = path or config_file_path(APP_NAME)
    sections = check_config(load_config_toml(APP_NAME, path), path)
    server = sections.get("server-testing" if testing else "server", {})
    client = sections.get("client-testing" if testing else "client", {})
    config = ClientConfig(
        port=DEFAULT_TESTING_PORT if testing else DEFAULT_PORT,
        commit_interval=5.0 if testing else 10.0,
    )
    config.host = server.get("host") or server.get("hostname") or config.host
    config.port = server.get("port", config.port)
    config.api_key = server.get("api_key")
    config.commit_interval = client.get("commit_interval", config.commit_interval)
    return config
