"""Realistic dashboard data for browser tests and screenshots: one host, one day of window, AFK
and browser events, a stopwatch-like bucket, and categories in the `classes` setting."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from tests.conftest import Api

HOST = "laptop"
APPS = [
    ("Code", ["main.py - aw-server", "README.md - aw-server", "test_api.py - aw-server"]),
    ("Firefox", ["GitHub · ActivityWatch", "Stack Overflow", "YouTube — lo-fi beats"]),
    ("Terminal", ["bash — make test", "vim notes.md"]),
    ("Slack", ["#dev | Slack", "#random | Slack"]),
    ("Spotify", ["Spotify Premium"]),
]
URLS = {
    "GitHub · ActivityWatch": "https://github.com/ActivityWatch",
    "Stack Overflow": "https://stackoverflow.com/q/1",
    "YouTube — lo-fi beats": "https://www.youtube.com/watch?v=x",
}
CLASSES = [
    {
        "id": 1,
        "name": ["Work"],
        "rule": {"type": "regex", "regex": "Terminal|Slack"},
        "data": {"color": "#2f6fde"},
    },
    {
        "id": 2,
        "name": ["Work", "Programming"],
        "rule": {"type": "regex", "regex": "aw-server|GitHub|Stack Overflow|vim"},
    },
    {
        "id": 3,
        "name": ["Media", "Music"],
        "rule": {"type": "regex", "regex": "Spotify|lo-fi", "ignore_case": True},
    },
]


def seed(api: Api, day: datetime, seed: int = 3) -> dict[str, Any]:
    """Fill one local day (``day`` is local midnight, aware) from 08:00 to 18:00."""
    rng = random.Random(seed)
    ids = {kind: f"aw-watcher-{kind}_{HOST}" for kind in ("window", "afk")}
    ids["web"] = f"aw-watcher-web-firefox_{HOST}"
    api.create_bucket(
        ids["window"], type="currentwindow", client="aw-watcher-window", hostname=HOST
    )
    api.create_bucket(ids["afk"], type="afkstatus", client="aw-watcher-afk", hostname=HOST)
    api.create_bucket(ids["web"], type="web.tab.current", client="aw-client-web", hostname=HOST)
    window, web = [], []
    t = day + timedelta(hours=8)
    end = day + timedelta(hours=18)
    while t < end:
        app, titles = rng.choice(APPS)
        title = rng.choice(titles)
        duration = rng.randint(20, 900)
        window.append(
            {"timestamp": t.isoformat(), "duration": duration, "data": {"app": app, "title": title}}
        )
        if app == "Firefox":
            web.append(
                {
                    "timestamp": t.isoformat(),
                    "duration": duration,
                    "data": {"url": URLS[title], "title": title, "audible": False},
                }
            )
        t += timedelta(seconds=duration + rng.choice([0, 1, 2]))
    afk = [
        {
            "timestamp": (day + timedelta(hours=8)).isoformat(),
            "duration": 4 * 3600,
            "data": {"status": "not-afk"},
        },
        {
            "timestamp": (day + timedelta(hours=12)).isoformat(),
            "duration": 3600,
            "data": {"status": "afk"},
        },
        {
            "timestamp": (day + timedelta(hours=13)).isoformat(),
            "duration": 5 * 3600,
            "data": {"status": "not-afk"},
        },
    ]
    for bucket, events in ((ids["window"], window), (ids["afk"], afk), (ids["web"], web)):
        assert api.post(f"buckets/{bucket}/events", events).status_code == 200
    api.post("settings/classes", CLASSES)
    return ids


def local_midnight(days_ago: int = 0) -> datetime:
    now = datetime.now().astimezone()
    return (now - timedelta(days=days_ago)).replace(hour=0, minute=0, second=0, microsecond=0)
