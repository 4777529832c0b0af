"""Each transform on crafted events: empty input, overlaps, zero durations, midnight, unicode.

Every test also checks that the inputs were not mutated.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from aw_core import transforms as t
from aw_core.models import Event

T0 = datetime(2024, 1, 1, 23, 0, tzinfo=UTC)  # an hour before midnight


def e(start: float, duration: float, **data: Any) -> Event:
    return Event(timestamp=T0 + timedelta(seconds=start), duration=duration, data=data)


def spans(events: list[Event]) -> list[tuple[float, float]]:
    return [((x.timestamp - T0).total_seconds(), x.duration.total_seconds()) for x in events]


@pytest.fixture
def frozen() -> Any:
    """Snapshot inputs and assert afterwards that no transform mutated them."""
    saved: list[tuple[list[Event], list[dict[str, Any]]]] = []

    def keep(events: list[Event]) -> list[Event]:
        saved.append((events, copy.deepcopy([x.to_json_dict() for x in events])))
        return events

    yield keep
    for events, snapshot in saved:
        assert [x.to_json_dict() for x in events] == snapshot


ALL_UNARY = [
    t.flood,
    t.sort_by_timestamp,
    t.sort_by_duration,
    t.split_url_events,
    lambda xs: t.merge_events_by_keys(xs, ["a"]),
    lambda xs: t.chunk_events_by_key(xs, "a"),
    lambda xs: t.filter_keyvals(xs, "a", [1]),
    lambda xs: t.simplify_window_titles(xs, "title"),
    lambda xs: t.categorize(xs, []),
    lambda xs: t.tag(xs, []),
    lambda xs: t.filter_period_intersect(xs, []),
    lambda xs: t.period_union(xs, []),
    lambda xs: t.union_no_overlap(xs, []),
]


@pytest.mark.parametrize("transform", ALL_UNARY)
def test_empty_input(transform: Any) -> None:
    assert transform([]) == []
    assert t.sum_durations([]) == timedelta(0)
    assert t.concat() == [] and t.concat([], []) == []


def test_flood_fills_small_gaps_and_splits_different_data(frozen: Any) -> None:
    events = frozen([e(0, 10, a=1), e(12, 10, a=1), e(24, 10, a=2), e(60, 5, a=2)])
    result = t.flood(events)
    # equal data across 2 s: the first absorbs the second, which is left with zero length at
    # 22 s; the gap to a=2 is then split at its midpoint, which gives that remnant 1 s (as in
    # aw-core); the 26 s gap is too long to fill
    assert [(*span, x.data) for span, x in zip(spans(result), result, strict=True)] == [
        (0, 22, {"a": 1}),
        (22, 1, {"a": 1}),
        (23, 11, {"a": 2}),
        (60, 5, {"a": 2}),
    ]


def test_flood_midpoint_and_overlaps(frozen: Any) -> None:
    events = frozen([e(0, 10, a=1), e(14, 6, a=2)])
    assert spans(t.flood(events)) == [(0, 12), (12, 8)]
    overlapping_same = frozen([e(0, 10, a=1), e(5, 10, a=1)])
    assert spans(t.flood(overlapping_same)) == [(0, 15)]
    overlapping_different = frozen([e(0, 10, a=1), e(5, 10, a=2)])
    assert spans(t.flood(overlapping_different)) == [(0, 5), (5, 10)]
    assert spans(t.flood(frozen([e(0, 0, a=1), e(3, 0, a=1)]))) == [(0, 3)]
    assert spans(t.flood(frozen([e(0, 0, a=1), e(30, 0, a=1)]))) == []  # zero durations dropped
    assert spans(t.flood(frozen([e(0, 10, a=1), e(16, 5, a=1)]))) == [(0, 10), (16, 5)]
    assert spans(t.flood(frozen([e(0, 10, a=1), e(16, 5, a=1)]), pulsetime=10)) == [(0, 21)]


def test_flood_orders_equal_starts_by_duration(frozen: Any) -> None:
    """Equal starts sort shorter first, whatever the input order; the later (longer) wins."""
    for events in ([e(0, 5, a=1), e(0, 10, a=2)], [e(0, 10, a=2), e(0, 5, a=1)]):
        result = t.flood(frozen(events))
        assert spans(result) == [(0, 10)]
        assert result[0].data == {"a": 2}
    newest_first = frozen([e(30, 2, a=3), e(20, 4, a=1), e(20, 1, a=2), e(0, 20, a=1)])
    assert spans(t.flood(newest_first)) == [(0, 20), (20, 4), (30, 2)]


def test_flood_returns_unchanged_events_as_they_are(frozen: Any) -> None:
    events = frozen([e(0, 10, a=1), e(30, 5, a=2), e(37, 3, a=3)])
    result = t.flood(events)
    assert result[0] is events[0]  # no neighbour within the pulse: the same object
    assert spans(result) == [(0, 10), (30, 6), (36, 4)]


def test_flood_across_midnight() -> None:
    result = t.flood([e(3590, 8, a="x"), e(3600, 60, a="x")])
    assert spans(result) == [(3590, 70)]
    assert result[0].end.day == 2


def test_filter_period_intersect(frozen: Any) -> None:
    events = frozen([e(0, 10, a=1), e(20, 10, a=2), e(40, 10, a=3)])
    filters = frozen([e(5, 20), e(45, 0)])
    result = t.filter_period_intersect(events, filters)
    assert spans(result) == [(5, 5), (20, 5), (45, 0)]
    assert [x.data for x in result] == [{"a": 1}, {"a": 2}, {"a": 3}]
    assert t.filter_period_intersect(events, [e(10, 10)]) == []  # touching is not intersecting


def test_period_union(frozen: Any) -> None:
    result = t.period_union(
        frozen([e(0, 10, a=1), e(30, 5, a=2)]), frozen([e(8, 7, b=1), e(15, 5), e(50, 0)])
    )
    assert spans(result) == [(0, 20), (30, 5), (50, 0)]
    assert all(x.data == {} for x in result)


def test_union_no_overlap(frozen: Any) -> None:
    first = frozen([e(10, 10, w="a")])
    second = frozen([e(0, 40, w="b")])
    result = t.union_no_overlap(first, second)
    assert [(s, d, x.data["w"]) for (s, d), x in zip(spans(result), result, strict=True)] == [
        (0, 10, "b"),
        (10, 10, "a"),
        (20, 20, "b"),
    ]


def test_merge_events_by_keys(frozen: Any) -> None:
    events = frozen(
        [
            e(0, 1, a="x", b=1),
            e(5, 2, a="y", b=1),
            e(9, 3, a="x", b=2, c=0),
            e(20, 4, b=1),
            e(30, 1, a=["l"]),
        ]
    )
    result = t.merge_events_by_keys(events, ["a"])
    assert [(x.data, x.duration.total_seconds(), x.id) for x in result] == [
        ({"a": "x"}, 4.0, None),
        ({"a": "y"}, 2.0, None),
        ({}, 4.0, None),
        ({"a": ["l"]}, 1.0, None),
    ]
    assert t.merge_events_by_keys(events, []) == events
    two = t.merge_events_by_keys(events, ["a", "b"])
    assert [x.data for x in two][:3] == [{"a": "x", "b": 1}, {"a": "y", "b": 1}, {"a": "x", "b": 2}]


def test_chunk_events_by_key(frozen: Any) -> None:
    events = frozen([e(0, 1, a=1), e(1, 1, a=1), e(2, 1), e(3, 1, a=2), e(4, 1, a=2)])
    assert [(x.data, x.duration.total_seconds()) for x in t.chunk_events_by_key(events, "a")] == [
        ({"a": 1}, 2.0),
        ({"a": 2}, 2.0),
    ]


def test_filters(frozen: Any) -> None:
    events = frozen([e(0, 1, a=1), e(1, 1, a=1.0), e(2, 1, a=True), e(3, 1, a="1"), e(4, 1)])
    assert len(t.filter_keyvals(events, "a", [1])) == 3  # 1 == 1.0 == True, as in Python
    assert len(t.filter_keyvals(events, "a", [1], exclude=True)) == 2
    import re

    titled = frozen([e(0, 1, t="Hello wörld"), e(1, 1, t=5), e(2, 1, t="bye")])
    assert spans(t.filter_keyvals_regex(titled, "t", re.compile("wö"))) == [(0, 1)]


def test_sorting_limit_sum_concat(frozen: Any) -> None:
    events = frozen([e(10, 1, n=0), e(0, 3, n=1), e(5, 3, n=2)])
    assert [x.data["n"] for x in t.sort_by_timestamp(events)] == [1, 2, 0]
    assert [x.data["n"] for x in t.sort_by_duration(events)] == [1, 2, 0]  # stable for ties
    assert t.limit_events(events, 2) == events[:2]
    assert t.sum_durations(events) == timedelta(seconds=7)
    assert t.concat(events, events[:1], []) == events + events[:1]


def test_split_url_events(frozen: Any) -> None:
    events = frozen(
        [
            e(0, 1, url="https://www.example.com/p/a;x=1?q=2#frag"),
            e(1, 1, url="about:blank"),
            e(2, 1, url=5),
            e(3, 1),
        ]
    )
    result = t.split_url_events(events)
    assert {k: v for k, v in result[0].data.items() if k.startswith("$")} == {
        "$protocol": "https",
        "$domain": "example.com",
        "$path": "/p/a",
        "$params": "x=1",
        "$options": "q=2",
        "$identifier": "frag",
    }
    assert result[1].data["$domain"] == "about"
    assert result[2].data == {"url": 5} and result[3].data == {}


def test_simplify_window_titles(frozen: Any) -> None:
    events = frozen(
        [
            e(0, 1, app="x", title="(3) ● Inbox"),
            e(1, 1, app="g", title="Game FPS: 59.9"),
            e(2, 1, title="* Untitled"),
        ]
    )
    assert [x.data["title"] for x in t.simplify_window_titles(events, "title")] == [
        "Inbox",
        "Game FPS: ...",
        "* Untitled",
    ]


def test_categorize_deepest_and_later_wins(frozen: Any) -> None:
    rules = [
        (["Work"], t.Rule.from_dict({"type": "regex", "regex": "code"})),
        (["Work", "Dev"], t.Rule.from_dict({"regex": "code", "ignore_case": True})),
        (["Other"], t.Rule.from_dict({"regex": "CODE"})),
        (["Other", "Deep"], t.Rule.from_dict({"regex": "(?i)CODE"})),
        (["Never"], t.Rule.from_dict({"type": "none", "regex": "code"})),
        (["Empty"], t.Rule.from_dict({"regex": ""})),
        (["Title"], t.Rule.from_dict({"regex": "zz", "select_keys": ["title"]})),
        (["Prio"], t.Rule.from_dict({"regex": "prio", "priority": 100})),
    ]
    events = frozen(
        [
            e(0, 1, app="code"),
            e(1, 1, app="none"),
            e(2, 1, app="zz"),
            e(3, 1, title="zz"),
            e(4, 1, app="code prio"),
            e(5, 1, app="日本語"),
        ]
    )
    categories = [x.data["$category"] for x in t.categorize(events, rules)]
    assert categories == [
        ["Other", "Deep"],
        ["Uncategorized"],
        ["Uncategorized"],
        ["Title"],
        ["Prio"],
        ["Uncategorized"],
    ]


def test_tag(frozen: Any) -> None:
    rules = [
        ("a", t.Rule.from_dict({"regex": "x"})),
        ("b", t.Rule.from_dict({"regex": "y"})),
        ("a", t.Rule.from_dict({"regex": "xy"})),
    ]
    events = frozen([e(0, 1, v="xy"), e(1, 1, v="q")])
    assert [x.data["$tags"] for x in t.tag(events, rules)] == [["a", "b", "a"], []]


def test_clip_events() -> None:
    events = [e(0, 100), e(50, 10)]
    clipped = t.clip_events(events, T0 + timedelta(seconds=20), T0 + timedelta(seconds=55))
    assert spans(clipped) == [(20, 35), (50, 5)]
    assert clipped[0] is not events[0]
