"""Bad startup settings stop ``aw-server`` with one line on stderr, before anything is opened."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import subprocess_env
from tests.liveserver import ServerProcess, free_port
from tests.test_cli import run_cli, write_config


def _default_database(isolated_dirs: dict[str, str]) -> Path:
    return Path(isolated_dirs["XDG_DATA_HOME"]) / "activitywatch" / "aw-server" / "aw-server.sqlite"


def assert_refused(isolated_dirs: dict[str, str], *args: str, code: int = 2) -> str:
    """Run the server with ``args``: it must exit with ``code`` and one line; returns the line."""
    result = run_cli("--port", str(free_port()), *args)
    lines = result.stderr.strip().splitlines()
    assert result.returncode == code, result.stderr
    assert len(lines) == 1 and lines[0].startswith("aw-server: "), result.stderr
    assert not _default_database(isolated_dirs).exists()
    # nothing was logged, so no log file was left behind either
    log_dir = Path(isolated_dirs["XDG_CACHE_HOME"]) / "activitywatch" / "log" / "aw-server"
    assert not log_dir.is_dir() or not any(log_dir.iterdir())
    return lines[0]


def test_host_that_does_not_resolve(isolated_dirs: dict[str, str]) -> None:
    line = assert_refused(isolated_dirs, "--host", "nosuchhost.invalid")
    assert "cannot listen on host 'nosuchhost.invalid'" in line


def test_missing_webui_path(isolated_dirs: dict[str, str], tmp_path: Path) -> None:
    line = assert_refused(isolated_dirs, "--webui-path", str(tmp_path / "nonexistent"))
    assert line == f"aw-server: the web UI directory {tmp_path / 'nonexistent'} does not exist"


def test_webui_path_without_index_html(isolated_dirs: dict[str, str], tmp_path: Path) -> None:
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "app.js").write_text("")
    line = assert_refused(isolated_dirs, "--webui-path", str(tmp_path / "site"))
    assert line == f"aw-server: the web UI directory {tmp_path / 'site'} has no index.html"


def test_missing_custom_static_directory(isolated_dirs: dict[str, str], tmp_path: Path) -> None:
    missing = tmp_path / "nonexistent"
    line = assert_refused(isolated_dirs, "--custom-static", f"foo={missing}")
    assert line == f"aw-server: the custom static directory {missing} (for 'foo') does not exist"


def test_missing_custom_static_directory_in_config_file(isolated_dirs: dict[str, str]) -> None:
    write_config(isolated_dirs, '[server.custom_static]\nvis = "/nonexistent/vis"\n')
    assert "/nonexistent/vis" in assert_refused(isolated_dirs)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[sever]\nport = 5600\n", "unknown section [sever]"),
        ("port = 5600\n[server]\n", "unknown setting 'port' outside a section"),
    ],
)
def test_unknown_config_section(isolated_dirs: dict[str, str], text: str, expected: str) -> None:
    path = write_config(isolated_dirs, text)
    line = assert_refused(isolated_dirs)
    assert expected in line and str(path) in line and "server, server-testing" in line


def test_known_sections_are_accepted(isolated_dirs: dict[str, str]) -> None:
    port = free_port()
    write_config(
        isolated_dirs,
        f'[server]\nstorage = "memory"\n[server.custom_static]\n[server-testing]\nport = {port}\n',
    )
    server = ServerProcess(["--testing"], subprocess_env(), port, pass_port=False).start()
    assert server.stop() == 0


def test_port_in_use(isolated_dirs: dict[str, str]) -> None:
    server = ServerProcess(["--storage", "memory"], subprocess_env(), free_port()).start()
    try:
        result = run_cli("--storage", "memory", "--port", str(server.port))
    finally:
        server.stop()
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"aw-server: cannot listen on http://127.0.0.1:{server.port}: Address already in use "
        "(is another server running on that port?)"
    ]


def test_unwritable_log_dir_still_serves(isolated_dirs: dict[str, str]) -> None:
    cache = Path(isolated_dirs["XDG_CACHE_HOME"])
    (cache / "activitywatch").write_text("a file where the log dir should be")
    server = ServerProcess(["--storage", "memory"], subprocess_env(), free_port()).start()
    assert server.stop() == 0
    assert "cannot write a log file" in server.output()


def test_beyond_loopback_without_keys_says_how_to_make_one(isolated_dirs: dict[str, str]) -> None:
    """Bound to every address with no key, other machines can do nothing: the server says so,
    with the command that creates a key for this database; once one exists, it does not."""
    env = subprocess_env()
    server = ServerProcess(["--testing", "--host", "0.0.0.0"], env, free_port()).start()
    server.stop()
    assert "other machines need an API key and none exists" in server.output()
    assert "aw-server --testing keys create --name my-phone --preset watcher" in server.output()
    created = run_cli("--testing", "keys", "create", "--name", "phone", "--preset", "watcher")
    assert created.returncode == 0, created.stderr
    again = ServerProcess(["--testing", "--host", "0.0.0.0"], env, free_port()).start()
    again.stop()
    assert "none exists" not in again.output()
