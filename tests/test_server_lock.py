"""One server per database: a second one is refused, a killed one leaves no stale lock."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest
import requests

from aw_server.lock import DatabaseInUse, ServerLock
from aw_server.storage import SqliteStorage
from tests.conftest import subprocess_env
from tests.liveserver import ServerProcess, free_port
from tests.test_cli import run_cli

BUCKET = {"client": "c", "type": "t", "hostname": "h"}


def refusal(dbpath: Path, holder: ServerProcess) -> str:
    assert holder.proc is not None
    return (
        f"aw-server: the database {dbpath.resolve()} is in use by another aw-server "
        f"(PID {holder.proc.pid}, port {holder.port})"
    )


def test_second_server_on_the_same_database_is_refused(tmp_path: Path) -> None:
    dbpath = tmp_path / "aw.sqlite"
    first = ServerProcess(["--dbpath", str(dbpath)], subprocess_env(), free_port()).start()
    try:
        result = run_cli("--dbpath", str(dbpath), "--port", str(free_port()))
        assert result.returncode == 2
        assert result.stderr.strip().splitlines() == [refusal(dbpath, first)]
        # the same file under another name is the same database
        link = tmp_path / "link.sqlite"
        link.symlink_to(dbpath)
        result = run_cli("--dbpath", str(link), "--port", str(free_port()))
        assert result.returncode == 2 and "is in use by another aw-server" in result.stderr
        assert requests.get(f"{first.url}/api/0/info", timeout=5).ok  # the first one serves on
    finally:
        first.stop()


def test_lock_is_released_when_the_holder_is_killed(tmp_path: Path) -> None:
    dbpath = tmp_path / "aw.sqlite"
    first = ServerProcess(["--dbpath", str(dbpath)], subprocess_env(), free_port()).start()
    requests.post(f"{first.url}/api/0/buckets/b", json=BUCKET, timeout=5)
    first.stop(signal.SIGKILL)
    second = ServerProcess(["--dbpath", str(dbpath)], subprocess_env(), free_port()).start()
    try:
        assert list(requests.get(f"{second.url}/api/0/buckets/", timeout=5).json()) == ["b"]
        assert second.proc is not None
        assert json.loads(Path(f"{dbpath}.lock").read_text()) == {
            "pid": second.proc.pid,
            "port": second.port,
        }
    finally:
        second.stop()


def test_default_and_testing_databases_are_separate(isolated_dirs: dict[str, str]) -> None:
    normal = ServerProcess([], subprocess_env(), free_port()).start()
    testing = ServerProcess(["--testing"], subprocess_env(), free_port()).start()
    try:
        # two servers on the default database: the second is refused
        result = run_cli("--port", str(free_port()))
        assert result.returncode == 2 and f"port {normal.port})" in result.stderr
    finally:
        normal.stop()
        testing.stop()


def test_memory_servers_take_no_lock() -> None:
    first = ServerProcess(["--storage", "memory"], subprocess_env(), free_port()).start()
    second = ServerProcess(["--storage", "memory"], subprocess_env(), free_port()).start()
    assert first.stop() == 0 and second.stop() == 0


def test_maintenance_access_to_a_held_database_still_works(tmp_path: Path) -> None:
    """Backup, export and key commands open the database while the server runs."""
    dbpath = tmp_path / "aw.sqlite"
    server = ServerProcess(["--dbpath", str(dbpath)], subprocess_env(), free_port()).start()
    try:
        requests.post(f"{server.url}/api/0/buckets/b", json=BUCKET, timeout=5)
        storage = SqliteStorage(dbpath)
        try:
            assert storage.get_bucket("b") is not None
            storage.set_setting("from-maintenance", "true")
        finally:
            storage.close()
        r = requests.get(f"{server.url}/api/0/settings/from-maintenance", timeout=5)
        assert r.json() is True
    finally:
        server.stop()


def test_server_lock_in_process(tmp_path: Path) -> None:
    dbpath = tmp_path / "aw.sqlite"
    lock = ServerLock(dbpath)
    lock.acquire(5600)
    try:
        # flock locks belong to an open file, so a second open in this process conflicts too
        with pytest.raises(DatabaseInUse, match=rf"\(PID {os.getpid()}, port 5600\)"):
            ServerLock(dbpath).acquire(5601)
        lock.record_port(5602)
        with pytest.raises(DatabaseInUse, match="port 5602"):
            ServerLock(dbpath).acquire(5601)
    finally:
        lock.release()
    again = ServerLock(dbpath)
    again.acquire(5603)
    again.release()


def test_holder_that_has_not_written_yet(tmp_path: Path) -> None:
    dbpath = tmp_path / "aw.sqlite"
    lock = ServerLock(dbpath)
    lock.acquire(5600)
    try:
        Path(f"{dbpath}.lock").write_text("")
        with pytest.raises(DatabaseInUse, match="PID and port not known yet"):
            ServerLock(dbpath).acquire(5601)
    finally:
        lock.release()
