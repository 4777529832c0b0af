"""``aw-server keys``: as subprocesses, alone and beside running servers on the same database."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tests.conftest import subprocess_env
from tests.liveserver import ROOT, ServerProcess, free_port
from tests.test_auth_support import UUID4, bearer, poll, run_cli


def _create(*args: str) -> tuple[int, str]:
    """Run ``keys create`` (global options first in ``args``); (key id, secret)."""
    split = args.index("--")
    result = run_cli(*args[:split], "keys", "create", *args[split + 1 :])
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    match = re.match(r"created key (\d+): ", lines[0])
    assert match is not None, lines
    return int(match.group(1)), lines[-1]


def test_create_prints_the_secret_alone_on_the_last_line(tmp_path: Path) -> None:
    db = str(tmp_path / "aw.sqlite")
    result = run_cli("--dbpath", db, "keys", "create", "--name", "phone", "--preset", "watcher")
    assert result.returncode == 0 and result.stderr == ""
    lines = result.stdout.splitlines()
    assert re.match(UUID4, lines[-1]) and lines[-1] == lines[-1].strip()
    assert sum(lines[-1] in line for line in lines) == 1  # shown once
    assert "phone" in lines[0] and "append:*" in lines[0]
    # what a script does: take the last line
    command = (
        f"{shlex.quote(sys.executable)} -m aw_server --dbpath {shlex.quote(db)} "
        "keys create --name laptop --scope 'read:aw-*' --scope append:aw-x | tail -1"
    )
    piped = subprocess.run(
        ["bash", "-c", command],
        env=subprocess_env(),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    secret = piped.stdout.strip()
    assert re.match(UUID4, secret), piped.stdout + piped.stderr
    listed = run_cli("--dbpath", db, "keys", "list", "--json")
    keys = json.loads(listed.stdout)
    assert [k["name"] for k in keys] == ["phone", "laptop"]
    assert keys[1]["scopes"] == ["read:aw-*", "append:aw-x"] and keys[1]["prefix"] == secret[:8]
    assert secret not in listed.stdout and lines[-1] not in listed.stdout


def test_list_revoke_and_delete(tmp_path: Path) -> None:
    db = str(tmp_path / "aw.sqlite")
    assert run_cli("--dbpath", db, "keys", "list").stdout == "no keys\n"
    first, secret1 = _create("--dbpath", db, "--", "--name", "tablet", "--preset", "dashboard")
    options = "--name watch --scope append:w --rate-limit 30 --expires 2999-01-01T00:00:00Z"
    second, secret2 = _create("--dbpath", db, "--", *options.split())
    listed = run_cli("--dbpath", db, "keys", "list").stdout.splitlines()
    assert len(listed) == 2
    assert f"{secret1[:8]}…" in listed[0] and "tablet" in listed[0] and "enabled" in listed[0]
    assert "[append:w]" in listed[1] and "expires 2999-01-01 00:00 UTC" in listed[1]
    assert "last used never" in listed[1]
    for secret in (secret1, secret2):
        assert secret not in "\n".join(listed)
    revoked = run_cli("--dbpath", db, "keys", "revoke", str(first))
    assert revoked.returncode == 0 and revoked.stdout == f"revoked key {first} (tablet)\n"
    keys = json.loads(run_cli("--dbpath", db, "keys", "list", "--json").stdout)
    assert [(k["id"], k["enabled"]) for k in keys] == [(first, False), (second, True)]
    assert keys[1]["rate_limit"] == 30 and keys[1]["expires"].startswith("2999-01-01")
    deleted = run_cli("--dbpath", db, "keys", "delete", str(second))
    assert deleted.returncode == 0 and deleted.stdout == f"deleted key {second}\n"
    keys = json.loads(run_cli("--dbpath", db, "keys", "list", "--json").stdout)
    assert [k["id"] for k in keys] == [first]


def test_global_options_come_before_the_subcommand(
    isolated_dirs: dict[str, str], tmp_path: Path
) -> None:
    key_id, _ = _create("--testing", "--", "--name", "t", "--preset", "full")
    testing_db = Path(isolated_dirs["XDG_DATA_HOME"]) / "activitywatch" / "aw-server"
    assert any(p.name.endswith(".sqlite") and "testing" in p.name for p in testing_db.iterdir())
    assert f"{key_id:>4}" in run_cli("--testing", "keys", "list").stdout
    assert run_cli("keys", "list").stdout == "no keys\n"  # the normal database has none
    other = str(tmp_path / "other.sqlite")
    _create("--testing", "--dbpath", other, "--", "--name", "o", "--preset", "full")
    assert " o  " in run_cli("--dbpath", other, "keys", "list").stdout
    misplaced = run_cli("keys", "list", "--testing")
    assert misplaced.returncode == 2


def _status(url: str, secret: str) -> tuple[int, str]:
    r = requests.get(f"{url}/api/0/buckets/", headers=bearer(secret), timeout=5)
    return r.status_code, r.json().get("code", "") if r.status_code != 200 else ""


def test_a_running_server_sees_keys_created_revoked_and_deleted_by_the_cli(
    isolated_dirs: dict[str, str], tmp_path: Path
) -> None:
    # polling with a key the server does not know yet fails authentication each time
    config = Path(isolated_dirs["XDG_CONFIG_HOME"]) / "activitywatch" / "aw-server"
    config.mkdir(parents=True)
    (config / "aw-server.toml").write_text("[ratelimit]\nfailed_auth = 1000\n")
    db = str(tmp_path / "aw.sqlite")
    server = ServerProcess(
        ["--dbpath", db, "--auth", "required"], subprocess_env(), free_port()
    ).start()
    try:
        assert _status(server.url, "not-yet")[0] == 401  # the key ring is loaded
        key_id, secret = _create("--dbpath", db, "--", "--name", "n", "--preset", "dashboard")
        assert poll(lambda: _status(server.url, secret) == (200, ""))
        assert run_cli("--dbpath", db, "keys", "revoke", str(key_id)).returncode == 0
        assert poll(lambda: _status(server.url, secret) == (401, "key_revoked"))
        other_id, other = _create("--dbpath", db, "--", "--name", "m", "--preset", "dashboard")
        assert poll(lambda: _status(server.url, other) == (200, ""))
        assert run_cli("--dbpath", db, "keys", "delete", str(other_id)).returncode == 0
        assert poll(lambda: _status(server.url, other) == (401, "unauthorized"))
        # the server's own view of the keys agrees with the CLI's
        admin_id, admin = _create("--dbpath", db, "--", "--name", "a", "--preset", "full")
        assert poll(lambda: _status(server.url, admin) == (200, ""))
        listed = requests.get(f"{server.url}/api/0/keys", headers=bearer(admin), timeout=5).json()
        assert [(k["id"], k["enabled"]) for k in listed] == [(key_id, False), (admin_id, True)]
    finally:
        server.stop()


def test_servers_sharing_a_database_see_the_same_revocation_after_a_restart(
    tmp_path: Path,
) -> None:
    db = str(tmp_path / "aw.sqlite")

    def start() -> ServerProcess:
        return ServerProcess(["--dbpath", db], subprocess_env(), free_port()).start()

    first = start()
    try:
        r = requests.post(
            f"{first.url}/api/0/keys", json={"name": "n", "preset": "full"}, timeout=5
        )
        key_id, secret = r.json()["id"], r.json()["secret"]
        assert _status(first.url, secret) == (200, "")
        r = requests.patch(f"{first.url}/api/0/keys/{key_id}", json={"enabled": False}, timeout=5)
        assert r.status_code == 200
    finally:
        assert first.stop() == 0
    second = start()
    try:
        assert _status(second.url, secret) == (401, "key_revoked")
        r = requests.patch(f"{second.url}/api/0/keys/{key_id}", json={"enabled": True}, timeout=5)
        assert r.status_code == 200
    finally:
        assert second.stop() == 0
    first = start()
    try:
        assert _status(first.url, secret) == (200, "")
    finally:
        first.stop()


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["keys", "create", "--name", "n", "--scope", "read"], "unknown scope 'read'"),
        (["keys", "create", "--name", "n", "--scope", "delete:*"], "unknown scope"),
        (["keys", "create", "--name", "n", "--scope", "read:"], "bucket glob"),
        (["keys", "create", "--name", "n"], "at least one scope"),
        (["keys", "create", "--name", " ", "--preset", "full"], "name"),
        (["keys", "create", "--name", "a\n   2  b…", "--preset", "full"], "line breaks"),
        (
            ["keys", "create", "--name", "n", "--preset", "full", "--expires", "2001-01-01"],
            "'expires' must be in the future",
        ),
        (["keys", "create", "--name", "n", "--preset", "full", "--expires", "soon"], "expires"),
        (["keys", "create", "--name", "n", "--preset", "full", "--rate-limit", "0"], "rate_limit"),
        (["--storage", "memory", "keys", "list"], "--storage memory has none"),
        (["--storage", "memory", "keys", "create", "--name", "n", "--preset", "full"], "memory"),
        (["keys", "revoke", "7"], "there is no key 7"),
        (["keys", "delete", "7"], "there is no key 7"),
        (["keys", "delete", "9" * 30], "there is no key"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, args: list[str], words: str) -> None:
    db = tmp_path / "aw.sqlite"
    result = run_cli("--dbpath", str(db), *args)
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2, result.stdout + result.stderr
    assert len(lines) == 1 and lines[0].startswith("aw-server: "), result.stderr
    assert words in lines[0]
    assert result.stdout == ""
    if db.exists():
        assert run_cli("--dbpath", str(db), "keys", "list").stdout == "no keys\n"
