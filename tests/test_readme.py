"""The README's commands, run in order as a new user would paste them, against live servers.

Every ```sh block of README.md is run top to bottom in one bash session (variables carry over),
from a scratch directory that holds the project's venv and examples. Two servers stand in for
the ones the README starts by hand (`make run` and the testing instance); its port numbers are
pointed at them. curl fails on any 4xx/5xx answer, so a command that "runs" but gets an error
fails the test. Only the lines in SERVER_LINES and SKIPPED are not run, each for the reason
given there.
"""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from aw_server.config import load_config
from tests.conftest import subprocess_env, write_client_config
from tests.liveserver import ROOT, ServerProcess, free_port

README = ROOT / "README.md"

# Commands that start a server and keep running; the test starts that server itself.
SERVER_LINES = {
    "make run": "normal",
    "make run-testing": "testing",
    'make run ARGS="--testing"': "testing",
    "aw-server --testing": "testing",
}
# Commands not run here, and why.
SKIPPED = {
    "make test": "runs this test suite itself",
}


def blocks(language: str) -> list[str]:
    """The README's fenced code blocks of one language, in order."""
    text = README.read_text(encoding="utf-8")
    return re.findall(rf"^```{language}\n(.*?)^```", text, flags=re.S | re.M)


def command_of(line: str) -> str:
    """A line without its trailing comment and spaces (comments follow two spaces or more)."""
    return re.split(r"\s{2,}#|^\s*#", line, maxsplit=1)[0].strip()


def script(normal_port: int, testing_port: int) -> str:
    """All sh blocks as one bash script, server lines and skipped lines left out."""
    lines = [
        "set -eo pipefail",
        # any HTTP error is a failure, and its body is shown
        'curl() { command curl --fail-with-body -sS "$@"; echo; }',
        "trap 'echo \"README command failed: $BASH_COMMAND\" >&2' ERR",
    ]
    for block in blocks("sh"):
        for line in block.splitlines():
            command = command_of(line)
            if command in SERVER_LINES or command in SKIPPED:
                lines.append(f"# not run here: {command}")
                continue
            line = line.replace("localhost:5600", f"127.0.0.1:{normal_port}")
            line = line.replace("127.0.0.1:5600", f"127.0.0.1:{normal_port}")
            lines.append(line)
    return "\n".join(lines) + "\n"


@pytest.fixture
def servers(isolated_dirs: dict[str, str]) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    """The two servers of the README: the normal instance and the testing one."""
    env = subprocess_env()
    normal = ServerProcess([], env, free_port()).start()
    testing = ServerProcess(["--testing"], env, free_port()).start()
    # `aw-client report` needs the buckets of ActivityWatch's watchers on this machine
    host = socket.gethostname()
    for watcher, kind in (("aw-watcher-window", "currentwindow"), ("aw-watcher-afk", "afkstatus")):
        requests.post(
            f"{normal.url}/api/0/buckets/{watcher}_{host}",
            json={"client": watcher, "type": kind, "hostname": host},
            timeout=10,
        ).raise_for_status()
    # aw-client and examples/watcher.py find the servers through the client config file
    write_client_config(
        isolated_dirs,
        f"[server]\nport = {normal.port}\n\n[server-testing]\nport = {testing.port}\n",
    )
    yield normal, testing
    testing.stop()
    normal.stop()


def test_every_readme_command_works_in_order(
    servers: tuple[ServerProcess, ServerProcess], tmp_path: Path
) -> None:
    normal, testing = servers
    work = tmp_path / "work"
    work.mkdir()
    (work / ".venv").symlink_to(ROOT / ".venv")
    (work / "examples").symlink_to(ROOT / "examples")
    env = subprocess_env()
    env.pop("VIRTUAL_ENV", None)
    # a fresh shell: the project's venv is not on PATH until the README activates it
    env["PATH"] = ":".join(
        p for p in env.get("PATH", "").split(":") if not p.startswith(str(ROOT / ".venv"))
    )
    assert shutil.which("curl"), "curl is needed to run the README's commands"
    result = subprocess.run(
        ["bash", "-c", script(normal.port, testing.port)],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, (
        f"stdout:\n{result.stdout[-4000:]}\nstderr:\n{result.stderr[-4000:]}"
        f"\nserver log:\n{normal.output()[-2000:]}"
    )
    # what the comments promise: the second heartbeat merged into the first
    assert '"duration":30.0' in result.stdout.replace(" ", "")
    assert "Sending heartbeat 4" in result.stdout  # the watcher example ran
    assert f"Activity on {socket.gethostname()}" in result.stdout  # and the report


def test_the_readme_starts_and_skips_only_known_commands() -> None:
    """Every line the runner leaves out is really in the README (no stale entries)."""
    commands = {command_of(line) for block in blocks("sh") for line in block.splitlines()}
    assert "make run" in commands
    for command in SKIPPED:
        assert command in commands


def test_config_example_is_valid_and_keeps_the_dashboard(tmp_path: Path) -> None:
    """The README's config file, pasted as is, is accepted and changes no path to a placeholder."""
    toml, *others = blocks("toml")
    tomllib.loads(toml)
    for index, other in enumerate(others):  # the other examples, each a valid config file
        part = tmp_path / f"part{index}.toml"
        part.write_text(other)
        load_config(testing=False, path=part)
    path = tmp_path / "aw-server.toml"
    path.write_text(toml)
    config = load_config(testing=False, path=path)
    assert config.webui_path is None
    assert config.dbpath is None
    assert config.custom_static == {}
    testing = load_config(testing=True, path=path)
    assert testing.port == 5666
