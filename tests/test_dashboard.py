"""The dashboard in real headless Chromium: every page, numbers checked against the API,
controls used, no console error and no failed request; screenshots in tests/artifacts/
(`AW_SCREENSHOTS=docs/screenshots` writes them over the documentation's instead)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import Browser, Page, sync_playwright

from aw_core.categories import default_classes
from aw_server.app import create_app
from tests.browser_seed import CLASSES, HOST, local_midnight, seed
from tests.conftest import Api, make_config
from tests.liveserver import ThreadedServer

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(os.environ.get("AW_SCREENSHOTS") or Path(__file__).parent / "artifacts")
# Problems a person would see on a narrow screen, as a list of strings: visible text beyond the
# viewport or hidden past the edge of a scrolling box, boxes that need a sideways scroll (code
# blocks excepted), and table cells that may break anywhere or did break a word (a run of letters
# or digits) across lines.
LAYOUT_PROBLEMS = """() => {
  const viewport = document.documentElement.clientWidth;
  const problems = [];
  const range = document.createRange();
  const name = (el) => el.tagName.toLowerCase() + (typeof el.className === "string" && el.className ? "." + el.className.trim().split(/\\s+/).join(".") : "");
  const texts = (root) => {
    const found = [];
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const skip = "[hidden], .skip, script, style, title, template, option, dialog:not([open])";
      if (node.textContent.trim() && !node.parentElement.closest(skip)) found.push(node);
    }
    return found;
  };
  for (const node of texts(document.body)) {
    const parent = node.parentElement;
    let clipper = parent;
    while (clipper && clipper !== document.body && getComputedStyle(clipper).overflowX === "visible") clipper = clipper.parentElement;
    range.selectNodeContents(node);
    for (const r of [...range.getClientRects()].filter((r) => r.width > 0)) {
      const text = `${name(parent)} "${node.textContent.trim().slice(0, 40)}"`;
      if (r.right > viewport + 1 || r.left < -1) problems.push(`beyond the viewport: ${text}`);
      if (clipper && clipper !== document.body && !parent.closest("pre") && r.right > clipper.getBoundingClientRect().right + 1) {
        problems.push(`hidden past the edge of ${name(clipper)}: ${text}`);
      }
    }
  }
  for (const box of document.querySelectorAll("body *:not(pre):not(textarea)")) {
    const overflow = getComputedStyle(box).overflowX;
    if ((overflow === "auto" || overflow === "scroll") && box.scrollWidth > box.clientWidth + 1) {
      problems.push(`scrolls sideways: ${name(box)} (${box.scrollWidth} > ${box.clientWidth})`);
    }
  }
  for (const cell of document.querySelectorAll("td, th")) {
    const style = getComputedStyle(cell);
    if (style.wordBreak === "break-all" || style.overflowWrap === "anywhere") problems.push(`may break anywhere: ${name(cell)}`);
    for (const node of texts(cell)) {
      for (const word of node.textContent.matchAll(/[\\p{L}\\p{N}]+/gu)) {
        range.setStart(node, word.index);
        range.setEnd(node, word.index + word[0].length);
        const lines = new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top)));
        if (lines.size > 1) problems.push(`word broken across lines: "${word[0]}" in ${name(cell)}`);
      }
    }
  }
  return problems;
}"""
WINDOW, AFK, WEB = (
    f"aw-watcher-window_{HOST}",
    f"aw-watcher-afk_{HOST}",
    f"aw-watcher-web-firefox_{HOST}",
)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is needed for the dashboard tests: apt-get install chromium")
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--headless",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
            ],
        )
        yield instance
        instance.close()


class Site:
    def __init__(self, server: ThreadedServer, browser: Browser, width: int = 1280) -> None:
        self.server = server
        self.api = Api(server.url)
        self.page: Page = browser.new_page(viewport={"width": width, "height": 900})
        self.problems: list[str] = []
        self.allowed_statuses: set[int] = set()
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        self.page.on(
            "requestfailed", lambda r: self.problems.append(f"request failed: {r.url} {r.failure}")
        )
        self.page.on(
            "response",
            lambda r: (
                self.problems.append(f"{r.status} from {r.url}")
                if r.status >= 400 and r.status not in self.allowed_statuses
                else None
            ),
        )

    def _console(self, message: Any) -> None:
        if message.type not in ("error", "warning"):
            return
        # Chrome also logs every 4xx answer; those the test expects are not problems.
        if any(f"status of {status} " in message.text for status in self.allowed_statuses):
            return
        self.problems.append(f"console {message.type}: {message.text}")

    def open(self, hash_: str, ready: str) -> Page:
        self.page.goto(f"{self.server.url}/#{hash_}")
        self.page.wait_for_selector(ready)
        return self.page

    def shot(self, name: str) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

    def query(self, lines: list[str], start: datetime, end: datetime) -> Any:
        r = self.api.post(
            "query/", {"query": lines, "timeperiods": [f"{start.isoformat()}/{end.isoformat()}"]}
        )
        assert r.status_code == 200, r.text
        return r.json()[0]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ThreadedServer]:
    srv = ThreadedServer(create_app(make_config(tmp_path))).start()
    yield srv
    srv.stop()


@pytest.fixture
def site(server: ThreadedServer, browser: Browser) -> Iterator[Site]:
    s = Site(server, browser)
    yield s
    s.page.close()
    assert not s.problems, s.problems


@pytest.fixture
def day(site: Site) -> datetime:
    start = local_midnight(1)
    seed(site.api, start)
    return start


def active_program() -> list[str]:
    return [
        f'events = flood(query_bucket("{WINDOW}"));',
        f'not_afk = filter_keyvals(flood(query_bucket("{AFK}")), "status", ["not-afk"]);',
        "RETURN = sum_durations(filter_period_intersect(events, not_afk));",
    ]


def test_activity_numbers_match_the_api(site: Site, day: datetime) -> None:
    page = site.open(f"/activity?date={day:%Y-%m-%d}", "[data-testid=active-time][data-seconds]")
    end = day + timedelta(days=1)
    expected_active = site.query(active_program(), day, end)
    shown = float(page.get_attribute("[data-testid=active-time]", "data-seconds") or "nan")
    assert shown == pytest.approx(expected_active, abs=0.01)
    assert expected_active == pytest.approx(9 * 3600, abs=5)  # 08-12 and 13-18 not AFK
    apps = site.query(
        [
            *active_program()[:2],
            "events = filter_period_intersect(events, not_afk);",
            'RETURN = sort_by_duration(merge_events_by_keys(events, ["app"]));',
        ],
        day,
        end,
    )
    rows = page.query_selector_all("[data-testid=apps-list] tr")
    assert [r.query_selector("td.label").inner_text() for r in rows] == [
        a["data"]["app"] for a in apps
    ]
    assert [float(r.get_attribute("data-seconds")) for r in rows] == pytest.approx(
        [a["duration"] for a in apps], abs=0.01
    )
    categories = {
        r.query_selector("td.label").inner_text()
        for r in page.query_selector_all("[data-testid=categories-list] tr")
    }
    assert (
        categories <= {" > ".join(c["name"]) for c in CLASSES} | {"Uncategorized"}
        and "Work > Programming" in categories
    )
    domains = [
        r.query_selector("td.label").inner_text()
        for r in page.query_selector_all("[data-testid=domains-list] tr")
    ]
    assert set(domains) == {"github.com", "stackoverflow.com", "youtube.com"}
    page.click("text=Show as table")
    hourly = [
        float(c.get_attribute("data-seconds"))
        for c in page.query_selector_all(".chart-table td.num")
    ]
    assert len(hourly) == 24 and sum(hourly) == pytest.approx(expected_active, abs=1)
    assert hourly[12] == pytest.approx(0, abs=1) and hourly[9] == pytest.approx(3600, abs=1)
    site.shot("activity")


def test_change_day_and_week(site: Site, day: datetime) -> None:
    page = site.open(f"/activity?date={day:%Y-%m-%d}", "[data-testid=active-time][data-seconds]")
    page.click("[aria-label='Previous day']")
    page.wait_for_function(f"location.hash.includes('{(day - timedelta(days=1)):%Y-%m-%d}')")
    page.wait_for_selector("[data-testid=active-time][data-seconds='0']")
    page.select_option("select[name=view]", "week")
    page.wait_for_selector("text=Active time per day")
    page.wait_for_selector("[data-testid=active-time][data-seconds]")
    page.click("text=Show as table")
    days = page.query_selector_all(".chart-table td.num")
    assert len(days) == 7
    assert float(
        page.get_attribute("[data-testid=active-time]", "data-seconds") or 0
    ) == pytest.approx(sum(float(d.get_attribute("data-seconds")) for d in days), abs=1)


def test_timeline_lanes_zoom_and_tooltip(site: Site, day: datetime) -> None:
    page = site.open(f"/timeline?date={day:%Y-%m-%d}", "rect.event")
    params = {"start": day.isoformat(), "end": (day + timedelta(days=1)).isoformat()}
    expected = sum(
        len(site.api.get(f"buckets/{b}/events", params=params).json()) for b in (WINDOW, AFK, WEB)
    )
    assert len(page.query_selector_all("rect.event")) == expected
    assert page.text_content(".lane-label >> nth=0") == WINDOW
    newest_window_event = site.api.get(f"buckets/{WINDOW}/events", params=params).json()[0]
    page.focus("rect.event[data-lane='0'][data-index='0']")
    tooltip = page.wait_for_selector("#tooltip:not([hidden])")
    assert newest_window_event["data"]["title"] in tooltip.inner_text()
    axis_before = page.text_content("svg .axis >> nth=1")
    page.click("text=Zoom in")
    page.click("text=Zoom in")
    assert page.text_content("svg .axis >> nth=1") != axis_before
    page.focus(".timeline-wrap svg")
    page.keyboard.press("ArrowRight")
    page.click("text=Whole day")
    assert page.text_content("svg .axis >> nth=1") == axis_before
    site.shot("timeline")


def test_buckets_table_and_delete_event(site: Site, day: datetime) -> None:
    page = site.open("/buckets", "[data-testid=buckets-table]")
    for row in page.query_selector_all("[data-testid=buckets-table] tbody tr"):
        bucket_id = row.get_attribute("data-bucket")
        assert (
            int(row.query_selector("[data-testid=count]").inner_text())
            == site.api.get(f"buckets/{bucket_id}/events/count").json()
        )
    site.shot("buckets")
    page.click(f"text={WINDOW}")
    page.wait_for_selector("tr[data-id]")
    before = site.api.get(f"buckets/{WINDOW}/events/count").json()
    assert int(page.inner_text("[data-testid=event-count]")) == before
    newest = site.api.get(f"buckets/{WINDOW}/events", params={"limit": 1}).json()[0]
    assert page.get_attribute("tr[data-id] >> nth=0", "data-id") == str(newest["id"])
    assert len(page.query_selector_all("tr[data-id]")) == 50
    page.click("text=Load more")
    page.wait_for_function("document.querySelectorAll('tr[data-id]').length > 50")
    page.click(f"[aria-label='Delete event {newest['id']}']")
    page.wait_for_selector(f"[data-testid=event-count]:text('{before - 1}')")
    assert site.api.get(f"buckets/{WINDOW}/events/count").json() == before - 1
    assert site.api.get(f"buckets/{WINDOW}/events/{newest['id']}").status_code == 404
    site.shot("bucket")


def test_delete_bucket_asks_first(site: Site, day: datetime) -> None:
    page = site.open(f"/buckets/{WEB}", "tr[data-id]")
    page.click("[data-testid=delete-bucket]")
    page.click("dialog >> text=Cancel")
    assert site.api.get(f"buckets/{WEB}").status_code == 200
    page.click("[data-testid=delete-bucket]")
    page.click("[data-testid=confirm-delete]")
    page.wait_for_function("location.hash === '#/buckets'")
    page.wait_for_selector("[data-testid=buckets-table]")
    assert site.api.get(f"buckets/{WEB}").status_code == 404
    assert WEB not in page.inner_text("[data-testid=buckets-table]")


def test_import_from_file(site: Site, tmp_path: Path) -> None:
    export = {
        "buckets": {
            "imported_host": {
                "id": "imported_host",
                "type": "test",
                "client": "c",
                "hostname": "h",
                "events": [
                    {"timestamp": "2024-01-01T10:00:00Z", "duration": 5, "data": {"x": 1}},
                    {"timestamp": "2024-01-01T10:00:05Z", "duration": 5, "data": {"x": 2}},
                ],
            }
        }
    }
    path = tmp_path / "export.json"
    path.write_text(json.dumps(export))
    page = site.open("/buckets", "[data-testid=import-form]")
    assert page.is_visible("[data-testid=empty]")
    page.set_input_files("input[type=file]", str(path))
    page.click("button:text('Import')")
    page.wait_for_selector(
        "[data-testid=import-result]:text('imported_host: 2 imported, 0 skipped')"
    )
    assert site.api.get("buckets/imported_host/events/count").json() == 2


def test_query_page_runs_and_shows_errors(site: Site, day: datetime) -> None:
    site.allowed_statuses.add(400)
    page = site.open("/query", "textarea")
    start = day.strftime("%Y-%m-%dT%H:%M")
    page.fill("input[name=start]", start)
    page.fill("input[name=end]", (day + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"))
    page.click("text=Run")
    page.wait_for_selector("[data-testid=result-table]")
    assert "duration" in page.inner_text("[data-testid=result-table]")
    page.check("input[name=json]")
    shown = json.loads(page.inner_text("[data-testid=query-result] pre"))
    assert shown["duration"] == pytest.approx(9 * 3600, abs=5)
    site.shot("query")
    page.fill("textarea", "RETURN = flood(;")
    page.click("text=Run")
    error = page.wait_for_selector("[data-testid=query-error]:not([hidden])")
    assert "QueryParseException" in error.inner_text() and "line 1, column" in error.inner_text()


def test_settings_edit_category_and_theme(site: Site, day: datetime) -> None:
    page = site.open("/settings", ".rules tbody tr")
    assert page.input_value(".rules tbody tr >> nth=0 >> input[name=name]") == "Work"
    page.click("text=Add rule")
    page.fill(".rules tbody tr >> nth=-1 >> input[name=name]", "Media > Video")
    page.fill(".rules tbody tr >> nth=-1 >> input[name=regex]", "youtube")
    page.check(".rules tbody tr >> nth=-1 >> input[name=ignore_case]")
    page.fill("input[name=startOfDay]", "04:00")
    page.select_option("select[name=theme]", "dark")
    page.click("button[type=submit]")
    page.wait_for_selector("[data-testid=saved]:text('Saved.')")
    saved = site.api.get("settings").json()
    assert saved["classes"][-1] == {
        "id": len(CLASSES) + 1,
        "name": ["Media", "Video"],
        "rule": {"type": "regex", "regex": "youtube", "ignore_case": True},
    }
    assert saved["classes"][0]["data"] == CLASSES[0]["data"]  # a colour set elsewhere is kept
    assert saved["startOfDay"] == "04:00" and saved["theme"] == "dark"
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    site.shot("settings")
    page = site.open(f"/activity?date={day:%Y-%m-%d}", "[data-testid=categories-list]")
    assert "Media > Video" in page.inner_text("[data-testid=categories-list]")
    assert "04:00" in page.inner_text("[data-testid=range]") or "4:00" in page.inner_text(
        "[data-testid=range]"
    )
    site.shot("activity-dark")


def test_empty_state_explains_what_to_do(site: Site) -> None:
    page = site.open("/activity", "[data-testid=empty]")
    assert "curl" in page.inner_text("[data-testid=empty]")
    page = site.open("/timeline", ".empty")


def test_empty_state_commands_record_a_minute(site: Site) -> None:
    """The hint's commands, pasted into a shell as they are, create a window bucket and send two
    heartbeats that merge into one minute, which the Activity page then shows."""
    page = site.open("/activity", "[data-testid=empty-commands]")
    commands = page.inner_text("[data-testid=empty-commands]")
    assert site.server.url in commands and "Content-Type: application/json" in commands
    done = subprocess.run(["sh", "-c", commands], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert '"message"' not in done.stdout, done.stdout  # every request succeeded
    window = [b for b in site.api.get("buckets/").json().values() if b["type"] == "currentwindow"]
    assert len(window) == 1
    events = site.api.get(f"buckets/{window[0]['id']}/events").json()
    assert [e["duration"] for e in events] == [pytest.approx(60, abs=2)]
    page.reload()
    page.wait_for_selector("[data-testid=active-time][data-seconds]")
    assert float(page.get_attribute("[data-testid=active-time]", "data-seconds") or 0) > 0
    assert "Terminal" in page.inner_text("[data-testid=apps-list]")


def test_a_zero_total_is_explained(site: Site) -> None:
    day = local_midnight(1)
    site.api.create_bucket(WINDOW, type="currentwindow", hostname=HOST)
    site.api.post(
        f"buckets/{WINDOW}/heartbeat?pulsetime=60",
        {"timestamp": (day + timedelta(hours=10)).isoformat(), "duration": 0, "data": {"app": "A"}},
    )
    page = site.open(f"/activity?date={day:%Y-%m-%d}", "[data-testid=zero-note]:not([hidden])")
    assert page.get_attribute("[data-testid=active-time]", "data-seconds") == "0"
    note = page.inner_text("[data-testid=zero-note]")
    assert note.startswith("1 window event, all of zero length") and "pulsetime" in note
    # With time recorded but none of it while not AFK, the note says that instead.
    site.api.create_bucket(AFK, type="afkstatus", hostname=HOST)
    site.api.post(
        f"buckets/{AFK}/events",
        {
            "timestamp": (day + timedelta(hours=9)).isoformat(),
            "duration": 7200,
            "data": {"status": "afk"},
        },
    )
    site.api.post(
        f"buckets/{WINDOW}/events",
        {
            "timestamp": (day + timedelta(hours=11)).isoformat(),
            "duration": 60,
            "data": {"app": "B"},
        },
    )
    page.reload()
    page.wait_for_selector("[data-testid=zero-note]:not([hidden])")
    assert "2 window events (1m 00s), none of it while the AFK watcher" in page.inner_text(
        "[data-testid=zero-note]"
    )


def test_no_zero_note_when_time_was_recorded(site: Site, day: datetime) -> None:
    page = site.open(f"/activity?date={day:%Y-%m-%d}", "[data-testid=active-time][data-seconds]")
    assert page.is_hidden("[data-testid=zero-note]")


def test_default_categories_come_from_the_shared_file(site: Site, day: datetime) -> None:
    defaults = default_classes()
    assert requests.get(f"{site.server.url}/default-classes.json", timeout=10).json() == defaults
    assert site.api.delete("settings/classes").status_code == 200  # no rules of the user's own
    fetched: list[str] = []
    site.page.on("request", lambda r: fetched.append(r.url) if "default-classes" in r.url else None)
    page = site.open(f"/activity?date={day:%Y-%m-%d}", "[data-testid=categories-list]")
    # The seeded app "Code" matches the default rule of Work > Programming.
    assert "Work > Programming" in page.inner_text("[data-testid=categories-list]")
    page.click("nav >> text=Settings")
    page.wait_for_selector(".rules tbody tr")
    names = [i.input_value() for i in page.query_selector_all(".rules input[name=name]")]
    assert names == [" > ".join(c["name"]) for c in defaults]
    page.click("nav >> text=Query")
    page.wait_for_selector("textarea")
    assert json.dumps(defaults[0]["rule"]["regex"]) in page.input_value("textarea")
    assert len(fetched) == 1, fetched  # once per page load, shared by every view


def test_buckets_are_found_by_type(site: Site) -> None:
    """Watchers may name their buckets freely; browser extensions often report hostname
    "unknown". The Activity view goes by bucket type, as the official web UI does."""
    day = local_midnight(1)
    at = (day + timedelta(hours=10)).isoformat()
    buckets = {
        "my-windows": ("currentwindow", "desk", {"app": "Google Chrome", "title": "Example"}),
        "my-afk": ("afkstatus", "desk", {"status": "not-afk"}),
        "aw-watcher-web-chrome": ("web.tab.current", "unknown", {"url": "https://example.org/a"}),
        "aw-watcher-window_other": ("test", "desk", {"app": "Not a window bucket"}),
    }
    for bucket_id, (type_, hostname, data) in buckets.items():
        site.api.create_bucket(bucket_id, type=type_, hostname=hostname)
        site.api.post(
            f"buckets/{bucket_id}/events", {"timestamp": at, "duration": 600, "data": data}
        )
    page = site.open(f"/activity?date={day:%Y-%m-%d}", "[data-testid=domains-list]")
    assert page.inner_text("select[name=host]").split() == ["desk"]
    assert page.get_attribute("[data-testid=active-time]", "data-seconds") == "600"
    assert page.inner_text("[data-testid=domains-list] td.label") == "example.org"
    assert "Not a window bucket" not in page.inner_text("[data-testid=apps]")


def test_categories_have_their_own_colours(site: Site, day: datetime) -> None:
    video = {"id": 4, "name": ["Media", "Video"], "rule": {"type": "regex", "regex": "VLC"}}
    site.api.post("settings/classes", [*CLASSES, video])
    evening = day + timedelta(hours=18)
    site.api.post(
        f"buckets/{AFK}/events",
        {"timestamp": evening.isoformat(), "duration": 1800, "data": {"status": "not-afk"}},
    )
    for minutes, app in ((0, "Calculator"), (10, "VLC")):  # Uncategorized, Media > Video
        site.api.post(
            f"buckets/{WINDOW}/events",
            {
                "timestamp": (evening + timedelta(minutes=minutes)).isoformat(),
                "duration": 300,
                "data": {"app": app, "title": app},
            },
        )
    page = site.open(f"/activity?date={day:%Y-%m-%d}", "[data-testid=categories-list]")
    colours: dict[str, str] = page.eval_on_selector_all(
        "[data-testid=categories-list] tr",
        """rows => Object.fromEntries(rows.map((row) => [
            row.querySelector("td.label").innerText,
            row.querySelector("td.bar rect:nth-of-type(2)").getAttribute("fill")]))""",
    )
    assert set(colours) == {
        "Work",
        "Work > Programming",
        "Media > Music",
        "Media > Video",
        "Uncategorized",
    }
    assert len(set(colours.values())) == len(colours), colours  # no two share a colour
    work: dict[str, Any] = CLASSES[0]
    assert colours["Work"] == work["data"]["color"]  # an explicit data.color is used
    # Colours are stable: the same on the next load.
    page.reload()
    page.wait_for_selector("[data-testid=categories-list]")
    fill = page.get_attribute(
        "[data-testid=categories-list] tr:has-text('Media > Music') rect:nth-of-type(2)", "fill"
    )
    assert fill == colours["Media > Music"]


def test_api_browser_resolves_schemas(site: Site) -> None:
    page = site.page
    page.goto(f"{site.server.url}/api/")
    page.wait_for_selector("details.op")
    page.evaluate("document.querySelectorAll('details').forEach((d) => { d.open = true; })")
    text = page.inner_text("#ops")
    assert "$ref" not in text and "#/components" not in text
    events = page.locator("details.op", has_text="Events overlapping").first
    response = events.locator("tr", has_text="200").first.inner_text()
    assert "list of" in response and "Event" in response
    assert "timestamp (required): string (date-time)" in response
    # Nested references: an export holds buckets (NewBucket) whose events are NewEvents.
    export = page.locator("details.op", has_text="Export every bucket").first
    exported = export.locator("tr", has_text="200").first.inner_text()
    assert "NewBucket" in exported and "NewEvent" in exported and "hostname" in exported


def test_api_browser_survives_a_schema_that_contains_itself(site: Site) -> None:
    doc = site.api.session.get(f"{site.server.url}/api/openapi.json", timeout=10).json()
    event = doc["components"]["schemas"]["Event"]
    event["properties"]["children"] = {
        "type": "array",
        "items": {"$ref": "#/components/schemas/Event"},
    }
    site.page.route(
        "**/api/openapi.json",
        lambda route: route.fulfill(
            status=200, content_type="application/json", body=json.dumps(doc)
        ),
    )
    page = site.page
    page.goto(f"{site.server.url}/api/")
    page.wait_for_selector("details.op")
    events = page.locator("details.op", has_text="Events overlapping").first
    events.locator("summary").first.click()
    response = events.locator("tr", has_text="200").first.inner_text()
    assert "children: list of" in response and "recursive" in response


def test_server_errors_are_shown(site: Site) -> None:
    site.allowed_statuses.add(404)
    page = site.open("/buckets/no-such-bucket", "#error:not([hidden])")
    assert "404" in page.inner_text("#error") and "no-such-bucket" in page.inner_text("#error")


def test_narrow_screen_has_no_sideways_scroll(server: ThreadedServer, browser: Browser) -> None:
    narrow = Site(server, browser, width=390)
    seed(narrow.api, local_midnight(1))
    for hash_, ready in (
        (f"/activity?date={local_midnight(1):%Y-%m-%d}", "[data-testid=active-time][data-seconds]"),
        ("/buckets", "[data-testid=buckets-table]"),
        ("/settings", ".rules tbody tr"),
    ):
        page = narrow.open(hash_, ready)
        assert page.evaluate("document.documentElement.scrollWidth") <= 392, hash_
        if hash_.startswith("/activity"):
            narrow.shot("activity-narrow")
    narrow.page.close()
    assert not narrow.problems, narrow.problems


def test_narrow_screen_text_fits_and_words_stay_whole(
    server: ThreadedServer, browser: Browser
) -> None:
    narrow = Site(server, browser, width=390)
    day = local_midnight(1)
    seed(narrow.api, day)
    pages = {
        "activity": (f"/activity?date={day:%Y-%m-%d}", "[data-testid=active-time][data-seconds]"),
        "timeline": (f"/timeline?date={day:%Y-%m-%d}", "rect.event"),
        "buckets": ("/buckets", "[data-testid=buckets-table]"),
        "bucket": (f"/buckets/{WEB}", "tr[data-id]"),
        "settings": ("/settings", ".rules tbody tr"),
    }
    for name, (hash_, ready) in pages.items():
        page = narrow.open(hash_, ready)
        assert page.evaluate(LAYOUT_PROBLEMS) == [], name
        if name == "timeline":
            labels = page.query_selector_all(".lane-label")
            assert [label.text_content() for label in labels] == [WINDOW, AFK, WEB]
            for label in labels:
                box = label.bounding_box()
                assert (
                    box and box["height"] >= 10 and box["x"] >= 0 and box["x"] + box["width"] <= 390
                )
            narrow.shot("timeline-narrow")
    page.click("nav >> text=Query")
    page.wait_for_selector("textarea")
    page.fill("input[name=start]", day.strftime("%Y-%m-%dT%H:%M"))
    page.fill("textarea", f'RETURN = query_bucket("{WEB}");')
    page.click("text=Run")
    page.wait_for_selector("[data-testid=result-table]")
    assert page.evaluate(LAYOUT_PROBLEMS) == [], "query"
    narrow.page.close()
    assert not narrow.problems, narrow.problems


def test_keyboard_navigation(site: Site, day: datetime) -> None:
    page = site.open(f"/activity?date={day:%Y-%m-%d}", "[data-testid=active-time][data-seconds]")
    page.keyboard.press("Tab")  # the skip link
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent.trim()")
    assert "ActivityWatch" in focused
    for _ in range(4):
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Buckets"
    page.keyboard.press("Enter")
    page.wait_for_selector("[data-testid=buckets-table]")


def test_todays_view_refreshes_itself(site: Site) -> None:
    today = local_midnight(0)
    now = datetime.now().astimezone()
    for bucket, type_ in ((WINDOW, "currentwindow"), (AFK, "afkstatus")):
        site.api.create_bucket(bucket, type=type_, hostname=HOST)
    start = max(today, now - timedelta(minutes=30))
    site.api.post(
        f"buckets/{AFK}/events",
        {
            "timestamp": start.isoformat(),
            "duration": (now - start).total_seconds() + 3600,
            "data": {"status": "not-afk"},
        },
    )
    site.api.post(
        f"buckets/{WINDOW}/events",
        {"timestamp": start.isoformat(), "duration": 60, "data": {"app": "Editor", "title": "a"}},
    )
    site.page.clock.install()
    page = site.open("/activity", "[data-testid=active-time][data-seconds='60']")
    site.api.post(
        f"buckets/{WINDOW}/events",
        {
            "timestamp": (start + timedelta(seconds=120)).isoformat(),
            "duration": 30,
            "data": {"app": "Browser", "title": "b"},
        },
    )
    page.clock.run_for(61_000)
    page.wait_for_selector("[data-testid=active-time][data-seconds='90']")
    assert "Browser" in page.inner_text("[data-testid=apps-list]")


def test_a_past_day_shows_new_data_at_once(site: Site, day: datetime) -> None:
    """The Activity view names its queries, so past days come from the server's cache; a write
    into that day must still show on the next load."""
    target = f"/activity?date={day:%Y-%m-%d}"
    page = site.open(target, "[data-testid=active-time][data-seconds]")
    before = float(page.get_attribute("[data-testid=active-time]", "data-seconds") or "nan")
    page.reload()
    page.wait_for_selector("[data-testid=active-time][data-seconds]")
    assert float(page.get_attribute("[data-testid=active-time]", "data-seconds") or "nan") == before
    site.api.post(  # ten minutes at 19:00, after the seeded events, not AFK
        f"buckets/{AFK}/events",
        {
            "timestamp": (day + timedelta(hours=19)).isoformat(),
            "duration": 600,
            "data": {"status": "not-afk"},
        },
    )
    site.api.post(
        f"buckets/{WINDOW}/events",
        {
            "timestamp": (day + timedelta(hours=19)).isoformat(),
            "duration": 600,
            "data": {"app": "Late", "title": "x"},
        },
    )
    page.reload()
    page.wait_for_selector("[data-testid=active-time][data-seconds]")
    after = float(page.get_attribute("[data-testid=active-time]", "data-seconds") or "nan")
    assert after > before
    assert "Late" in page.inner_text("[data-testid=apps-list]")
