"""The ``aw-server`` command as a real subprocess: config precedence, shutdown, crash safety."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import requests

from aw_server import __version__
from tests.conftest import JSON, subprocess_env
from tests.liveserver import ROOT, ServerProcess, free_port


def write_config(isolated_dirs: dict[str, str], text: str) -> Path:
    path = Path(isolated_dirs["XDG_CONFIG_HOME"]) / "activitywatch" / "aw-server" / "aw-server.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "aw_server", *args],
        env=subprocess_env(),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_version() -> None:
    result = run_cli("--version")
    assert result.returncode == 0 and "aw-server" in result.stdout


def test_serves_with_sqlite_in_user_data_dir_and_stops_on_sigterm(
    isolated_dirs: dict[str, str],
) -> None:
    port = free_port()
    server = ServerProcess([], subprocess_env(), port).start()
    info = requests.get(f"{server.url}/api/0/info", timeout=5).json()
    assert info["testing"] is False
    requests.post(
        f"{server.url}/api/0/buckets/b",
        json={"client": "c", "type": "t", "hostname": "h"},
        timeout=5,
    )
    assert server.stop(signal.SIGTERM) == 0
    db = Path(isolated_dirs["XDG_DATA_HOME"]) / "activitywatch" / "aw-server" / "aw-server.sqlite"
    assert db.exists()
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT bucket_id FROM buckets").fetchall() == [("b",)]
    assert server.stop() == 0  # already stopped
    server_sigint = ServerProcess([], subprocess_env(), free_port()).start()
    assert server_sigint.stop(signal.SIGINT) == 0


def test_testing_mode_uses_separate_database(isolated_dirs: dict[str, str]) -> None:
    server = ServerProcess(["--testing"], subprocess_env(), free_port()).start()
    assert requests.get(f"{server.url}/api/0/info", timeout=5).json()["testing"] is True
    server.stop()
    data = Path(isolated_dirs["XDG_DATA_HOME"]) / "activitywatch" / "aw-server"
    assert (data / "aw-server-testing.sqlite").exists() and not (data / "aw-server.sqlite").exists()


def test_config_file_then_cli(isolated_dirs: dict[str, str], tmp_path: Path) -> None:
    port_file, port_cli = free_port(), free_port()
    write_config(
        isolated_dirs,
        f'[server]\nport = {port_file}\nstorage = "memory"\ncors_origins = ["https://from-file.example"]\n'
        f"[server-testing]\nport = {port_cli}\n",
    )
    server = ServerProcess([], subprocess_env(), port_file, pass_port=False).start()
    r = requests.get(
        f"{server.url}/api/0/info", headers={"Origin": "https://from-file.example"}, timeout=5
    )
    assert r.headers.get("Access-Control-Allow-Origin") == "https://from-file.example"
    server.stop()
    # the command line beats the file
    dbpath = tmp_path / "explicit.sqlite"
    server = ServerProcess(
        ["--storage", "sqlite", "--dbpath", str(dbpath), "--cors-origins", "https://cli.example"],
        subprocess_env(),
        free_port(),
    ).start()
    r = requests.get(
        f"{server.url}/api/0/info", headers={"Origin": "https://cli.example"}, timeout=5
    )
    assert r.headers.get("Access-Control-Allow-Origin") == "https://cli.example"
    server.stop()
    assert dbpath.exists()


def test_bad_config_exits_with_message(isolated_dirs: dict[str, str]) -> None:
    write_config(isolated_dirs, "[server]\nport = 'not a number'\n")
    result = run_cli()
    assert result.returncode == 2 and "port" in result.stderr
    write_config(isolated_dirs, "[server]\nbogus = 1\n")
    result = run_cli()
    assert result.returncode == 2 and "bogus" in result.stderr
    write_config(isolated_dirs, "[server\n")
    assert run_cli().returncode == 2


def test_corrupt_database_is_refused_not_overwritten(tmp_path: Path) -> None:
    db = tmp_path / "corrupt.sqlite"
    db.write_bytes(b"garbage" * 1000)
    result = run_cli("--dbpath", str(db), "--port", str(free_port()))
    assert result.returncode == 2 and "cannot open the database" in result.stderr
    assert db.read_bytes() == b"garbage" * 1000


def test_startup_line_names_the_url_and_database(isolated_dirs: dict[str, str]) -> None:
    server = ServerProcess([], subprocess_env(), free_port()).start()
    server.stop()
    db = Path(isolated_dirs["XDG_DATA_HOME"]) / "activitywatch" / "aw-server" / "aw-server.sqlite"
    assert (
        f"aw-server {__version__} serving http://127.0.0.1:{server.port} (database {db.resolve()})"
        in server.output()
    )
    memory = ServerProcess(["--storage", "memory"], subprocess_env(), free_port()).start()
    memory.stop()
    assert (
        f"serving http://127.0.0.1:{memory.port} (memory storage: nothing is kept)"
        in memory.output()
    )


def test_dbpath_in_a_missing_directory_is_created_and_said(tmp_path: Path) -> None:
    dbpath = tmp_path / "new" / "dir" / "aw.sqlite"
    server = ServerProcess(["--dbpath", str(dbpath)], subprocess_env(), free_port()).start()
    server.stop()
    assert f"creating the directory {dbpath.parent.resolve()} for the database" in server.output()
    assert dbpath.is_file()
    # the second start finds the directory: nothing to say
    again = ServerProcess(["--dbpath", str(dbpath)], subprocess_env(), free_port()).start()
    again.stop()
    assert "creating the directory" not in again.output()


def test_acknowledged_writes_survive_sigkill(tmp_path: Path) -> None:
    """Every write answered 200 is committed: killing the process right after loses nothing."""
    dbpath = tmp_path / "crash.sqlite"
    server = ServerProcess(["--dbpath", str(dbpath)], subprocess_env(), free_port()).start()
    session = requests.Session()
    base = f"{server.url}/api/0"
    session.post(f"{base}/buckets/b", json={"client": "c", "type": "t", "hostname": "h"}, timeout=5)
    acked = []
    for i in range(40):
        r = session.post(
            f"{base}/buckets/b/heartbeat?pulsetime=1",
            json={"timestamp": f"2024-01-01T00:{i:02d}:00Z", "data": {"i": i}},
            timeout=5,
        )
        assert r.status_code == 200
        acked.append(r.json())
    r = session.post(f"{base}/settings/last", data=b"false", headers=JSON, timeout=5)
    assert r.status_code == 200
    server.stop(signal.SIGKILL)
    restarted = ServerProcess(["--dbpath", str(dbpath)], subprocess_env(), free_port()).start()
    try:
        events = requests.get(f"{restarted.url}/api/0/buckets/b/events", timeout=5).json()
        assert sorted(e["id"] for e in events) == sorted(e["id"] for e in acked)
        assert requests.get(f"{restarted.url}/api/0/settings/last", timeout=5).json() is False
        merged = requests.post(
            f"{restarted.url}/api/0/buckets/b/heartbeat?pulsetime=120",
            json={"timestamp": "2024-01-01T00:40:00Z", "data": {"i": 39}},
            timeout=5,
        ).json()
        assert merged["id"] == acked[-1]["id"] and merged["duration"] == 60.0
    finally:
        restarted.stop()
    with sqlite3.connect(dbpath) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
