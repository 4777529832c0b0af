"""The two signatures every delivery carries, and the secret they are made with.

- ``X-AW-Signature: sha256=<hex>``: HMAC-SHA256 of the raw body, keyed with the UTF-8 bytes of
  the whole secret as shown (``whsec_...``), the way ClockEye's verification snippet and
  GitHub's ``X-Hub-Signature-256`` work. It has no timestamp, so it cannot stop a replay.
- Standard Webhooks: ``webhook-id`` (the event id, the same on every attempt),
  ``webhook-timestamp`` (this attempt's Unix time, so each retry is signed afresh) and
  ``webhook-signature: v1,<base64>``: HMAC-SHA256 of ``{id}.{timestamp}.{body}``, keyed with
  the bytes the base64 after ``whsec_`` decodes to, as the ``standardwebhooks`` library does.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from aw_server import __version__

PREFIX = "whsec_"
SECRET_BYTES = 24


def new_secret() -> str:
    """``whsec_`` and the base64 of 24 random bytes."""
    return PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def aw_signature(secret: str, body: bytes) -> str:
    """The ``X-AW-Signature`` value: ``sha256=<hex HMAC-SHA256(whole secret, body)>``."""
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def standard_signature(secret: str, event_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` value: ``v1,<base64 HMAC-SHA256(key, "{id}.{ts}.{body}")>``."""
    key = base64.b64decode(secret.removeprefix(PREFIX))
    signed = f"{event_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def delivery_headers(
    secret: str, event_id: str, kind: str, timestamp: int, body: bytes
) -> dict[str, str]:
    """Every header of one attempt, signed for ``timestamp`` (the attempt's time)."""
    return {
        "Content-Type": "application/json",
        "User-Agent": f"aw-server-py/{__version__}",
        "X-AW-Event": kind,
        "X-AW-Signature": aw_signature(secret, body),
        "webhook-id": event_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": standard_signature(secret, event_id, timestamp, body),
    }
