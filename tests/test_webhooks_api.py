"""The webhook API through a live server: the secret shown once, validation and its errors in
ClockEye's body, the SSRF guard when a webhook is made, paging, who may call it, the
``[webhooks]`` config section and the OpenAPI entries."""

from __future__ import annotations

import base64
import logging
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from aw_core.config import ConfigError
from aw_server.auth.config import AuthConfig
from aw_server.config import load_config
from aw_server.openapi import openapi_document
from aw_server.webhooks.api import MAX_WEBHOOKS
from aw_server.webhooks.model import EVENT_TYPES
from tests.test_webhooks_support import HookServer, hook_app, hook_server, receiver


@pytest.fixture
def srv(tmp_path: Path) -> Any:
    with hook_server(tmp_path) as server:
        yield server


def _error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert set(body) == {"error", "code", "details"} and body["code"] == code, body
    assert isinstance(body["error"], str) and isinstance(body["details"], dict)
    return body


def test_the_secret_is_shown_once_and_never_listed_or_logged(
    srv: HookServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    made = srv.create("https://example.com/hooks", ["time_entry.started"], description="sync")
    secret = made["secret"]
    assert secret.startswith("whsec_") and len(base64.b64decode(secret[6:])) == 24
    assert made["id"].startswith("wh_") and made["enabled"] is True
    assert made["events"] == ["time_entry.started"] and made["description"] == "sync"
    listed = srv.call("GET", "webhooks").json()["data"]
    assert [w["id"] for w in listed] == [made["id"]]
    one = srv.webhook(made["id"])
    changed = srv.call("PATCH", f"webhooks/{made['id']}", {"description": "x"}).json()
    for shown in (listed[0], one, changed):
        assert "secret" not in shown and secret not in str(shown)
    assert secret not in caplog.text
    log = srv.call("GET", "0/log").text
    assert secret not in log
    assert srv.create("https://example.com/other")["secret"] != secret


def test_patch_changes_fields_and_enabling_resets_failures(srv: HookServer) -> None:
    made = srv.create("https://example.com/a", ["bucket.created"])
    path = f"webhooks/{made['id']}"
    off = srv.call("PATCH", path, {"enabled": False}).json()
    assert off["enabled"] is False and off["disabled_reason"] == "disabled_by_admin"
    assert not srv.service.listening("bucket.created")
    webhook = srv.store.get_webhook(made["id"])
    assert webhook is not None
    srv.service.storage.write(
        lambda: srv.store.save_webhook(replace(webhook, consecutive_failures=5))
    )
    on = srv.call(
        "PATCH",
        path,
        {"enabled": True, "url": "https://example.org/b", "events": ["*"], "description": None},
    ).json()
    assert on["enabled"] is True and on["disabled_reason"] is None
    assert on["consecutive_failures"] == 0
    assert on["url"] == "https://example.org/b" and on["events"] == ["*"]
    assert srv.service.listening("anything.at.all")
    assert srv.webhook(made["id"]) == on


def test_delete_removes_the_webhook_and_its_deliveries(srv: HookServer) -> None:
    made = srv.create("https://example.com/a", ["time_entry.created"])
    srv.sender.stop()  # nothing is sent: the delivery stays in the outbox
    srv.occur("time_entry.created", {"id": 1})
    assert len(srv.deliveries(made["id"])) == 1
    assert srv.call("DELETE", f"webhooks/{made['id']}").status_code == 204
    _error(srv.call("GET", f"webhooks/{made['id']}"), 404, "not_found")
    _error(srv.call("DELETE", f"webhooks/{made['id']}"), 404, "not_found")
    _error(srv.call("GET", f"webhooks/{made['id']}/deliveries"), 404, "not_found")
    assert srv.store.head(made["id"]) is None
    assert not srv.service.listening("time_entry.created")
    srv.occur("time_entry.created", {"id": 2})  # nobody listens: the write goes through


def test_unknown_event_types_are_refused(srv: HookServer) -> None:
    body = _error(
        srv.call(
            "POST",
            "webhooks",
            {"url": "https://e.com", "events": ["time_entry.started", "screenshot.captured"]},
        ),
        400,
        "unknown_event_type",
    )
    assert body["details"]["unknown"] == ["screenshot.captured"]
    assert set(body["details"]["known"]) == {*EVENT_TYPES, "*"}
    made = srv.create("https://e.com", ["bucket.created"])
    _error(
        srv.call("PATCH", f"webhooks/{made['id']}", {"events": ["user.invited"]}),
        400,
        "unknown_event_type",
    )
    assert srv.webhook(made["id"])["events"] == ["bucket.created"]


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("file:///etc/passwd", "invalid_url"),
        ("ftp://example.com/x", "invalid_url"),
        ("gopher://example.com/", "invalid_url"),
        ("javascript:alert(1)", "invalid_url"),
        ("https://", "invalid_url"),
        ("http://user:pass@example.com/", "invalid_url"),
        ("http://example.com:99999/", "invalid_url"),
        ("http://exa mple.com/", "invalid_url"),
        ("http://example.com/\n", "invalid_url"),
        ("https://example.com/" + "a" * 2048, "invalid_url"),
        ("http://127.0.0.1/", "url_refused"),
        ("http://127.0.0.1:8080/hook", "url_refused"),
        ("http://2130706433/", "url_refused"),  # 127.0.0.1 as one number
        ("http://0x7f.1/", "url_refused"),
        ("http://[::1]/", "url_refused"),
        ("http://[::ffff:127.0.0.1]/", "url_refused"),
        ("http://localhost:5600/", "url_refused"),
        ("http://api.localhost/", "url_refused"),
        ("http://10.1.2.3/", "url_refused"),
        ("http://192.168.1.1/", "url_refused"),
        ("http://172.16.0.1/", "url_refused"),
        ("http://169.254.169.254/latest/meta-data/", "url_refused"),
        ("http://0.0.0.0/", "url_refused"),
        ("http://224.0.0.1/", "url_refused"),
        ("http://240.0.0.1/", "url_refused"),
        ("http://100.64.0.1/", "url_refused"),
        ("http://[fe80::1]/", "url_refused"),
        ("http://[fc00::1]/", "url_refused"),
        ("http://[2002:7f00:1::]/", "url_refused"),  # 6to4 of 127.0.0.1
    ],
)
def test_urls_refused_when_made_with_the_guard_on(tmp_path: Path, url: str, code: str) -> None:
    with hook_server(tmp_path, allow_private=False) as srv:
        body = _error(srv.call("POST", "webhooks", {"url": url, "events": ["*"]}), 400, code)
        assert body["details"] == {"field": "url"}
        made = srv.create("https://example.com/ok")
        _error(srv.call("PATCH", f"webhooks/{made['id']}", {"url": url}), 400, code)
        assert srv.call("GET", "webhooks").json()["data"][0]["url"] == "https://example.com/ok"


def test_allow_private_lets_loopback_urls_in(srv: HookServer) -> None:
    assert srv.create("http://127.0.0.1:9/hook")["url"] == "http://127.0.0.1:9/hook"
    _error(srv.call("POST", "webhooks", {"url": "file:///x", "events": ["*"]}), 400, "invalid_url")


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"events": ["*"]}, "missing_field"),
        ({"url": "https://e.com"}, "missing_field"),
        ({"url": 5, "events": ["*"]}, "invalid_url"),
        ({"url": "https://e.com", "events": []}, "invalid_field"),
        ({"url": "https://e.com", "events": "*"}, "invalid_field"),
        ({"url": "https://e.com", "events": [1]}, "invalid_field"),
        ({"url": "https://e.com", "events": ["*"], "description": 3}, "invalid_field"),
        ({"url": "https://e.com", "events": ["*"], "description": "d" * 501}, "invalid_field"),
        ({"url": "https://e.com", "events": ["*"], "secret": "mine"}, "unknown_field"),
        ({"url": "https://e.com", "events": ["*"], "enabled": False}, "unknown_field"),
        ([], "invalid_body"),
        ("text", "invalid_body"),
    ],
)
def test_bad_bodies_are_400_in_clockeye_shape(srv: HookServer, body: object, code: str) -> None:
    _error(srv.call("POST", "webhooks", body), 400, code)
    assert srv.call("GET", "webhooks").json()["data"] == []


def test_bad_json_and_content_type(srv: HookServer) -> None:
    raw = srv.session.post(
        f"{srv.url}/api/webhooks", data=b"{nope", headers={"Content-Type": "application/json"}
    )
    _error(raw, 400, "bad_request")
    form = srv.session.post(f"{srv.url}/api/webhooks", data=b"url=x")
    _error(form, 415, "unsupported_media_type")
    made = srv.create("https://e.com")
    _error(srv.call("PATCH", f"webhooks/{made['id']}", {"enabled": "yes"}), 400, "invalid_field")
    _error(srv.call("PATCH", f"webhooks/{made['id']}", {"id": "wh_x"}), 400, "unknown_field")
    _error(srv.call("PATCH", "webhooks/wh_missing", {"enabled": True}), 404, "not_found")


def test_a_server_has_at_most_100_webhooks(srv: HookServer) -> None:
    for n in range(MAX_WEBHOOKS):
        srv.create(f"https://example.com/{n}", ["bucket.created"])
    body = _error(
        srv.call("POST", "webhooks", {"url": "https://e.com", "events": ["*"]}),
        422,
        "too_many_webhooks",
    )
    assert body["details"] == {"max": MAX_WEBHOOKS}


def test_deliveries_are_paged_newest_first(srv: HookServer) -> None:
    made = srv.create("https://example.com/a", ["time_entry.created"])
    srv.sender.stop()
    for n in range(7):
        srv.occur("time_entry.created", {"id": n})
    path = f"webhooks/{made['id']}/deliveries"
    first = srv.call("GET", path, params={"per_page": "3"}).json()
    assert first["meta"] == {"page": 1, "per_page": 3, "total": 7, "total_pages": 3}
    assert [d["payload"]["data"]["id"] for d in first["data"]] == [6, 5, 4]
    last = srv.call("GET", path, params={"per_page": "3", "page": "3"}).json()
    assert [d["payload"]["data"]["id"] for d in last["data"]] == [0]
    beyond = srv.call("GET", path, params={"page": "99"}).json()
    assert beyond["data"] == [] and beyond["meta"]["total"] == 7
    default = srv.call("GET", path).json()["meta"]
    assert default["per_page"] == 50 and default["page"] == 1
    delivery = first["data"][0]
    assert delivery["status"] == "pending" and delivery["attempts"] == 0
    assert delivery["event_id"] == delivery["payload"]["id"] and delivery["next_attempt"]
    for name, value in [
        ("page", "0"),
        ("page", "-1"),
        ("page", "1000000000000"),
        ("page", "1.5"),
        ("page", "x"),
        ("per_page", "0"),
        ("per_page", "501"),
    ]:
        body = _error(srv.call("GET", path, params={name: value}), 400, "invalid_parameter")
        assert body["details"] == {"field": name}


@pytest.mark.parametrize("delivery_id", ["0", "999", "x", "-1", "99999999999999999999999"])
def test_retrying_an_unknown_delivery_is_404(srv: HookServer, delivery_id: str) -> None:
    made = srv.create("https://example.com/a")
    _error(
        srv.call("POST", f"webhooks/{made['id']}/deliveries/{delivery_id}/retry"), 404, "not_found"
    )


def test_a_delivery_of_another_webhook_is_not_found(srv: HookServer) -> None:
    one = srv.create("https://example.com/a", ["time_entry.created"])
    other = srv.create("https://example.com/b", ["project.created"])
    srv.sender.stop()
    srv.occur("time_entry.created", {"id": 1})
    (delivery,) = srv.deliveries(one["id"])
    path = f"webhooks/{other['id']}/deliveries/{delivery['id']}/retry"
    _error(srv.call("POST", path), 404, "not_found")
    _error(srv.call("POST", "webhooks/wh_none/test"), 404, "not_found")


# Who may call what: every webhook endpoint and method (tests/test_auth_scopes.py leaves them
# to this table); only admin keys may, any other key is a 403, no key a 401.
ACCESS = [  # (method, path, body, the admin's status); {hook} and {delivery} are filled in
    ("GET", "webhooks", None, 200),
    ("POST", "webhooks", {"url": "https://example.com/b", "events": ["*"]}, 201),
    ("GET", "webhooks/{hook}", None, 200),
    ("PATCH", "webhooks/{hook}", {"description": "changed"}, 200),
    ("POST", "webhooks/{hook}/test", None, 202),
    ("GET", "webhooks/{hook}/deliveries", None, 200),
    ("POST", "webhooks/{hook}/deliveries/{delivery}/retry", None, 202),
    ("DELETE", "webhooks/{hook}", None, 204),
]
KEYS = {"read": "read:*", "append": "append:*", "write": "write:*", "admin": "admin"}


def test_webhooks_need_an_admin_key(tmp_path: Path) -> None:
    app = hook_app(tmp_path, auth=AuthConfig(policy="required"))
    ring = app.extensions["aw_keys"]
    secrets = {name: ring.create(name, scopes=[scope])[1] for name, scope in KEYS.items()}
    server = HookServer(app)
    try:
        server.sender.stop()
        admin = {"Authorization": f"Bearer {secrets['admin']}"}
        made = server.call(
            "POST", "webhooks", {"url": "https://example.com/a", "events": ["*"]}, headers=admin
        ).json()
        server.occur("time_entry.created", {"id": 1})
        (delivery,) = server.store.deliveries(made["id"], 1, 0)[0]
        for method, template, body, status in ACCESS:
            path = template.format(hook=made["id"], delivery=delivery.id)
            _error(server.call(method, path, body), 401, "unauthorized")
            for name, secret in secrets.items():
                if name == "admin":
                    continue
                refused = server.call(
                    method, path, body, headers={"Authorization": f"Bearer {secret}"}
                )
                assert "admin" in _error(refused, 403, "forbidden")["error"]
            allowed = server.call(method, path, body, headers=admin)
            assert allowed.status_code == status, (method, template, allowed.text)
        routes = {
            (rule.endpoint, method)
            for rule in app.url_map.iter_rules()
            if rule.endpoint.startswith("webhooks.")
            for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}
        }
        adapter = app.url_map.bind("localhost")
        covered = {
            (adapter.match("/api/" + t.format(hook="wh_1", delivery=1), method=m)[0], m)
            for m, t, _, _ in ACCESS
        }
        assert routes == covered
    finally:
        server.close()


def test_the_webhooks_config_section(tmp_path: Path) -> None:
    path = tmp_path / "aw-server.toml"
    path.write_text("[webhooks]\nallow_private = true\n")
    assert load_config(False, path).webhooks.allow_private is True
    assert load_config(True, path).webhooks.allow_private is True  # one section for both
    path.write_text("")
    assert load_config(False, path).webhooks.allow_private is False
    for text, words in [
        ("[webhooks]\nallow_private = 1\n", "true or false"),
        ("[webhooks]\nallow-private = true\n", "unknown setting"),
        ("webhooks = 3\n", "must be a table"),
    ]:
        path.write_text(text)
        with pytest.raises(ConfigError, match=words):
            load_config(False, path)


def test_every_webhook_path_is_documented_with_clockeye_errors() -> None:
    paths = {
        p: item for p, item in openapi_document()["paths"].items() if p.startswith("/api/webhooks")
    }
    assert set(paths) == {
        "/api/webhooks",
        "/api/webhooks/{webhook_id}",
        "/api/webhooks/{webhook_id}/test",
        "/api/webhooks/{webhook_id}/deliveries",
        "/api/webhooks/{webhook_id}/deliveries/{delivery_id}/retry",
    }
    for item in paths.values():
        for method, operation in item.items():
            if method == "parameters":
                continue
            for status in ("401", "403", "429"):
                schema = operation["responses"][status]["content"]["application/json"]["schema"]
                assert schema["required"] == ["error", "code", "details"]


def test_receivers_get_nothing_when_no_webhook_listens(tmp_path: Path) -> None:
    with receiver() as rx, hook_server(tmp_path) as srv:
        assert not srv.service.listening("bucket.created")
        srv.bucket("b")
        made = srv.create(rx.url(), ["bucket.deleted"])
        srv.bucket("c")
        assert srv.deliveries(made["id"]) == [] and rx.count() == 0


def test_requests_racing_the_sender_never_fail(tmp_path: Path) -> None:
    # Writes are committed in groups by whichever thread comes first, the sender's included:
    # a write must not depend on the request that made it (its app context) being that thread.
    with receiver() as rx, hook_server(tmp_path) as srv:
        made = srv.create(rx.url(), ["time_entry.created"])
        path = f"webhooks/{made['id']}"
        statuses: list[int] = []

        def client(n: int) -> None:
            for i in range(15):
                srv.occur("time_entry.created", {"id": n * 100 + i})
                statuses.append(srv.call("POST", f"{path}/test").status_code)
                statuses.append(srv.call("PATCH", path, {"description": f"d{i}"}).status_code)

        threads = [threading.Thread(target=client, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        srv.settled(made["id"], 4 * 15 * 2)
    assert set(statuses) == {200, 202} and len(statuses) == 4 * 15 * 2
