"""The dashboard's access control in headless Chromium: the Access page against a live server
(list, create with the secret shown once, revoke, re-enable, delete), the API key form when the
server answers 401, and the API browser's key. Fixtures and checks come from test_dashboard."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import Browser, Page, expect

from aw_server.app import create_app
from aw_server.auth.scopes import PRESETS
from tests.browser_seed import local_midnight, seed
from tests.conftest import Api, make_config
from tests.liveserver import ThreadedServer
from tests.test_dashboard import (  # noqa: F401  (fixtures are used by name)
    LAYOUT_PROBLEMS,
    Site,
    browser,
    server,
    site,
)

ADMIN_SECRET = "config-admin-secret"
# Pictures for review only; Site.shot writes to the documentation's directory with AW_SCREENSHOTS.
REVIEW_SHOTS = Path(__file__).parent / "artifacts"
ACTIVE = "[data-testid=active-time][data-seconds]"


def create_key(api: Api, name: str, **fields: Any) -> dict[str, Any]:
    r = api.post("keys", {"name": name, **fields})
    assert r.status_code == 201, r.text
    created: dict[str, Any] = r.json()
    return created


def text_of(page: Page, selector: str, how: str = "inner_text") -> str:
    """The text (or, with how="input_value", the value) of an element, once it is visible."""
    page.wait_for_selector(selector)
    return page.input_value(selector) if how == "input_value" else page.inner_text(selector)


def review_shot(page: Page, name: str) -> None:
    REVIEW_SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(REVIEW_SHOTS / f"{name}.png"), full_page=True)


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def shown_keys(page: Page) -> dict[str, dict[str, str]]:
    """The keys table as {name: {column label: text}}."""
    rows: list[dict[str, str]] = page.eval_on_selector_all(
        "[data-testid=keys-table] tbody tr",
        """rows => rows.map((row) => Object.fromEntries([...row.querySelectorAll("td[data-label]")]
            .map((td) => [td.dataset.label, td.innerText.trim()])))""",
    )
    return {row["Name"].split(" (this browser)")[0]: row for row in rows}


@pytest.fixture
def locked(tmp_path: Path) -> Iterator[ThreadedServer]:
    """A server that needs a key for everything but /api/0/info and the page files."""
    config = make_config(tmp_path)
    config.auth.policy = "required"
    config.auth.api_key = ADMIN_SECRET
    app = create_app(config)
    srv = ThreadedServer(app).start()
    yield srv
    srv.stop()
    app.extensions["aw"].storage.close()


@pytest.fixture
def locked_site(locked: ThreadedServer, browser: Browser) -> Iterator[Site]:  # noqa: F811
    s = Site(locked, browser)
    s.api.session.headers.update(bearer(ADMIN_SECRET))
    s.allowed_statuses.add(401)  # the first requests, before a key is entered
    yield s
    s.page.close()
    assert not s.problems, s.problems


def sign_in(page: Page, secret: str) -> None:
    page.wait_for_selector("[data-testid=login-form]")
    page.fill("#api-key", secret)
    page.click("text=Use this key")


def test_access_page_lists_keys(site: Site) -> None:  # noqa: F811
    create_key(site.api, "tablet", preset="dashboard")
    create_key(site.api, "phone", scopes=["append:aw-watcher-android_*"], rate_limit=30)
    revoked = create_key(site.api, "old laptop", preset="watcher")
    site.api.session.patch(site.api.url(f"keys/{revoked['id']}"), json={"enabled": False})
    page = site.open("/access", "[data-testid=keys-table]")
    assert page.get_attribute("nav a[data-page=access]", "aria-current") == "page"
    listed = {k["name"]: k for k in site.api.get("keys").json()}
    shown = shown_keys(page)
    assert set(shown) == set(listed)
    for name, key in listed.items():
        assert shown[name]["Key"] == f"{key['prefix']}…"
        assert shown[name]["Scopes"].split() == key["scopes"]
        assert shown[name]["Preset"] == (key["preset"] or "—")
        assert shown[name]["Expires"] == "never" and shown[name]["Last used"] == "never"
    assert shown["phone"]["Rate limit"] == "30/min" and shown["tablet"]["Rate limit"] == "default"
    assert shown["tablet"]["Status"] == "active" and shown["old laptop"]["Status"] == "revoked"
    assert "Sends no API key" in page.inner_text("[data-testid=this-browser]")


def test_presets_on_the_page_are_the_servers(site: Site) -> None:  # noqa: F811
    page = site.open("/access", "[data-testid=create-form]")
    offered = page.eval_on_selector_all(
        "input[name=preset]:not([value=''])",
        "inputs => Object.fromEntries(inputs.map((i) => [i.value, i.dataset.scopes.split(' ')]))",
    )
    assert offered == {name: list(scopes) for name, scopes in PRESETS.items()}


def test_a_new_key_shows_its_secret_once_with_a_bundle(site: Site) -> None:  # noqa: F811
    create_key(site.api, "tablet", preset="dashboard")
    editor = create_key(site.api, "old editor", preset="wakatime", rate_limit=100)
    site.api.session.patch(site.api.url(f"keys/{editor['id']}"), json={"enabled": False})
    page = site.open("/access", "[data-testid=create-form]")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site.server.url)
    page.fill("input[name=key_name]", "laptop watchers")
    page.check("input[name=preset][value=watcher]")
    page.fill("textarea[name=scopes]", "read:aw-watcher-window_*\n\nread:aw-watcher-afk_*\n")
    preview = page.inner_text("[data-testid=scope-preview]")
    assert preview.split(":", 1)[1].split() == [
        "append:*",
        "read:aw-watcher-window_*",
        "read:aw-watcher-afk_*",
    ]
    expires = (datetime.now() + timedelta(days=30)).replace(second=0, microsecond=0)
    page.fill("input[name=expires]", expires.strftime("%Y-%m-%dT%H:%M"))
    page.fill("input[name=rate_limit]", "120")
    page.click("text=Create key")
    secret = text_of(page, "[data-testid=secret]", "input_value")
    assert "will not be shown again" in page.inner_text("[data-testid=created]")
    assert page.evaluate("document.activeElement.dataset.testid") == "created"

    key = next(k for k in site.api.get("keys").json() if k["name"] == "laptop watchers")
    assert key["prefix"] == secret[:8] and key["preset"] == "watcher" and key["rate_limit"] == 120
    assert key["scopes"] == ["append:*", "read:aw-watcher-window_*", "read:aw-watcher-afk_*"]
    assert datetime.fromisoformat(key["expires"]) == expires.astimezone(UTC)
    assert requests.get(site.api.url("info"), headers=bearer(secret), timeout=10).ok
    assert shown_keys(page)["laptop watchers"]["Scopes"].split() == key["scopes"]

    bundle = page.input_value("[data-testid=bundle]")
    expected = {
        "version": 1,
        "endpoint": site.server.url,
        "apiKey": secret,
        "name": "laptop watchers",
    }
    assert base64.b64decode(bundle).decode() == json.dumps(expected, separators=(",", ":"))
    page.click("text=Copy secret")
    page.wait_for_selector("[data-testid=copied]:text('Copied the secret.')")
    assert page.evaluate("navigator.clipboard.readText()") == secret
    page.click("text=Copy bundle")
    page.wait_for_selector("[data-testid=copied]:text('Copied the bundle.')")
    assert page.evaluate("navigator.clipboard.readText()") == bundle
    # The fields also select their whole text when focused, for copying by hand.
    page.focus("[data-testid=secret]")
    assert page.evaluate("getSelection().toString() || document.activeElement.value") == secret
    site.shot("access")

    page.click("text=Done: hide the secret")
    assert secret not in page.content()
    page.reload()
    page.wait_for_selector("[data-testid=keys-table]")
    assert secret not in page.content() and page.is_hidden("[data-testid=created]")


def test_non_ascii_names_make_a_valid_bundle(site: Site) -> None:  # noqa: F811
    page = site.open("/access", "[data-testid=create-form]")
    page.fill("input[name=key_name]", "Zoë's téléphone ✓")
    page.check("input[name=preset][value=device]")
    page.click("text=Create key")
    secret = text_of(page, "[data-testid=secret]", "input_value")
    decoded = json.loads(base64.b64decode(page.input_value("[data-testid=bundle]")).decode("utf-8"))
    assert decoded["name"] == "Zoë's téléphone ✓" and decoded["apiKey"] == secret


def test_a_refused_key_request_shows_the_servers_message(site: Site) -> None:  # noqa: F811
    site.allowed_statuses.add(400)
    page = site.open("/access", "[data-testid=create-form]")
    page.fill("input[name=key_name]", "broken")
    page.fill("textarea[name=scopes]", "delete:everything")
    page.click("text=Create key")
    banner = text_of(page, "#error:not([hidden])", "inner_text")
    assert "400" in banner and "delete:everything" in banner
    assert page.is_hidden("[data-testid=created]")
    assert site.api.get("keys").json() == []


def test_revoke_re_enable_and_delete_ask_first(site: Site) -> None:  # noqa: F811
    key = create_key(site.api, "tablet", preset="dashboard")
    page = site.open("/access", "[data-testid=keys-table]")
    page.click("[aria-label='Revoke key tablet']")
    question = page.inner_text("dialog[open]")
    assert "Revoke" in question and "tablet" in question
    page.click("dialog >> text=Cancel")
    assert site.api.get("keys").json()[0]["enabled"] is True
    page.click("[aria-label='Revoke key tablet']")
    page.click("[data-testid=confirm-action]")
    page.wait_for_selector("tr[data-status=revoked]")
    assert site.api.get("keys").json()[0]["enabled"] is False
    page.click("[aria-label='Re-enable key tablet']")
    page.wait_for_selector("tr[data-status=active]")
    assert site.api.get("keys").json()[0]["enabled"] is True
    page.click("[aria-label='Delete key tablet']")
    page.keyboard.press("Escape")  # closing the dialog any other way deletes nothing
    assert len(site.api.get("keys").json()) == 1
    page.click("[aria-label='Delete key tablet']")
    assert "cannot be undone" in page.inner_text("dialog[open]")
    page.click("[data-testid=confirm-action]")
    page.wait_for_selector("[data-testid=no-keys]")
    assert site.api.get("keys").json() == []
    assert key["id"] not in [k["id"] for k in site.api.get("keys").json()]


def test_the_access_page_by_keyboard(site: Site) -> None:  # noqa: F811
    page = site.open("/access", "[data-testid=create-form]")
    page.focus("input[name=key_name]")
    page.keyboard.type("by keyboard")
    page.keyboard.press("Tab")  # the preset radios: "none" is checked
    page.keyboard.press("ArrowDown")  # dashboard
    assert page.evaluate("document.activeElement.value") == "dashboard"
    page.focus("input[name=key_name]")
    page.keyboard.press("Enter")
    page.wait_for_selector("[data-testid=created]")
    assert page.evaluate("document.activeElement.dataset.testid") == "created"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.dataset.testid") == "secret"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Copy secret"
    page.keyboard.press("Enter")
    page.wait_for_selector("[data-testid=copied]:not(:empty)")
    assert site.api.get("keys").json()[0]["preset"] == "dashboard"
    page.focus("[aria-label='Revoke key by keyboard']")
    page.keyboard.press("Enter")
    page.wait_for_selector("dialog[open]")
    page.keyboard.press("Tab")  # Cancel has the focus first; Tab moves to Revoke
    page.keyboard.press("Enter")
    page.wait_for_selector("tr[data-status=revoked]")


def test_the_access_page_at_phone_width_in_both_themes(
    server: ThreadedServer,  # noqa: F811
    browser: Browser,  # noqa: F811
) -> None:
    narrow = Site(server, browser, width=390)
    create_key(narrow.api, "tablet", preset="dashboard")
    create_key(narrow.api, "editor", preset="wakatime", rate_limit=100)
    for theme in ("light", "dark"):
        assert narrow.api.post("settings/theme", theme).status_code == 200
        page = narrow.open("/access", "[data-testid=keys-table]")
        page.reload()  # the same address again is no navigation
        page.wait_for_function(f"document.documentElement.dataset.theme === '{theme}'")
        page.fill("input[name=key_name]", f"phone {theme}")
        page.check("input[name=preset][value=device]")
        page.click("text=Create key")
        page.wait_for_selector("[data-testid=created]")
        assert page.evaluate(LAYOUT_PROBLEMS) == [], theme
        assert page.evaluate("document.documentElement.scrollWidth") <= 392
        review_shot(page, f"access-narrow-{theme}")
    narrow.page.close()
    assert not narrow.problems, narrow.problems


def test_a_required_key_is_asked_for_then_remembered(locked_site: Site) -> None:
    day = local_midnight(1)
    seed(locked_site.api, day)
    page = locked_site.open(f"/activity?date={day:%Y-%m-%d}", "[data-testid=login-form]")
    assert "needs an API key" in page.inner_text("h1")
    assert page.is_hidden("[data-testid=forget-key]")  # nothing stored yet
    sign_in(page, "not-a-key")
    error = text_of(page, "[data-testid=login-error]:not([hidden])", "inner_text")
    assert error == "The server does not accept this key."
    review_shot(page, "login")
    assert page.evaluate("localStorage.getItem('aw-api-key')") is None
    reader = create_key(locked_site.api, "tablet", preset="dashboard")
    page.fill("#api-key", reader["secret"])
    page.keyboard.press("Enter")
    page.wait_for_selector(ACTIVE)
    assert float(page.get_attribute("[data-testid=active-time]", "data-seconds") or 0) > 0
    page.reload()
    page.wait_for_selector(ACTIVE)
    page = locked_site.open(f"/timeline?date={day:%Y-%m-%d}", "rect.event")
    # Every request after the key was entered carried it.
    listed = {k["name"]: k for k in locked_site.api.get("keys").json()}
    assert listed["tablet"]["last_used"] is not None


def test_a_revoked_or_expired_key_is_named(locked_site: Site) -> None:
    reader = create_key(locked_site.api, "tablet", preset="dashboard")
    page = locked_site.open("/buckets", "[data-testid=login-form]")
    sign_in(page, reader["secret"])
    page.wait_for_selector("[data-testid=empty]")
    locked_site.api.session.patch(
        locked_site.api.url(f"keys/{reader['id']}"), json={"enabled": False}
    )
    page.reload()
    page.wait_for_selector("[data-testid=login-form]")
    assert page.inner_text("main h1") == "This browser's API key has been revoked"
    assert reader["prefix"] in page.inner_text("[data-testid=login]")

    soon = (datetime.now(UTC) + timedelta(seconds=1)).isoformat()
    expiring = create_key(locked_site.api, "short", preset="dashboard", expires=soon)
    deadline = time.monotonic() + 15
    while requests.get(
        locked_site.api.url("info"), headers=bearer(expiring["secret"]), timeout=10
    ).ok:
        assert time.monotonic() < deadline, "the key did not expire"
        time.sleep(0.1)
    page.evaluate(f"localStorage.setItem('aw-api-key', '{expiring['secret']}')")
    page.reload()
    page.wait_for_selector("[data-testid=login-form]")
    assert page.inner_text("main h1") == "This browser's API key has expired"
    # A new key replaces the stored one; forgetting it asks again.
    sign_in(page, ADMIN_SECRET)
    page.wait_for_selector("[data-testid=empty]")
    page.click("nav >> text=Access")
    page.click("[data-testid=forget-key]")
    page.wait_for_selector("[data-testid=login-form]")
    assert page.evaluate("localStorage.getItem('aw-api-key')") is None


def test_a_key_without_admin_is_told_so_on_the_access_page(locked_site: Site) -> None:
    locked_site.allowed_statuses.add(403)
    reader = create_key(locked_site.api, "tablet", preset="dashboard")
    page = locked_site.open("/access", "[data-testid=login-form]")
    sign_in(page, reader["secret"])
    notice = text_of(page, "[data-testid=not-admin]", "inner_text")
    assert "may not manage keys" in notice and "admin" in notice
    review_shot(page, "access-not-admin")
    assert page.is_hidden("#error")
    assert page.query_selector("[data-testid=create-form]") is None
    assert reader["prefix"] in page.inner_text("[data-testid=own-prefix]")
    page.click("text=Use another key…")
    sign_in(page, ADMIN_SECRET)
    page.wait_for_selector("[data-testid=keys-table]")
    assert "(this browser)" in shown_keys(page)["[auth] api_key from the config file"]["Name"]


def test_a_browser_behind_a_proxy_is_asked_for_a_key(
    server: ThreadedServer,  # noqa: F811
    browser: Browser,  # noqa: F811
) -> None:
    """Under the default policy, a request that came through a proxy is not local."""
    remote = Site(server, browser, width=390)
    remote.allowed_statuses.add(401)
    # X-Real-IP: the test server's waitress strips X-Forwarded-For from untrusted peers.
    remote.page.set_extra_http_headers({"X-Real-IP": "192.0.2.7"})
    reader = create_key(remote.api, "tablet", preset="dashboard")
    page = remote.open("/buckets", "[data-testid=login-form]")
    assert page.evaluate(LAYOUT_PROBLEMS) == []  # the form fits a phone
    sign_in(page, reader["secret"])
    page.wait_for_selector("[data-testid=empty]")
    remote.page.close()
    assert not remote.problems, remote.problems


def test_exports_send_the_key(locked_site: Site, tmp_path: Path) -> None:
    locked_site.api.create_bucket("b1")
    page = locked_site.open("/buckets", "[data-testid=login-form]")
    sign_in(page, ADMIN_SECRET)
    page.wait_for_selector("[data-testid=buckets-table]")
    with page.expect_download() as info:
        page.click("text=Export everything")
    path = tmp_path / "export.json"
    info.value.save_as(path)
    assert list(json.loads(path.read_text())["buckets"]) == ["b1"]
    page.click("text=b1")
    with page.expect_download() as info:
        page.click("text=Export bucket")
    assert info.value.suggested_filename.endswith(".json")


def test_the_api_browser_sends_the_shared_key(locked_site: Site) -> None:
    page = locked_site.open("/access", "[data-testid=login-form]")
    sign_in(page, ADMIN_SECRET)
    page.wait_for_selector("[data-testid=keys-table]")
    page.goto(f"{locked_site.server.url}/api/")
    page.wait_for_selector("details.op")
    assert page.input_value("#api-key") == ADMIN_SECRET  # the dashboard's key
    schemes = page.inner_text("#schemes")
    for name in ("bearer", "basic", "apiKeyHeader", "apiKeyQuery", "X-API-Key", "api_key"):
        assert name in schemes
    sent: list[str | None] = []
    page.on(
        "request",
        lambda r: sent.append(r.headers.get("authorization")) if "/api/0/" in r.url else None,
    )
    op = page.locator("details.op", has_text="All API keys").first
    op.locator("summary").first.click()
    result = op.locator(".result")
    op.locator("button[type=submit]").click()
    expect(result).to_contain_text("config file")
    assert result.inner_text().startswith("200")
    assert sent == [f"Bearer {ADMIN_SECRET}"]
    review_shot(page, "api-browser-key")
    page.click("#forget-key")
    assert page.evaluate("localStorage.getItem('aw-api-key')") is None
    op.locator("button[type=submit]").click()
    expect(result).to_contain_text("401")
    assert sent[-1] is None and "needs an API key" in result.inner_text()
    page.fill("#api-key", ADMIN_SECRET)
    page.click("text=Use key")
    assert page.evaluate("localStorage.getItem('aw-api-key')") == ADMIN_SECRET
