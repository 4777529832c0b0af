from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from aw_core.models import Event, event_from_api
from aw_core.timeutil import format_datetime, from_us, parse_datetime, parse_seconds, to_us

UTC = UTC


def test_timestamp_strings_are_converted_to_utc() -> None:
    e = Event(timestamp="2024-01-01T12:00:00.123456+02:00", duration=1.5)
    assert e.timestamp == datetime(2024, 1, 1, 10, 0, 0, 123456, tzinfo=UTC)
    assert e.timestamp.tzinfo is UTC


def test_naive_timestamp_means_utc() -> None:
    assert Event(timestamp=datetime(2024, 1, 1, 12)).timestamp == datetime(
        2024, 1, 1, 12, tzinfo=UTC
    )
    assert Event(timestamp="2024-01-01T12:00:00").timestamp == datetime(2024, 1, 1, 12, tzinfo=UTC)


def test_z_suffix_and_offsets() -> None:
    assert parse_datetime("2024-01-01T00:00:00Z") == parse_datetime("2024-01-01T01:00:00+01:00")


def test_duration_from_number_or_timedelta() -> None:
    assert Event(timestamp="2024-01-01T00:00:00Z", duration=2).duration == timedelta(seconds=2)
    assert Event(
        timestamp="2024-01-01T00:00:00Z", duration=timedelta(minutes=1)
    ).duration == timedelta(seconds=60)
    with pytest.raises(ValueError):
        Event(timestamp="2024-01-01T00:00:00Z", duration="5")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Event(timestamp="2024-01-01T00:00:00Z", duration=float("nan"))


def test_to_json_dict_shape() -> None:
    e = Event(id=3, timestamp="2024-01-01T12:00:00.5+00:00", duration=1.25, data={"app": "x"})
    assert e.to_json_dict() == {
        "id": 3,
        "timestamp": "2024-01-01T12:00:00.500000+00:00",
        "duration": 1.25,
        "data": {"app": "x"},
    }
    assert json.loads(e.to_json_str()) == e.to_json_dict()


def test_equality_ignores_id() -> None:
    a = Event(id=1, timestamp="2024-01-01T00:00:00Z", duration=1, data={"a": 1})
    b = Event(id=2, timestamp="2024-01-01T00:00:00+00:00", duration=1.0, data={"a": 1})
    assert a == b
    assert a != b.replace(duration=2)
    assert a != b.replace(data={"a": 2})
    assert a != b.replace(timestamp="2024-01-01T00:00:01Z")


def test_defaults() -> None:
    before = datetime.now(UTC)
    e = Event()
    assert before <= e.timestamp <= datetime.now(UTC)
    assert e.duration == timedelta(0)
    assert e.data == {} and e.id is None


def test_microsecond_round_trip() -> None:
    dt = datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)
    assert from_us(to_us(dt)) == dt
    assert format_datetime(dt) == "2024-05-06T07:08:09.123456+00:00"
    old = datetime(1900, 1, 1, tzinfo=UTC)
    assert from_us(to_us(old)) == old


@pytest.mark.parametrize(
    "obj, message",
    [
        ([], "must be a JSON object"),
        ({}, "missing 'timestamp'"),
        ({"timestamp": 5}, "must be an ISO 8601 string"),
        ({"timestamp": "yesterday"}, "invalid ISO 8601"),
        ({"timestamp": "2024-13-01T00:00:00Z"}, "invalid ISO 8601"),
        ({"timestamp": "0001-01-01T00:00:00+01:00"}, "out of range"),
        ({"timestamp": "2024-01-01T00:00:00Z", "duration": -1}, ">= 0"),
        ({"timestamp": "2024-01-01T00:00:00Z", "duration": "1"}, "must be a number"),
        ({"timestamp": "2024-01-01T00:00:00Z", "duration": True}, "must be a number"),
        ({"timestamp": "2024-01-01T00:00:00Z", "duration": 1e300}, "out of range"),
        ({"timestamp": "9999-12-31T23:59:59Z", "duration": 10}, "representable"),
        ({"timestamp": "2024-01-01T00:00:00Z", "data": []}, "'data' must be an object"),
        ({"timestamp": "2024-01-01T00:00:00Z", "data": "x"}, "'data' must be an object"),
        ({"timestamp": "2024-01-01T00:00:00Z", "id": "7"}, "'id' must be an integer"),
    ],
)
def test_event_from_api_rejects(obj: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        event_from_api(obj)


def test_event_from_api_defaults_and_ignores_unknown_keys() -> None:
    e = event_from_api(
        {"timestamp": "2024-01-01T00:00:00Z", "extra": 1, "duration": None, "data": None}
    )
    assert e.duration == timedelta(0) and e.data == {}
    assert event_from_api({"timestamp": "2024-01-01T00:00:00Z", "id": 4}).id == 4
    assert event_from_api({"timestamp": "2024-01-01T00:00:00Z", "id": 4}, allow_id=False).id is None


def test_parse_seconds() -> None:
    assert parse_seconds("1.5", "p") == 1.5
    assert parse_seconds(0, "p") == 0.0
    for bad in ("x", "-1", "nan", "inf", True, None):
        with pytest.raises(ValueError):
            parse_seconds(bad, "p")


def test_duration_us_from_seconds_matches_timedelta_rounding() -> None:
    from aw_core.timeutil import duration_us_from_seconds

    for seconds in (0, 1, 7, 0.5, 1.0000005, 2.0000015, 1e-7, 123456.789, 86400 * 365):
        expected = timedelta(seconds=seconds) // timedelta(microseconds=1)
        assert duration_us_from_seconds(seconds) == expected
    for bad in (True, None, "1", float("nan"), float("inf"), 10**20, 1e20):
        with pytest.raises(ValueError):
            duration_us_from_seconds(bad)
