"""Realistic workload data from a fixed seed: window, AFK and browser events."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

HOST = "benchhost"
WINDOW = f"aw-watcher-window_{HOST}"
AFK = f"aw-watcher-afk_{HOST}"
WEB = f"aw-watcher-web-firefox_{HOST}"
START = datetime(2024, 3, 4, 0, 0, tzinfo=UTC)

APPS = [
    (
        "Code",
        [
            "main.py - project - Visual Studio Code",
            "server.py - project",
            "README.md - notes",
            "tests.py - project",
        ],
    ),
    ("Firefox", ["GitHub", "Stack Overflow", "YouTube", "Wikipedia", "Docs"]),
    ("Terminal", ["bash", "vim", "htop", "git log"]),
    ("Slack", ["#general", "#random", "#dev", "direct messages"]),
    ("Spotify", ["Spotify Premium"]),
    ("Thunderbird", ["Inbox", "Drafts"]),
    ("Zoom", ["Zoom Meeting"]),
    ("Files", ["Downloads", "Documents"]),
]
URLS = [
    "https://github.com/ActivityWatch/aw-server",
    "https://stackoverflow.com/questions/1",
    "https://www.youtube.com/watch?v=x",
    "https://en.wikipedia.org/wiki/Time",
    "https://docs.python.org/3/",
]

CLASSES = [
    [["Work"], {"type": "regex", "regex": "Code|Terminal|vim"}],
    [["Work", "Programming"], {"type": "regex", "regex": "project|GitHub|Stack Overflow"}],
    [
        ["Work", "Programming", "Docs"],
        {"type": "regex", "regex": "Docs|README", "ignore_case": True},
    ],
    [["Comms"], {"type": "regex", "regex": "Slack|Thunderbird|Zoom"}],
    [["Comms", "Meetings"], {"type": "regex", "regex": "Zoom Meeting"}],
    [["Comms", "Chat"], {"type": "regex", "regex": "#general|#random|#dev|direct"}],
    [["Media"], {"type": "regex", "regex": "Spotify|YouTube"}],
    [["Media", "Music"], {"type": "regex", "regex": "Spotify"}],
    [["Media", "Video"], {"type": "regex", "regex": "YouTube|Netflix|Vimeo", "ignore_case": True}],
    [["Reading"], {"type": "regex", "regex": "Wikipedia|news", "ignore_case": True}],
    [["Files"], {"type": "regex", "regex": "Downloads|Documents"}],
    [["Admin"], {"type": "regex", "regex": "htop|Settings"}],
    [["Admin", "Git"], {"type": "regex", "regex": "git log"}],
    [["Email"], {"type": "regex", "regex": "Inbox|Drafts"}],
    [["Work", "Writing"], {"type": "regex", "regex": "notes|Drafts"}],
    [["Browsing"], {"type": "regex", "regex": "Firefox"}],
    [["Browsing", "Research"], {"type": "regex", "regex": "Wikipedia|Stack"}],
    [["Social"], {"type": "regex", "regex": "twitter|reddit", "ignore_case": True}],
    [["Games"], {"type": "regex", "regex": "Steam|FPS"}],
    [["Uncounted"], {"type": "none"}],
]


def iso(t: datetime) -> str:
    return t.isoformat()


def window_afk_web(count: int, seed: int = 42) -> dict[str, list[dict[str, Any]]]:
    """``count`` window events of 1-120 s (mostly short app switches) from START on, AFK
    blocks of 5-60 min over the same span, and browser events while Firefox is active."""
    rng = random.Random(seed)
    window, web = [], []
    t = START
    for _ in range(count):
        app, titles = rng.choice(APPS)
        duration = min(120, int(rng.expovariate(1 / 8)) + 1) + rng.randint(0, 999) / 1000
        title = rng.choice(titles)
        window.append(
            {"timestamp": iso(t), "duration": duration, "data": {"app": app, "title": title}}
        )
        if app == "Firefox":
            url = URLS[titles.index(title) % len(URLS)]
            web.append(
                {
                    "timestamp": iso(t),
                    "duration": duration,
                    "data": {"url": url, "title": title, "audible": False, "incognito": False},
                }
            )
        t += timedelta(seconds=duration + rng.choice([0, 0, 0, 0.5, 1, 2, 4]))
    end = t
    afk = []
    t, status = START, "not-afk"
    while t < end:
        duration = rng.randint(5 * 60, 60 * 60)
        afk.append({"timestamp": iso(t), "duration": duration, "data": {"status": status}})
        t += timedelta(seconds=duration)
        status = "afk" if status == "not-afk" else "not-afk"
    return {WINDOW: window, AFK: afk, WEB: web}


def bulk_events(count: int, seed: int = 7) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    t = START - timedelta(days=30)
    events = []
    for i in range(count):
        duration = rng.randint(1, 120)
        events.append(
            {
                "timestamp": iso(t),
                "duration": duration,
                "data": {"app": f"app{i % 50}", "title": f"title {rng.randint(0, 5000)}"},
            }
        )
        t += timedelta(seconds=duration)
    return events


# WakaTime heartbeats as the Go wakatime-cli sends them from VS Code on Linux.
WAKATIME_AGENT = (
    "wakatime/v1.102.1 (linux-6.1.0-28-amd64-x86_64) go1.23.2 vscode/1.95.3 vscode-wakatime/24.9.2"
)
# project -> (branch, files relative to the project root, with their language)
WAKATIME_PROJECTS: dict[str, tuple[str, list[tuple[str, str]]]] = {
    "aw-server-py": (
        "main",
        [
            ("aw_server/app.py", "Python"),
            ("aw_server/wakatime/ingest.py", "Python"),
            ("tests/test_wakatime_ingest.py", "Python"),
            ("README.md", "Markdown"),
        ],
    ),
    "dashboard": (
        "feature/coding-view",
        [("src/coding.js", "JavaScript"), ("src/style.css", "CSS"), ("index.html", "HTML")],
    ),
    "dotfiles": ("master", [(".bashrc", "Bash"), ("nvim/init.lua", "Lua")]),
}
WAKATIME_DEPENDENCIES = {
    "Python": ["flask", "peewee", "orjson"],
    "JavaScript": ["chart.js"],
}


def wakatime_heartbeat(
    time_us: int, project: str, file: tuple[str, str], rng: random.Random
) -> dict[str, Any]:
    """One heartbeat object as the Go CLI posts it."""
    path, language = file
    branch, _ = WAKATIME_PROJECTS[project]
    lines = rng.randint(40, 900)
    return {
        "entity": f"/home/ann/src/{project}/{path}",
        "type": "file",
        "category": "coding",
        "time": time_us / 1_000_000,
        "project": project,
        "project_root_count": 4,
        "branch": branch,
        "language": language,
        "dependencies": WAKATIME_DEPENDENCIES.get(language, []),
        "lines": lines,
        "lineno": rng.randint(1, lines),
        "cursorpos": rng.randint(1, 80),
        "line_additions": rng.randint(0, 3),
        "line_deletions": rng.randint(0, 2),
        "is_write": rng.random() < 0.2,
        "user_agent": WAKATIME_AGENT,
    }


def wakatime_session(
    first_us: int, count: int, step_s: int, *, seed: int = 11, breaks: bool = False
) -> list[dict[str, Any]]:
    """``count`` heartbeats in time order from ``first_us``, one every ``step_s`` seconds (plus
    up to a second of jitter: real times are not whole seconds). The project changes every
    ~45 minutes, the file every few heartbeats. With ``breaks``, work comes in days of 8 hours
    with a pause of 15-90 minutes now and then, as a queue collected offline holds it."""
    rng = random.Random(seed)
    names = list(WAKATIME_PROJECTS)
    result = []
    base = day_start = first_us  # the jitter is added to each time, so it does not add up
    project, file = names[0], WAKATIME_PROJECTS[names[0]][1][0]
    per_project = max(1, 45 * 60 // step_s)
    for i in range(count):
        if i % per_project == 0:
            project = names[(i // per_project) % len(names)]
            file = WAKATIME_PROJECTS[project][1][0]
        elif rng.random() < 0.3:
            file = rng.choice(WAKATIME_PROJECTS[project][1])
        result.append(wakatime_heartbeat(base + rng.randint(0, 999_999), project, file, rng))
        gap = step_s * 1_000_000
        if breaks and rng.random() < 0.03:
            gap = rng.randint(15, 90) * 60_000_000
        if breaks and base - day_start > 8 * 3_600_000_000:
            gap = 16 * 3_600_000_000
            day_start = base + gap
        base += gap
    return result
