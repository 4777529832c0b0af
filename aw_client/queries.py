"""Builders for the standard desktop queries (window + AFK + browser buckets), as the web UI
and the official client build them. They produce query2 text that both official servers and
this one accept."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

# Window-manager app names of each browser, by the name in its aw-watcher-web bucket id.
BROWSER_APPS: dict[str, list[str]] = {
    "chrome": [
        "Google Chrome",
        "Google-chrome",
        "google-chrome",
        "google-chrome-stable",
        "chrome.exe",
        "Chromium",
        "Chromium-browser",
        "chromium",
        "chromium.exe",
    ],
    "firefox": [
        "Firefox",
        "firefox",
        "Firefox.exe",
        "firefox.exe",
        "Firefox Developer Edition",
        "firefoxdeveloperedition",
        "Firefox-esr",
        "Nightly",
        "org.mozilla.firefox",
    ],
    "opera": ["Opera", "opera", "opera.exe"],
    "brave": ["Brave Browser", "Brave-browser", "brave", "brave.exe"],
    "edge": ["Microsoft Edge", "Microsoft-edge", "msedge", "msedge.exe"],
    "vivaldi": ["Vivaldi", "Vivaldi-stable", "vivaldi", "vivaldi.exe"],
    "arc": ["Arc"],
    "safari": ["Safari"],
}

Rule = list[Any]  # [category path, rule dict]


@dataclass
class DesktopQueryParams:
    bid_window: str
    bid_afk: str
    bid_browsers: list[str] = field(default_factory=list)
    classes: list[Rule] = field(default_factory=list)
    filter_classes: list[list[str]] = field(default_factory=list)
    filter_afk: bool = True
    include_audible: bool = True


def _q(value: Any) -> str:
    """A query2 literal for a JSON value (the languages share the syntax)."""
    return json.dumps(value)


def browser_name(bucket_id: str) -> str | None:
    """The known browser a bucket id names: ``aw-watcher-web-chrome_host`` and
    ``aw-watcher-web-firefox`` give ``chrome`` and ``firefox``; None when no word of the id
    before its host suffix (``_host``) is a known browser."""
    words = re.split(r"[^a-z0-9]+", bucket_id.split("_")[0].lower())
    return next((word for word in words if word in BROWSER_APPS), None)


def classes_to_rules(classes: Any) -> list[Rule]:
    """The web UI's ``classes`` setting (``[{"name": [...], "rule": {...}}, ...]``) as
    ``categorize`` rules; entries that are not well-formed are skipped."""
    rules: list[Rule] = []
    if not isinstance(classes, list):
        return rules
    for item in classes:
        if not isinstance(item, dict):
            continue
        name, rule = item.get("name"), item.get("rule")
        if (
            isinstance(name, list)
            and all(isinstance(p, str) for p in name)
            and isinstance(rule, dict)
        ):
            rules.append([name, rule])
    return rules


def canonical_events(params: DesktopQueryParams) -> str:
    """Statements leaving the active window events (categorised) in ``events``, browser
    events in ``browser_events`` and active periods in ``not_afk``."""
    lines = [
        f"events = flood(query_bucket(find_bucket({_q(params.bid_window)})));",
        f"not_afk = flood(query_bucket(find_bucket({_q(params.bid_afk)})));",
        'not_afk = filter_keyvals(not_afk, "status", ["not-afk"]);',
        "browser_events = [];",
    ]
    for index, bucket in enumerate(params.bid_browsers):
        lines.append(f"events_{index} = flood(query_bucket({_q(bucket)}));")
        name = browser_name(bucket)
        # Tab events count only while their browser's window is focused; for a browser we
        # cannot name, its window's app name is unknown, so its tabs count for all active time.
        if name is not None:
            lines += [
                f'window_{index} = filter_keyvals(events, "app", {_q(BROWSER_APPS[name])});',
                f"events_{index} = filter_period_intersect(events_{index}, window_{index});",
            ]
        lines += [
            f"events_{index} = split_url_events(events_{index});",
            f"browser_events = sort_by_timestamp(concat(browser_events, events_{index}));",
        ]
    if params.include_audible:
        lines += [
            'audible_events = filter_keyvals(browser_events, "audible", [true]);',
            "not_afk = period_union(not_afk, audible_events);",
        ]
    if params.filter_afk:
        lines += [
            "events = filter_period_intersect(events, not_afk);",
            "browser_events = filter_period_intersect(browser_events, not_afk);",
        ]
    lines.append(f"events = categorize(events, {_q(params.classes)});")
    if params.filter_classes:
        lines.append(f'events = filter_keyvals(events, "$category", {_q(params.filter_classes)});')
    return "\n".join(lines)


def full_desktop_query(params: DesktopQueryParams, limit: int = 100) -> str:
    """The Activity summary: top apps, titles, categories, browser domains and URLs, totals."""
    return "\n".join(
        [
            canonical_events(params),
            'title_events = sort_by_duration(merge_events_by_keys(events, ["app", "title"]));',
            'app_events = sort_by_duration(merge_events_by_keys(title_events, ["app"]));',
            'cat_events = sort_by_duration(merge_events_by_keys(events, ["$category"]));',
            f"app_events = limit_events(app_events, {int(limit)});",
            f"title_events = limit_events(title_events, {int(limit)});",
            "duration = sum_durations(events);",
            'browser_domains = sort_by_duration(merge_events_by_keys(browser_events, ["$domain"]));',
            f"browser_domains = limit_events(browser_domains, {int(limit)});",
            'browser_urls = sort_by_duration(merge_events_by_keys(browser_events, ["url"]));',
            f"browser_urls = limit_events(browser_urls, {int(limit)});",
            "browser_duration = sum_durations(browser_events);",
            'RETURN = {"events": events, "window": {"app_events": app_events, "title_events": title_events,'
            ' "cat_events": cat_events, "active_events": not_afk, "duration": duration},'
            ' "browser": {"domains": browser_domains, "urls": browser_urls, "duration": browser_duration}};',
        ]
    )
