"""aw-client.toml: every setting the client reads, and a one-line error for anything else."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from aw_client import ActivityWatchClient, ConfigError
from aw_client.config import load_client_config
from tests.conftest import subprocess_env, write_client_config
from tests.liveserver import ROOT, ThreadedServer


def config_path(isolated_dirs: dict[str, str]) -> Path:
    return Path(isolated_dirs["XDG_CONFIG_HOME"]) / "activitywatch" / "aw-client" / "aw-client.toml"


def run_cli(*argv: str) -> subprocess.CompletedProcess[str]:
    """``aw-client`` as a subprocess, with no --port, so the config file decides."""
    return subprocess.run(
        [sys.executable, "-m", "aw_client", *argv],
        env={**subprocess_env(), "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_every_valid_setting_is_read(isolated_dirs: dict[str, str]) -> None:
    write_client_config(
        isolated_dirs,
        '[server]\nhostname = "example.org"\nport = "5601"\napi_key = "k"\n'
        '[server-testing]\nhost = "localhost"\nport = 5677\napi_key = ""\n'
        "[client]\ncommit_interval = 3\n[client-testing]\ncommit_interval = 0.5\n",
    )
    normal, testing = load_client_config(False), load_client_config(True)
    assert (normal.host, normal.port, normal.api_key, normal.commit_interval) == (
        "example.org",
        5601,
        "k",
        3.0,
    )
    assert (testing.host, testing.port, testing.api_key, testing.commit_interval) == (
        "localhost",
        5677,
        None,
        0.5,
    )


def test_no_file_means_defaults() -> None:
    config = load_client_config(False)
    assert (config.host, config.port, config.commit_interval) == ("127.0.0.1", 5600, 10.0)
    assert load_client_config(True).port == 5666


BAD_CONFIGS = [
    ('[server]\nport = "abc"\n', 2, "[server] port must be a port number (1-65535), not 'abc'"),
    ("[server]\nport = 70000\n", 2, "[server] port must be a port number"),
    ("[server]\n\nprot = 5600\n", 3, "unknown key 'prot' in [server] (did you mean 'port'?)"),
    ("[sever]\nport = 5600\n", 1, "unknown section [sever] (did you mean 'server'?)"),
    (
        '[server]\nport = 5600\n[client]\ncommit_interval = "5"\n',
        4,
        "[client] commit_interval must be a number",
    ),
    ("[server-testing]\nhostname = 127\n", 2, "[server-testing] hostname must be a host name"),
    ("[server]\napi_key = 1\n", 2, "[server] api_key must be a string"),
    ('server = "localhost"\n', 1, "server must be a [server] table"),
]


@pytest.mark.parametrize(("text", "line", "message"), BAD_CONFIGS)
def test_bad_settings_are_one_line_exit_2(
    isolated_dirs: dict[str, str], text: str, line: int, message: str
) -> None:
    write_client_config(isolated_dirs, text)
    expected = f"aw-client: {config_path(isolated_dirs)}, line {line}: {message}"
    for argv in (["buckets"], ["--testing", "events", "b"]):
        result = run_cli(*argv)
        assert result.returncode == 2, result.stderr
        assert result.stderr.startswith(expected), result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
    with pytest.raises(ConfigError, match="aw-client.toml"):
        ActivityWatchClient("watcher")


def test_toml_syntax_error_is_one_line_exit_2(isolated_dirs: dict[str, str]) -> None:
    write_client_config(isolated_dirs, '[server]\nhostname = "127.0.0.1"\nport = = 5600\n')
    for argv in (["buckets"], ["export"], ["report", "host"]):
        result = run_cli(*argv)
        assert result.returncode == 2, result.stderr
        assert result.stderr == (
            f"aw-client: {config_path(isolated_dirs)} is not valid TOML: "
            "Invalid value (at line 3, column 8)\n"
        )


def test_string_port_of_the_official_client_works(
    isolated_dirs: dict[str, str], server: ThreadedServer
) -> None:
    """The official client writes ``port = "5600"``; such a file keeps working."""
    write_client_config(
        isolated_dirs, f'[server]\nhostname = "127.0.0.1"\nport = "{server.port}"\n'
    )
    result = run_cli("buckets")
    assert result.returncode == 0 and "No buckets yet." in result.stdout
