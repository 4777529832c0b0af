from __future__ import annotations

import copy
from datetime import timedelta

from aw_core.heartbeat import heartbeat_merge, heartbeat_reduce
from aw_core.models import Event


def hb(seconds: float, duration: float = 0, data: dict[str, object] | None = None) -> Event:
    ts = Event(timestamp="2024-01-01T12:00:00Z").timestamp + timedelta(seconds=seconds)
    return Event(timestamp=ts, duration=duration, data=data if data is not None else {"a": 1})


def test_merge_within_pulsetime() -> None:
    last = hb(0, 5)
    merged = heartbeat_merge(last, hb(7), pulsetime=2)
    assert merged is not None
    assert merged.timestamp == last.timestamp
    assert merged.duration == timedelta(seconds=7)


def test_no_merge_beyond_pulsetime() -> None:
    assert heartbeat_merge(hb(0, 5), hb(8), pulsetime=2) is None


def test_pulsetime_bound_is_inclusive() -> None:
    assert heartbeat_merge(hb(0, 5), hb(7.0), pulsetime=2.0) is not None


def test_older_heartbeat_never_merges() -> None:
    assert heartbeat_merge(hb(10, 5), hb(9), pulsetime=100) is None


def test_same_timestamp_merges() -> None:
    merged = heartbeat_merge(hb(0, 0), hb(0), pulsetime=0)
    assert merged is not None and merged.duration == timedelta(0)


def test_different_data_never_merges() -> None:
    assert heartbeat_merge(hb(0, 5), hb(1, data={"a": 2}), pulsetime=10) is None


def test_data_equality_is_deep_and_order_free() -> None:
    last = hb(0, 1, data={"x": {"b": [1, 2], "a": 1}})
    assert heartbeat_merge(last, hb(1, data={"x": {"a": 1, "b": [1, 2]}}), pulsetime=1) is not None


def test_heartbeat_with_duration_extends_but_never_shortens() -> None:
    merged = heartbeat_merge(hb(0, 10), hb(2, 3), pulsetime=1)
    assert merged is not None and merged.duration == timedelta(seconds=10)
    merged = heartbeat_merge(hb(0, 10), hb(8, 5), pulsetime=1)
    assert merged is not None and merged.duration == timedelta(seconds=13)


def test_merge_keeps_last_id_and_is_pure() -> None:
    last = hb(0, 5)
    last.id = 42
    new = hb(6)
    before = (copy.deepcopy(last.to_json_dict()), copy.deepcopy(new.to_json_dict()))
    merged = heartbeat_merge(last, new, pulsetime=5)
    assert merged is not None and merged.id == 42 and merged is not last
    assert (last.to_json_dict(), new.to_json_dict()) == before


def test_reduce() -> None:
    events = [
        hb(0),
        hb(1),
        hb(2),
        hb(3, data={"a": 2}),
        hb(4, data={"a": 2}),
        hb(20, data={"a": 2}),
    ]
    snapshot = [e.to_json_dict() for e in events]
    reduced = heartbeat_reduce(events, pulsetime=1.5)
    assert [(e.duration.total_seconds(), e.data) for e in reduced] == [
        (2.0, {"a": 1}),
        (1.0, {"a": 2}),
        (0.0, {"a": 2}),
    ]
    assert [e.to_json_dict() for e in events] == snapshot
    assert heartbeat_reduce([], 1) == []
