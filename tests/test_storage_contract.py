"""The storage contract, run against both the memory and the SQLite storage."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from aw_core.models import Bucket, Event
from aw_server.errors import BucketNotFound
from aw_server.storage import SqliteStorage, Storage, StorageError
from aw_server.storage import sqlite as sqlite_module

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def at(seconds: float, duration: float = 0, data: dict[str, object] | None = None) -> Event:
    return Event(timestamp=T0 + timedelta(seconds=seconds), duration=duration, data=data or {})


def make_bucket(storage: Storage, bucket_id: str = "b") -> None:
    assert storage.create_bucket(Bucket(bucket_id, "type", "client", "host", T0, data={"k": "v"}))


def test_create_get_list_delete_bucket(storage: Storage) -> None:
    make_bucket(storage, "one")
    make_bucket(storage, "two")
    assert not storage.create_bucket(Bucket("one", "other", "c", "h", T0))
    one = storage.get_bucket("one")
    assert one is not None and one.type == "type" and one.data == {"k": "v"} and one.created == T0
    assert one.first is None and one.last is None and one.last_updated is None
    assert [b.id for b in storage.list_buckets()] == ["one", "two"]
    storage.delete_bucket("one")
    assert storage.get_bucket("one") is None
    with pytest.raises(BucketNotFound):
        storage.delete_bucket("one")


def test_bucket_hostnames_in_creation_order(storage: Storage) -> None:
    assert storage.bucket_hostnames() == {}
    for bucket_id, host in (("z", "h1"), ("a", "h2"), ("m", "h1")):
        storage.create_bucket(Bucket(bucket_id, "type", "client", host, T0))
    assert list(storage.bucket_hostnames().items()) == [("z", "h1"), ("a", "h2"), ("m", "h1")]
    storage.delete_bucket("a")
    assert storage.bucket_hostnames() == {"z": "h1", "m": "h1"}


def test_update_bucket(storage: Storage) -> None:
    make_bucket(storage)
    storage.update_bucket("b", {"name": "Nice", "data": {"x": [1]}, "hostname": "h2"})
    bucket = storage.get_bucket("b")
    assert bucket is not None and (bucket.name, bucket.data, bucket.hostname) == (
        "Nice",
        {"x": [1]},
        "h2",
    )
    with pytest.raises(BucketNotFound):
        storage.update_bucket("missing", {"name": "x"})


def test_insert_returns_ids_and_reads_newest_first(storage: Storage) -> None:
    make_bucket(storage)
    inserted = storage.insert_events(
        "b", [at(0, 1, {"n": 0}), at(10, 1, {"n": 1}), at(5, 1, {"n": 2})]
    )
    assert all(isinstance(e.id, int) for e in inserted)
    assert len({e.id for e in inserted}) == 3
    events = storage.get_events("b")
    assert [e.data["n"] for e in events] == [1, 2, 0]
    assert storage.get_event("b", inserted[0].id) == inserted[0]  # type: ignore[arg-type]
    assert storage.count_events("b") == 3
    assert storage.get_events("b", limit=2) == events[:2]
    assert storage.get_events("b", limit=0) == []


def test_bucket_stats(storage: Storage) -> None:
    make_bucket(storage)
    storage.insert_events("b", [at(0, 100), at(10, 5), at(50, 1)])
    bucket = storage.get_bucket("b")
    assert bucket is not None
    assert bucket.first == T0
    assert bucket.last == T0 + timedelta(seconds=100)  # the long first event ends last
    assert bucket.last_updated == T0 + timedelta(seconds=51)  # end of the newest event


def test_range_is_inclusive_and_unclipped(storage: Storage) -> None:
    make_bucket(storage)
    storage.insert_events(
        "b",
        [
            at(0, 10, {"n": "a"}),
            at(10, 10, {"n": "b"}),
            at(20, 0, {"n": "c"}),
            at(30, 5, {"n": "d"}),
        ],
    )
    got = storage.get_events("b", T0 + timedelta(seconds=10), T0 + timedelta(seconds=20))
    assert [e.data["n"] for e in got] == ["c", "b", "a"]  # a ends at 10, c starts at 20
    got = storage.get_events("b", T0 + timedelta(seconds=5), T0 + timedelta(seconds=31))
    assert [e.data["n"] for e in got] == ["d", "c", "b", "a"]
    assert got[-1].duration == timedelta(seconds=10)  # unclipped
    assert storage.count_events("b", T0 + timedelta(seconds=20), T0 + timedelta(seconds=21)) == 2
    assert storage.count_events("b", T0 + timedelta(seconds=21), T0 + timedelta(seconds=29)) == 0
    assert storage.count_events("b", None, T0 + timedelta(seconds=10)) == 2
    assert storage.count_events("b", T0 + timedelta(seconds=30), None) == 1
    assert storage.count_events("b", T0 + timedelta(seconds=20), None) == 3


def test_clipped_events_cut_to_the_range(storage: Storage) -> None:
    make_bucket(storage)
    storage.insert_events(
        "b",
        [
            at(0, 10, {"n": "a"}),
            at(10, 10, {"n": "b"}),
            at(20, 0, {"n": "c"}),
            at(30, 5, {"n": "a"}),
            at(3 * 86400, 10, {"n": "far"}),
        ],
    )
    got = storage.clipped_events("b", T0 + timedelta(seconds=5), T0 + timedelta(seconds=32))
    assert [(e.data["n"], e.timestamp - T0, e.duration.total_seconds()) for e in got] == [
        ("a", timedelta(seconds=30), 2.0),
        ("c", timedelta(seconds=20), 0.0),
        ("b", timedelta(seconds=10), 10.0),
        ("a", timedelta(seconds=5), 5.0),
    ]
    assert [e.id for e in got] == [4, 3, 2, 1]
    # the stored events are unchanged
    assert storage.get_event("b", 1).duration == timedelta(seconds=10)  # type: ignore[union-attr]
    with pytest.raises(BucketNotFound):
        storage.clipped_events("nope", T0, T0)


def test_range_finds_events_that_began_long_before(storage: Storage) -> None:
    """Peer bug 2: the Python server misses events that began more than 24 h before start."""
    make_bucket(storage)
    storage.insert_events("b", [at(0, 3 * 86400, {"long": True})])
    storage.insert_events("b", [at(100 + i, 1) for i in range(50)])
    start = T0 + timedelta(days=2)
    got = storage.get_events("b", start, start + timedelta(hours=1))
    assert [e.data for e in got] == [{"long": True}]
    assert storage.count_events("b", start, start + timedelta(hours=1)) == 1


def test_replace_and_delete_event(storage: Storage) -> None:
    make_bucket(storage)
    make_bucket(storage, "other")
    (event,) = storage.insert_events("b", [at(0, 1)])
    replacement = event.replace(duration=timedelta(days=5), data={"new": 1})
    assert storage.replace_event("b", replacement)
    assert storage.get_event("b", event.id) == replacement  # type: ignore[arg-type]
    # the longer duration must still be found from far inside it
    assert storage.count_events("b", T0 + timedelta(days=4), T0 + timedelta(days=4, seconds=1)) == 1
    assert not storage.replace_event("other", replacement)
    assert not storage.replace_event("b", replacement.replace(id=99999))
    assert not storage.delete_event("other", event.id)  # type: ignore[arg-type]
    assert storage.delete_event("b", event.id)  # type: ignore[arg-type]
    assert not storage.delete_event("b", event.id)  # type: ignore[arg-type]
    assert storage.get_event("b", event.id) is None  # type: ignore[arg-type]


def test_missing_bucket_raises(storage: Storage) -> None:
    for call in (
        lambda: storage.get_events("nope"),
        lambda: storage.count_events("nope"),
        lambda: storage.insert_events("nope", [at(0)]),
        lambda: storage.last_event("nope"),
        lambda: storage.events_json("nope"),
        lambda: storage.get_event("nope", 1),
    ):
        with pytest.raises(BucketNotFound):
            call()


def test_delete_bucket_deletes_events(storage: Storage) -> None:
    make_bucket(storage)
    storage.insert_events("b", [at(i) for i in range(10)])
    storage.delete_bucket("b")
    make_bucket(storage)
    assert storage.get_events("b") == []
    assert storage.last_event("b") is None


def test_last_event_and_iter(storage: Storage) -> None:
    make_bucket(storage)
    assert storage.last_event("b") is None
    storage.insert_events("b", [at(i, 1, {"i": i}) for i in range(2500)])
    last = storage.last_event("b")
    assert last is not None and last.data == {"i": 2499}
    streamed = [json.loads(text) for text in storage.events_json("b")]
    assert len(streamed) == 2500 and streamed[0]["data"] == {"i": 2499}
    ranged = [
        json.loads(text)
        for text in storage.events_json(
            "b", T0 + timedelta(seconds=10.5), T0 + timedelta(seconds=12.25), 5
        )
    ]
    assert [(e["timestamp"], e["duration"]) for e in ranged] == [
        ("2024-01-01T00:00:12+00:00", 0.25),
        ("2024-01-01T00:00:11+00:00", 1.0),
        ("2024-01-01T00:00:10.500000+00:00", 0.5),
    ]


def test_stored_data_cannot_be_changed_through_results(storage: Storage) -> None:
    make_bucket(storage)
    (event,) = storage.insert_events("b", [at(0, 1, {"k": "v"})])
    storage.get_events("b")[0].data["k"] = "changed"
    assert storage.get_event("b", event.id).data == {"k": "v"}  # type: ignore[arg-type, union-attr]


def test_atomic_rolls_back_everything(storage: Storage) -> None:
    make_bucket(storage)
    with pytest.raises(RuntimeError), storage.atomic():
        storage.insert_events("b", [at(0)])
        make_bucket(storage, "new")
        storage.set_setting("k", "1")
        raise RuntimeError
    assert storage.count_events("b") == 0
    assert storage.get_bucket("new") is None
    assert storage.get_setting("k") is None


def test_settings(storage: Storage) -> None:
    assert storage.all_settings() == {}
    for key, value in [("a", "false"), ("b", "0"), ("c", '""'), ("d", "null"), ("e", '{"x":[1]}')]:
        storage.set_setting(key, value)
        assert storage.get_setting(key) == value
    storage.set_setting("a", "true")
    assert storage.all_settings()["a"] == "true"
    assert storage.delete_setting("a")
    assert not storage.delete_setting("a")
    assert storage.get_setting("a") is None


def test_unicode_and_nested_data(storage: Storage) -> None:
    make_bucket(storage, "bücket-✓")
    data = {"title": "naïve — 日本語 🎉", "nested": {"list": [1, 2.5, None, True, {"deep": "x"}]}}
    storage.insert_events("bücket-✓", [at(0, 1, data)])
    assert storage.get_events("bücket-✓")[0].data == data
    clipped = storage.clipped_events("bücket-✓", T0, T0 + timedelta(seconds=10))
    assert clipped[0].data == data


def test_concurrent_inserts_get_unique_ids(storage: Storage) -> None:
    make_bucket(storage)
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            for i in range(50):
                storage.insert_events("b", [at(n * 1000 + i)])
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    events = storage.get_events("b")
    assert len(events) == 300 and len({e.id for e in events}) == 300


# -- SQLite specifics ---------------------------------------------------------------------------


def test_sqlite_schema_and_pragmas(tmp_path: Path) -> None:
    store = SqliteStorage(tmp_path / "s.sqlite")
    conn = store.db.connection()
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] > 0
    assert conn.execute("PRAGMA user_version").fetchone()[0] == sqlite_module.SCHEMA_VERSION
    indexes = [
        r[0]
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type='index' AND tbl_name='events'"
        )
    ]
    assert len(indexes) == 1
    make_bucket(store)
    store.insert_events("b", [at(0)])
    plan = " ".join(
        str(r[-1])
        for r in conn.execute(
            "EXPLAIN QUERY PLAN SELECT id FROM events WHERE bucket_pk = 1 AND start_us <= 5 AND start_us >= 0"
            " ORDER BY start_us DESC, end_us DESC, id DESC"
        )
    )
    assert indexes[0] in plan and "TEMP B-TREE" not in plan
    store.close()


def test_sqlite_persists_across_reopen(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    store = SqliteStorage(path)
    make_bucket(store)
    store.insert_events("b", [at(0, 5, {"x": 1})])
    store.set_setting("s", "[1,2]")
    store.close()
    reopened = SqliteStorage(path)
    assert reopened.get_events("b")[0].data == {"x": 1}
    assert reopened.get_setting("s") == "[1,2]"
    assert reopened.integrity_check() == "ok"
    reopened.close()


def test_sqlite_refuses_newer_schema(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    SqliteStorage(path).close()
    import sqlite3

    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version = 99")
    with pytest.raises(StorageError, match="newer"):
        SqliteStorage(path)


def test_sqlite_refuses_corrupt_file(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StorageError, match="cannot open"):
        SqliteStorage(path)
    assert path.read_bytes().startswith(b"this is not a database")  # left untouched


def test_ids_of_deleted_events_are_not_reused(storage: Storage) -> None:
    make_bucket(storage)
    ids = [e.id for e in storage.insert_events("b", [at(0), at(1)])]
    for event_id in ids:
        storage.delete_event("b", event_id)  # type: ignore[arg-type]
    (fresh,) = storage.insert_events("b", [at(2)])
    assert fresh.id not in ids and fresh.id > max(ids)  # type: ignore[operator, type-var]


def test_rolled_back_bucket_is_really_gone(storage: Storage) -> None:
    """A bucket created and used inside a failed transaction must not linger in any cache."""
    with pytest.raises(RuntimeError), storage.atomic():
        make_bucket(storage, "temp")
        storage.insert_events("temp", [at(0)])
        raise RuntimeError
    with pytest.raises(BucketNotFound):
        storage.get_events("temp")
    make_bucket(storage, "other")
    make_bucket(storage, "temp")
    storage.insert_events("other", [at(5)])
    assert storage.get_events("temp") == []


def test_group_commit_commits_each_write_and_rolls_back_failures_alone(tmp_path: Path) -> None:
    """Writes queued behind a running one are committed together, each in its own savepoint."""
    storage = SqliteStorage(tmp_path / "group.sqlite")
    make_bucket(storage)
    gate, leading = threading.Event(), threading.Event()
    outcomes: dict[int, object] = {}

    def first() -> str:
        storage.insert_events("b", [at(0, 1, {"n": 0})])
        leading.set()  # this thread holds the write lock now
        assert gate.wait(10)
        return "first"

    def numbered(n: int) -> int:
        storage.insert_events("b", [at(n, 1, {"n": n})])
        if n % 2:
            raise ValueError(n)  # after writing: the savepoint must undo it
        return n

    def run(n: int) -> None:
        try:
            outcomes[n] = storage.write(first) if n == 0 else storage.write(lambda: numbered(n))
        except ValueError as exc:
            outcomes[n] = exc

    leader = threading.Thread(target=run, args=(0,))
    leader.start()
    assert leading.wait(10)
    deadline = time.monotonic() + 10
    followers = [threading.Thread(target=run, args=(n,)) for n in range(1, 7)]
    for thread in followers:
        thread.start()
    while len(storage._pending) < 6 and time.monotonic() < deadline:
        time.sleep(0.001)
    assert len(storage._pending) == 6  # all six wait for one group commit
    gate.set()
    for thread in [leader, *followers]:
        thread.join(10)
    assert outcomes[0] == "first"
    assert [outcomes[n] for n in (2, 4, 6)] == [2, 4, 6]
    assert [str(outcomes[n]) for n in (1, 3, 5)] == ["1", "3", "5"]
    assert all(isinstance(outcomes[n], ValueError) for n in (1, 3, 5))
    stored = sorted(e.data["n"] for e in storage.get_events("b"))
    assert stored == [0, 2, 4, 6]
    storage.close()
    reopened = SqliteStorage(tmp_path / "group.sqlite")
    assert sorted(e.data["n"] for e in reopened.get_events("b")) == [0, 2, 4, 6]
    assert reopened.integrity_check() == "ok"


def test_group_commit_acknowledges_exactly_what_is_stored_when_the_disk_fills(
    tmp_path: Path,
) -> None:
    """A write that fills the database fails; every other write in its batch either is stored
    and acknowledged, or neither (SQLite may roll the whole transaction back by itself)."""
    storage = SqliteStorage(tmp_path / "full.sqlite", max_size_mb=0.25)
    make_bucket(storage)
    gate, leading = threading.Event(), threading.Event()
    outcomes: dict[int, bool] = {}

    def first() -> None:
        storage.insert_events("b", [at(0, 1, {"n": 0})])
        leading.set()
        assert gate.wait(10)

    def write(n: int) -> None:
        size = 40_000 if n == 3 else 10  # the third follower needs far more than the cap
        storage.insert_events(
            "b", [at(n + i / 1000, 0, {"n": n, "pad": "x" * size}) for i in range(10)]
        )

    def run(n: int) -> None:
        try:
            storage.write(first if n == 0 else lambda: write(n))
            outcomes[n] = True
        except Exception:
            outcomes[n] = False

    threads = [threading.Thread(target=run, args=(0,))]
    threads[0].start()
    assert leading.wait(10)
    threads += [threading.Thread(target=run, args=(n,)) for n in range(1, 6)]
    for thread in threads[1:]:
        thread.start()
    deadline = time.monotonic() + 10
    while len(storage._pending) < 5 and time.monotonic() < deadline:
        time.sleep(0.001)
    gate.set()
    for thread in threads:
        thread.join(10)
    assert outcomes[3] is False
    stored = {e.data["n"] for e in storage.get_events("b")}
    assert stored == {n for n, ok in outcomes.items() if ok}
    assert storage.integrity_check() == "ok"
    storage.insert_events("b", [at(100, 1, {"n": 100})])  # still writable afterwards
