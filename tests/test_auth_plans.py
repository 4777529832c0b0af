"""ClockEye's plans: requests per hour of a key, on top of its per-minute limit."""

from __future__ import annotations

from pathlib import Path

import pytest

from aw_server.app import create_app
from aw_server.auth.keys import PLANS
from tests.conftest import make_config


@pytest.fixture
def client(tmp_path: Path):  # type: ignore[no-untyped-def]
    config = make_config(tmp_path, storage="memory")
    config.auth.rate_default = 1000  # the per-minute limit out of the way
    app = create_app(config)
    yield app.test_client()


def key(client, plan: str | None) -> dict[str, str]:  # type: ignore[no-untyped-def]
    body = {"name": f"plan {plan}", "scopes": ["read:*"], "plan": plan}
    created = client.post("/api/0/keys", json={k: v for k, v in body.items() if v is not None})
    assert created.status_code == 201, created.json
    assert created.json["plan"] == plan
    return {"Authorization": f"Bearer {created.json['secret']}"}


def test_the_free_plan_allows_100_requests_an_hour(client) -> None:  # type: ignore[no-untyped-def]
    headers = key(client, "free")
    for _ in range(PLANS["free"] or 0):
        assert client.get("/api/0/buckets/", headers=headers).status_code == 200
    refused = client.get("/api/0/buckets/", headers=headers)
    assert refused.status_code == 429 and refused.json["code"] == "rate_limited"
    assert "free plan" in refused.json["message"]
    assert refused.headers["X-RateLimit-Limit"] == "100"
    assert refused.headers["X-RateLimit-Remaining"] == "0"
    assert 3500 < int(refused.headers["Retry-After"]) <= 3600
    # another key is not affected, and a key without a plan has no hourly limit
    assert client.get("/api/0/buckets/", headers=key(client, None)).status_code == 200


def test_the_headers_show_the_nearer_limit(client) -> None:  # type: ignore[no-untyped-def]
    answer = client.get("/api/0/buckets/", headers=key(client, "free"))
    assert answer.headers["X-RateLimit-Limit"] == "100"
    assert answer.headers["X-RateLimit-Remaining"] == "99"
    answer = client.get("/api/0/buckets/", headers=key(client, "enterprise"))
    assert answer.headers["X-RateLimit-Limit"] == "1000"  # unlimited per hour: the minute's


def test_an_unknown_plan_is_refused(client) -> None:  # type: ignore[no-untyped-def]
    answer = client.post("/api/0/keys", json={"name": "x", "preset": "full", "plan": "gold"})
    assert answer.status_code == 400 and "plan" in answer.json["message"]
