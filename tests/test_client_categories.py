"""Categories and browser buckets in ``aw-client report``: the built-in default rules when the
user has stored none, and browser buckets found by their type however they are named."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from aw_client.cli import main
from aw_client.queries import browser_name, classes_to_rules
from aw_core.categories import default_classes
from tests.conftest import Api, ev
from tests.liveserver import ThreadedServer

HOST = "laptop"
DAY = ["--start", "2024-01-01T00:00:00+00:00", "--end", "2024-01-02T00:00:00+00:00"]


@pytest.fixture
def activity(api: Api) -> Api:
    """A day on HOST: an editor, a chat, music and a browser, all while not AFK; tabs from a
    browser bucket without host suffix (hostname "unknown") and one with an unusual id."""
    api.create_bucket(f"aw-watcher-window_{HOST}", type="currentwindow", hostname=HOST)
    api.create_bucket(f"aw-watcher-afk_{HOST}", type="afkstatus", hostname=HOST)
    api.create_bucket("aw-watcher-web-firefox", type="web.tab.current", hostname="unknown")
    api.create_bucket("my-tabs", type="web.tab.current", hostname=HOST)
    api.create_bucket("aw-watcher-web-chrome_elsewhere", type="web.tab.current", hostname="other")
    api.post(
        f"buckets/aw-watcher-window_{HOST}/events",
        [
            ev("2024-01-01T09:00:00Z", 3600, {"app": "Code", "title": "main.py"}),
            ev("2024-01-01T10:00:00Z", 600, {"app": "Slack", "title": "#general"}),
            ev("2024-01-01T10:10:00Z", 300, {"app": "spotify", "title": "Playlist"}),
            ev("2024-01-01T10:15:00Z", 900, {"app": "Firefox", "title": "Example Domain"}),
        ],
    )
    api.post(
        f"buckets/aw-watcher-afk_{HOST}/events",
        ev("2024-01-01T09:00:00Z", 7200, {"status": "not-afk"}),
    )
    api.post(
        "buckets/aw-watcher-web-firefox/events",
        ev("2024-01-01T10:15:00Z", 900, {"url": "https://example.com/a", "title": "Example"}),
    )
    api.post(
        "buckets/my-tabs/events",
        ev("2024-01-01T09:30:00Z", 600, {"url": "https://docs.python.org/3/", "title": "Docs"}),
    )
    api.post(
        "buckets/aw-watcher-web-chrome_elsewhere/events",
        ev("2024-01-01T09:00:00Z", 600, {"url": "https://elsewhere.org/", "title": "No"}),
    )
    return api


def report(server: ThreadedServer) -> dict[str, Any]:
    out = io.StringIO()
    assert main(["--port", str(server.port), "report", HOST, "--json", *DAY], out=out) == 0
    result: dict[str, Any] = json.loads(out.getvalue())
    return result


def categories(summary: dict[str, Any]) -> dict[tuple[str, ...], float]:
    return {tuple(e["data"]["$category"]): e["duration"] for e in summary["window"]["cat_events"]}


def test_default_classes_file() -> None:
    classes = default_classes()
    assert len(classes) == len(classes_to_rules(classes)) == 8  # every entry well-formed
    assert all(c["rule"]["type"] == "regex" and c["rule"]["regex"] for c in classes)
    assert {"name": ["Comms", "IM"], "rule": classes[6]["rule"]} == classes[6]
    classes.clear()
    assert default_classes(), "each call returns a fresh list"


def test_report_without_classes_uses_the_defaults(server: ThreadedServer, activity: Api) -> None:
    assert activity.get("settings/classes").json() is None
    assert categories(report(server)) == {
        ("Work", "Programming"): 3600.0,
        ("Comms", "IM"): 600.0,
        ("Media", "Music"): 300.0,  # "spotify": the rule ignores case
        ("Uncategorized",): 900.0,
    }
    out = io.StringIO()
    assert main(["--port", str(server.port), "report", HOST, *DAY], out=out) == 0
    assert "Work > Programming" in out.getvalue() and "Media > Music" in out.getvalue()


def test_report_uses_stored_classes(server: ThreadedServer, activity: Api) -> None:
    activity.post(
        "settings/classes",
        [{"id": 1, "name": ["Browsing"], "rule": {"type": "regex", "regex": "Firefox"}}],
    )
    assert categories(report(server)) == {("Uncategorized",): 4500.0, ("Browsing",): 900.0}
    activity.post("settings/classes", [])  # the user removed every category
    assert categories(report(server)) == {("Uncategorized",): 5400.0}


def test_browser_buckets_are_found_by_type(server: ThreadedServer, activity: Api) -> None:
    domains = {e["data"]["$domain"]: e["duration"] for e in report(server)["browser"]["domains"]}
    # firefox: while its window is focused; my-tabs names no known browser, so all its active
    # time counts; the chrome bucket belongs to another host
    assert domains == {"example.com": 900.0, "docs.python.org": 600.0}


@pytest.mark.parametrize(
    ("bucket_id", "name"),
    [
        ("aw-watcher-web-firefox", "firefox"),
        ("aw-watcher-web-chrome_laptop", "chrome"),
        ("aw-watcher-web-firefox-developer_host", "firefox"),
        ("aw-watcher-web-chrome_marc-edge", "chrome"),  # the host suffix names no browser
        ("aw-watcher-web_edge-box", None),
        ("my-tabs", None),
    ],
)
def test_browser_name(bucket_id: str, name: str | None) -> None:
    assert browser_name(bucket_id) == name
