"""The WakaTime read models: texts, days of a time zone, SummariesData, summaries, stats, ranges."""

from __future__ import annotations

import json
import random
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from aw_core.timeutil import to_us
from aw_server.wakatime.model import Heartbeat
from aw_server.wakatime.summaries import (
    DIMENSIONS,
    MAX_DAYS,
    US,
    RangeError,
    Slice,
    all_time_response,
    canonical_range,
    category_name,
    day_bounds,
    day_text,
    day_totals,
    decimal_text,
    digital_text,
    duration_text,
    filter_slices,
    format_day,
    local_day,
    midnight_us,
    parse_day,
    parse_range,
    parse_start_end,
    range_title,
    split_days,
    stats_response,
    statusbar_response,
    summaries_data,
    summaries_response,
    zone,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
HOUR = 3600 * US


def at(tz: ZoneInfo, year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> int:
    """Epoch microseconds of a local wall-clock time (the first one where it repeats)."""
    return to_us(datetime(year, month, day, hour, minute, tzinfo=tz))


def piece(start_us: int, seconds: float, **fields: Any) -> Slice:
    values: dict[str, Any] = {
        "machine": "devbox",
        "entity": "/home/ann/proj/main.py",
        "project": "proj",
        "language": "Python",
        "editor": "vim",
        "os": "Linux",
        "category": "coding",
        "branch": "main",
        "dependencies": (),
    }
    values.update(fields)
    return Slice(start_us=start_us, duration_us=round(seconds * US), **values)


def names(entries: list[dict[str, Any]]) -> list[str]:
    return [entry["name"] for entry in entries]


def seconds_of(entries: list[dict[str, Any]]) -> dict[str, float]:
    return {entry["name"]: entry["total_seconds"] for entry in entries}


# --- texts ------------------------------------------------------------------------------------

TEXTS = [
    (0, "0 secs", "0:00", "0:00:00", "0.00"),
    (0.9, "0 secs", "0:00", "0:00:00", "0.00"),
    (1, "1 sec", "0:00", "0:00:01", "0.00"),
    (7.100772, "7 secs", "0:00", "0:00:07", "0.00"),  # WakaTime: Debugging, 7 secs
    (59.99, "59 secs", "0:00", "0:00:59", "0.00"),
    (60, "1 min", "0:01", "0:01:00", "0.02"),
    (101.764, "1 min", "0:01", "0:01:41", "0.02"),  # WakaTime: "1 min" for 0:01:41
    (120, "2 mins", "0:02", "0:02:00", "0.03"),
    (2946.01205, "49 mins", "0:49", "0:49:06", "0.82"),  # WakaTime: io, 49 mins, 0.82
    (3599, "59 mins", "0:59", "0:59:59", "0.98"),
    (3600, "1 hr", "1:00", "1:00:00", "1.00"),
    (3638.269, "1 hr", "1:00", "1:00:38", "1.00"),  # WakaTime: XML, "1 hr"
    (3660, "1 hr 1 min", "1:01", "1:01:00", "1.02"),
    (4544.055638, "1 hr 15 mins", "1:15", "1:15:44", "1.25"),  # WakaTime: 1 hr 15 mins, 1.25
    (7200, "2 hrs", "2:00", "2:00:00", "2.00"),
    (7507, "2 hrs 5 mins", "2:05", "2:05:07", "2.08"),
    (7559, "2 hrs 5 mins", "2:05", "2:05:59", "2.08"),  # truncated, not rounded
    (8256.598234, "2 hrs 17 mins", "2:17", "2:17:36", "2.28"),  # WakaTime's grand total
    (36461.539, "10 hrs 7 mins", "10:07", "10:07:41", "10.12"),
    (90000, "25 hrs", "25:00", "25:00:00", "25.00"),
    (-5, "0 secs", "0:00", "0:00:00", "0.00"),
    (float("nan"), "0 secs", "0:00", "0:00:00", "0.00"),
]


@pytest.mark.parametrize(("seconds", "text", "digital", "digital_s", "decimal"), TEXTS)
def test_texts_like_wakatime(
    seconds: float, text: str, digital: str, digital_s: str, decimal: str
) -> None:
    assert duration_text(seconds) == text
    assert digital_text(seconds) == digital
    assert digital_text(seconds, with_seconds=True) == digital_s
    assert decimal_text(seconds) == decimal


def test_entry_matches_a_real_wakatime_entry() -> None:
    # from a WakaTime status bar answer: Coding, 8256.598234 s
    day = date(2023, 1, 29)
    tz = ZoneInfo("America/Sao_Paulo")
    data = summaries_data([piece(midnight_us(day, tz) + HOUR, 8256.598234)], day, tz)
    coding = data["categories"][0]
    assert coding == {
        "name": "Coding",
        "total_seconds": 8256.598234,
        "percent": 100.0,
        "digital": "2:17:36",
        "decimal": "2.28",
        "text": "2 hrs 17 mins",
        "hours": 2,
        "minutes": 17,
        "seconds": 36,
    }
    assert data["grand_total"] == {
        "digital": "2:17",
        "decimal": "2.28",
        "hours": 2,
        "minutes": 17,
        "text": "2 hrs 17 mins",
        "total_seconds": 8256.598234,
    }
    # WakaTime's range of that day in that zone, to the character
    assert data["range"] == {
        "date": "2023-01-29",
        "start": "2023-01-29T03:00:00Z",
        "end": "2023-01-30T02:59:59Z",
        "text": "Sun Jan 29th 2023",
        "timezone": "America/Sao_Paulo",
    }


@pytest.mark.parametrize(
    ("day", "text"),
    [
        (date(2023, 2, 5), "Sun Feb 5th 2023"),
        (date(2019, 9, 30), "Mon Sep 30th 2019"),
        (date(2024, 3, 1), "Fri Mar 1st 2024"),
        (date(2024, 3, 2), "Sat Mar 2nd 2024"),
        (date(2024, 3, 3), "Sun Mar 3rd 2024"),
        (date(2024, 3, 11), "Mon Mar 11th 2024"),
        (date(2024, 3, 12), "Tue Mar 12th 2024"),
        (date(2024, 3, 13), "Wed Mar 13th 2024"),
        (date(2024, 3, 21), "Thu Mar 21st 2024"),
        (date(2024, 3, 22), "Fri Mar 22nd 2024"),
        (date(2024, 3, 23), "Sat Mar 23rd 2024"),
        (date(2024, 3, 31), "Sun Mar 31st 2024"),
    ],
)
def test_day_text(day: date, text: str) -> None:
    assert day_text(day) == text


def test_category_names_as_wakatime_shows_them() -> None:
    assert category_name("coding") == "Coding"
    assert category_name("code reviewing") == "Code Reviewing"
    assert category_name("ai coding") == "AI Coding"
    assert category_name("") == "Unknown"


# --- days of a time zone ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tz", "day", "hours"),
    [
        (BERLIN, date(2024, 3, 31), 23),
        (BERLIN, date(2024, 10, 27), 25),
        (BERLIN, date(2024, 6, 1), 24),
        (NEW_YORK, date(2024, 3, 10), 23),
        (NEW_YORK, date(2024, 11, 3), 25),
    ],
)
def test_dst_days_last_23_or_25_hours(tz: ZoneInfo, day: date, hours: int) -> None:
    start, end = day_bounds(day, day, tz)
    assert end - start == hours * HOUR
    # a slice over the whole day and an hour on each side: the day gets exactly its own hours
    before, after = day - timedelta(days=1), day + timedelta(days=1)
    whole = piece(start - HOUR, (end - start + 2 * HOUR) / US)
    days = day_totals([whole], before, after, tz)
    assert [d.total_us for d in days] == [HOUR, hours * HOUR, HOUR]


@pytest.mark.parametrize(
    ("tz", "day", "start_text", "end_text"),
    [
        (BERLIN, date(2024, 3, 31), "2024-03-30T23:00:00Z", "2024-03-31T21:59:59Z"),
        (BERLIN, date(2024, 10, 27), "2024-10-26T22:00:00Z", "2024-10-27T22:59:59Z"),
        (NEW_YORK, date(2024, 3, 10), "2024-03-10T05:00:00Z", "2024-03-11T03:59:59Z"),
        (NEW_YORK, date(2024, 11, 3), "2024-11-03T04:00:00Z", "2024-11-04T04:59:59Z"),
    ],
)
def test_range_of_a_dst_day(tz: ZoneInfo, day: date, start_text: str, end_text: str) -> None:
    rng = summaries_data([], day, tz)["range"]
    assert (rng["start"], rng["end"], rng["timezone"]) == (start_text, end_text, tz.key)


def test_split_at_midnight_keeps_fields_and_time() -> None:
    start = at(NEW_YORK, 2024, 11, 2, 23, 30)  # two hours: 30 min on the 2nd, 90 on the 3rd
    slice_ = piece(start, 2 * 3600, project="p", dependencies=("flask",))
    days = split_days([slice_], date(2024, 11, 2), date(2024, 11, 3), NEW_YORK)
    assert [[s.duration_us for s in day] for day in days] == [[HOUR // 2], [HOUR + HOUR // 2]]
    first, second = days[0][0], days[1][0]
    assert first.start_us == start and second.start_us == at(NEW_YORK, 2024, 11, 3)
    assert second.project == "p" and second.dependencies == ("flask",)
    # a slice inside one day is passed on as it is
    inside = piece(at(NEW_YORK, 2024, 11, 3, 12), 60)
    assert split_days([inside], date(2024, 11, 3), date(2024, 11, 3), NEW_YORK) == [[inside]]


def test_day_begins_where_midnight_does_not_exist() -> None:
    # Chile moves its clocks from 00:00 to 01:00: 2024-09-08 begins at 01:00 local, 04:00 UTC
    santiago = ZoneInfo("America/Santiago")
    bounds = day_bounds(date(2024, 9, 8), date(2024, 9, 8), santiago)
    assert bounds[0] == to_us(datetime(2024, 9, 8, 4, tzinfo=UTC))
    assert bounds[1] - bounds[0] == 23 * HOUR


def test_local_day() -> None:
    instant = to_us(datetime(2024, 3, 30, 23, 30, tzinfo=UTC))
    assert local_day(instant, BERLIN) == date(2024, 3, 31)
    assert local_day(instant, NEW_YORK) == date(2024, 3, 30)


def test_slice_over_many_days_is_cut_into_each() -> None:
    start = at(BERLIN, 2024, 3, 29, 12)
    days = day_totals([piece(start, 3 * 24 * 3600)], date(2024, 3, 29), date(2024, 4, 2), BERLIN)
    # 72 real hours from noon: 12 h, 24 h, 23 h (the DST day), and the remaining 13 h
    assert [d.total_us // HOUR for d in days] == [12, 24, 23, 13, 0]
    assert sum(d.total_us for d in days) == 72 * HOUR


def test_time_outside_the_day_is_ignored() -> None:
    day = date(2024, 6, 1)
    midnight = at(BERLIN, 2024, 6, 1)
    slices = [
        piece(midnight - 2 * HOUR, 600, project="yesterday"),  # all before the day
        piece(midnight - 300 * US, 600, project="over-midnight"),  # half of it inside
        piece(midnight + 24 * HOUR, 600, project="tomorrow"),  # the next day's first instant
        piece(midnight + 24 * HOUR - 60 * US, 600, project="late"),  # its first minute inside
        piece(midnight + HOUR, 0, project="nothing"),  # no length
        piece(midnight + HOUR, -5, project="negative"),
    ]
    data = summaries_data(slices, day, BERLIN)
    assert seconds_of(data["projects"]) == {"over-midnight": 300.0, "late": 60.0}
    assert data["grand_total"]["total_seconds"] == 360.0


# --- SummariesData ----------------------------------------------------------------------------


def test_percent_and_order() -> None:
    day = date(2024, 6, 1)
    t = at(BERLIN, 2024, 6, 1, 9)
    slices = [
        piece(t, 1800, project="b"),
        piece(t + HOUR, 1800, project="c"),
        piece(t + 2 * HOUR, 3600, project="a"),
        piece(t + 3 * HOUR, 1200, project="b", language="Go"),
    ]
    data = summaries_data(slices, day, BERLIN)
    assert [(e["name"], e["percent"]) for e in data["projects"]] == [
        ("a", 42.86),
        ("b", 35.71),
        ("c", 21.43),
    ]
    assert names(data["languages"]) == ["Python", "Go"]
    # equal totals: by name
    tie = summaries_data(
        [piece(t, 60, project="zeta"), piece(t + HOUR, 60, project="alpha")], day, BERLIN
    )
    assert [(e["name"], e["percent"]) for e in tie["projects"]] == [
        ("alpha", 50.0),
        ("zeta", 50.0),
    ]
    third = summaries_data(
        [piece(t + i * HOUR, 60, project=f"p{i}") for i in range(3)], day, BERLIN
    )
    assert [e["percent"] for e in third["projects"]] == [33.33, 33.33, 33.33]


def test_every_list_is_filled_from_its_field() -> None:
    day = date(2024, 6, 1)
    slice_ = piece(
        at(BERLIN, 2024, 6, 1, 9),
        600,
        machine="m1",
        entity="/e.py",
        project="p",
        language="Rust",
        editor="VS Code",
        os="macOS",
        category="debugging",
        branch="dev",
        dependencies=("serde",),
    )
    data = summaries_data([slice_], day, BERLIN)
    assert {name: names(data[name]) for name in DIMENSIONS} == {
        "projects": ["p"],
        "languages": ["Rust"],
        "editors": ["VS Code"],
        "operating_systems": ["macOS"],
        "machines": ["m1"],
        "categories": ["Debugging"],
        "branches": ["dev"],
        "entities": ["/e.py"],
        "dependencies": ["serde"],
    }


def test_null_names_are_unknown() -> None:
    day = date(2024, 6, 1)
    t = at(BERLIN, 2024, 6, 1, 9)
    slices = [
        piece(t, 60, project=None, language=None, editor="", os=None, branch=None),
        piece(t + 60 * US, 60, project="Unknown"),  # the same name: one entry
        piece(t + HOUR, 60),
    ]
    data = summaries_data(slices, day, BERLIN)
    assert seconds_of(data["projects"]) == {"Unknown": 120.0, "proj": 60.0}
    for name in ("languages", "editors", "operating_systems", "branches"):
        assert "Unknown" in names(data[name])


def test_dependencies_share_their_files_time() -> None:
    day = date(2024, 6, 1)
    t = at(BERLIN, 2024, 6, 1, 9)
    slices = [
        piece(t, 100, dependencies=("flask", "requests")),
        piece(t + HOUR, 100, dependencies=("flask", "flask", "")),  # listed twice: counted once
        piece(t + 2 * HOUR, 100),
    ]
    data = summaries_data(slices, day, BERLIN)
    assert [(e["name"], e["total_seconds"], e["percent"]) for e in data["dependencies"]] == [
        ("flask", 200.0, 66.67),
        ("requests", 100.0, 33.33),
    ]
    assert data["grand_total"]["total_seconds"] == 300.0


def test_totals_of_a_day_equal_the_sum_of_its_slices() -> None:
    rng = random.Random(13)
    start, end = date(2024, 3, 29), date(2024, 4, 2)
    lo, hi = midnight_us(start, BERLIN), midnight_us(end + timedelta(days=1), BERLIN)
    slices = [
        piece(
            rng.randrange(lo - 2 * HOUR, hi),
            rng.uniform(0, 900),
            project=rng.choice(["a", "b", None]),
            language=rng.choice(["Python", "Go", None]),
            machine=rng.choice(["m1", "m2"]),
            entity=f"/f{rng.randrange(5)}",
            category=rng.choice(["coding", "debugging"]),
        )
        for _ in range(2000)
    ]
    per_day = split_days(slices, start, end, BERLIN)
    totals = day_totals(slices, start, end, BERLIN)
    clipped = sum(
        min(s.start_us + s.duration_us, hi) - max(s.start_us, lo)
        for s in slices
        if min(s.start_us + s.duration_us, hi) > max(s.start_us, lo)
    )
    assert sum(d.total_us for d in totals) == clipped
    for day_slices, day in zip(per_day, totals, strict=True):
        assert day.total_us == sum(s.duration_us for s in day_slices)
        data = format_day(day, BERLIN)
        for name in DIMENSIONS[:-1]:  # every list but dependencies covers all of the day
            listed = sum(round(e["total_seconds"] * US) for e in data[name])
            assert listed == day.total_us, name
    # given in any order, the same totals
    shuffled = slices[:]
    rng.shuffle(shuffled)
    assert day_totals(shuffled, start, end, BERLIN) == totals


def test_a_day_with_nothing() -> None:
    data = summaries_data([], date(2024, 6, 1), BERLIN)
    assert data["grand_total"] == {
        "digital": "0:00",
        "decimal": "0.00",
        "hours": 0,
        "minutes": 0,
        "text": "0 secs",
        "total_seconds": 0.0,
    }
    assert all(data[name] == [] for name in DIMENSIONS)
    assert data["range"]["date"] == "2024-06-01"


def test_types_the_go_cli_decodes() -> None:
    # wakatime-cli unmarshals hours/minutes/seconds into int and every range field into a string
    data = summaries_data([piece(at(BERLIN, 2024, 6, 1, 9), 4429.475)], date(2024, 6, 1), BERLIN)
    decoded = json.loads(json.dumps(data))
    for name in DIMENSIONS:
        for entry in decoded[name]:
            assert all(type(entry[k]) is int for k in ("hours", "minutes", "seconds"))
            assert all(type(entry[k]) is str for k in ("name", "digital", "decimal", "text"))
            assert type(entry["percent"]) is float and type(entry["total_seconds"]) is float
    assert all(type(value) is str for value in decoded["range"].values())
    assert type(decoded["grand_total"]["hours"]) is int


# --- responses --------------------------------------------------------------------------------


def three_days() -> tuple[list[Any], date, date]:
    start, end = date(2024, 6, 1), date(2024, 6, 3)
    slices = [
        piece(at(BERLIN, 2024, 6, 1, 9), 3600, project="a"),
        piece(at(BERLIN, 2024, 6, 3, 9), 1200, project="b"),
        piece(at(BERLIN, 2024, 6, 3, 10), 600, project="a", category="debugging"),
    ]
    return day_totals(slices, start, end, BERLIN), start, end


def test_summaries_cumulative_total_and_daily_average() -> None:
    days, _, _ = three_days()
    response = summaries_response(days, BERLIN)
    assert [d["range"]["date"] for d in response["data"]] == [
        "2024-06-01",
        "2024-06-02",
        "2024-06-03",
    ]
    assert response["start"] == "2024-05-31T22:00:00Z"
    assert response["end"] == "2024-06-03T21:59:59Z"
    assert response["cumulative_total"] == {
        "seconds": 5400.0,
        "text": "1 hr 30 mins",
        "decimal": "1.50",
        "digital": "1:30",
    }
    # as WakaTime: the day without coding time is a "holiday", left out of the average
    assert response["daily_average"] == {
        "holidays": 1,
        "days_including_holidays": 3,
        "days_minus_holidays": 2,
        "seconds": 2700,
        "text": "45 mins",
        "seconds_including_other_language": 2700,
        "text_including_other_language": "45 mins",
    }


def test_summaries_of_days_without_coding() -> None:
    days = day_totals([], date(2024, 6, 1), date(2024, 6, 2), BERLIN)
    response = summaries_response(days, BERLIN)
    assert response["cumulative_total"]["text"] == "0 secs"
    assert response["daily_average"]["seconds"] == 0
    assert response["daily_average"]["days_minus_holidays"] == 0
    with pytest.raises(ValueError):
        summaries_response([], BERLIN)


def render_like_go_cli(answer: dict[str, Any]) -> str:
    """What ``wakatime-cli --today`` prints of a status bar answer."""
    data = answer["data"]
    if len(data["categories"]) < 2:
        return str(data["grand_total"]["text"])
    return ", ".join(f"{c['text']} {c['name']}" for c in data["categories"])


def test_statusbar_today() -> None:
    days, _, _ = three_days()
    now = to_us(datetime(2024, 6, 3, 17, 32, 5, 250000, tzinfo=UTC))
    answer = statusbar_response(days[2], BERLIN, now)
    assert answer["cached_at"] == "2024-06-03T17:32:05Z"
    assert answer["data"]["range"]["date"] == "2024-06-03"
    assert answer["data"]["grand_total"]["text"] == "30 mins"
    assert render_like_go_cli(answer) == "20 mins Coding, 10 mins Debugging"
    assert render_like_go_cli(statusbar_response(days[0], BERLIN, now)) == "1 hr"


def test_stats_shape_and_sums() -> None:
    days, _, _ = three_days()
    now = to_us(datetime(2024, 6, 3, 18, tzinfo=UTC))
    answer = stats_response(
        days, BERLIN, range_name="7_days", today=date(2024, 6, 3), now_us=now, timeout_s=600
    )
    data = answer["data"]
    assert set(data) >= {
        "total_seconds",
        "daily_average",
        "human_readable_total",
        "human_readable_daily_average",
        "projects",
        "languages",
        "editors",
        "operating_systems",
        "machines",
        "categories",
        "dependencies",
        "branches",
        "start",
        "end",
        "range",
        "human_readable_range",
        "timezone",
        "best_day",
        "holidays",
        "days_including_holidays",
        "days_minus_holidays",
        "is_up_to_date",
    }
    assert "entities" not in data
    assert data["total_seconds"] == 5400.0
    assert data["human_readable_total"] == "1 hr 30 mins"
    assert data["daily_average"] == 2700.0
    assert data["human_readable_daily_average"] == "45 mins"
    assert (data["range"], data["human_readable_range"]) == ("last_7_days", "Last 7 Days")
    assert seconds_of(data["projects"]) == {"a": 4200.0, "b": 1200.0}
    assert [e["percent"] for e in data["projects"]] == [77.78, 22.22]
    assert data["best_day"] == {"date": "2024-06-01", "text": "1 hr", "total_seconds": 3600.0}
    assert (data["start"], data["end"]) == ("2024-05-31T22:00:00Z", "2024-06-03T21:59:59Z")
    assert data["timezone"] == "Europe/Berlin" and data["timeout"] == 10
    assert data["is_including_today"] is True
    empty = day_totals([], date(2024, 6, 1), date(2024, 6, 1), BERLIN)
    nothing = stats_response(
        empty, BERLIN, range_name="today", today=date(2024, 6, 1), now_us=now, timeout_s=600
    )["data"]
    assert nothing["best_day"] is None and nothing["human_readable_total"] == "0 secs"


def test_all_time_since_today() -> None:
    days, _, _ = three_days()
    data = all_time_response(days, BERLIN, timeout_s=900)["data"]
    assert data["total_seconds"] == 5400.0
    assert (data["text"], data["decimal"], data["digital"]) == ("1 hr 30 mins", "1.50", "1:30")
    assert data["daily_average"] == 2700.0
    assert data["is_up_to_date"] is True and data["timeout"] == 15
    assert data["range"] == {
        "start": "2024-05-31T22:00:00Z",
        "start_date": "2024-06-01",
        "start_text": "Sat Jun 1st 2024",
        "end": "2024-06-03T21:59:59Z",
        "end_date": "2024-06-03",
        "end_text": "Mon Jun 3rd 2024",
        "timezone": "Europe/Berlin",
    }


def test_filters() -> None:
    t = at(BERLIN, 2024, 6, 1, 9)
    slices = [
        piece(t, 60, project="a", os="Linux"),
        piece(t + HOUR, 60, project=None, os="macOS"),
        piece(t + 2 * HOUR, 60, project="a", category="debugging", machine="m2"),
    ]
    assert filter_slices(slices, {"project": "a"}) == [slices[0], slices[2]]
    assert filter_slices(slices, {"project": "Unknown"}) == [slices[1]]
    assert filter_slices(slices, {"operating_system": "macOS"}) == [slices[1]]
    assert filter_slices(slices, {"category": "Debugging"}) == [slices[2]]
    assert filter_slices(slices, {"category": "debugging", "machine": "m2"}) == [slices[2]]
    assert filter_slices(slices, {"project": "a", "machine": "devbox"}) == [slices[0]]
    assert filter_slices(slices, {}) == slices


def test_slice_of_a_heartbeat() -> None:
    heartbeat = Heartbeat(
        machine="devbox",
        time_us=1_700_000_000_000_000,
        entity="/x.py",
        type="file",
        category="coding",
        project="p",
        branch="b",
        language="Python",
        editor="vim",
        os="Linux",
        dependencies=("flask",),
    )
    assert Slice.of(heartbeat, 30 * US) == piece(
        1_700_000_000_000_000, 30, entity="/x.py", project="p", branch="b", dependencies=("flask",)
    )


# --- ranges, dates, zones ---------------------------------------------------------------------

TODAY = date(2024, 3, 14)  # a Thursday in a leap year


@pytest.mark.parametrize(
    ("name", "start", "end"),
    [
        ("today", TODAY, TODAY),
        ("Today", TODAY, TODAY),
        ("yesterday", date(2024, 3, 13), date(2024, 3, 13)),
        ("day", date(2024, 3, 13), date(2024, 3, 13)),
        ("week", date(2024, 3, 11), TODAY),
        ("this_week", date(2024, 3, 11), TODAY),
        ("This Week", date(2024, 3, 11), TODAY),
        ("last_week", date(2024, 3, 4), date(2024, 3, 10)),
        ("Last Week", date(2024, 3, 4), date(2024, 3, 10)),
        ("month", date(2024, 3, 1), TODAY),
        ("This Month", date(2024, 3, 1), TODAY),
        ("last_month", date(2024, 2, 1), date(2024, 2, 29)),
        ("year", date(2024, 1, 1), TODAY),
        ("7_days", date(2024, 3, 8), TODAY),
        ("last_7_days", date(2024, 3, 8), TODAY),
        ("Last 7 Days", date(2024, 3, 8), TODAY),
        ("Last 7 Days from Yesterday", date(2024, 3, 7), date(2024, 3, 13)),
        ("14_days", date(2024, 3, 1), TODAY),
        ("Last 14 Days", date(2024, 3, 1), TODAY),
        ("30_days", date(2024, 2, 14), TODAY),
        ("last_30_days", date(2024, 2, 14), TODAY),
        ("6_months", date(2023, 9, 15), TODAY),
        ("last_6_months", date(2023, 9, 15), TODAY),
        ("12_months", date(2023, 3, 15), TODAY),
        ("last_12_months", date(2023, 3, 15), TODAY),
        ("last_year", date(2023, 3, 15), TODAY),
        ("any", TODAY, TODAY),
        ("all_time", TODAY, TODAY),
        ("2023", date(2023, 1, 1), date(2023, 12, 31)),
        ("2024", date(2024, 1, 1), TODAY),
        ("2024-02", date(2024, 2, 1), date(2024, 2, 29)),
        ("2024-03", date(2024, 3, 1), TODAY),
    ],
)
def test_parse_range(name: str, start: date, end: date) -> None:
    assert parse_range(name, TODAY) == (start, end)


def test_all_time_starts_at_the_first_heartbeat() -> None:
    assert parse_range("all_time", TODAY, first_day=date(2024, 1, 5)) == (date(2024, 1, 5), TODAY)
    assert parse_range("any", TODAY, first_day=date(2030, 1, 1)) == (TODAY, TODAY)
    start, _ = parse_range("all_time", TODAY, first_day=date(1990, 1, 1))
    assert (TODAY - start).days == MAX_DAYS - 1


def test_month_ends_are_clamped() -> None:
    assert parse_range("last_6_months", date(2024, 8, 31)) == (date(2024, 3, 1), date(2024, 8, 31))
    assert parse_range("last_month", date(2024, 3, 31)) == (date(2024, 2, 1), date(2024, 2, 29))
    assert parse_range("last_month", date(2024, 1, 15)) == (date(2023, 12, 1), date(2023, 12, 31))
    assert parse_range("last_year", date(2024, 2, 29)) == (date(2023, 3, 1), date(2024, 2, 29))


@pytest.mark.parametrize("name", ["", "bogus", "last_8_days", "2025", "2024-13", "2024-04", "0000"])
def test_bad_ranges(name: str) -> None:
    with pytest.raises(RangeError):
        parse_range(name, TODAY)


def test_range_names_and_titles() -> None:
    assert canonical_range(" Last 30 Days ") == "last_30_days"
    assert canonical_range("any") == "all_time"
    assert range_title("all_time") == "All Time"
    assert range_title("2024-03") == "March 2024"
    assert range_title("2024") == "2024"


@pytest.mark.parametrize(
    ("value", "day"),
    [
        ("2024-03-01", date(2024, 3, 1)),
        ("today", TODAY),
        ("Yesterday", date(2024, 3, 13)),
        ("03/01/2024", date(2024, 3, 1)),
        ("2024-03-01T23:30:00-05:00", date(2024, 3, 2)),  # 05:30 in Berlin
        ("2024-03-01T23:30:00 05:00", date(2024, 3, 1)),  # "+05:00" after query decoding
        ("2024-03-01T23:30:00Z", date(2024, 3, 2)),
        ("2024-03-01T23:30:00", date(2024, 3, 1)),  # no offset: a time in the zone asked
    ],
)
def test_parse_day(value: str, day: date) -> None:
    assert parse_day(value, TODAY, BERLIN) == day


@pytest.mark.parametrize("value", ["", "nope", "2024-02-30", "2024-3-1", "13/01/2024", "2024-03"])
def test_bad_days(value: str) -> None:
    with pytest.raises(RangeError):
        parse_day(value, TODAY, BERLIN)


def test_parse_start_end() -> None:
    assert parse_start_end("2024-03-01", "2024-03-01", TODAY, BERLIN) == (
        date(2024, 3, 1),
        date(2024, 3, 1),
    )
    assert parse_start_end("today", "today", TODAY, BERLIN) == (TODAY, TODAY)
    assert parse_start_end("last_7_days", "last_7_days", TODAY, BERLIN) == (date(2024, 3, 8), TODAY)
    # the end may lie ahead: those days are empty
    assert parse_start_end("2024-03-10", "2024-03-20", TODAY, BERLIN)[1] == date(2024, 3, 20)
    for start, end in [
        (None, "2024-03-01"),
        ("2024-03-01", None),
        ("2024-03-02", "2024-03-01"),
        ("0001-01-01", "9999-12-31"),
        ("last_7_days", "today"),
    ]:
        with pytest.raises(RangeError):
            parse_start_end(start, end, TODAY, BERLIN)


def test_zone() -> None:
    assert zone(" Europe/Berlin ") is BERLIN
    for name in ["", "Mars/Olympus", "../../etc/passwd", "Europe/Berlin\x00", "America", "x" * 300]:
        with pytest.raises(RangeError):
            zone(name)
