"""The dashboard's Live and Devices pages in headless Chromium against a live server: reports
posted as Waken-Wa's reporters post them (a device key, POST /api/activity) while the page is
open, the cards following them over the event stream without a reload, media with its cover and
progress, the registry (approve, bind to a key, rename, pin, revoke, delete, add, page, search),
devices as hosts on the Activity page, keyboard, phone width and both themes. Fixtures and
checks come from test_dashboard."""

from __future__ import annotations

import base64
import io
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from PIL import Image, ImageDraw
from playwright.sync_api import Browser, Page

from aw_server.app import create_app
from aw_server.devices.stream import Broadcaster
from tests.browser_seed import HOST, local_midnight, seed
from tests.conftest import Api, make_config
from tests.liveserver import ThreadedServer
from tests.test_dashboard import (  # noqa: F401  (fixtures are used by name)
    LAYOUT_PROBLEMS,
    Site,
    browser,
    server,
)
from tests.test_dashboard_access import (
    ADMIN_SECRET,
    bearer,
    create_key,
    review_shot,
    sign_in,
    text_of,
)

LIVE = "[data-testid=live-state][data-state=live]"
CARDS = "[data-testid=device-card]"
TABLE = "[data-testid=devices-table]"
# The browser ends the live stream when the page goes (another page, a reload, closing the tab):
# that is how an EventSource closes, not a failure.
STREAM_CLOSED = ("/api/activity/stream", "net::ERR_ABORTED")


def real_problems(site: Site) -> list[str]:
    return [p for p in site.problems if not all(part in p for part in STREAM_CLOSED)]


def make_site(server: ThreadedServer, browser: Browser, width: int = 1280) -> Site:  # noqa: F811
    return Site(server, browser, width=width)


def close(site: Site) -> None:
    site.page.close()
    assert not real_problems(site), real_problems(site)


@pytest.fixture
def live(server: ThreadedServer, browser: Browser) -> Iterator[Site]:  # noqa: F811
    s = make_site(server, browser)
    yield s
    close(s)


# -- devices as Waken-Wa's reporters are --------------------------------------------------------


def picture(top: tuple[int, int, int], bottom: tuple[int, int, int]) -> str:
    """A small album cover as a PNG data URL, as reporters send it (coverDataUrl)."""
    image = Image.new("RGB", (96, 96))
    draw = ImageDraw.Draw(image)
    for y in range(96):
        share = y / 95
        draw.line(
            [(0, y), (95, y)],
            fill=tuple(round(a + (b - a) * share) for a, b in zip(top, bottom, strict=True)),
        )
    draw.ellipse((26, 26, 70, 70), outline=(255, 255, 255), width=4)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


@dataclass
class Reporter:
    """One device's reporter: its device key (generatedHashKey), its name and the API key it
    reports with."""

    base: str
    secret: str
    hash_key: str
    name: str

    def report(self, process: str, title: str | None = None, **fields: Any) -> requests.Response:
        body: dict[str, Any] = {
            "generatedHashKey": self.hash_key,
            "device": self.name,
            "process_name": process,
            **fields,
        }
        if title is not None:
            body["process_title"] = title
        return requests.post(
            f"{self.base}/api/activity", json=body, headers=bearer(self.secret), timeout=10
        )

    def reported(self, process: str, title: str | None = None, **fields: Any) -> dict[str, Any]:
        r = self.report(process, title, **fields)
        assert r.status_code == 200, r.text
        data: dict[str, Any] = r.json()["data"]
        return data


def admin(site: Site, method: str, path: str, body: Any = None) -> Any:
    """The device admin API with the site's API session (from loopback, or with its key)."""
    url = f"{site.server.url}/api/admin/{path}"
    r = site.api.session.request(method, url, json=body, timeout=10)
    assert r.ok, r.text
    return r.json()["data"]


def device_key(api: Api, name: str = "devices") -> dict[str, Any]:
    return create_key(api, name, preset="device")


def registered(site: Site, name: str, hash_key: str, key: dict[str, Any] | None = None) -> Reporter:
    """A device added by an admin and bound to a device key: active at once."""
    key = key or device_key(site.api, f"{name} key")
    admin(
        site,
        "POST",
        "devices",
        {"displayName": name, "generatedHashKey": hash_key, "apiTokenId": key["id"]},
    )
    return Reporter(site.server.url, key["secret"], hash_key, name)


def card(page: Page, reporter: Reporter) -> str:
    return f"{CARDS}:has([data-testid=device-name]:text-is({json.dumps(reporter.name)}))"


def shown_devices(page: Page) -> dict[str, dict[str, str]]:
    """The devices table as {name: {column label: text}}."""
    rows: list[dict[str, str]] = page.eval_on_selector_all(
        f"{TABLE} tbody tr",
        """rows => rows.map((row) => Object.fromEntries([...row.querySelectorAll("td[data-label]")]
            .map((td) => [td.dataset.label, td.innerText.trim()])))""",
    )
    return {row["Name"].splitlines()[0].removesuffix(" pinned").strip(): row for row in rows}


def reading(page: Page, bar: str) -> tuple[float, float]:
    """A progress bar's position (ms) and the moment it is for (ms, the server's clock)."""
    position, at = page.eval_on_selector(
        bar, "b => [Number(b.dataset.position), Number(b.dataset.at)]"
    )
    return float(position), float(at)


def row(name: str) -> str:
    return f"{TABLE} tbody tr:has([data-testid=name]:text-is({json.dumps(name)}))"


# -- Live ---------------------------------------------------------------------------------------


def test_the_live_page_follows_reports_without_reload(live: Site) -> None:
    phone = registered(live, "Pixel 8", "pixel-8-hash-0001")
    page = live.open("/live", LIVE)
    assert page.is_visible("[data-testid=no-devices]")
    assert page.get_attribute("nav a[data-page=live]", "aria-current") == "page"
    page.evaluate("window.stillTheSamePage = true")

    phone.reported("Firefox", "Release notes", battery_level=81, is_charging=False)
    assert text_of(page, card(page, phone)).splitlines()[0] == "Pixel 8"
    assert page.inner_text(f"{card(page, phone)} [data-testid=app]") == "Firefox"
    assert page.inner_text(f"{card(page, phone)} [data-testid=window-title]") == "Release notes"
    assert page.get_attribute(f"{card(page, phone)} [data-testid=battery]", "data-percent") == "81"
    assert page.is_hidden("[data-testid=no-devices]")

    phone.reported("Terminal", "make test", device_type="mobile")  # a new process ends the last
    page.wait_for_selector(f"{card(page, phone)} [data-testid=app]:text-is('Terminal')")
    assert page.inner_text(f"{card(page, phone)} [data-testid=device-type]") == "mobile"
    assert page.inner_text(f"{card(page, phone)} [data-testid=seen]").startswith("Updated")
    recent = page.inner_text("[data-testid=recent-list]")
    assert "Terminal — make test" in recent and "Firefox — Release notes" in recent
    assert {
        r.inner_text() for r in page.query_selector_all("[data-testid=top-apps-list] td.label")
    } == {
        "Firefox",
        "Terminal",
    }
    assert page.evaluate("window.stillTheSamePage") is True
    assert len(page.query_selector_all(CARDS)) == 1


def test_a_second_device_gets_its_own_card_in_the_feeds_order(live: Site) -> None:
    key = device_key(live.api)
    phone = registered(live, "Phone", "phone-hash-0001", key)
    desk = registered(live, "Desk", "desk-hash-00001", key)
    phone.reported("Maps")
    page = live.open("/live", CARDS)
    desk.reported("code.exe", "live.js", push_mode="active")
    page.wait_for_selector(card(page, desk))
    feed = requests.get(f"{live.server.url}/api/activity", timeout=10).json()["data"]
    names = [c.inner_text().splitlines()[0] for c in page.query_selector_all(CARDS)]
    assert names == [s["device"] for s in feed["activeStatuses"]] == ["Desk", "Phone"]
    # A status in active push mode stays until the next report: the card says when that was.
    assert page.inner_text(f"{card(page, desk)} [data-testid=seen]").startswith("Last report at ")
    admin(
        live,
        "PATCH",
        f"devices/{feed['activeStatuses'][1]['deviceId']}",
        {"pinToTop": True},
    )
    page.wait_for_function(
        "document.querySelector('[data-testid=device-card] h2').textContent === 'Phone'"
    )


def test_media_shows_its_cover_and_progress(live: Site) -> None:
    phone = registered(live, "Pixel 8", "pixel-8-hash-0001")
    live.page.clock.install()
    page = live.open("/live", LIVE)
    phone.reported(
        "Spotify",
        "Spotify",
        metadata={
            "play_source": "spotify",
            "media": {
                "title": "Clair de Lune",
                "singer": "Claude Debussy",
                "album": "Suite bergamasque",
                "status": "playing",
                "positionMs": 83000,
                "durationMs": 301000,
                "coverDataUrl": picture((40, 60, 160), (200, 80, 120)),
                "appIconDataUrl": picture((30, 185, 84), (20, 120, 60)),
            },
        },
    )
    cover = f"{card(page, phone)} img[data-testid=cover]"
    page.wait_for_selector(cover)
    src = page.get_attribute(cover, "src") or ""
    assert src.startswith("/api/media/covers/")
    assert page.get_attribute(cover, "alt") == "Cover of Clair de Lune"
    page.wait_for_function(
        "document.querySelector('[data-testid=cover]').complete"
        " && document.querySelector('[data-testid=cover]').naturalWidth > 0"
    )
    assert (
        requests.get(f"{live.server.url}{src}", timeout=10).headers["Content-Type"] == "image/png"
    )
    icon = page.get_attribute(f"{card(page, phone)} [data-testid=app-icon]", "src") or ""
    assert icon.startswith("/api/media/covers/") and icon != src
    assert page.inner_text(f"{card(page, phone)} [data-testid=track]") == "Clair de Lune"
    assert (
        page.inner_text(f"{card(page, phone)} [data-testid=artist]")
        == "Claude Debussy · Suite bergamasque"
    )
    bar = f"{card(page, phone)} [data-testid=progress]"
    page.wait_for_selector(f"{bar}[data-position]")
    assert page.get_attribute(bar, "aria-valuemax") == "301"
    before = reading(page, bar)
    assert 83000 <= before[0] < 301000
    page.clock.run_for(5000)  # playing: the bar moves on between reports, with the clock
    after = reading(page, bar)
    assert after[1] - before[1] >= 4000 and after[0] - before[0] == after[1] - before[1]
    # A later report merges into the media: paused, the bar stops where the report says.
    phone.reported(
        "Spotify", "Spotify", metadata={"media": {"status": "paused", "positionMs": 120000}}
    )
    page.wait_for_selector(f"{card(page, phone)} [data-testid=media][data-status=paused]")
    paused = reading(page, bar)
    page.clock.run_for(5000)
    assert reading(page, bar)[0] == paused[0] == 120000 and reading(page, bar)[1] > paused[1]
    assert page.get_attribute(bar, "aria-valuetext") == "2:00 of 5:01"
    assert page.inner_text(f"{card(page, phone)} [data-testid=track]") == "Clair de Lune"


def test_media_timestamps_give_the_progress(live: Site) -> None:
    tablet = registered(live, "iPad", "ipad-hash-000001")
    live.page.clock.install()
    page = live.open("/live", LIVE)
    now_ms = int(time.time() * 1000)
    tablet.reported(
        "YouTube",
        metadata={
            "media": {
                "title": "Lo-fi",
                "timestamps": {"start": now_ms - 60_000, "end": now_ms + 120_000},
            }
        },
    )
    bar = f"{card(page, tablet)} [data-testid=progress][data-position]"
    page.wait_for_selector(bar)
    assert page.get_attribute(bar, "aria-valuemax") == "180"
    assert page.query_selector(f"{card(page, tablet)} img[data-testid=cover]") is None


def test_a_realtime_status_leaves_when_it_goes_stale(live: Site) -> None:
    """The server pushes changes only; a realtime status that stops reporting goes stale
    processStaleSeconds after its last report without one, so the page drops it by itself. A
    status in active push mode stays."""
    key = device_key(live.api)
    phone = registered(live, "Phone", "phone-hash-0001", key)
    desk = registered(live, "Desk", "desk-hash-00001", key)
    phone.reported("Camera")
    desk.reported("code.exe", push_mode="active")
    stale = requests.get(f"{live.server.url}/api/activity", timeout=10).json()["data"][
        "processStaleSeconds"
    ]
    live.page.clock.install()
    page = live.open("/live", LIVE)
    assert len(page.query_selector_all(CARDS)) == 2
    page.clock.run_for((stale - 5) * 1000)
    assert page.inner_text(f"{card(page, phone)} [data-testid=seen]").startswith(
        f"Updated {(stale - 5) // 60}m "
    )
    page.clock.run_for(10_000)
    page.wait_for_selector(card(page, phone), state="detached")
    assert page.inner_text(f"{card(page, desk)} [data-testid=seen]").startswith("Last report at ")


def test_the_live_page_keeps_following_after_the_stream_ends(
    server: ThreadedServer,  # noqa: F811
    live: Site,
) -> None:
    """A stream ends after its lifetime; the browser opens the next by itself and the page says
    so meanwhile."""
    server.app.extensions["aw_devices_stream"].lifetime = 1.0
    phone = registered(live, "Phone", "phone-hash-0001")
    page = live.open("/live", LIVE)
    page.evaluate(
        """() => {
          const state = document.querySelector("[data-testid=live-state]");
          window.states = [];
          new MutationObserver(() => window.states.push(state.dataset.state))
            .observe(state, { attributes: true, attributeFilter: ["data-state"] });
        }"""
    )
    page.wait_for_function(
        "window.states.includes('reconnecting') && window.states.at(-1) === 'live'"
    )
    assert page.inner_text("[data-testid=live-state]") == "live"
    phone.reported("Camera")
    page.wait_for_selector(f"{card(page, phone)} [data-testid=app]:text-is('Camera')")


def test_a_refused_stream_is_tried_again(
    server: ThreadedServer,  # noqa: F811
    live: Site,
) -> None:
    """An answer that is no stream (here: every stream slot taken) ends EventSource's own
    retries; the page says it is offline and opens the stream again later."""
    live.allowed_statuses.add(503)
    streams = server.app.extensions["aw_devices_stream"]
    server.app.extensions["aw_devices_stream"] = Broadcaster(max_streams=0)
    phone = registered(live, "Phone", "phone-hash-0001")
    page = live.open("/live", "[data-testid=live-state][data-state=offline]")
    server.app.extensions["aw_devices_stream"] = streams
    page.wait_for_selector(LIVE)
    phone.reported("Camera")
    page.wait_for_selector(f"{card(page, phone)} [data-testid=app]:text-is('Camera')")


def test_leaving_the_live_page_closes_its_stream(
    server: ThreadedServer,  # noqa: F811
    live: Site,
) -> None:
    streams = server.app.extensions["aw_devices_stream"]
    phone = registered(live, "Phone", "phone-hash-0001")
    page = live.open("/live", LIVE)
    assert streams.open_streams == 1
    page.click("nav >> text=Devices")
    page.wait_for_selector(TABLE)
    deadline = time.monotonic() + 20
    while streams.open_streams:
        phone.reported("Camera")  # the server notices a gone client when it next writes
        assert time.monotonic() < deadline, "the stream stayed open"
        time.sleep(0.2)


# -- Devices ------------------------------------------------------------------------------------


def test_approving_a_pending_device_lets_it_report(live: Site) -> None:
    key = device_key(live.api, "phones")
    others = {
        "Studio PC": registered(live, "Studio PC", "desk-reporter-0001", key),
        "iPad": registered(live, "iPad", "ipad-hash-0000001", key),
    }
    others["Studio PC"].reported("code.exe", device_type="desktop")
    others["iPad"].reported("Books", device_type="tablet", battery_level=72, is_charging=True)
    admin(
        live, "PATCH", f"devices/{others['iPad'].reported('Books')['deviceId']}", {"pinToTop": True}
    )
    phone = Reporter(live.server.url, key["secret"], "pixel-8-hash-0001", "Pixel 8")
    first = phone.report("Spotify")
    assert first.status_code == 202, first.text
    approval = first.json()["approvalUrl"]
    assert approval.startswith(f"{live.server.url}/#/devices?device=dev_")
    page = live.open(approval.split("#", 1)[1], "[data-testid=marked-notice]")
    assert "Pixel 8 waits for approval" in page.inner_text("[data-testid=marked-notice]")
    device_id = approval.rsplit("=", 1)[1]
    marked = f"{TABLE} tr.marked[data-device='{device_id}']"
    assert page.get_attribute(marked, "aria-current") == "true"
    assert page.evaluate("document.activeElement.textContent") == "Approve"
    listed = shown_devices(page)
    assert list(listed) == ["iPad", "Pixel 8", "Studio PC"]  # pinned first, then by name
    assert listed["Pixel 8"]["Status"] == "pending"
    assert listed["Pixel 8"]["Key"] == f"phones {key['prefix']}…"  # the key it reported with
    assert listed["iPad"]["Battery"] == "72%, charging"
    assert page.is_hidden(".pager")  # one page
    live.shot("devices")
    page.click(f"{marked} [data-action=approve]")
    page.wait_for_selector(f"{TABLE} tr[data-device='{device_id}'][data-status=active]")
    assert page.evaluate("document.activeElement.textContent") == "Revoke…"
    assert "Pixel 8 is approved" in page.inner_text("[data-testid=marked-notice]")
    assert phone.report("Spotify").status_code == 200


def test_rename_pin_revoke_and_delete(live: Site) -> None:
    phone = registered(live, "Pixel 8", "pixel-8-hash-0001")
    phone.reported("Camera")
    window = next(
        b for b in live.api.get("buckets/").json().values() if b["type"] == "currentwindow"
    )
    page = live.open("/devices", TABLE)
    device_id = page.get_attribute(row("Pixel 8"), "data-device")

    page.click(f"{row('Pixel 8')} [data-action=edit]")
    page.wait_for_selector("dialog[data-testid=edit][open]")
    assert page.input_value("[data-testid=edit-hash]") == "pixel-8-hash-0001"
    page.fill("dialog input[name=displayName]", "Ann's phone")
    page.click("[data-testid=edit-save]")
    page.wait_for_selector(row("Ann's phone"))
    assert page.is_hidden("dialog[data-testid=edit]")
    assert admin(live, "GET", "devices")["items"][0]["displayName"] == "Ann's phone"
    assert live.api.get(f"buckets/{window['id']}").json()["hostname"] == "Ann's phone"

    ann = row("Ann's phone")
    page.click(f"{ann} [data-action=pin]")
    page.wait_for_selector(f"{ann} [data-testid=pinned]")
    assert page.get_attribute(f"{ann} [data-action=pin]", "aria-pressed") == "true"
    assert admin(live, "GET", "devices")["items"][0]["pinToTop"] is True

    page.click(f"{ann} [data-action=revoke]")
    assert "Revoke" in page.inner_text("[data-testid=confirm-text]")
    page.click("[data-testid=confirm-action]")
    page.wait_for_selector(f"{TABLE} tr[data-device='{device_id}'][data-status=revoked]")
    assert phone.report("Camera").status_code == 403

    page.click(f"{ann} [data-action=delete]")
    page.click("dialog[data-testid=confirm] >> text=Cancel")
    assert len(admin(live, "GET", "devices")["items"]) == 1
    page.click(f"{ann} [data-action=delete]")
    page.click("[data-testid=confirm-action]")
    page.wait_for_selector("[data-testid=no-devices]")
    assert admin(live, "GET", "devices")["total"] == 0


def test_a_device_added_without_a_key_is_bound_when_approved(live: Site) -> None:
    live.allowed_statuses.add(400)
    key = device_key(live.api, "tablets")
    create_key(live.api, "reader", preset="dashboard")
    page = live.open("/devices", "[data-testid=add-form]")
    assert page.is_visible("[data-testid=no-devices]")
    page.fill("[data-testid=add-form] input[name=displayName]", "Tablet")
    page.fill("[data-testid=add-form] input[name=generatedHashKey]", "short")
    page.click("text=Add device")
    assert "8 to 128" in page.inner_text("[data-testid=add-error]")
    page.fill("[data-testid=add-form] input[name=generatedHashKey]", "")
    page.click("text=Add device")
    made = page.input_value("[data-testid=added-hash]")  # the server made one
    assert len(made) >= 8
    page.wait_for_selector(f"{row('Tablet')}[data-status=pending]")
    assert shown_devices(page)["Tablet"]["Key"] == "none"

    page.click(f"{row('Tablet')} [data-action=approve]")  # without a key: choose one first
    page.wait_for_selector("dialog[data-testid=edit][open]")
    assert page.is_visible("[data-testid=edit-why]")
    assert page.evaluate("document.activeElement.name") == "apiTokenId"
    options = page.inner_text("dialog select[name=apiTokenId]")
    assert "reader" in options and "may not report" in options  # read:* cannot add events
    page.click("[data-testid=edit-save]")
    assert page.inner_text("[data-testid=edit-error]") == "Choose the key this device reports with."
    page.select_option("dialog select[name=apiTokenId]", str(key["id"]))
    page.click("[data-testid=edit-save]")
    page.wait_for_selector(f"{row('Tablet')}[data-status=active]")
    assert shown_devices(page)["Tablet"]["Key"] == f"tablets {key['prefix']}…"
    tablet = Reporter(live.server.url, key["secret"], made, "Tablet")
    assert tablet.report("Books").status_code == 200

    # With a key and a device key of its own, a device is active at once.
    page.fill("[data-testid=add-form] input[name=displayName]", "Desk")
    page.fill("[data-testid=add-form] input[name=generatedHashKey]", "desk-reporter-0001")
    page.select_option("[data-testid=add-form] select[name=apiTokenId]", str(key["id"]))
    page.click("text=Add device")
    page.wait_for_selector(f"{row('Desk')}[data-status=active]")
    assert (
        Reporter(live.server.url, key["secret"], "desk-reporter-0001", "Desk")
        .report("vim")
        .status_code
        == 200
    )
    page.fill("[data-testid=add-form] input[name=displayName]", "Copy")
    page.fill("[data-testid=add-form] input[name=generatedHashKey]", "desk-reporter-0001")
    page.click("text=Add device")
    assert "already has this generatedHashKey" in text_of(
        page, "[data-testid=add-error]:not([hidden])"
    )
    # An active device cannot lose its key: the server says why in the form.
    page.click(f"{row('Desk')} [data-action=edit]")
    page.select_option("dialog select[name=apiTokenId]", "")
    page.click("[data-testid=edit-save]")
    assert "no API key bound cannot be active" in text_of(
        page, "[data-testid=edit-error]:not([hidden])"
    )


def test_paging_filter_search_and_a_link_to_a_later_page(live: Site) -> None:
    key = device_key(live.api)
    for i in range(23):
        admin(
            live,
            "POST",
            "devices",
            {
                "displayName": f"Device {i:02d}",
                "generatedHashKey": f"hash-key-{i:04d}",
                "apiTokenId": key["id"] if i % 2 else None,
            },
        )
    page = live.open("/devices", TABLE)
    assert (
        len(shown_devices(page)) == 20
        and page.inner_text("[data-testid=page-info]") == "1–20 of 23"
    )
    assert page.is_disabled("text=◀ Previous")
    page.click("text=Next ▶")
    page.wait_for_selector("[data-testid=page-info]:text-is('21–23 of 23')")
    assert list(shown_devices(page)) == ["Device 20", "Device 21", "Device 22"]
    page.select_option("[data-testid=device-filters] select[name=status]", "pending")
    page.wait_for_selector("[data-testid=page-info]:text-is('1–12 of 12')", state="attached")
    assert {r["Status"] for r in shown_devices(page).values()} == {"pending"}
    page.fill("[data-testid=device-filters] input[name=q]", "hash-key-0004")
    page.wait_for_selector("[data-testid=page-info]:text-is('1–1 of 1')", state="attached")
    assert page.is_hidden(".pager")
    assert list(shown_devices(page)) == ["Device 04"]
    page.fill("[data-testid=device-filters] input[name=q]", "nothing like it")
    page.wait_for_selector("text=No device matches.")

    last = admin(live, "GET", "devices?q=Device 22")["items"][0]["id"]
    page = live.open(f"/devices?device={last}", "[data-testid=marked-notice]")
    assert page.inner_text("[data-testid=page-info]") == "21–23 of 23"
    assert page.get_attribute(f"{TABLE} tr.marked", "data-device") == last
    page = live.open("/devices?device=dev_00000000", "[data-testid=missing]")
    assert "dev_00000000" in page.inner_text("[data-testid=missing]")


# -- The Activity page --------------------------------------------------------------------------


def test_devices_are_hosts_on_the_activity_page(live: Site) -> None:
    """A device's window bucket is a host of its own (named after the device, or with its id
    when a watcher's host or another device has the name), summed without an AFK bucket."""
    day = local_midnight(1)
    seed(live.api, day)
    key = device_key(live.api)
    phone = registered(live, "Pixel 8", "pixel-8-hash-0001", key)
    twin = registered(live, HOST, "laptop-reporter-01", key)  # the name of the watchers' host
    for reporter, app, minutes in ((phone, "Maps", 25), (twin, "code.exe", 40)):
        status = reporter.reported(app)
        live.api.post(
            f"buckets/waken-window_{status['deviceId']}/events",
            {
                "timestamp": (day + timedelta(hours=20)).isoformat(),
                "duration": minutes * 60,
                "data": {"app": app, "title": ""},
            },
        )
    twin_id = next(
        d["id"] for d in admin(live, "GET", "devices")["items"] if d["displayName"] == HOST
    )
    page = live.open(f"/activity?date={day:%Y-%m-%d}", "[data-testid=active-time][data-seconds]")
    watched = float(page.get_attribute("[data-testid=active-time]", "data-seconds") or "nan")
    options = page.eval_on_selector_all(
        "select[name=host] option",
        "os => os.map((o) => [o.value, o.textContent, o.parentElement.tagName])",
    )
    assert options == [
        [HOST, HOST, "SELECT"],
        [twin_id, f"{HOST} ({twin_id})", "OPTGROUP"],
        ["Pixel 8", "Pixel 8", "OPTGROUP"],
    ]
    page.select_option("select[name=host]", "Pixel 8")
    page.wait_for_selector("[data-testid=active-time][data-seconds='1500']")
    assert page.inner_text("[data-testid=apps-list] td.label") == "Maps"
    page.select_option("select[name=host]", twin_id)
    page.wait_for_selector("[data-testid=active-time][data-seconds='2400']")
    assert page.inner_text("[data-testid=apps-list] td.label") == "code.exe"
    page.select_option("select[name=host]", HOST)
    page.wait_for_selector(f"[data-testid=active-time][data-seconds='{watched:g}']")
    assert "code.exe" not in page.inner_text("[data-testid=apps-list]")


# -- Keys, keyboard, phones, themes -------------------------------------------------------------


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


def test_the_stream_sends_the_stored_key_and_a_reader_may_not_manage_devices(
    locked: ThreadedServer,
    browser: Browser,  # noqa: F811
) -> None:
    site = make_site(locked, browser)
    site.allowed_statuses.update({401, 403})
    site.api.session.headers.update(bearer(ADMIN_SECRET))
    reader = create_key(site.api, "tablet", preset="dashboard")
    watcher = create_key(site.api, "watchers", preset="watcher")
    phone = registered(site, "Phone", "phone-hash-0001")
    page = site.open("/live", "[data-testid=login-form]")
    sign_in(page, watcher["secret"])  # may add events, not read them
    assert "may not see the devices" in text_of(page, "[data-testid=may-not-read]")
    assert page.is_hidden("#error")
    streams: list[str] = []
    site.page.on(
        "request", lambda r: streams.append(r.url) if "/activity/stream" in r.url else None
    )
    page.evaluate(f"localStorage.setItem('aw-api-key', '{reader['secret']}')")
    page.reload()
    page.wait_for_selector(LIVE)
    assert streams and all(url.endswith(f"?api_key={reader['secret']}") for url in streams)
    r = requests.post(
        f"{locked.url}/api/activity",
        json={"generatedHashKey": phone.hash_key, "process_name": "Camera"},
        headers=bearer(phone.secret),
        timeout=10,
    )
    assert r.status_code == 200, r.text
    page.wait_for_selector(f"{CARDS} [data-testid=app]:text-is('Camera')")
    page.click("nav >> text=Devices")
    notice = text_of(page, "[data-testid=not-admin]")
    assert "may not manage devices" in notice and "admin" in notice
    assert page.is_hidden("#error")
    close(site)


def test_the_devices_page_by_keyboard(live: Site) -> None:
    key = device_key(live.api, "phones")
    Reporter(live.server.url, key["secret"], "pixel-8-hash-0001", "Pixel 8").report("Camera")
    page = live.open("/devices", TABLE)
    page.focus(f"{row('Pixel 8')} [data-action=approve]")
    page.keyboard.press("Enter")
    page.wait_for_selector(f"{row('Pixel 8')}[data-status=active]")
    assert page.evaluate("document.activeElement.textContent") == "Revoke…"
    page.keyboard.press("Tab")  # Pin
    page.keyboard.press("Enter")
    page.wait_for_selector(f"{row('Pixel 8')} [data-testid=pinned]")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")  # Edit…
    page.keyboard.press("Enter")
    page.wait_for_selector("dialog[data-testid=edit][open]")
    assert page.evaluate("document.activeElement.name") == "displayName"
    page.keyboard.press("Control+A")
    page.keyboard.type("Phone")
    page.keyboard.press("Enter")
    page.wait_for_selector(row("Phone"))
    assert page.evaluate("document.activeElement.textContent") == "Revoke…"
    page.keyboard.press("Enter")
    page.wait_for_selector("dialog[data-testid=confirm][open]")
    page.keyboard.press("Escape")  # cancels
    assert page.is_hidden("dialog[data-testid=confirm]")
    page.focus(f"{row('Phone')} [data-action=revoke]")
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")  # Cancel has the focus first; Tab moves to Revoke
    page.keyboard.press("Enter")
    page.wait_for_selector(f"{row('Phone')}[data-status=revoked]")
    page.focus("nav a[data-page=live]")
    page.keyboard.press("Enter")
    page.wait_for_selector(LIVE)


def test_live_and_devices_at_phone_width_in_both_themes(
    server: ThreadedServer,  # noqa: F811
    browser: Browser,  # noqa: F811
) -> None:
    narrow = make_site(server, browser, width=390)
    key = device_key(narrow.api, "phones")
    phone = registered(
        narrow, "Ann's Pixel 8 Pro with a rather long name", "pixel-8-hash-0001", key
    )
    desk = registered(narrow, "Studio PC", "desk-reporter-0001", key)
    Reporter(server.url, key["secret"], "laptop-0000000001", "Laptop").report("firefox")
    phone.reported(
        "com.spotify.music",
        "Spotify",
        battery_level=14,
        metadata={
            "media": {
                "title": "A title long enough to need two lines on a phone, and then some more",
                "artist": "Someone",
                "status": "playing",
                "positionMs": 1000,
                "durationMs": 200000,
                "coverDataUrl": picture((200, 120, 40), (90, 30, 120)),
            }
        },
    )
    desk.reported(
        "code.exe",
        "C:\\Users\\ann\\src\\aw-server-py\\aw_server\\static\\js\\pages\\live.js — Visual Studio Code",
    )
    for theme in ("light", "dark"):
        assert narrow.api.post("settings/theme", theme).status_code == 200
        page = narrow.open("/live", LIVE)
        page.reload()  # the same address again is no navigation
        page.wait_for_function(f"document.documentElement.dataset.theme === '{theme}'")
        page.wait_for_selector("[data-testid=cover]")
        assert page.evaluate(LAYOUT_PROBLEMS) == [], f"live {theme}"
        assert page.evaluate("document.documentElement.scrollWidth") <= 392
        review_shot(page, f"live-narrow-{theme}")
        page = narrow.open("/devices", TABLE)
        assert page.evaluate(LAYOUT_PROBLEMS) == [], f"devices {theme}"
        assert page.evaluate("document.documentElement.scrollWidth") <= 392
        review_shot(page, f"devices-narrow-{theme}")
        page.click(f"{row('Laptop')} [data-action=edit]")
        page.wait_for_selector("dialog[data-testid=edit][open]")
        assert page.evaluate(LAYOUT_PROBLEMS) == [], f"edit {theme}"
        page.keyboard.press("Escape")
    close(narrow)


def test_recent_activity_and_top_apps_of_every_device(live: Site) -> None:
    """Earlier events of the devices' window buckets are the recent activity and the top apps
    (a whole Live page: the documentation's screenshot)."""
    key = device_key(live.api, "devices")
    now = datetime.now(UTC)
    now_ms = int(now.timestamp() * 1000)
    reporters = {
        name: registered(live, name, f"{name.lower().replace(' ', '-')}-reporter", key)
        for name in ("Studio PC", "Pixel 8", "iPad")
    }
    earlier = {  # minutes ago, minutes long, app, title
        "Studio PC": [
            (95, 30, "firefox.exe", "Release notes — Mozilla Firefox"),
            (62, 58, "code.exe", "devices.js — aw-server-py — Visual Studio Code"),
        ],
        "Pixel 8": [(110, 12, "Maps", "Directions")],
        "iPad": [(40, 25, "YouTube", "Lo-fi beats to study to")],
    }
    now_in_front = {
        "Studio PC": ("code.exe", "live.js — aw-server-py — Visual Studio Code"),
        "Pixel 8": ("Spotify", "Spotify"),
        "iPad": ("YouTube", "Lo-fi beats to study to"),
    }
    for name, events in earlier.items():
        device_id = reporters[name].reported(*now_in_front[name])["deviceId"]  # makes the buckets
        for ago, minutes, app, title in events:
            live.api.post(
                f"buckets/waken-window_{device_id}/events",
                {
                    "timestamp": (now - timedelta(minutes=ago)).isoformat(),
                    "duration": minutes * 60,
                    "data": {"app": app, "title": title},
                },
            )
    reporters["Studio PC"].reported(
        "code.exe",
        "live.js — aw-server-py — Visual Studio Code",
        device_type="desktop",
        push_mode="active",
    )
    reporters["iPad"].reported(
        "YouTube",
        "Lo-fi beats to study to",
        device_type="tablet",
        battery_level=18,
        metadata={
            "media": {
                "title": "Lo-fi beats",
                "artist": "Chill Radio",
                "isPaused": True,
                "timestamps": {"start": now_ms - 60_000, "end": now_ms + 120_000},
            }
        },
    )
    page = live.open("/live", LIVE)
    reporters["Pixel 8"].reported(
        "Spotify",
        "Spotify",
        device_type="mobile",
        battery_level=64,
        is_charging=True,
        metadata={
            "play_source": "spotify",
            "media": {
                "title": "Clair de Lune",
                "singer": "Claude Debussy",
                "album": "Suite bergamasque",
                "status": "playing",
                "positionMs": 83000,
                "durationMs": 301000,
                "coverDataUrl": picture((40, 60, 160), (200, 80, 120)),
            },
        },
    )
    page.wait_for_selector(f"{card(page, reporters['Pixel 8'])} [data-testid=cover]")
    page.wait_for_function("document.querySelector('[data-testid=cover]').naturalWidth > 0")
    feed = requests.get(f"{live.server.url}/api/activity", timeout=10).json()["data"]
    assert [c.inner_text().splitlines()[0] for c in page.query_selector_all(CARDS)] == [
        s["device"] for s in feed["activeStatuses"]
    ]
    tops = page.eval_on_selector_all(
        "[data-testid=top-apps-list] tr",
        "rows => rows.map((r) => [r.querySelector('td.label').innerText, Number(r.dataset.seconds)])",
    )
    assert tops == [[a["processName"], a["seconds"]] for a in feed["recentTopApps"]]
    assert [a["processName"] for a in feed["recentTopApps"]] == [
        "code.exe",
        "firefox.exe",
        "YouTube",
    ]
    assert len(page.query_selector_all("[data-testid=recent-item]")) == len(
        feed["recentActivities"]
    )
    live.shot("live")
