"""The signatures of a real delivery, checked by every verification snippet docs/webhooks.md
gives (run from the document: Python standard library, the standardwebhooks package, Node.js),
and forged ones rejected by each of them."""

from __future__ import annotations

import base64
import json
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from standardwebhooks import Webhook as StandardWebhook

from aw_server.webhooks.signing import aw_signature, new_secret, standard_signature
from tests.test_webhooks_support import (
    VERIFY,
    Received,
    Reply,
    doc_blocks,
    hook_server,
    receiver,
)

NODE_CHECK = """
const input = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const results = input.cases.map(c =>
  verifyWebhookSignature(Buffer.from(c.body, 'base64'), c.signature, c.secret));
console.log(JSON.stringify(results));
"""


@pytest.fixture(scope="module")
def delivery(tmp_path_factory: pytest.TempPathFactory) -> tuple[Received, str]:
    """One real delivery, as the receiver got it, and the webhook's secret."""
    with receiver() as rx, hook_server(tmp_path_factory.mktemp("signing")) as srv:
        made = srv.create(rx.url(), ["time_entry.started"])
        srv.occur("time_entry.started", {"id": 1, "description": "naïve café ☕"})
        (got,) = rx.wait_for(1)
    return got, made["secret"]


def _forgeries(got: Received, secret: str) -> list[tuple[str, bytes, dict[str, str], str]]:
    """(what, body, headers, secret) that must all fail verification."""
    tampered = got.body.replace(b'"id":1', b'"id":2')
    assert tampered != got.body
    other_secret = new_secret()
    stale = str(int(got.headers["webhook-timestamp"]) - 3600)
    resigned_stale = {
        **got.headers,
        "webhook-timestamp": stale,
        "webhook-signature": standard_signature(other_secret, got.event_id, int(stale), got.body),
    }
    return [
        ("tampered body", tampered, got.headers, secret),
        ("other secret", got.body, got.headers, other_secret),
        (
            "signature made with another key",
            got.body,
            {
                **got.headers,
                "x-aw-signature": aw_signature(other_secret, got.body),
                "webhook-signature": standard_signature(
                    other_secret, got.event_id, int(got.headers["webhook-timestamp"]), got.body
                ),
            },
            secret,
        ),
        (
            "truncated signature",
            got.body,
            {
                **got.headers,
                "x-aw-signature": got.headers["x-aw-signature"][:-1],
                "webhook-signature": got.headers["webhook-signature"][:-2],
            },
            secret,
        ),
        ("stale timestamp", got.body, resigned_stale, other_secret),
        (
            "missing signature",
            got.body,
            {
                k: v
                for k, v in got.headers.items()
                if k not in ("x-aw-signature", "webhook-signature")
            },
            secret,
        ),
    ]


def test_a_real_delivery_verifies_with_every_documented_python_snippet(
    delivery: tuple[Received, str],
) -> None:
    got, secret = delivery
    assert VERIFY["verify_aw_signature"](got.body, got.headers["x-aw-signature"], secret)
    assert VERIFY["verify_standard_webhook"](got.body, got.headers, secret)
    assert VERIFY["verify_with_standardwebhooks"](got.body, got.headers, secret)
    assert StandardWebhook(secret).verify(got.body, got.headers)["data"]["description"] == (
        "naïve café ☕"
    )


def test_forged_signatures_are_rejected_by_every_documented_python_snippet(
    delivery: tuple[Received, str],
) -> None:
    got, secret = delivery
    for what, body, headers, key in _forgeries(got, secret):
        if what != "stale timestamp":  # X-AW-Signature has no timestamp to be stale
            assert not VERIFY["verify_aw_signature"](
                body, headers.get("x-aw-signature", ""), key
            ), what
        assert not VERIFY["verify_standard_webhook"](body, headers, key), what
        assert not VERIFY["verify_with_standardwebhooks"](body, headers, key), what


def test_the_documented_node_snippet_accepts_the_real_and_rejects_forged(
    delivery: tuple[Received, str], tmp_path: Path
) -> None:
    got, secret = delivery
    (snippet,) = doc_blocks("js")
    script = tmp_path / "verify.js"
    script.write_text(snippet + NODE_CHECK)
    cases: list[dict[str, Any]] = [
        {"body": got.body, "signature": got.headers["x-aw-signature"], "secret": secret}
    ]
    cases += [
        {"body": body, "signature": headers.get("x-aw-signature", ""), "secret": key}
        for what, body, headers, key in _forgeries(got, secret)
        if what != "stale timestamp"
    ]
    payload = {
        "cases": [{**c, "body": base64.b64encode(c["body"]).decode()} for c in cases],
    }
    result = subprocess.run(
        ["node", str(script)],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert json.loads(result.stdout) == [True] + [False] * (len(cases) - 1)


def test_every_attempt_is_signed_for_its_own_time(tmp_path: Path) -> None:
    with receiver() as rx, hook_server(tmp_path) as srv:
        rx.answer(Reply(500))
        made = srv.create(rx.url())
        srv.occur("time_entry.stopped", {"id": 1})
        first, second = rx.wait_for(2)
    assert first.event_id == second.event_id and first.body == second.body
    assert first.signed(made["secret"]) and second.signed(made["secret"])
    assert abs(int(second.headers["webhook-timestamp"]) - time.time()) < 300


def test_signatures_match_the_standardwebhooks_reference() -> None:
    secret = new_secret()
    body = b'{"id":"evt_1","type":"ping","timestamp":"2025-01-01T00:00:00Z","data":{}}'
    now = int(time.time())
    headers = {
        "webhook-id": "evt_1",
        "webhook-timestamp": str(now),
        "webhook-signature": standard_signature(secret, "evt_1", now, body),
    }
    assert StandardWebhook(secret).verify(body, headers)["id"] == "evt_1"
    assert (
        aw_signature(secret, body).startswith("sha256=") and len(aw_signature(secret, body)) == 71
    )
    assert new_secret() != secret and len(secret) == len("whsec_") + 32
