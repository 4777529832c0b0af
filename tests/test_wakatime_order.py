"""Order does not matter: the same heartbeats, however an offline queue delivers them (late,
shuffled, in batches of any size, replayed), give the same events and the same read answers.
Also the duplicate and placeholder rules, which depend on what arrived before."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import orjson
import pytest
import requests

from tests.test_wakatime_support import GO_UA, WakaServer, heartbeat, waka_server

ZONE = "Europe/Berlin"
MACHINES = ("devbox", "laptop")
FILES = {
    "aw-server-py": ["aw_server/app.py", "aw_server/wakatime/api.py", "README.md"],
    "aw-client": ["aw_client/client.py", "tests/test_client.py"],
    "notes": ["todo.txt"],
}
LANGUAGES = {".py": "Python", ".md": "Markdown", ".txt": "Text"}


def _beat(rng: random.Random, at: float, project: str, avoid: str = "") -> dict[str, Any]:
    name = rng.choice([f for f in FILES[project] if f != avoid] or FILES[project])
    language = LANGUAGES[name[name.rindex(".") :]]
    return heartbeat(
        at,
        f"/home/ann/src/{project}/{name}",
        project=project,
        language=language,
        branch=rng.choice(["main", "main", "feature"]),
        category=rng.choice(["coding"] * 6 + ["debugging"]),
        is_write=rng.random() < 0.2,
        lineno=rng.randint(1, 400),
        dependencies=["orjson"] if language == "Python" else [],
    )


def recorded_day(seed: int, count: int = 500) -> dict[str, list[dict[str, Any]]]:
    """About ``count`` heartbeats of two machines over the last ~15 hours (so over a local
    midnight most of the time): gaps of seconds to minutes, some beyond the 600 s timeout,
    some exactly at it, and some heartbeats at the same instant (another file: a copy of the
    same heartbeat would be a duplicate, whose first arrival wins)."""
    rng = random.Random(seed)
    day: dict[str, list[dict[str, Any]]] = {}
    for machine in MACHINES:
        offsets, at = [], 0.0
        project, previous = rng.choice(list(FILES)), ""
        beats: list[dict[str, Any]] = []
        while len(beats) < count // len(MACHINES):
            roll = rng.random()
            same = False
            if roll < 0.05:
                at += rng.uniform(700, 3600)  # a break: the earlier heartbeat ends there
            elif roll < 0.07:
                at += 600  # exactly the timeout: not coding time
            elif roll < 0.12 and beats:
                same = True  # the same instant
            else:
                at += rng.choice([rng.uniform(1, 60), rng.uniform(60, 300)])
            at = round(at, 3)
            if rng.random() < 0.08 and not same:
                project = rng.choice(list(FILES))
            beat = _beat(rng, at, project, avoid=previous if same else "")
            if same and beat["entity"] == beats[-1]["entity"]:
                continue  # a project with one file: no second file at that instant
            previous = beat["entity"].split(f"/{project}/")[-1]
            beats.append(beat)
            offsets.append(at)
        # the last heartbeat a couple of minutes ago, every one in milliseconds
        shift = round(time.time() - 120 - offsets[-1])
        for beat in beats:
            beat["time"] = round(beat["time"] + shift, 3)
        day[machine] = beats
    return day


def send_in_order(srv: WakaServer, day: dict[str, list[dict[str, Any]]]) -> None:
    for machine, beats in day.items():
        for i in range(0, len(beats), 25):
            srv.send(beats[i : i + 25], machine)


def shuffled_batches(
    day: dict[str, list[dict[str, Any]]], rng: random.Random
) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """Each machine's heartbeats shuffled and cut into batches of 1 to 25; the batches of
    both machines in a random order, and some of them sent twice (a queue replaying)."""
    batches: list[tuple[str, list[dict[str, Any]]]] = []
    for machine, beats in day.items():
        mixed = list(beats)
        rng.shuffle(mixed)
        while mixed:
            size = rng.randint(1, 25)
            batches.append((machine, mixed[:size]))
            mixed = mixed[size:]
    batches += rng.sample(batches, len(batches) // 10)
    rng.shuffle(batches)
    return iter(batches)


def observed(srv: WakaServer, day: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """Everything that must not depend on the order: the events of each machine, and the read
    APIs over the days of the heartbeats (answers' own timestamps left out)."""
    zone = ZoneInfo(ZONE)
    times = [float(b["time"]) for beats in day.values() for b in beats]
    first = datetime.fromtimestamp(min(times), zone).date() - timedelta(days=1)
    last = datetime.fromtimestamp(max(times), zone).date()
    found: dict[str, Any] = {f"events {m}": srv.events(m) for m in day}
    prefix = "/api/v1/users/current"
    summaries = srv.get(
        f"{prefix}/summaries", start=first.isoformat(), end=last.isoformat(), timezone=ZONE
    )
    assert summaries.status_code == 200, summaries.text
    found["summaries"] = summaries.json()
    today = srv.get(f"{prefix}/statusbar/today", timezone=ZONE)
    assert today.status_code == 200, today.text
    found["statusbar"] = {k: v for k, v in today.json().items() if k != "cached_at"}
    for day_ in (first + timedelta(days=i) for i in range((last - first).days + 1)):
        beats = srv.get(f"{prefix}/heartbeats", date=day_.isoformat(), timezone=ZONE).json()
        found[f"heartbeats {day_}"] = sorted(
            ({k: v for k, v in b.items() if k != "id"} for b in beats["data"]),
            key=lambda b: (b["time"], orjson.dumps(b, option=orjson.OPT_SORT_KEYS)),
        )
    found["projects"] = srv.get(f"{prefix}/projects").json()
    return found


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_permutations_of_a_day_give_identical_events_and_summaries(
    tmp_path: Path, seed: int
) -> None:
    day = recorded_day(seed)
    with waka_server(tmp_path) as srv:
        send_in_order(srv, day)
        expected = observed(srv, day)
    assert sum(len(e) for k, e in expected.items() if k.startswith("events")) > 20
    assert expected["summaries"]["cumulative_total"]["seconds"] > 3600
    for round_ in range(3):
        rng = random.Random(seed * 100 + round_)
        storage = "memory" if round_ == 2 else "sqlite"
        with waka_server(tmp_path, storage=storage) as srv:
            for machine, batch in shuffled_batches(day, rng):
                srv.send(batch, machine)
            got = observed(srv, day)
        for name in expected:
            assert got[name] == expected[name], f"{name} differs (round {round_}, {storage})"


def test_batches_sent_at_the_same_time_give_the_same_events(tmp_path: Path) -> None:
    """Four clients (two per machine) sending shuffled batches at once: the writes of each
    request are one transaction, so the result is that of time order."""
    day = recorded_day(5, 300)
    with waka_server(tmp_path) as srv:
        send_in_order(srv, day)
        expected = observed(srv, day)
    batches = list(shuffled_batches(day, random.Random(55)))
    with waka_server(tmp_path) as srv:

        def post(batch: tuple[str, list[dict[str, Any]]]) -> int:
            # a connection per request: a requests.Session is not meant to be shared by threads
            r = requests.post(
                f"{srv.url}/api/v1/users/current/heartbeats.bulk",
                data=orjson.dumps(batch[1]),
                headers={"X-Machine-Name": batch[0], "Content-Type": "application/json"},
                timeout=60,
            )
            return r.status_code

        with ThreadPoolExecutor(max_workers=4) as pool:
            assert set(pool.map(post, batches)) == {201}
        assert observed(srv, day) == expected


def test_the_same_heartbeats_reversed_one_by_one(tmp_path: Path) -> None:
    """The worst order: every heartbeat arrives before all earlier ones."""
    day = {"devbox": recorded_day(7, 120)["devbox"]}
    with waka_server(tmp_path) as srv:
        send_in_order(srv, day)
        expected = observed(srv, day)
    with waka_server(tmp_path) as srv:
        for beat in reversed(day["devbox"]):
            srv.send([beat])
        assert observed(srv, day) == expected


def test_heartbeats_at_the_same_instant_do_not_depend_on_arrival(tmp_path: Path) -> None:
    """Two files at one instant then a third: which of the two gets the gap to the third must
    not depend on which arrived first, nor must the events."""
    now = time.time() - 600
    a = heartbeat(now, "/a.py")
    b = heartbeat(now, "/b.py")
    c = heartbeat(now + 30, "/c.py")
    results = []
    for order in ([a, b, c], [b, a, c], [c, b, a], [c, a, b]):
        with waka_server(tmp_path) as srv:
            for beat in order:
                srv.send([beat])
            results.append(srv.events("devbox"))
    assert all(r == results[0] for r in results), results
    assert sorted(e["duration"] for e in results[0]) == [0.0, 0.0, 30.0]


# --- duplicates ---------------------------------------------------------------------------------


def _ids(response: Any) -> list[str | None]:
    return [item[0]["data"]["id"] if item[0]["data"] else None for item in response["responses"]]


def test_duplicates_in_one_batch_are_stored_once_and_answered_alike(tmp_path: Path) -> None:
    now = time.time() - 300
    a, b = heartbeat(now), heartbeat(now + 20, "/b.py")
    with waka_server(tmp_path) as srv:
        r = srv.send([a, b, a, dict(a), b])
        body = r.json()
        assert [s for _, s in body["responses"]] == [201] * 5
        ids = _ids(body)
        assert ids[0] == ids[2] == ids[3] and ids[1] == ids[4] and ids[0] != ids[1]
        assert body["responses"][2] == body["responses"][0]
        assert len(srv.raw_rows()) == 2
        assert [e["duration"] for e in srv.events("devbox")] == [20.0, 0.0]


def test_a_replayed_batch_is_stored_once_and_answered_like_the_first_time(tmp_path: Path) -> None:
    now = time.time() - 300
    batch = [heartbeat(now + i * 10, lineno=i) for i in range(5)]
    with waka_server(tmp_path) as srv:
        first = srv.send(batch).json()
        before = srv.state()
        for path in (
            "/api/v1",
            "/api/heartbeats",
            "/api/compat/wakatime/v1/users/current/heartbeats",
        ):
            again = srv.send(batch, path=path).json()
            assert again == first
        assert srv.state() == before


def test_a_replay_that_differs_only_in_volatile_fields_is_the_same_heartbeat(
    tmp_path: Path,
) -> None:
    """The cursor, line counts and dependencies are not part of the dedupe key: the copy is the
    first heartbeat, answered as stored."""
    now = time.time() - 300
    with waka_server(tmp_path) as srv:
        first = srv.send([heartbeat(now, lineno=3, lines=10)]).json()
        before = srv.state()
        again = srv.send([heartbeat(now, lineno=9, lines=12, cursorpos=5)]).json()
        assert again == first
        assert srv.state() == before


def test_a_heartbeat_differing_in_a_hashed_field_is_a_new_one(tmp_path: Path) -> None:
    now = time.time() - 300
    with waka_server(tmp_path) as srv:
        first = _ids(srv.send([heartbeat(now)]).json())
        second = _ids(srv.send([heartbeat(now, is_write=True)]).json())
        third = _ids(srv.send([heartbeat(now)], machine="laptop").json())
        assert len({*first, *second, *third}) == 3
        assert len(srv.raw_rows()) == 3


# --- placeholders -------------------------------------------------------------------------------

PLACEHOLDERS = {
    "project": "<<LAST_PROJECT>>",
    "language": "<<LAST_LANGUAGE>>",
    "branch": "<<LAST_BRANCH>>",
}


def _data(response: Any, index: int = 0) -> dict[str, Any]:
    data: dict[str, Any] = response["responses"][index][0]["data"]
    return data


def test_placeholders_take_the_previous_heartbeat_of_the_same_machine(tmp_path: Path) -> None:
    yesterday = datetime.now(ZoneInfo(ZONE)).date() - timedelta(days=1)
    noon = datetime(yesterday.year, yesterday.month, yesterday.day, 12, tzinfo=ZoneInfo(ZONE))
    now = noon.timestamp()
    with waka_server(tmp_path) as srv:
        srv.send([heartbeat(now, project="alpha", language="Rust", branch="dev")])
        srv.send([heartbeat(now + 5, project="beta", language="Go", branch="x")], "laptop")
        r = srv.send([heartbeat(now + 10, "/b.py", **PLACEHOLDERS)]).json()
        assert {k: _data(r)[k] for k in PLACEHOLDERS} == {
            "project": "alpha",
            "language": "Rust",
            "branch": "dev",
        }
        last = srv.events("devbox")[-1]["data"]
        assert (last["project"], last["language"], last["branch"]) == ("alpha", "Rust", "dev")
        raw = srv.get(
            "/api/v1/users/current/heartbeats", date=yesterday.isoformat(), timezone=ZONE
        ).json()["data"]
        assert {b["project"] for b in raw} == {"alpha", "beta"}


def test_placeholders_from_an_earlier_heartbeat_of_the_same_batch(tmp_path: Path) -> None:
    """The earlier heartbeat is later in the array: time decides, not the position."""
    now = time.time() - 300
    with waka_server(tmp_path) as srv:
        srv.send([heartbeat(now - 100, project="old")])
        r = srv.send(
            [
                heartbeat(now + 10, "/b.py", project="<<LAST_PROJECT>>"),
                heartbeat(now, project="new"),
                heartbeat(now + 20, "/c.py", project="<<LAST_PROJECT>>"),
            ]
        ).json()
        assert [_data(r, i)["project"] for i in range(3)] == ["new", "new", "new"]


def test_a_placeholder_with_no_previous_heartbeat_is_null(tmp_path: Path) -> None:
    now = time.time() - 300
    with waka_server(tmp_path) as srv:
        srv.send([heartbeat(now + 100, project="later")])  # after it: does not count
        r = srv.send([heartbeat(now, **PLACEHOLDERS)]).json()
        assert {k: _data(r)[k] for k in PLACEHOLDERS} == dict.fromkeys(PLACEHOLDERS)
        data = srv.events("devbox")[0]["data"]
        assert data["project"] is None and data["language"] is None and data["branch"] is None
        assert set(data) == {
            "file",
            "project",
            "language",
            "branch",
            "category",
            "type",
            "editor",
            "os",
        }


@pytest.mark.parametrize("kind", ["url", "domain"])
def test_placeholders_of_urls_and_domains_are_null(tmp_path: Path, kind: str) -> None:
    now = time.time() - 300
    with waka_server(tmp_path) as srv:
        srv.send([heartbeat(now, project="alpha")])
        beat = heartbeat(now + 10, "github.com", type=kind, category=None, **PLACEHOLDERS)
        r = srv.send([beat]).json()
        assert (_data(r)["project"], _data(r)["branch"], _data(r)["language"]) == (None,) * 3
        assert _data(r)["category"] == "browsing"


def test_a_placeholder_replay_after_a_late_earlier_heartbeat_is_still_a_duplicate(
    tmp_path: Path,
) -> None:
    """The placeholder heartbeat was resolved (to null) when it arrived; an earlier heartbeat
    delivered late does not make its replay a new heartbeat, and the replay is answered as the
    heartbeat was stored."""
    now = time.time() - 300
    placeholder = heartbeat(now, "/b.py", **PLACEHOLDERS)
    with waka_server(tmp_path) as srv:
        first = srv.send([placeholder]).json()
        assert _data(first)["project"] is None
        srv.send([heartbeat(now - 30, project="alpha", language="Rust", branch="dev")])
        before = srv.state()
        again = srv.send([placeholder]).json()
        assert again == first
        assert srv.state() == before
        assert len(before[0]) == 2


def test_a_placeholder_is_resolved_at_arrival_from_what_is_stored(tmp_path: Path) -> None:
    """What "previous" means when heartbeats arrive late: the last one stored before it when it
    arrives (a later-delivered earlier heartbeat does not rewrite it)."""
    now = time.time() - 300
    with waka_server(tmp_path) as srv:
        srv.send([heartbeat(now - 60, project="alpha")])
        r = srv.send([heartbeat(now, "/b.py", project="<<LAST_PROJECT>>")]).json()
        assert _data(r)["project"] == "alpha"
        srv.send([heartbeat(now - 30, project="beta")])
        files = {e["data"]["file"]: e["data"]["project"] for e in srv.events("devbox")}
        assert files["/b.py"] == "alpha"


def test_a_placeholder_in_the_user_agent_less_browser_shape(tmp_path: Path) -> None:
    """The browser extension's shape (time as a string, ``plugin``) resolves the same way."""
    now = time.time() - 300
    with waka_server(tmp_path) as srv:
        srv.send([heartbeat(now, project="alpha", branch="dev")])
        beat = {
            "entity": "/home/ann/design.fig",
            "type": "file",
            "time": f"{now + 10:.3f}",
            "project": "<<LAST_PROJECT>>",
            "branch": "<<LAST_BRANCH>>",
            "plugin": "Chrome/131.0.0.0 linux_x86-64 chrome-wakatime/4.0.10",
        }
        r = srv.post(
            "/api/v1/users/current/heartbeats.bulk",
            [beat],
            headers={"X-Machine-Name": "devbox", "User-Agent": GO_UA},
        )
        assert r.status_code == 201, r.text
        assert (_data(r.json())["project"], _data(r.json())["branch"]) == ("alpha", "dev")
        assert _data(r.json())["editor"] == "Chrome"
