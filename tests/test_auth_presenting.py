"""Presenting a key: every accepted form works; every missing, malformed or unusable key is a
401 with its code and the WWW-Authenticate header."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from aw_server.auth.keys import NewKey, hash_secret
from aw_server.auth.scopes import parse_scopes
from tests.test_auth_support import BUCKET, AuthServer, auth_server, b64

CHALLENGE = 'Bearer realm="aw-server"'

# form name -> (headers, query string) carrying the secret
FORMS: dict[str, Callable[[str], tuple[dict[str, str], str]]] = {
    "bearer": lambda s: ({"Authorization": f"Bearer {s}"}, ""),
    "bearer lower case": lambda s: ({"Authorization": f"bearer {s}"}, ""),
    "bearer base64": lambda s: ({"Authorization": f"Bearer {b64(s)}"}, ""),
    "basic base64(key)": lambda s: ({"Authorization": f"Basic {b64(s)}"}, ""),
    "basic base64(user:key)": lambda s: ({"Authorization": f"Basic {b64('me@x:' + s)}"}, ""),
    "X-API-Key": lambda s: ({"X-API-Key": s}, ""),
    "?api_key=": lambda s: ({}, f"?api_key={s}"),
}


def _get(srv: AuthServer, headers: dict[str, str], query: str = "") -> tuple[int, str, str]:
    """GET /api/0/buckets/ -> (status, code or '', WWW-Authenticate or '')."""
    r = srv.call("GET", f"buckets/{query}", headers=headers)
    code = r.json().get("code", "") if r.status_code != 200 else ""
    return r.status_code, code, r.headers.get("WWW-Authenticate", "")


@pytest.mark.parametrize("form", list(FORMS))
@pytest.mark.parametrize("policy", ["local", "required"])
def test_every_accepted_form_works(tmp_path: Path, form: str, policy: str) -> None:
    with auth_server(tmp_path, policy=policy) as srv:
        srv.service.create_bucket("b", dict(BUCKET))
        secret = srv.key("read:*")
        headers, query = FORMS[form](secret)
        r = srv.call("GET", f"buckets/{query}", headers=headers)
        assert r.status_code == 200 and list(r.json()) == ["b"]
        assert r.headers["X-RateLimit-Limit"] == "600"


# case -> (how the key is presented, given a valid secret; expected code)
BAD: dict[str, tuple[Callable[[str], dict[str, str]], str]] = {
    "missing": (lambda s: {}, "unauthorized"),
    "empty Authorization": (lambda s: {"Authorization": ""}, "unauthorized"),
    "Bearer without a key": (lambda s: {"Authorization": "Bearer"}, "unauthorized"),
    "Bearer of spaces": (lambda s: {"Authorization": "Bearer    "}, "unauthorized"),
    "Bearer garbage": (lambda s: {"Authorization": "Bearer not a key!"}, "unauthorized"),
    "Basic not base64": (lambda s: {"Authorization": "Basic %%%not-base64"}, "unauthorized"),
    "Basic base64 of garbage": (lambda s: {"Authorization": f"Basic {b64('x:y')}"}, "unauthorized"),
    "Basic base64 not UTF-8": (lambda s: {"Authorization": "Basic //79/Q=="}, "unauthorized"),
    "empty X-API-Key": (lambda s: {"X-API-Key": ""}, "unauthorized"),
    "one character short": (lambda s: {"X-API-Key": s[:-1]}, "unauthorized"),
    "one character long": (lambda s: {"X-API-Key": s + "0"}, "unauthorized"),
    "upper case": (lambda s: {"X-API-Key": s.upper()}, "unauthorized"),
    "very long": (lambda s: {"X-API-Key": s * 20}, "unauthorized"),
    "a key in another scheme": (lambda s: {"Authorization": "Token abc"}, "unauthorized"),
    "a valid key in another scheme": (lambda s: {"Authorization": f"Token {s}"}, "unauthorized"),
    "a valid key as Digest": (lambda s: {"Authorization": f"Digest {s}"}, "unauthorized"),
    # the first form present is the only one used: a valid key behind a bad one does not help
    "bad Authorization, valid X-API-Key": (
        lambda s: {"Authorization": "Bearer nope", "X-API-Key": s},
        "unauthorized",
    ),
}


@pytest.mark.parametrize("case", list(BAD))
def test_a_missing_or_malformed_key_is_a_401(tmp_path: Path, case: str) -> None:
    present, code = BAD[case]
    with auth_server(tmp_path, policy="required", rate_failed_auth=1000) as srv:
        secret = srv.key("read:*")
        assert _get(srv, present(secret)) == (401, code, CHALLENGE)
        assert _get(srv, {"X-API-Key": secret})[0] == 200


def test_an_empty_or_bad_key_in_the_url_is_a_401(tmp_path: Path) -> None:
    with auth_server(tmp_path, policy="required", rate_failed_auth=1000) as srv:
        secret = srv.key("read:*")
        for query in ("?api_key=", "?api_key=x", f"?api_key={secret[:-1]}", f"?api_key={secret}&"):
            expected = 200 if query.endswith("&") else 401
            assert _get(srv, {}, query)[0] == expected, query
        # a valid header wins over a bad URL key: the header is checked first
        assert _get(srv, {"X-API-Key": secret}, "?api_key=bad")[0] == 200


def _stored_key(srv: AuthServer, secret: str, *, expires: datetime | None = None) -> int:
    key = srv.ring.store.create(
        NewKey(
            name="k",
            scopes=parse_scopes(["read:*"]),
            secret_hash=hash_secret(secret),
            prefix=secret[:8],
            created=datetime.now(UTC) - timedelta(days=2),
            expires=expires,
        )
    )
    srv.ring.invalidate()
    return key.id


@pytest.mark.parametrize("form", list(FORMS))
def test_revoked_expired_and_deleted_keys_are_refused_in_every_form(
    tmp_path: Path, form: str
) -> None:
    revoked = "aaaaaaaa-0000-4000-8000-000000000001"
    expired = "bbbbbbbb-0000-4000-8000-000000000002"
    deleted = "cccccccc-0000-4000-8000-000000000003"
    with auth_server(tmp_path, policy="required", rate_failed_auth=1000) as srv:
        srv.ring.set_enabled(_stored_key(srv, revoked), False)
        _stored_key(srv, expired, expires=datetime.now(UTC) - timedelta(days=1))
        srv.ring.delete(_stored_key(srv, deleted))
        expected = {revoked: "key_revoked", expired: "key_expired", deleted: "unauthorized"}
        for secret, code in expected.items():
            headers, query = FORMS[form](secret)
            assert _get(srv, headers, query) == (401, code, CHALLENGE), secret


def test_a_revoked_key_that_also_expired_says_revoked(tmp_path: Path) -> None:
    secret = "dddddddd-0000-4000-8000-000000000004"
    with auth_server(tmp_path, policy="required") as srv:
        key_id = _stored_key(srv, secret, expires=datetime.now(UTC) - timedelta(days=1))
        srv.ring.set_enabled(key_id, False)
        assert _get(srv, {"X-API-Key": secret}) == (401, "key_revoked", CHALLENGE)


def test_a_401_never_carries_rate_limit_headers_of_a_key(tmp_path: Path) -> None:
    with auth_server(tmp_path, policy="required") as srv:
        r = srv.call("GET", "buckets/", "nope")
        assert r.status_code == 401
        assert not any(h.startswith("X-RateLimit") for h in r.headers)


def test_a_401_about_force_is_no_key_challenge(tmp_path: Path) -> None:
    """Deleting a bucket without ``force`` keeps the official servers' 401, without a challenge."""
    with auth_server(tmp_path, policy="required") as srv:
        secret = srv.key("write:b")
        assert srv.call("POST", "buckets/b", secret, body=BUCKET).status_code == 200
        r = srv.call("DELETE", "buckets/b", secret)
        assert r.status_code == 401 and r.json()["code"] == "force_required"
        assert "WWW-Authenticate" not in r.headers
