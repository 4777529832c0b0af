"""Representative query2 programs (Python dialect, so the official server can run them).

Shared by the fixture generator (run under the official aw-core) and the differential test.
"""

from __future__ import annotations

import json

HOST = "test-host"
WINDOW = f"aw-watcher-window_{HOST}"
AFK = f"aw-watcher-afk_{HOST}"
FIREFOX = f"aw-watcher-web-firefox_{HOST}"
CHROME = f"aw-watcher-web-chrome_{HOST}"

# Category rules in the web UI's format: [category path, rule].
CLASSES = [
    [["Work"], {"type": "regex", "regex": "Code|Terminal|Slack"}],
    [["Work", "Programming"], {"type": "regex", "regex": "main.py|server.rs|README"}],
    [
        ["Work", "Programming", "ActivityWatch"],
        {"type": "regex", "regex": "activitywatch", "ignore_case": True},
    ],
    [["Media"], {"type": "regex", "regex": "Spotify"}],
    [["Media", "Video"], {"type": "regex", "regex": "YouTube|Netflix", "ignore_case": True}],
    [["Comms"], {"type": "regex", "regex": "Thunderbird|mail"}],
    [["Reading"], {"type": "regex", "regex": "Wikipedia", "select_keys": ["title"]}],
    [["Never"], {"type": "none"}],
    [["Empty"], {"type": "regex", "regex": ""}],
]


def canonical(classes: list[object]) -> str:
    """The Activity view the web UI builds: window events while not AFK, browser events by
    domain, categories, top apps/titles/categories and totals."""
    browsers = [
        (CHROME, ["Google Chrome", "Chromium"]),
        (FIREFOX, ["Firefox", "firefox"]),
    ]
    lines = [
        f'events = flood(query_bucket(find_bucket("{WINDOW}")));',
        f'not_afk = flood(query_bucket(find_bucket("{AFK}")));',
        'not_afk = filter_keyvals(not_afk, "status", ["not-afk"]);',
        "browser_events = [];",
    ]
    for bucket, apps in browsers:
        name = bucket.split("-")[3].split("_")[0]
        lines += [
            f'events_{name} = flood(query_bucket("{bucket}"));',
            f'window_{name} = filter_keyvals(events, "app", {json.dumps(apps)});',
            f"events_{name} = filter_period_intersect(events_{name}, window_{name});",
            f"events_{name} = split_url_events(events_{name});",
            f"browser_events = concat(browser_events, events_{name});",
            "browser_events = sort_by_timestamp(browser_events);",
        ]
    lines += [
        'audible_events = filter_keyvals(browser_events, "audible", [true]);',
        "not_afk = period_union(not_afk, audible_events);",
        "events = filter_period_intersect(events, not_afk);",
        f"events = categorize(events, {json.dumps(classes)});",
        'title_events = sort_by_duration(merge_events_by_keys(events, ["app", "title"]));',
        'app_events = sort_by_duration(merge_events_by_keys(title_events, ["app"]));',
        'cat_events = sort_by_duration(merge_events_by_keys(events, ["$category"]));',
        "app_events = limit_events(app_events, 100);",
        "title_events = limit_events(title_events, 100);",
        "duration = sum_durations(events);",
        "browser_events = filter_period_intersect(browser_events, not_afk);",
        'browser_domains = sort_by_duration(merge_events_by_keys(browser_events, ["$domain"]));',
        'browser_urls = limit_events(sort_by_duration(merge_events_by_keys(browser_events, ["url"])), 100);',
        "browser_duration = sum_durations(browser_events);",
        'RETURN = {"events": events, "window": {"app_events": app_events, "title_events": title_events,'
        ' "cat_events": cat_events, "active_events": not_afk, "duration": duration},'
        ' "browser": {"domains": browser_domains, "urls": browser_urls, "duration": browser_duration}};',
    ]
    return "\n".join(lines)


DAY1 = "2024-03-04T00:00:00.000000+00:00/2024-03-05T00:00:00.000000+00:00"
DAY2 = "2024-03-05T00:00:00.000000+00:00/2024-03-06T00:00:00.000000+00:00"
MORNING = "2024-03-04T08:13:07.250000+00:00/2024-03-04T11:47:00.500000+00:00"
HOUR = "2024-03-04T14:00:00.000000+00:00/2024-03-04T15:00:00.000000+00:00"
AFTERNOON = "2024-03-05T13:00:00.000000+00:00/2024-03-05T17:30:00.000000+00:00"

# Python's parser mishandles some nested calls, so bucket reads are bound to variables first.
PRELUDE = (
    f'w = query_bucket("{WINDOW}"); a = query_bucket("{AFK}"); f = query_bucket("{FIREFOX}"); '
)
W, A, F = "w", "a", "f"

PROGRAMS: list[tuple[str, str, list[str]]] = [
    ("canonical", canonical(CLASSES), [DAY1, DAY2, MORNING]),
    ("query_bucket", PRELUDE + f"RETURN = {W};", [HOUR]),
    (
        "query_bucket_eventcount",
        f'RETURN = query_bucket_eventcount("{WINDOW}");',
        [DAY1, DAY2, HOUR],
    ),
    (
        "find_bucket",
        f'RETURN = [find_bucket("aw-watcher-afk"), find_bucket("aw-watcher-web-chrome", "{HOST}")];',
        [HOUR],
    ),
    ("flood", PRELUDE + f"RETURN = flood({W});", [MORNING]),
    ("flood_afk", PRELUDE + f"RETURN = flood({A});", [DAY1]),
    ("flood_pulsetime", PRELUDE + f"RETURN = flood({W}, 30);", [HOUR]),
    (
        "merge_events_by_keys",
        PRELUDE + f'RETURN = merge_events_by_keys({W}, ["app", "title"]);',
        [DAY1],
    ),
    (
        "merge_events_by_keys_app",
        PRELUDE + f'RETURN = sort_by_duration(merge_events_by_keys({W}, ["app"]));',
        [DAY1, DAY2],
    ),
    (
        "filter_keyvals",
        PRELUDE + f'RETURN = filter_keyvals({W}, "app", ["Firefox", "Code"]);',
        [MORNING],
    ),
    (
        "exclude_keyvals",
        PRELUDE + f'RETURN = exclude_keyvals({W}, "app", ["Firefox", "Code"]);',
        [HOUR],
    ),
    (
        "filter_keyvals_regex",
        PRELUDE + f'RETURN = filter_keyvals_regex({W}, "title", "main|YouTube");',
        [DAY2],
    ),
    (
        "filter_period_intersect",
        PRELUDE
        + f'not_afk = filter_keyvals({A}, "status", ["not-afk"]); RETURN = filter_period_intersect({W}, not_afk);',
        [MORNING, AFTERNOON],
    ),
    ("period_union", PRELUDE + f"RETURN = period_union({A}, {F});", [DAY1]),
    (
        "union_no_overlap",
        PRELUDE
        + f'afk = sort_by_timestamp(filter_keyvals({A}, "status", ["afk"])); win = sort_by_timestamp({W}); RETURN = union_no_overlap(afk, win);',
        [MORNING],
    ),
    ("limit_events", PRELUDE + f"RETURN = limit_events(sort_by_timestamp({W}), 7);", [DAY1]),
    ("sort_by_timestamp", PRELUDE + f"RETURN = sort_by_timestamp({F});", [AFTERNOON]),
    ("sort_by_duration", PRELUDE + f"RETURN = sort_by_duration({W});", [HOUR]),
    (
        "sum_durations",
        PRELUDE + f"RETURN = [sum_durations({W}), sum_durations({A}), sum_durations(flood({W}))];",
        [DAY1, DAY2],
    ),
    ("concat", PRELUDE + f"RETURN = concat({F}, {A});", [HOUR]),
    ("split_url_events", PRELUDE + f"RETURN = split_url_events({F});", [MORNING]),
    ("categorize", PRELUDE + f"RETURN = categorize({W}, {json.dumps(CLASSES)});", [AFTERNOON]),
    (
        "categorize_merged",
        PRELUDE
        + f'RETURN = sort_by_duration(merge_events_by_keys(categorize({W}, {json.dumps(CLASSES)}), ["$category"]));',
        [DAY1, DAY2],
    ),
    (
        "tag",
        PRELUDE
        + f'RETURN = tag({W}, [["work", {{"regex": "Code|Terminal"}}], ["fun", {{"regex": "YouTube|Spotify"}}]]);',
        [HOUR],
    ),
    ("simplify_window_titles", PRELUDE + f'RETURN = simplify_window_titles({W}, "title");', [HOUR]),
    ("nop", "RETURN = nop();", [HOUR]),
    (
        "literals",
        'x = 5; y = "str;#"; z = {"a": [1, "b", {"c": true}], "d": False}; RETURN = [x, y, z];',
        [HOUR],
    ),
]
