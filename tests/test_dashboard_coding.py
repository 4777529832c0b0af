"""The dashboard's Coding page in headless Chromium: WakaTime heartbeats posted as the editor
plugins post them, the page's numbers checked against the server's WakaTime summaries for the
same days, the per-hour chart against the total, the "Connect your editor" help (its address,
its link to a key on the Access page, and that the lines it gives work), keyboard, phone width
and both themes. The browser runs in a zone with a half-hour offset, so a chart binned in UTC
or a day cut at the wrong midnight shows. Fixtures and checks come from test_dashboard."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, cast
from urllib.parse import parse_qs, urlparse
from zoneinfo import ZoneInfo

import pytest
import requests
from playwright.sync_api import Browser, Page

from tests.liveserver import ThreadedServer
from tests.test_dashboard import (  # noqa: F401  (fixtures are used by name)
    LAYOUT_PROBLEMS,
    Site,
    browser,
    server,
)
from tests.test_dashboard_access import review_shot

ZONE = "Asia/Kolkata"  # UTC+05:30 all year: local hours are not UTC hours, no DST change
TZ = ZoneInfo(ZONE)
ZONE_NAMES = {ZONE, "Asia/Calcutta"}  # Chromium (ICU) reports the zone by its older name
VSCODE = "wakatime/v1.90.0 (linux-6.5.0-amd64) go1.21.5 vscode/1.85.1 vscode-wakatime/24.4.0"
VIM = "wakatime/13.1.0 (Linux-6.1.0-x86_64-with-glibc2.36) Python3.9.18.final.0 vim/9.0 vim-wakatime/1.0"
STEP = 120  # seconds between heartbeats, as a plugin sends them while one types
BATCH = 25  # heartbeats per request, as the Go CLI syncs its queue
READY = "[data-testid=coding-time][data-seconds]"
LISTS = ("projects", "languages", "editors", "machines", "categories", "entities")
TOP = 10
REPO = "/home/ann/src/aw-server-py"
NOTES = tuple(f"/home/ann/notes/2026/meeting-notes-{i:02d}.md" for i in range(1, 13))


@dataclass(frozen=True)
class Run:
    """Heartbeats of one machine every STEP seconds from ``start`` (local, on the seeded day),
    cycling through ``files``."""

    machine: str
    user_agent: str
    start: time
    beats: int
    files: tuple[str, ...]
    project: str | None
    language: str
    category: str = "coding"

    def heartbeats(self, day: date) -> list[dict[str, Any]]:
        first = datetime.combine(day, self.start, tzinfo=TZ).timestamp()
        return [
            heartbeat(
                self.files[i % len(self.files)],
                first + i * STEP,
                project=self.project,
                language=self.language,
                category=self.category,
                user_agent=self.user_agent,
            )
            for i in range(self.beats)
        ]


# One day of coding on two machines. devbox: 09:10-10:40 Python, 10:42-11:20 JavaScript (one
# event chain, 65 gaps of 2 minutes); laptop: 14:30-15:06 notes in 12 files, then 23:50 to 00:10
# of the next day without a project. The gaps between the runs of a machine exceed the timeout.
DAY_RUNS = (
    Run(
        "devbox",
        VSCODE,
        time(9, 10),
        46,
        (f"{REPO}/aw_server/wakatime/ingest.py", f"{REPO}/tests/test_wakatime_ingest.py"),
        "aw-server-py",
        "Python",
    ),
    Run(
        "devbox",
        VSCODE,
        time(10, 42),
        20,
        (f"{REPO}/aw_server/static/js/pages/coding.js",),
        "aw-server-py",
        "JavaScript",
        "debugging",
    ),
    Run("laptop", VIM, time(14, 30), 19, NOTES, "notes", "Markdown"),
    Run("laptop", VIM, time(23, 50), 11, ("/home/ann/.bashrc",), None, "Bash"),
)
# What the duration rule gives that day, by local hour (the last run's second half is the next day's).
DAY_HOURS = {9: 3000, 10: 3600, 11: 1200, 14: 1800, 15: 360, 23: 600}
DAY_TOTAL = sum(DAY_HOURS.values())


def heartbeat(entity: str, at: float, **fields: Any) -> dict[str, Any]:
    return {"entity": entity, "type": "file", "time": at, "is_write": False, **fields}


def post_heartbeats(url: str, machine: str, beats: list[dict[str, Any]], key: str = "") -> None:
    """POST as wakatime-cli does: batches of 25, the machine in X-Machine-Name, and with a key
    ``Authorization: Basic base64(key)``."""
    headers = {"X-Machine-Name": machine, "User-Agent": beats[0].get("user_agent", VSCODE)}
    if key:
        headers["Authorization"] = "Basic " + base64.b64encode(key.encode()).decode()
    for i in range(0, len(beats), BATCH):
        r = requests.post(
            f"{url}/users/current/heartbeats.bulk",
            json=beats[i : i + BATCH],
            headers=headers,
            timeout=30,
        )
        assert r.status_code == 201, r.text
        assert all(status == 201 for _, status in r.json()["responses"]), r.text


def seed_day(server_url: str, day: date) -> None:
    for run in DAY_RUNS:
        post_heartbeats(f"{server_url}/api/v1", run.machine, run.heartbeats(day))


def seed_today(server_url: str) -> None:
    """A quarter of an hour of editing up to now on devbox (less just after midnight)."""
    now = datetime.now(TZ)
    midnight = datetime.combine(now.date(), time(0), tzinfo=TZ)
    times = [t for k in range(15, -1, -1) if (t := now - timedelta(minutes=k)) > midnight]
    beats = [
        heartbeat(f"{REPO}/README.md", t.timestamp(), project="aw-server-py", language="Markdown")
        for t in times
    ]
    if beats:
        post_heartbeats(f"{server_url}/api/v1", "devbox", beats)


def yesterday() -> date:
    return datetime.now(TZ).date() - timedelta(days=1)


def summaries(site: Site, first: date, last: date) -> dict[str, Any]:
    r = requests.get(
        f"{site.server.url}/api/v1/users/current/summaries",
        params={"start": first.isoformat(), "end": last.isoformat(), "timezone": ZONE},
        timeout=30,
    )
    assert r.status_code == 200, r.text
    answer: dict[str, Any] = r.json()
    return answer


def merged(days: list[dict[str, Any]], key: str) -> list[tuple[str, float]]:
    """One list of SummariesData over several days, longest first, then by name."""
    totals: dict[str, float] = {}
    for day in days:
        for entry in day[key]:
            totals[entry["name"]] = totals.get(entry["name"], 0.0) + entry["total_seconds"]
    return sorted(totals.items(), key=lambda item: (-item[1], item[0]))


def shown_list(page: Page, key: str) -> list[tuple[str, float]]:
    rows: list[list[Any]] = page.eval_on_selector_all(
        f"[data-testid={key}-list] tr",
        "rows => rows.map((r) => [r.querySelector('td.label').innerText, Number(r.dataset.seconds)])",
    )
    return [(name, seconds) for name, seconds in rows]


def shown_seconds(page: Page) -> float:
    return float(page.get_attribute("[data-testid=coding-time]", "data-seconds") or "nan")


def chart_values(page: Page) -> list[float]:
    """The chart's numbers, from its table (opened by its button)."""
    if page.is_hidden(".chart-table"):
        page.click("text=Show as table")
    cells = page.query_selector_all(".chart-table td.num")
    return [float(c.get_attribute("data-seconds") or "nan") for c in cells]


def assert_lists_match(page: Page, days: list[dict[str, Any]]) -> None:
    for key in LISTS:
        expected = merged(days, key)
        shown = shown_list(page, key)
        assert [name for name, _ in shown] == [name for name, _ in expected[:TOP]], key
        assert [s for _, s in shown] == pytest.approx([s for _, s in expected[:TOP]], abs=0.01)
        more = page.query_selector(f"[data-testid={key}-more]")
        if len(expected) > TOP:
            rest = sum(s for _, s in expected[TOP:])
            assert more is not None, key
            assert more.inner_text().startswith(f"and {len(expected) - TOP} more: "), key
            assert sum(s for _, s in shown) + rest == pytest.approx(
                sum(s for _, s in expected), abs=0.01
            )
        else:
            assert more is None, key


class ZonedBrowser:
    """The browser, with every page Site opens running in ZONE (Site calls ``new_page``)."""

    def __init__(self, browser: Browser) -> None:  # noqa: F811
        self.browser = browser

    def new_page(self, **options: Any) -> Page:
        return self.browser.new_page(timezone_id=ZONE, **options)


def zoned_site(server: ThreadedServer, browser: Browser, width: int = 1280) -> Site:  # noqa: F811
    return Site(server, cast(Browser, ZonedBrowser(browser)), width=width)


@pytest.fixture
def coding(server: ThreadedServer, browser: Browser) -> Iterator[Site]:  # noqa: F811
    s = zoned_site(server, browser)
    yield s
    s.page.close()
    assert not s.problems, s.problems


def watch_summaries(page: Page) -> list[dict[str, list[str]]]:
    """The query parameters of every summaries request the page makes, as they happen."""
    seen: list[dict[str, list[str]]] = []
    page.on(
        "request",
        lambda r: seen.append(parse_qs(urlparse(r.url).query)) if "/summaries" in r.url else None,
    )
    return seen


def test_a_day_matches_the_summaries_api(coding: Site) -> None:
    day = yesterday()
    seed_day(coding.server.url, day)
    # ActivityWatch's own editor watchers share the bucket type; their time is not WakaTime's.
    coding.api.create_bucket("aw-watcher-vscode_devbox", type="app.editor.activity")
    at = datetime.combine(day, time(10), tzinfo=TZ).isoformat()
    coding.api.post(
        "buckets/aw-watcher-vscode_devbox/events",
        {"timestamp": at, "duration": 1800, "data": {"file": "x.py"}},
    )
    requested = watch_summaries(coding.page)
    page = coding.open(f"/coding?date={day}", READY)
    assert page.get_attribute("nav a[data-page=coding]", "aria-current") == "page"
    assert requested[0]["timezone"][0] in ZONE_NAMES
    assert requested[0]["start"] == requested[0]["end"] == [day.isoformat()]
    answer = summaries(coding, day, day)
    total = answer["data"][0]["grand_total"]["total_seconds"]
    assert shown_seconds(page) == pytest.approx(total, abs=0.01)
    assert total == pytest.approx(DAY_TOTAL, abs=0.01)
    assert_lists_match(page, answer["data"])
    assert shown_list(page, "projects")[-1][0] == "Unknown"  # the run without a project
    assert {name for name, _ in shown_list(page, "editors")} == {"VS Code", "Vim"}
    assert page.is_visible("[data-testid=entities-more]")  # 16 files, 10 shown
    assert page.is_hidden("[data-testid=empty]") and not page.is_visible("pre.cfg")
    coding.shot("coding")
    hourly = chart_values(page)
    assert len(hourly) == 24 and sum(hourly) == pytest.approx(total, abs=0.01)
    assert {h: s for h, s in enumerate(hourly) if s} == pytest.approx(DAY_HOURS, abs=0.01)


def test_a_week_follows_the_start_of_week_setting(coding: Site) -> None:
    day = yesterday()
    seed_day(coding.server.url, day)
    seed_today(coding.server.url)
    assert coding.api.post("settings/startOfWeek", "Sunday").status_code == 200
    sunday = day - timedelta(days=day.isoweekday() % 7)
    requested = watch_summaries(coding.page)
    page = coding.open(f"/coding?view=week&date={day}", READY)
    page.wait_for_selector("text=Coding time per day")
    assert requested[0]["start"] == [sunday.isoformat()]
    assert requested[0]["end"] == [(sunday + timedelta(days=6)).isoformat()]
    answer = summaries(coding, sunday, sunday + timedelta(days=6))
    assert shown_seconds(page) == pytest.approx(answer["cumulative_total"]["seconds"], abs=0.01)
    assert_lists_match(page, answer["data"])
    daily = chart_values(page)
    expected = [d["grand_total"]["total_seconds"] for d in answer["data"]]
    assert daily == pytest.approx(expected, abs=0.01)
    assert sum(daily) == pytest.approx(shown_seconds(page), abs=0.01)
    average = page.inner_text("[data-testid=average]")
    active = answer["daily_average"]["days_minus_holidays"]
    assert average.endswith(
        f"a day on average ({active} day{'' if active == 1 else 's'} with coding)"
    )
    # The previous week is empty, and says so in every list.
    page.click("[aria-label='Previous week']")
    page.wait_for_selector("[data-testid=coding-time][data-seconds='0']")
    assert requested[-1]["start"] == [(sunday - timedelta(days=7)).isoformat()]
    assert page.inner_text("[data-testid=projects]") == "Nothing recorded."


def test_today_agrees_with_the_status_bar(coding: Site) -> None:
    seed_day(coding.server.url, yesterday())  # its last run goes on past midnight
    seed_today(coding.server.url)
    page = coding.open("/coding", READY)
    assert page.input_value("input[name=date]") == datetime.now(TZ).date().isoformat()
    r = requests.get(
        f"{coding.server.url}/api/v1/users/current/statusbar/today",
        params={"timezone": ZONE},
        timeout=30,
    )
    today = r.json()["data"]
    assert shown_seconds(page) == pytest.approx(today["grand_total"]["total_seconds"], abs=0.01)
    assert shown_seconds(page) >= 600  # 00:00-00:10 of the run over midnight
    assert_lists_match(page, [today])
    assert sum(chart_values(page)) == pytest.approx(shown_seconds(page), abs=0.01)
    # Today's view goes back a day and forth again.
    page.click("[aria-label='Previous day']")
    page.wait_for_function(f"location.hash.includes('{yesterday()}')")
    page.wait_for_selector(f"[data-testid=coding-time][data-seconds='{DAY_TOTAL}']")
    page.click("text=Today")
    page.wait_for_selector(f"input[name=date][value='{datetime.now(TZ).date()}']")
    page.wait_for_selector(READY)
    assert shown_seconds(page) == pytest.approx(today["grand_total"]["total_seconds"], abs=0.01)


def test_no_data_shows_how_to_connect_and_the_lines_work(coding: Site) -> None:
    page = coding.open("/coding", "[data-testid=empty]")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=coding.server.url)
    help_text = page.inner_text("[data-testid=connect]")
    lines = page.inner_text("[data-testid=wakatime-cfg]")
    assert lines.splitlines()[:2] == ["[settings]", f"api_url = {coding.server.url}/api/v1"]
    assert lines.splitlines()[2].startswith("api_key = ")
    assert "~/.wakatime.cfg" in help_text and "legacy" in help_text
    assert "browser extension" in help_text
    page.click("text=Copy the lines")
    page.wait_for_selector("[data-testid=cfg-copied]:text('Copied.')")
    assert page.evaluate("navigator.clipboard.readText()") == lines

    page.click("[data-testid=create-key]")
    page.wait_for_function("location.hash === '#/access?preset=wakatime'")
    page.wait_for_selector("[data-testid=create-form]")
    assert page.is_checked("input[name=preset][value=wakatime]")
    assert page.evaluate("document.activeElement.name") == "key_name"
    assert "append:aw-watcher-wakatime_*" in page.inner_text("[data-testid=scope-preview]")
    page.keyboard.press("Enter")
    given = page.input_value("[data-testid=created] [data-testid=wakatime-cfg]")
    secret = page.input_value("[data-testid=secret]")
    assert given == f"[settings]\napi_url = {coding.server.url}/api/v1\napi_key = {secret}"
    key = next(k for k in coding.api.get("keys").json() if k["prefix"] == secret[:8])
    assert key["preset"] == "wakatime" and key["name"] == "editor plugins"
    page.click("text=Copy lines")
    page.wait_for_selector("[data-testid=copied]:text('Copied the lines.')")

    # A plugin configured with those lines reports, and the page shows it.
    settings = dict(line.split(" = ", 1) for line in given.splitlines()[1:])
    now = datetime.now(TZ).timestamp()
    beats = [heartbeat(f"{REPO}/main.py", now - 60 + s, language="Python") for s in (0, 30)]
    post_heartbeats(settings["api_url"], "devbox", beats, key=settings["api_key"])
    page.click("nav >> text=Coding")
    page.wait_for_selector(READY)
    assert page.is_hidden("[data-testid=empty]")
    assert page.inner_text("[data-testid=machines-list] td.label") == "devbox"


def test_the_coding_page_by_keyboard(coding: Site) -> None:
    day = yesterday()
    seed_day(coding.server.url, day)
    page = coding.open(f"/coding?date={day}", READY)
    page.focus("text=Today")
    page.keyboard.press("Shift+Tab")  # the next-day button
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == "Next day"
    page.keyboard.press("Enter")
    page.wait_for_function(f"location.hash.includes('{day + timedelta(days=1)}')")
    page.wait_for_selector(READY)
    page.focus("[aria-label='Previous day']")
    page.keyboard.press("Enter")
    page.wait_for_selector(f"[data-testid=coding-time][data-seconds='{DAY_TOTAL}']")
    page.focus(".toggle-table")
    page.keyboard.press("Enter")
    assert page.is_visible(".chart-table")
    page.focus("details.connect > summary")
    page.keyboard.press("Enter")
    assert page.is_visible("[data-testid=wakatime-cfg]")
    page.focus("[data-testid=create-key]")
    page.keyboard.press("Enter")
    page.wait_for_selector("[data-testid=create-form]")
    assert page.evaluate("document.activeElement.name") == "key_name"


def test_the_coding_page_at_phone_width_in_both_themes(
    server: ThreadedServer,  # noqa: F811
    browser: Browser,  # noqa: F811
) -> None:
    narrow = zoned_site(server, browser, width=390)
    page = narrow.open("/coding", "[data-testid=empty]")
    assert page.evaluate(LAYOUT_PROBLEMS) == [], "empty"
    review_shot(page, "coding-empty-narrow")
    day = yesterday()
    seed_day(server.url, day)
    for theme in ("light", "dark"):
        assert narrow.api.post("settings/theme", theme).status_code == 200
        page = narrow.open(f"/coding?date={day}", READY)
        page.reload()  # the same address again is no navigation
        page.wait_for_function(f"document.documentElement.dataset.theme === '{theme}'")
        page.wait_for_selector(READY)
        page.click("text=Show as table")
        page.click("details.connect > summary")
        assert page.evaluate(LAYOUT_PROBLEMS) == [], theme
        assert page.evaluate("document.documentElement.scrollWidth") <= 392
        review_shot(page, f"coding-narrow-{theme}")
    page.click("[data-testid=create-key]")  # the new key's lines fit a phone too
    page.wait_for_selector("[data-testid=create-form]")
    page.keyboard.press("Enter")
    page.wait_for_selector("[data-testid=created] [data-testid=wakatime-cfg]")
    assert page.evaluate(LAYOUT_PROBLEMS) == [], "access"
    assert page.evaluate("document.documentElement.scrollWidth") <= 392
    review_shot(page, "access-wakatime-narrow")
    narrow.page.close()
    assert not narrow.problems, narrow.problems


def test_heartbeats_replayed_into_a_past_day_show_on_reload(coding: Site) -> None:
    """The hourly chart's query is named, so past days come from the server's cache; heartbeats
    that an offline queue delivers late into such a day must still show on the next load."""
    day = yesterday()
    seed_day(coding.server.url, day)
    page = coding.open(f"/coding?date={day}", READY)
    assert sum(chart_values(page)) == pytest.approx(DAY_TOTAL, abs=0.01)
    late = Run("desktop", VSCODE, time(19, 0), 6, (f"{REPO}/Makefile",), "aw-server-py", "Makefile")
    post_heartbeats(f"{coding.server.url}/api/v1", late.machine, late.heartbeats(day))
    page.reload()
    page.wait_for_selector(READY)
    total = summaries(coding, day, day)["data"][0]["grand_total"]["total_seconds"]
    assert total == pytest.approx(DAY_TOTAL + 5 * STEP, abs=0.01)
    assert shown_seconds(page) == pytest.approx(total, abs=0.01)
    hourly = chart_values(page)
    assert hourly[19] == pytest.approx(5 * STEP, abs=0.01)
    assert sum(hourly) == pytest.approx(total, abs=0.01)
