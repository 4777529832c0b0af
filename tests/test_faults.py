"""Faults from outside: the database locked by another process, the database (disk) full."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.conftest import subprocess_env
from tests.liveserver import ServerProcess, free_port


def config(isolated_dirs: dict[str, str], text: str) -> None:
    path = Path(isolated_dirs["XDG_CONFIG_HOME"]) / "activitywatch" / "aw-server" / "aw-server.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def fill_until_full(
    base: str, bucket: str, batch: list[dict[str, object]], tries: int = 100
) -> tuple[requests.Response, int]:
    """Post the batch until the server refuses; the refusal and how many events were accepted."""
    accepted = 0
    for _ in range(tries):
        r = requests.post(f"{base}/buckets/{bucket}/events", json=batch, timeout=30)
        if r.status_code != 200:
            return r, accepted
        accepted += len(batch)
    raise AssertionError(f"still accepting after {accepted} events")


def heartbeat(base: str, second: int) -> requests.Response:
    body = {"timestamp": f"2024-01-01T00:00:{second:02d}Z", "duration": 0, "data": {"a": 1}}
    return requests.post(f"{base}/buckets/b/heartbeat?pulsetime=5", json=body, timeout=30)


def test_locked_database_is_503_and_recovers(isolated_dirs: dict[str, str], tmp_path: Path) -> None:
    config(isolated_dirs, "[server]\nbusy_timeout_ms = 300\n")
    db = tmp_path / "locked.sqlite"
    server = ServerProcess(["--dbpath", str(db)], subprocess_env(), free_port()).start()
    base = f"{server.url}/api/0"
    try:
        requests.post(
            f"{base}/buckets/b", json={"client": "c", "type": "t", "hostname": "h"}, timeout=10
        )
        assert heartbeat(base, 0).status_code == 200
        other = sqlite3.connect(db, isolation_level=None)
        other.execute("BEGIN EXCLUSIVE")  # another process holds the write lock
        r = heartbeat(base, 1)
        assert r.status_code == 503 and "locked" in r.json()["message"]
        assert (
            requests.get(f"{base}/buckets/b/events", timeout=10).status_code == 200
        )  # reads go on
        other.execute("ROLLBACK")
        other.close()
        r = heartbeat(base, 2)
        assert r.status_code == 200 and r.json()["duration"] == 2.0  # and merging still works
    finally:
        server.stop()


def test_full_database_is_507_and_recovers(isolated_dirs: dict[str, str], tmp_path: Path) -> None:
    config(isolated_dirs, "[server]\nmax_db_size_mb = 0.5\n")
    db = tmp_path / "full.sqlite"
    server = ServerProcess(["--dbpath", str(db)], subprocess_env(), free_port()).start()
    base = f"{server.url}/api/0"
    try:
        for bucket in ("keep", "bulk"):
            requests.post(
                f"{base}/buckets/{bucket}",
                json={"client": "c", "type": "t", "hostname": "h"},
                timeout=10,
            )
        kept = requests.post(
            f"{base}/buckets/keep/events",
            json={"timestamp": "2024-01-01T00:00:00Z", "duration": 1, "data": {"k": 1}},
            timeout=10,
        ).json()
        batch = [
            {
                "timestamp": f"2024-01-01T00:{i // 60:02d}:{i % 60:02d}Z",
                "duration": 1,
                "data": {"title": "x" * 200},
            }
            for i in range(200)
        ]
        statuses = []
        for _ in range(100):
            r = requests.post(f"{base}/buckets/bulk/events", json=batch, timeout=30)
            statuses.append(r.status_code)
            if r.status_code != 200:
                break
        assert statuses[-1] == 507, statuses
        assert "full" in r.json()["message"]
        accepted = statuses.count(200) * len(batch)
        assert (
            requests.get(f"{base}/buckets/bulk/events/count", timeout=10).json() == accepted
        )  # no half batch
        assert requests.get(f"{base}/buckets/keep/events/{kept['id']}", timeout=10).json() == kept
        assert requests.get(f"{base}/info", timeout=10).status_code == 200
        assert (
            requests.delete(f"{base}/buckets/bulk?force=1", timeout=30).status_code == 200
        )  # frees space
        assert (
            requests.post(f"{base}/buckets/keep/events", json=batch[:50], timeout=30).status_code
            == 200
        )
    finally:
        server.stop()
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


@pytest.fixture
def tiny_fs(tmp_path: Path) -> Iterator[Path]:
    """A 3 MiB tmpfs (root only): a filesystem that really fills up or is really read-only."""
    mount_point = tmp_path / "tiny"
    mount_point.mkdir()
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        pytest.skip(f"this machine does not allow mounting a tmpfs: {result.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def test_disk_really_full_is_507_and_recovers(tiny_fs: Path) -> None:
    ballast = tiny_fs / "ballast"
    ballast.write_bytes(b"\0" * (1024 * 1024))  # room to free later
    db = tiny_fs / "aw.sqlite"
    server = ServerProcess(["--dbpath", str(db)], subprocess_env(), free_port()).start()
    base = f"{server.url}/api/0"
    try:
        requests.post(
            f"{base}/buckets/b", json={"client": "c", "type": "t", "hostname": "h"}, timeout=10
        )
        batch = [
            {
                "timestamp": f"2024-01-01T00:00:{i % 60:02d}Z",
                "duration": 1,
                "data": {"title": "x" * 500},
            }
            for i in range(300)
        ]
        statuses = []
        for _ in range(60):
            r = requests.post(f"{base}/buckets/b/events", json=batch, timeout=30)
            statuses.append(r.status_code)
            if r.status_code != 200:
                break
        assert statuses[-1] == 507 and "full" in r.json()["message"], statuses
        accepted = statuses.count(200) * len(batch)
        assert requests.get(f"{base}/buckets/b/events/count", timeout=10).json() == accepted
        assert requests.get(f"{base}/info", timeout=10).status_code == 200
        ballast.unlink()  # the fault clears
        r = requests.post(f"{base}/buckets/b/events", json=batch[:20], timeout=30)
        assert r.status_code == 200
        assert requests.get(f"{base}/buckets/b/events/count", timeout=10).json() == accepted + 20
    finally:
        server.stop()
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_read_only_data_dir_at_startup_is_a_clear_error(tiny_fs: Path) -> None:
    assert (
        subprocess.run(["mount", "-o", "remount,ro", str(tiny_fs)], capture_output=True).returncode
        == 0
    )
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "aw_server",
            "--port",
            str(free_port()),
            "--dbpath",
            str(tiny_fs / "data" / "aw.sqlite"),
        ],
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result.stderr
    assert "read-only" in result.stderr.lower() or "readonly" in result.stderr.lower()
    assert "Traceback" not in result.stderr
