"""Generate the expected query2 results with the OFFICIAL Python implementation.

Run once, by hand, when programs or data change (CI only reads the JSON it writes):

    python tests/query_fixtures/generate_fixtures.py

It makes `.cache/official-core-venv` with aw-core 0.5.18 and peewee<4 (the Python server's
storage needs peewee 3), loads the generated data into aw-core's peewee datastore in a temporary
directory, runs every program of programs.py for its timeperiods with aw_query, and writes
fixtures.json next to this file. Timestamps have millisecond precision because aw-core
truncates to milliseconds.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import tempfile
import venv
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
VENV = ROOT / ".cache" / "official-core-venv"
REQUIREMENTS = ["aw-core==0.5.18", "peewee<4"]
SEED = 20240304

sys.path.insert(0, str(HERE))
import programs  # noqa: E402

APPS = [
    (
        "Code",
        [
            "main.py - aw-server - Visual Studio Code",
            "server.rs - activitywatch - Code",
            "README.md - notes",
        ],
    ),
    (
        "Firefox",
        [
            "GitHub - ActivityWatch/aw-server",
            "YouTube - Music mix",
            "Wikipedia - Time",
            "(3) Inbox - mail",
        ],
    ),
    ("Google Chrome", ["Netflix", "Docs - report", "● Untitled - Docs"]),
    ("Terminal", ["bash", "vim notes.txt", "htop"]),
    ("Slack", ["#general - Slack", "(2) #random - Slack"]),
    ("Spotify", ["Spotify Premium"]),
    ("Thunderbird", ["Inbox - Thunderbird"]),
    ("Game", ["Game - FPS: 59.9", "Game - FPS: 143.0"]),
]
URLS = {
    "Firefox": [
        "https://github.com/ActivityWatch/aw-server",
        "https://www.youtube.com/watch?v=abc",
        "https://en.wikipedia.org/wiki/Time",
        "https://mail.example.com/inbox;x=1?q=2#top",
    ],
    "Google Chrome": [
        "https://www.netflix.com/browse",
        "https://docs.example.com/d/123",
        "file:///home/u/report.html",
        "about:blank",
    ],
}


def ms(t: datetime) -> datetime:
    return t.replace(microsecond=t.microsecond // 1000 * 1000)


def generate_data() -> dict[str, dict[str, object]]:
    """Two days of realistic window, AFK and browser events, from a fixed seed."""
    rng = random.Random(SEED)
    start = datetime(2024, 3, 4, 6, 0, 0, 123000, tzinfo=UTC)
    end = start + timedelta(hours=40)
    window, firefox, chrome = [], [], []
    t = start
    while t < end:
        app, titles = rng.choice(APPS)
        duration = timedelta(milliseconds=rng.randint(1000, 120000))
        title = rng.choice(titles)
        window.append(
            {"timestamp": ms(t), "duration": duration, "data": {"app": app, "title": title}}
        )
        if app in URLS:
            i = titles.index(title) if title in titles else 0
            url = URLS[app][i % len(URLS[app])]
            offset = timedelta(milliseconds=rng.randint(0, 800))
            browser = {
                "url": url,
                "title": title,
                "audible": False,
                "incognito": False,
                "tabCount": rng.randint(1, 9),
            }
            (firefox if app == "Firefox" else chrome).append(
                {"timestamp": ms(t + offset), "duration": duration - offset, "data": browser}
            )
        gap = rng.choice([0, 0, 0, 200, 1500, 3000, 4999, 7000, 60000])
        t = t + duration + timedelta(milliseconds=gap)
    afk = []
    t = start - timedelta(minutes=3)
    status = "not-afk"
    while t < end:
        duration = timedelta(milliseconds=rng.randint(5 * 60000, 60 * 60000))
        afk.append({"timestamp": ms(t), "duration": duration, "data": {"status": status}})
        t = t + duration + timedelta(milliseconds=rng.choice([0, 0, 1000, 4000, 9000]))
        status = "afk" if status == "not-afk" else "not-afk"
    meta = lambda type_, client: {"type": type_, "client": client, "hostname": programs.HOST}  # noqa: E731
    return {
        programs.WINDOW: {**meta("currentwindow", "aw-watcher-window"), "events": window},
        programs.AFK: {**meta("afkstatus", "aw-watcher-afk"), "events": afk},
        programs.FIREFOX: {**meta("web.tab.current", "aw-client-web"), "events": firefox},
        programs.CHROME: {**meta("web.tab.current", "aw-client-web"), "events": chrome},
    }


def to_json(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    return value


def run_official(buckets: dict[str, dict[str, object]]) -> list[dict[str, object]]:
    from aw_datastore import Datastore, get_storage_methods
    from aw_query.query2 import query

    from aw_core.models import Event

    datastore = Datastore(get_storage_methods()["peewee"], testing=True)
    for bucket_id, bucket in buckets.items():
        datastore.create_bucket(bucket_id, bucket["type"], bucket["client"], bucket["hostname"])
        datastore[bucket_id].insert([Event(**e) for e in bucket["events"]])  # type: ignore[union-attr]
    cases = []
    for name, program, periods in programs.PROGRAMS:
        results = []
        for period in periods:
            start, end = (datetime.fromisoformat(p) for p in period.split("/"))
            try:
                results.append(
                    to_json(query(name, program.replace("\n", ""), start, end, datastore))
                )
            except Exception as exc:
                raise SystemExit(
                    f"program {name!r} fails in the official implementation: {exc!r}"
                ) from exc
        cases.append({"name": name, "query": program, "timeperiods": periods, "expected": results})
    return cases


def main() -> None:
    if os.environ.get("AW_FIXTURE_CHILD") != "1":
        python = VENV / "bin" / "python"
        if not python.exists():
            venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
            subprocess.run(
                [str(python), "-m", "pip", "install", "--quiet", *REQUIREMENTS], check=True
            )
        with tempfile.TemporaryDirectory() as tmp:
            env = {
                **os.environ,
                "AW_FIXTURE_CHILD": "1",
                "XDG_DATA_HOME": tmp,
                "XDG_CONFIG_HOME": tmp,
                "XDG_CACHE_HOME": tmp,
            }
            subprocess.run([str(python), __file__], check=True, env=env, cwd=tmp)
        return
    buckets = generate_data()
    cases = run_official(buckets)
    from importlib.metadata import version

    document = {
        "generated_by": {"aw-core": version("aw-core"), "peewee": version("peewee"), "seed": SEED},
        "buckets": to_json(buckets),
        "cases": cases,
    }
    (HERE / "fixtures.json").write_text(json.dumps(document, indent=1, sort_keys=True) + "\n")
    print(f"wrote {len(cases)} cases")


if __name__ == "__main__":
    main()
