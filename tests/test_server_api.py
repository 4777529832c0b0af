"""``aw_server.api.ServerAPI``: the server's Python API, with the official names and signatures,
on real SQLite files and in memory, compared with the REST API of a live server."""

from __future__ import annotations

import inspect
import logging
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from aw_core.models import Event
from aw_server.api import ServerAPI
from aw_server.errors import BadRequest, BucketNotFound, NotFound
from aw_server.storage import MemoryStorage, SqliteStorage
from tests.conftest import Api, ev, subprocess_env

T0 = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)
PROGRAM = ['events = query_bucket("b");', "RETURN = sum_durations(events);"]

# The parameter names, in order, of the official server's documented ServerAPI.
DOCUMENTED = {
    "__init__": ["db", "testing"],
    "create_bucket": ["bucket_id", "event_type", "client", "hostname"],
    "create_events": ["bucket_id", "events"],
    "delete_bucket": ["bucket_id"],
    "delete_event": ["bucket_id", "event_id"],
    "export_all": [],
    "export_bucket": ["bucket_id"],
    "get_bucket_metadata": ["bucket_id"],
    "get_buckets": [],
    "get_eventcount": ["bucket_id", "start", "end"],
    "get_events": ["bucket_id", "limit", "start", "end"],
    "get_info": [],
    "get_log": [],
    "heartbeat": ["bucket_id", "heartbeat", "pulsetime"],
    "query2": ["name", "query", "timeperiods", "cache"],
}


@pytest.fixture(params=["sqlite", "memory"])
def server_api(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ServerAPI]:
    db = (
        SqliteStorage(tmp_path / "embedded.sqlite")
        if request.param == "sqlite"
        else MemoryStorage()
    )
    yield ServerAPI(db, testing=True)
    db.close()


@pytest.fixture
def bucket(server_api: ServerAPI) -> str:
    assert server_api.create_bucket("b", "currentwindow", "test-client", "host")
    return "b"


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_signatures_are_the_documented_ones() -> None:
    for name, params in DOCUMENTED.items():
        signature = inspect.signature(getattr(ServerAPI, name))
        names = [p.name for p in signature.parameters.values()][1:]  # without self
        assert names[: len(params)] == params, name
        extras = list(signature.parameters.values())[1 + len(params) :]
        assert all(p.default is not inspect.Parameter.empty for p in extras), name
    assert {n for n in DOCUMENTED if n != "__init__"} <= set(dir(ServerAPI))


def test_every_documented_method(server_api: ServerAPI) -> None:
    api = server_api
    # buckets: positional, then every documented keyword
    assert api.create_bucket("b", "currentwindow", "test-client", "host") is True
    assert api.create_bucket(bucket_id="b", event_type="x", client="y", hostname="z") is False
    assert api.get_bucket_metadata(bucket_id="b")["type"] == "currentwindow"
    assert set(api.get_buckets()) == {"b"}

    # events: a single event comes back with its id, a list gives None
    one = api.create_events("b", Event(timestamp=at(0), duration=60, data={"app": "Editor"}))
    assert isinstance(one, Event) and isinstance(one.id, int)
    more = [Event(timestamp=at(100 + i), duration=1, data={"i": i}) for i in range(3)]
    assert api.create_events(bucket_id="b", events=more) is None
    events = api.get_events("b")
    assert all(isinstance(e, Event) for e in events)
    assert [e.data for e in events] == [{"i": 2}, {"i": 1}, {"i": 0}, {"app": "Editor"}]
    assert events[-1].id == one.id and events[-1].timestamp == at(0)
    assert events[-1].duration == timedelta(seconds=60)
    newest = api.get_events(bucket_id="b", limit=1, start=at(0), end=at(200))
    assert [e.data for e in newest] == [{"i": 2}]
    assert api.get_eventcount("b") == 4
    assert api.get_eventcount(bucket_id="b", start=at(100), end=at(101)) == 2

    # heartbeats: an equal one within pulsetime extends the newest event
    first = api.heartbeat("b", Event(timestamp=at(300), data={"app": "Term"}), 10)
    merged = api.heartbeat(
        bucket_id="b", heartbeat=Event(timestamp=at(305), data={"app": "Term"}), pulsetime=10
    )
    assert isinstance(merged, Event) and merged.id == first.id
    assert merged.duration == timedelta(seconds=5)
    assert api.get_eventcount("b") == 5

    assert api.delete_event("b", one.id) is True
    assert api.delete_event(bucket_id="b", event_id=merged.id) is True
    assert api.get_eventcount("b") == 3

    # export: one bucket, and all of them
    exported = api.export_bucket("b")
    assert exported["id"] == "b" and len(exported["events"]) == 3
    assert api.export_bucket(bucket_id="b") == exported
    assert api.export_all() == {"b": exported}

    # query2 with "start/end" strings and with datetime pairs
    period = f"{at(0).isoformat()}/{at(1000).isoformat()}"
    assert api.query2(None, PROGRAM, [period], False) == [3.0]
    assert api.query2(name="named", query=PROGRAM, timeperiods=[(at(0), at(1000))], cache=True) == [
        3.0
    ]

    info = api.get_info()
    assert info["testing"] is True and info["version"].startswith("v")
    assert set(info) == {"hostname", "version", "testing", "device_id"}
    marker = f"embedded-log-{uuid.uuid4()}"
    logging.getLogger("tests.server_api").warning(marker)
    log = api.get_log()
    assert isinstance(log, list) and log[0]["message"] == marker

    api.delete_bucket("b")
    assert api.get_buckets() == {}
    api.create_bucket("c", "t", "c", "h")
    api.delete_bucket(bucket_id="c")
    assert api.get_buckets() == {}


def test_create_bucket_keeps_created_and_data(server_api: ServerAPI) -> None:
    created = datetime(2020, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=2)))
    assert server_api.create_bucket("k", "t", "c", "h", created=created, data={"x": 1})
    meta = server_api.get_bucket_metadata("k")
    assert meta["created"] == "2020-01-02T01:04:05+00:00"
    assert meta["data"] == {"x": 1}


def test_local_hostname_means_this_machine(server_api: ServerAPI) -> None:
    server_api.create_bucket("l", "t", "c", "!local")
    info = server_api.get_info()
    meta = server_api.get_bucket_metadata("l")
    assert meta["hostname"] == info["hostname"]
    assert meta["data"]["device_id"] == info["device_id"]


def test_naive_datetimes_are_utc(server_api: ServerAPI, bucket: str) -> None:
    naive = T0.replace(tzinfo=None)
    event = server_api.create_events(bucket, Event(timestamp=naive, duration=10))
    assert event is not None and event.timestamp == T0
    assert server_api.get_eventcount(bucket, start=naive, end=naive) == 1
    assert server_api.get_eventcount(bucket, start=naive + timedelta(seconds=11)) == 0
    other_zone = T0.astimezone(timezone(timedelta(hours=-7)))
    assert server_api.get_eventcount(bucket, start=other_zone, end=other_zone) == 1
    assert server_api.query2(
        None, ['RETURN = query_bucket("b");'], [(naive, naive + timedelta(seconds=5))], False
    ) == [[{"id": event.id, "timestamp": T0.isoformat(), "duration": 5.0, "data": {}}]]


def test_get_events_are_clipped_and_limit_minus_one_means_all(
    server_api: ServerAPI, bucket: str
) -> None:
    server_api.create_events(bucket, [Event(timestamp=at(i * 10), duration=10) for i in range(5)])
    assert len(server_api.get_events(bucket, -1)) == 5
    assert len(server_api.get_events(bucket, None)) == 5
    assert len(server_api.get_events(bucket, 2)) == 2
    clipped = server_api.get_events(bucket, start=at(15), end=at(25))
    assert [(e.timestamp, e.duration) for e in clipped] == [
        (at(20), timedelta(seconds=5)),
        (at(15), timedelta(seconds=5)),
    ]


def test_create_events_with_an_id_replaces_that_event(server_api: ServerAPI, bucket: str) -> None:
    event = server_api.create_events(bucket, Event(timestamp=at(0), data={"v": 1}))
    assert event is not None
    replaced = server_api.create_events(bucket, event.replace(data={"v": 2}))
    assert replaced is not None and replaced.id == event.id
    assert [e.data for e in server_api.get_events(bucket)] == [{"v": 2}]
    # as on the REST API, an id from elsewhere fails the whole list
    with pytest.raises(BadRequest):
        server_api.create_events(bucket, [Event(timestamp=at(1)), Event(id=999, timestamp=at(2))])
    assert server_api.get_eventcount(bucket) == 1


def test_wire_dicts_and_decimal_string_ids_are_accepted(server_api: ServerAPI, bucket: str) -> None:
    event = server_api.create_events(bucket, ev("2024-05-01T09:00:00+02:00", 2, {"a": 1}))
    assert event is not None and event.timestamp == at(-7200) and event.data == {"a": 1}
    server_api.create_events(bucket, [ev("2024-05-01T10:00:00Z", 1)])
    assert server_api.delete_event(bucket, str(event.id)) is True
    assert server_api.get_eventcount(bucket) == 1


@pytest.mark.parametrize(
    "call",
    [
        lambda a: a.get_bucket_metadata("missing"),
        lambda a: a.get_events("missing"),
        lambda a: a.get_eventcount("missing"),
        lambda a: a.create_events("missing", Event(timestamp=T0)),
        lambda a: a.create_events("missing", [Event(timestamp=T0)]),
        lambda a: a.heartbeat("missing", Event(timestamp=T0), 1),
        lambda a: a.delete_bucket("missing"),
        lambda a: a.delete_event("missing", 1),
        lambda a: a.export_bucket("missing"),
        lambda a: a.export_bucket(""),
    ],
)
def test_missing_bucket_is_bucket_not_found(
    server_api: ServerAPI, call: Callable[[ServerAPI], Any]
) -> None:
    with pytest.raises(BucketNotFound):
        call(server_api)


def test_missing_event_is_not_found(server_api: ServerAPI, bucket: str) -> None:
    server_api.create_bucket("other", "t", "c", "h")
    elsewhere = server_api.create_events("other", Event(timestamp=T0))
    assert elsewhere is not None
    for event_id in (12345, elsewhere.id):
        with pytest.raises(NotFound) as info:
            server_api.delete_event(bucket, event_id)
        assert not isinstance(info.value, BucketNotFound)
    assert server_api.get_eventcount("other") == 1


@pytest.mark.parametrize(
    "call",
    [
        lambda a: a.create_bucket("", "t", "c", "h"),
        lambda a: a.create_bucket("x", 5, "c", "h"),
        lambda a: a.create_bucket("x", "t", "c", "h", created="yesterday"),
        lambda a: a.create_bucket("x", "t", "c", "h", data=[1]),
        lambda a: a.get_events("b", start=at(10), end=at(0)),
        lambda a: a.get_events("b", limit="ten"),
        lambda a: a.get_eventcount("b", start="not a date"),
        lambda a: a.create_events("b", Event(timestamp=T0, duration=-1)),
        lambda a: a.create_events("b", [{"duration": 1}]),
        lambda a: a.heartbeat("b", Event(timestamp=T0), -1),
        lambda a: a.heartbeat("b", Event(timestamp=T0), "soon"),
        lambda a: a.delete_event("b", "first"),
        lambda a: a.query2(None, PROGRAM, ["2024-01-01"], False),
        lambda a: a.query2(None, PROGRAM, [], False),
        lambda a: a.query2(None, ["RETURN = nosuchfunction();"], [(T0, at(1))], False),
    ],
)
def test_bad_input_is_bad_request(
    server_api: ServerAPI, bucket: str, call: Callable[[ServerAPI], Any]
) -> None:
    with pytest.raises(BadRequest):
        call(server_api)


def test_query_errors_carry_their_type(server_api: ServerAPI, bucket: str) -> None:
    with pytest.raises(BadRequest) as info:
        server_api.query2(None, ["RETURN = ;"], [(T0, at(1))], False)
    assert info.value.type


def test_named_query_sees_writes(server_api: ServerAPI, bucket: str) -> None:
    periods = [(at(0), at(100))]
    server_api.create_events(bucket, Event(timestamp=at(0), duration=10))
    assert server_api.query2("n", PROGRAM, periods, True) == [10.0]
    server_api.create_events(bucket, Event(timestamp=at(20), duration=5))
    assert server_api.query2("n", PROGRAM, periods, True) == [15.0]
    assert server_api.query2("n", PROGRAM, periods, False) == [15.0]


def test_default_database_is_the_testing_one(isolated_dirs: dict[str, str]) -> None:
    data_dir = Path(isolated_dirs["XDG_DATA_HOME"]) / "activitywatch" / "aw-server"
    with ServerAPI(db=None, testing=True) as api:
        assert isinstance(api.db, SqliteStorage)
        assert Path(api.db.path) == data_dir / "aw-server-testing.sqlite"
        api.create_bucket("kept", "t", "c", "h")
        assert api.get_info()["testing"] is True
        device_id = api.get_info()["device_id"]
    assert (data_dir / "device_id").read_text() == device_id
    reopened = SqliteStorage(data_dir / "aw-server-testing.sqlite")
    try:
        assert [b.id for b in reopened.list_buckets()] == ["kept"]
    finally:
        reopened.close()
    assert not (data_dir / "aw-server.sqlite").exists()


def test_default_database_follows_the_config_file(
    isolated_dirs: dict[str, str], tmp_path: Path
) -> None:
    config_dir = Path(isolated_dirs["XDG_CONFIG_HOME"]) / "activitywatch" / "aw-server"
    config_dir.mkdir(parents=True)
    dbpath = tmp_path / "configured.sqlite"
    (config_dir / "aw-server.toml").write_text(f'[server-testing]\ndbpath = "{dbpath}"\n')
    with ServerAPI(None, True) as api:
        assert isinstance(api.db, SqliteStorage) and Path(api.db.path) == dbpath


def test_a_given_database_stays_open(tmp_path: Path) -> None:
    db = SqliteStorage(tmp_path / "mine.sqlite")
    with ServerAPI(db, testing=False) as api:
        api.create_bucket("b", "t", "c", "h")
    assert db.get_bucket("b") is not None  # still usable: ServerAPI did not close it
    db.close()


def test_results_equal_the_rest_api(api: Api, app: Flask) -> None:
    api.create_bucket("b1", data={"k": 1})
    api.create_bucket("b2")
    api.post(
        "buckets/b1/events",
        [ev(f"2024-05-01T09:00:{i:02d}.25+02:00", 1.5, {"i": i}) for i in range(5)],
    )
    api.post("buckets/b2/events", ev("2024-05-02T00:00:00Z", 5, {"x": "ü"}))
    api.post("buckets/b2/heartbeat?pulsetime=10", ev("2024-05-02T00:00:07Z", 0, {"x": "ü"}))
    embedded = ServerAPI(app.extensions["aw"].storage, testing=False)

    for bucket_id in ("b1", "b2"):
        rest = api.get(f"buckets/{bucket_id}/export").json()
        assert rest == {"buckets": {bucket_id: embedded.export_bucket(bucket_id)}}
    assert api.get("export").json() == {"buckets": embedded.export_all()}
    assert api.get("buckets/").json() == embedded.get_buckets()
    assert api.get("buckets/b1").json() == embedded.get_bucket_metadata("b1")

    window = {"start": "2024-05-01T07:00:01Z", "end": "2024-05-01T07:00:03Z"}
    rest_events = api.get("buckets/b1/events", params={**window, "limit": "2"}).json()
    start, end = datetime.fromisoformat(window["start"]), datetime.fromisoformat(window["end"])
    assert len(rest_events) == 2 and rest_events[-1]["timestamp"] != rest_events[0]["timestamp"]
    assert rest_events == [e.to_json_dict() for e in embedded.get_events("b1", 2, start, end)]
    rest_count = api.get("buckets/b1/events/count", params={"start": window["start"]}).json()
    assert rest_count == embedded.get_eventcount("b1", start=start) == 5

    program = ['events = query_bucket("b1");', "RETURN = [events, sum_durations(events)];"]
    periods = ["2024-05-01T00:00:00Z/2024-05-03T00:00:00Z"]
    rest_result = api.post("query/", {"query": program, "timeperiods": periods}).json()
    assert rest_result == embedded.query2(None, program, periods, False)
    rest_info = api.get("info").json()
    assert {k: v for k, v in rest_info.items() if k != "device_id"} == {
        k: v for k, v in embedded.get_info().items() if k != "device_id"
    }


def test_import_does_no_work_and_has_no_cycle(tmp_path: Path) -> None:
    """Importing either module first loads, creates no file and attaches no log handler."""
    probe = (
        "import logging, sys\n"
        "import {first}\n"
        "from aw_server.api import ServerAPI, register_api\n"
        "from aw_server.embedded import ServerAPI as same\n"
        "assert ServerAPI is same\n"
        "assert not logging.getLogger().handlers, logging.getLogger().handlers\n"
    )
    for first in ("aw_server.embedded", "aw_server.api", "aw_server.app"):
        home = tmp_path / first
        env = {**subprocess_env(), "HOME": str(home)}
        for var in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
            env[var] = str(home / var)
        result = subprocess.run(
            [sys.executable, "-c", probe.format(first=first)],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        assert not home.exists()


def test_the_documented_example_runs(tmp_path: Path) -> None:
    text = (Path(__file__).parent.parent / "docs" / "python-api.md").read_text()
    example = text.split("```python\n", 1)[1].split("```", 1)[0]
    env = {**subprocess_env(), "HOME": str(tmp_path / "home")}
    result = subprocess.run(
        [sys.executable, "-c", example], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr


def test_writes_through_the_python_api_are_announced_to_webhooks(tmp_path: Path) -> None:
    """A program that embeds the server writes into the outbox like the server: the next
    server sends the deliveries."""
    from aw_server.app import create_app
    from aw_server.webhooks.store import open_webhook_store
    from tests.conftest import make_config

    config = make_config(tmp_path)
    app = create_app(config)
    created = app.test_client().post(
        "/api/webhooks", json={"url": "https://example.com/hook", "events": ["bucket.created"]}
    )
    assert created.status_code == 201, created.json
    app.extensions["aw"].storage.close()
    db = SqliteStorage(config.resolved_dbpath())
    try:
        ServerAPI(db, False).create_bucket("from-python", "test", "tester", "host")
        pending = open_webhook_store(db).heads()
        assert [d.type for d in pending] == ["bucket.created"]
    finally:
        db.close()
