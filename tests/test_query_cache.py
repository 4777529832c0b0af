"""The named-query cache: results of past periods are reused until a write could change them."""

from __future__ import annotations

from typing import Any

from flask import Flask

from aw_server.querycache import Change, QueryCache, Reads
from tests.conftest import Api, ev

DAY = "2024-01-01T00:00:00+00:00/2024-01-02T00:00:00+00:00"
NEXT_DAY = "2024-01-02T00:00:00+00:00/2024-01-03T00:00:00+00:00"
SUM = ['RETURN = sum_durations(query_bucket("w"));']
FIND = ['RETURN = sum_durations(query_bucket(find_bucket("w")));']
US = 1_000_000


# -- the cache on its own ------------------------------------------------------------------


def key(start: int = 0, end: int = 100) -> tuple[str, str, int, int, None]:
    return ("n", "program", start, end, None)


def test_changes_drop_only_entries_they_overlap() -> None:
    cache = QueryCache()
    cache.put(key(0, 100), b"a", Reads(frozenset({"w"}), False), cache.mark())
    cache.put(key(100, 200), b"b", Reads(frozenset({"w", "afk"}), False), cache.mark())
    cache.put(key(200, 300), b"c", Reads(frozenset({"afk"}), True), cache.mark())
    cache.publish([Change("w", 150, 160)])  # inside the second period only
    assert cache.get(key(0, 100)) == b"a"
    assert cache.get(key(100, 200)) is None
    cache.publish([Change("other", 0, 1000)])  # a bucket no entry read
    assert cache.get(key(0, 100)) == b"a"
    cache.publish([Change("w", 100, 100)])  # touching the end counts: ranges are inclusive
    assert cache.get(key(0, 100)) is None
    cache.put(key(0, 100), b"a", Reads(frozenset({"w"}), False), cache.mark())
    cache.publish([Change("w", -50, -1)])  # ends just before the start
    assert cache.get(key(0, 100)) == b"a"
    cache.publish([Change("w", -50, 0)])  # ends exactly at the start: in the period too
    assert cache.get(key(0, 100)) is None
    cache.publish([Change(None)])  # the set of buckets changed: everything goes
    assert cache.get(key(200, 300)) is None
    assert len(cache) == 0


def test_a_result_read_before_a_concurrent_write_is_not_stored() -> None:
    cache = QueryCache()
    since = cache.mark()  # the query starts reading here...
    cache.publish([Change("w", 10, 20)])  # ...a write to its period commits meanwhile
    assert not cache.put(key(), b"stale", Reads(frozenset({"w"}), False), since)
    assert cache.get(key()) is None
    cache.publish([Change("elsewhere", 10, 20)])
    since = cache.mark() - 1  # only an unrelated change since: storing is safe
    assert cache.put(key(), b"fresh", Reads(frozenset({"w"}), False), since)


def test_the_cache_is_bounded_in_bytes() -> None:
    cache = QueryCache(max_bytes=1000)
    for n in range(20):
        cache.put(key(n, n + 1), bytes(200), Reads(frozenset(), False), cache.mark())
    assert len(cache) == 5  # the oldest were evicted
    assert cache.get(key(19, 20)) is not None and cache.get(key(0, 1)) is None
    assert not cache.put(key(), bytes(300), Reads(frozenset(), False), cache.mark())  # too big


def test_evicted_and_replaced_entries_leave_no_trace_in_the_bucket_index() -> None:
    cache = QueryCache(max_bytes=1000)
    reads = Reads(frozenset({"w"}), False)
    for n in range(10):
        cache.put(key(n, n + 1), bytes(200), reads, cache.mark())
    assert len(cache) == 5  # periods 5..9 kept
    cache.put(key(9, 10), bytes(100), reads, cache.mark())  # replaced in place
    assert len(cache) == 5
    cache.publish([Change("w", 9, 9)])  # touches the periods 8-9 and 9-10 only
    assert len(cache) == 3 and cache.get(key(9, 10)) is None and cache.get(key(7, 8)) is not None
    cache.publish([Change("w", 0, 100)])
    assert len(cache) == 0
    assert cache.put(key(), b"x", reads, cache.mark())  # and the index works again
    cache.publish([Change("w", 50, 60)])
    assert cache.get(key()) is None


# -- through the server ---------------------------------------------------------------------


def named(api: Api, lines: list[str], period: str = DAY, name: str | None = "view") -> Any:
    params = {"name": name} if name else {}
    r = api.post("query/", {"query": lines, "timeperiods": [period]}, params=params)
    assert r.status_code == 200, r.text
    return r.json()[0]


def cache_of(app: Flask) -> QueryCache:
    cache: QueryCache = app.extensions["aw"].query_cache
    return cache


def test_named_past_results_are_reused_and_never_stale(api: Api, app: Flask) -> None:
    cache = cache_of(app)
    api.create_bucket("w")
    api.create_bucket("afk")
    first = api.post("buckets/w/events", [ev("2024-01-01T10:00:00Z", 60, {"a": 1})]).json()[0]
    assert named(api, SUM) == 60
    hits = cache.hits
    assert named(api, SUM) == 60
    assert cache.hits == hits + 1  # served from the cache

    # writes elsewhere keep it: another bucket, another day of this bucket
    api.post("buckets/afk/events", [ev("2024-01-01T10:00:00Z", 60)])
    api.post("buckets/w/events", [ev("2023-12-25T10:00:00Z", 60, {"a": 1})])
    assert named(api, SUM) == 60
    assert cache.hits == hits + 2

    # every kind of write to this bucket in this period shows at once
    api.post("buckets/w/events", [ev("2024-01-01T11:00:00Z", 30, {"a": 2})])
    assert named(api, SUM) == 90
    api.post(
        "buckets/w/heartbeat", ev("2024-01-01T11:00:20Z", 20, {"a": 2}), params={"pulsetime": 60}
    )
    assert named(api, SUM) == 100
    replaced = {**first, "duration": 10}
    assert api.post("buckets/w/events", [replaced]).status_code == 200
    assert named(api, SUM) == 50
    assert api.delete(f"buckets/w/events/{first['id']}").status_code == 200
    assert named(api, SUM) == 40

    # an event replaced into another day leaves this day's result right too
    moved = api.post("buckets/w/events", [ev("2024-01-01T15:00:00Z", 5, {"a": 3})]).json()[0]
    assert named(api, SUM) == 45
    api.post("buckets/w/events", [{**moved, "timestamp": "2024-01-02T15:00:00Z"}])
    assert named(api, SUM) == 40
    assert named(api, SUM, NEXT_DAY) == 5


def test_bucket_changes_invalidate_find_bucket_results(api: Api, app: Flask) -> None:
    api.create_bucket("w-late")
    api.post("buckets/w-late/events", [ev("2024-01-01T10:00:00Z", 60)])
    assert named(api, FIND) == 60
    api.create_bucket("w")  # an exact match now wins
    assert named(api, FIND) == 0
    api.delete("buckets/w", params={"force": "1"})
    assert named(api, FIND) == 60
    api.post(
        "import",
        {
            "buckets": {
                "w": {
                    "id": "w",
                    "type": "t",
                    "client": "c",
                    "hostname": "h",
                    "created": "2024-01-01T00:00:00Z",
                    "events": [ev("2024-01-01T12:00:00Z", 7)],
                }
            }
        },
    )
    assert named(api, FIND) == 7

    # a bucket's hostname changes which bucket find_bucket picks on that host
    on_host = ['RETURN = sum_durations(query_bucket(find_bucket("w", "elsewhere")));']
    r = api.post("query/", {"query": on_host, "timeperiods": [DAY]}, params={"name": "view"})
    assert r.status_code == 400  # no bucket on that host yet
    assert api.put("buckets/w-late", {"hostname": "elsewhere"}).status_code == 200
    assert named(api, on_host) == 60
    assert api.put("buckets/w-late", {"hostname": "h"}).status_code == 200
    api.put("buckets/w", {"hostname": "elsewhere"})
    assert named(api, on_host) == 7


def test_unnamed_current_and_failing_queries_are_not_cached(api: Api, app: Flask) -> None:
    cache = cache_of(app)
    api.create_bucket("w")
    named(api, SUM, name=None)
    named(api, SUM, "2024-01-01T00:00:00Z/2999-01-01T00:00:00Z")  # not wholly in the past
    r = api.post("query/", {"query": ['RETURN = query_bucket("nope");'], "timeperiods": [DAY]})
    assert r.status_code == 400
    assert len(cache) == 0
    named(api, SUM)
    assert len(cache) == 1


def test_a_merged_heartbeat_invalidates_only_the_time_it_adds(api: Api, app: Flask) -> None:
    cache = cache_of(app)
    api.create_bucket("w")
    api.post("buckets/w/events", [ev("2024-01-01T23:59:50Z", 0, {"a": 1})])

    def beat(ts: str) -> None:
        r = api.post("buckets/w/heartbeat", ev(ts, 0, {"a": 1}), params={"pulsetime": 60})
        assert r.status_code == 200

    assert named(api, SUM) == 0
    beat("2024-01-02T00:00:30Z")  # the event now runs past midnight: its last 10 s are in DAY
    assert named(api, SUM) == 10
    hits = cache.hits
    assert named(api, SUM) == 10 and cache.hits == hits + 1
    beat("2024-01-02T00:01:00Z")  # adds time after DAY only: the cached result stays right
    assert named(api, SUM) == 10 and cache.hits == hits + 2
    assert named(api, SUM, NEXT_DAY) == 60


COUNT = ['RETURN = query_bucket_eventcount("w");']


def cached_count(api: Api, app: Flask, period: str = DAY) -> Any:
    """The named count for the period, asked twice: the second answer comes from the cache."""
    cache = cache_of(app)
    first = named(api, COUNT, period)
    hits = cache.hits
    assert named(api, COUNT, period) == first and cache.hits == hits + 1
    return first


def test_a_write_exactly_at_a_cached_period_bound_invalidates_it(api: Api, app: Flask) -> None:
    """Bounds are inclusive, so an event that only touches a period is in its result."""
    api.create_bucket("w")
    api.post("buckets/w/events", [ev("2024-01-01T10:00:00Z", 60)])
    assert cached_count(api, app) == 1
    api.post("buckets/w/events", [ev("2024-01-02T00:00:00Z", 0)])  # zero-length at the end
    assert cached_count(api, app) == 2
    api.post("buckets/w/events", [ev("2024-01-02T00:00:00Z", 90)])  # starts at the end
    assert cached_count(api, app) == 3
    api.post("buckets/w/events", [ev("2023-12-31T23:59:00Z", 60)])  # ends at the start
    assert cached_count(api, app) == 4
    api.post("buckets/w/events", [ev("2024-01-01T00:00:00Z", 0)])  # zero-length at the start
    assert cached_count(api, app) == 5
    api.post("buckets/w/events", [ev("2023-12-31T23:58:00Z", 59)])  # ends a second before
    assert cached_count(api, app) == 5


def test_a_heartbeat_merged_up_to_a_cached_period_start_invalidates_it(
    api: Api, app: Flask
) -> None:
    api.create_bucket("w")
    api.post("buckets/w/events", [ev("2024-01-01T23:59:00Z", 30, {"a": 1})])
    assert cached_count(api, app, NEXT_DAY) == 0
    r = api.post(
        "buckets/w/heartbeat", ev("2024-01-01T23:59:40Z", 20, {"a": 1}), params={"pulsetime": 60}
    )
    assert r.status_code == 200 and r.json()["duration"] == 60  # now ends exactly at midnight
    assert cached_count(api, app, NEXT_DAY) == 1
