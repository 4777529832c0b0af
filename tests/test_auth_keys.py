"""API keys: their format, a secret shown once and kept nowhere, revocation, last use, expiry,
and the constant-time comparison."""

from __future__ import annotations

import hashlib
import hmac
import re
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests

import aw_server.auth.keyring as keyring_module
from aw_server.app import create_app
from aw_server.auth.keyring import KeyRing
from aw_server.auth.keys import ApiKey, MemoryKeyStore, NewKey, hash_secret
from aw_server.auth.scopes import parse_scopes
from tests.conftest import make_config, subprocess_env
from tests.liveserver import ServerProcess, free_port
from tests.test_auth_support import (
    UUID4,
    FakeClock,
    auth_server,
    b64,
    bearer,
    run_cli,
    server_log_files_text,
)


class CountingStore(MemoryKeyStore):
    """A memory store that counts the writes of a key's last use."""

    def __init__(self) -> None:
        super().__init__()
        self.touches = 0

    def touch(self, key_id: int, when: datetime) -> None:
        self.touches += 1
        super().touch(key_id, when)


def _db_row(dbpath: Path, key_id: int) -> tuple[str, str, int | None]:
    """(secret_hash, prefix, last_used_us) as stored."""
    with sqlite3.connect(f"file:{dbpath}?mode=ro", uri=True) as conn:
        row = conn.execute(
            "SELECT secret_hash, prefix, last_used_us FROM api_keys WHERE id = ?", (key_id,)
        ).fetchone()
    assert row is not None
    return row[0], row[1], row[2]


def _database_bytes(dbpath: Path) -> bytes:
    """The database file with its WAL and shared-memory files, as bytes on disk."""
    files = [dbpath, dbpath.with_name(dbpath.name + "-wal"), dbpath.with_name(dbpath.name + "-shm")]
    return b"".join(f.read_bytes() for f in files if f.exists())


def test_secrets_are_uuid4_and_unique() -> None:
    ring = KeyRing(MemoryKeyStore())
    secrets = [ring.create("k", preset="watcher")[1] for _ in range(200)]
    assert all(re.match(UUID4, s) for s in secrets)
    assert len(set(secrets)) == len(secrets)


def test_created_key_is_stored_as_its_sha256_with_an_8_character_prefix(tmp_path: Path) -> None:
    with auth_server(tmp_path) as srv:
        r = srv.call("POST", "keys", body={"name": "phone", "preset": "watcher"})
        assert r.status_code == 201, r.text
        created = r.json()
        secret = created["secret"]
        assert re.match(UUID4, secret)
        assert created["prefix"] == secret[:8]
        stored_hash, prefix, _ = _db_row(srv.dbpath, created["id"])
        assert stored_hash == hashlib.sha256(secret.encode()).hexdigest()
        assert prefix == secret[:8]


def test_the_secret_is_shown_once_and_never_kept_listed_or_logged(
    isolated_dirs: dict[str, str], tmp_path: Path
) -> None:
    """Created over the API, used in every form, revoked and tried again: afterwards the secret
    is in no listing (API, CLI, CLI --json), not in the database files, not in any log."""
    dbpath = tmp_path / "aw.sqlite"
    server = ServerProcess(
        ["--dbpath", str(dbpath), "--verbose"], subprocess_env(), free_port()
    ).start()
    try:
        base = f"{server.url}/api/0"
        r = requests.post(f"{base}/keys", json={"name": "n", "preset": "full"}, timeout=5)
        assert r.status_code == 201
        key_id, secret = r.json()["id"], r.json()["secret"]
        forms: list[tuple[dict[str, str], str]] = [
            (bearer(secret), ""),
            ({"Authorization": f"Bearer {b64(secret)}"}, ""),
            ({"Authorization": f"Basic {b64(secret)}"}, ""),
            ({"Authorization": f"Basic {b64('user:' + secret)}"}, ""),
            ({"X-API-Key": secret}, ""),
            ({}, f"?api_key={secret}"),
        ]
        for headers, query in forms:
            assert requests.get(f"{base}/buckets/{query}", headers=headers, timeout=5).ok
        assert requests.get(f"{base}/nope?api_key={secret}", timeout=5).status_code == 404
        assert requests.patch(f"{base}/keys/{key_id}", json={"enabled": False}, timeout=5).ok
        for headers, query in forms:
            r = requests.get(f"{base}/buckets/{query}", headers=headers, timeout=5)
            assert r.status_code == 401 and r.json()["code"] == "key_revoked"
        listed = requests.get(f"{base}/keys", timeout=5).text
        log = requests.get(f"{base}/log", timeout=5).text
        cli_list = run_cli("--dbpath", str(dbpath), "keys", "list")
        cli_json = run_cli("--dbpath", str(dbpath), "keys", "list", "--json")
    finally:
        server.stop()
    assert cli_list.returncode == 0 and cli_json.returncode == 0, cli_list.stderr
    assert f"{secret[:8]}…" in cli_list.stdout and "revoked" in cli_list.stdout
    assert "failed authentication from 127.0.0.1" in log  # the log was looked at
    texts = {
        "GET /keys": listed,
        "keys list": cli_list.stdout + cli_list.stderr,
        "keys list --json": cli_json.stdout + cli_json.stderr,
        "GET /log": log,
        "log files": server_log_files_text(isolated_dirs),
        "stderr": server.output(),
    }
    for where, text in texts.items():
        for form in (secret, b64(secret), b64("user:" + secret)):
            assert form not in text, where
    stored = _database_bytes(dbpath)
    assert hash_secret(secret).encode() in stored  # the right files were read
    assert secret.encode() not in stored and b64(secret).encode() not in stored


def test_a_short_config_secret_is_never_shown_whole(tmp_path: Path) -> None:
    """An ``[auth] api_key`` of 8 characters or fewer: its prefix is at most half of it."""
    with auth_server(tmp_path, policy="required", api_key="hunter2") as srv:
        r = srv.call("GET", "keys", "hunter2")
        assert r.status_code == 200
        (key,) = r.json()
        assert key["prefix"] == "hun" and "hunter2" not in r.text
        srv.call("PATCH", f"keys/{key['id']}", "hunter2", body={"enabled": False})
        r = srv.call("GET", "buckets/", "hunter2")
        assert r.json()["code"] == "key_revoked" and "hunter2" not in r.text
        assert "hunter2" not in srv.call("GET", "log", srv.key("admin")).text


def test_revoking_or_deleting_takes_effect_on_the_next_request(tmp_path: Path) -> None:
    with auth_server(tmp_path) as srv:
        secret = srv.key("read:*")
        (key,) = srv.ring.all()
        assert srv.call("GET", "buckets/", secret).status_code == 200
        r = srv.call("PATCH", f"keys/{key.id}", body={"enabled": False})
        assert r.status_code == 200 and r.json()["enabled"] is False
        r = srv.call("GET", "buckets/", secret)
        assert r.status_code == 401 and r.json()["code"] == "key_revoked"
        srv.call("PATCH", f"keys/{key.id}", body={"enabled": True})
        assert srv.call("GET", "buckets/", secret).status_code == 200
        assert srv.call("DELETE", f"keys/{key.id}").status_code == 200
        r = srv.call("GET", "buckets/", secret)
        assert r.status_code == 401 and r.json()["code"] == "unauthorized"


def test_last_use_is_written_at_most_once_a_minute() -> None:
    clock = FakeClock()
    store = CountingStore()
    ring = KeyRing(store, clock=clock)
    key, _ = ring.create("k", scopes=["read:*"])
    ring.used(key)
    ring.used(key)
    clock.advance(59.9)
    ring.used(key)
    assert store.touches == 1
    clock.advance(0.1)
    ring.used(key)
    assert store.touches == 2


def test_last_use_in_the_database_stays_within_the_minute(tmp_path: Path) -> None:
    with auth_server(tmp_path) as srv:
        secret = srv.key("read:*")
        (key,) = srv.ring.all()
        assert _db_row(srv.dbpath, key.id)[2] is None
        assert srv.call("GET", "buckets/", secret).ok
        first = _db_row(srv.dbpath, key.id)[2]
        assert first is not None
        assert srv.call("GET", "buckets/", secret).ok
        assert _db_row(srv.dbpath, key.id)[2] == first
        listed = srv.call("GET", "keys").json()[0]["last_used"]
        assert datetime.fromisoformat(listed) <= datetime.now(UTC)


def _add_key(ring: KeyRing, secret: str, expires: datetime) -> ApiKey:
    """A key stored directly (creating one through the ring refuses a past expiry)."""
    key = ring.store.create(
        NewKey(
            name="old",
            scopes=parse_scopes(["read:*"]),
            secret_hash=hash_secret(secret),
            prefix=secret[:8],
            created=expires - timedelta(days=30),
            expires=expires,
        )
    )
    ring.invalidate()
    return key


def test_an_expired_key_is_refused(tmp_path: Path) -> None:
    now = datetime.now(UTC)
    with auth_server(tmp_path) as srv:
        _add_key(srv.ring, "11111111-1111-4111-8111-111111111111", now - timedelta(seconds=1))
        _add_key(srv.ring, "22222222-2222-4222-8222-222222222222", now + timedelta(days=1))
        r = srv.call("GET", "buckets/", "11111111-1111-4111-8111-111111111111")
        assert r.status_code == 401 and r.json()["code"] == "key_expired"
        assert r.headers["WWW-Authenticate"] == 'Bearer realm="aw-server"'
        assert "11111111…" in r.json()["message"]
        assert srv.call("GET", "buckets/", "22222222-2222-4222-8222-222222222222").ok


def test_find_compares_the_digests_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, str]] = []
    real = hmac.compare_digest

    def recording(a: str, b: str) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(keyring_module.hmac, "compare_digest", recording)
    ring = KeyRing(MemoryKeyStore())
    key, secret = ring.create("k", scopes=["read:*"])
    assert ring.find(secret) == key
    assert calls == [(key.secret_hash, hash_secret(secret))]


@pytest.mark.parametrize("position", [0, 7, 8, 14, 35])
def test_a_key_differing_in_one_character_fails(tmp_path: Path, position: int) -> None:
    with auth_server(tmp_path) as srv:
        secret = srv.key("read:*")
        other = "0" if secret[position] != "0" else "1"
        near = secret[:position] + other + secret[position + 1 :]
        assert srv.ring.find(near) is None
        r = srv.call("GET", "buckets/", near)
        assert r.status_code == 401 and r.json()["code"] == "unauthorized"
        assert srv.call("GET", "buckets/", secret).status_code == 200


def test_keys_work_the_same_with_memory_storage(tmp_path: Path) -> None:
    app = create_app(make_config(tmp_path, storage="memory"))
    client = app.test_client()
    r = client.post("/api/0/keys", json={"name": "Zoë's téléphone ✓", "preset": "dashboard"})
    assert r.status_code == 201 and r.json is not None
    secret, key_id = r.json["secret"], r.json["id"]
    assert re.match(UUID4, secret) and r.json["name"] == "Zoë's téléphone ✓"
    assert client.get("/api/0/buckets/", headers=bearer(secret)).status_code == 200
    client.patch(f"/api/0/keys/{key_id}", json={"enabled": False})
    r = client.get("/api/0/buckets/", headers=bearer(secret))
    assert r.status_code == 401 and r.json is not None and r.json["code"] == "key_revoked"
    assert client.delete(f"/api/0/keys/{key_id}").status_code == 200
    assert client.get("/api/0/keys").json == []
