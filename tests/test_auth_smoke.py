"""Access control end to end on a live server: a key's whole life through the API."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from aw_server.app import create_app
from aw_server.auth.access import RULES
from tests.conftest import Api, make_config
from tests.liveserver import ThreadedServer


@pytest.fixture
def required(tmp_path: Path) -> Iterator[str]:
    config = make_config(tmp_path)
    config.auth.policy = "required"
    config.auth.api_key = "config-admin-secret"
    app = create_app(config)
    server = ThreadedServer(app).start()
    yield server.url
    server.stop()
    app.extensions["aw"].storage.close()


def test_every_api_endpoint_has_an_access_rule(app: object) -> None:
    endpoints = {
        rule.endpoint
        for rule in app.url_map.iter_rules()  # type: ignore[attr-defined]
        if rule.rule.startswith("/api")
    }
    assert endpoints <= set(RULES), endpoints - set(RULES)


def test_a_key_from_creation_to_revocation(required: str) -> None:
    admin = {"Authorization": "Bearer config-admin-secret"}
    base = f"{required}/api/0"
    assert requests.get(f"{base}/info", timeout=5).status_code == 200
    r = requests.get(f"{base}/buckets/", timeout=5)
    assert r.status_code == 401 and r.json()["code"] == "unauthorized"
    assert r.headers["WWW-Authenticate"] == 'Bearer realm="aw-server"'
    r = requests.post(f"{base}/keys", json={"name": "tablet", "preset": "dashboard"}, headers=admin)
    assert r.status_code == 201, r.text
    created = r.json()
    secret = created["secret"]
    assert created["scopes"] == ["read:*"] and created["prefix"] == secret[:8]
    reader = {"Authorization": f"Bearer {secret}"}
    assert requests.get(f"{base}/buckets/", headers=reader, timeout=5).json() == {}
    r = requests.post(
        f"{base}/buckets/b",
        json={"client": "c", "type": "t", "hostname": "h"},
        headers=reader,
        timeout=5,
    )
    assert r.status_code == 403 and "append:b" in r.json()["message"]
    listed = requests.get(f"{base}/keys", headers=admin, timeout=5).json()
    assert all("secret" not in k and secret not in str(k) for k in listed)
    r = requests.patch(f"{base}/keys/{created['id']}", json={"enabled": False}, headers=admin)
    assert r.status_code == 200 and r.json()["enabled"] is False
    r = requests.get(f"{base}/buckets/", headers=reader, timeout=5)
    assert r.status_code == 401 and r.json()["code"] == "key_revoked"


def test_loopback_without_a_key_works_as_before(api: Api) -> None:
    assert api.create_bucket("b").status_code == 200
    assert api.get("keys").status_code == 200
