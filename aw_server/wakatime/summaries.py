"""WakaTime's read models over coding time: SummariesData per day, summaries, stats, status bar.

Pure functions, no I/O. The input is a list of ``Slice``: a piece of coding time (one heartbeat
and the duration the duration rule gave it). Days are those of a time zone: time is cut at its
local midnights with zoneinfo, so a day lasts 23 or 25 hours on a DST change day, and a day whose
midnight does not exist (a change at 00:00) begins at the change.

The texts follow what WakaTime's API answers (its responses as the clients and their test data
show them): hours, minutes and seconds are truncated, never rounded (2:17:36.6 is
``"2 hrs 17 mins"``); ``text`` names at most hours and minutes, seconds only under a minute
(``"1 hr"``, ``"1 hr 15 mins"``, ``"49 mins"``, ``"1 min"``, ``"7 secs"``, ``"0 secs"``);
``digital`` is ``"2:17"`` for totals and ``"2:17:36"`` for entries; ``decimal`` is the
truncated hours and minutes as hours with two decimals (2:17 is ``"2.28"``). wakapi always
writes ``"2 hrs 17 mins"``-style texts with rounded minutes; we follow WakaTime, whose format
the editor plugins show in their status bars.

A name that is null or empty is shown as ``"Unknown"`` in every list (wakapi shows
``"unknown"``); category names are shown as WakaTime does (``coding`` -> ``"Coding"``).

Time of a slice outside the days asked for is ignored (clipped), never refused: callers may pass
every slice that overlaps the range. Slices of no (or negative) length count for nothing.

Use: ``day_totals(slices, start, end, tz)`` once per request, then ``summaries_response``,
``statusbar_response``, ``stats_response`` or ``all_time_response`` of those totals. Ranges and
dates of query parameters come from ``parse_range``/``parse_start_end``, time zones from
``zone``; each raises RangeError (a 400) for what it cannot serve.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aw_core.timeutil import to_us
from aw_server.wakatime.model import Heartbeat

US = 1_000_000  # microseconds per second
MAX_DAYS = 3660  # the longest range served (ten years): bounds the work of one request
UNKNOWN = "Unknown"


class RangeError(ValueError):
    """A range, date or time zone a client asked for that cannot be served; ``str(exc)`` says
    why (the API answers 400 with it)."""


class Slice(NamedTuple):
    """A piece of coding time: one heartbeat's fields and the time that counts for it.

    A named tuple with its fields after the duration in the order of day_totals' group keys:
    a month of heartbeats makes ~90k of them per request, and tuples are made and sliced at C
    speed (the store reads rows in this order, see HeartbeatStore.coding)."""

    start_us: int
    duration_us: int
    project: str | None
    language: str | None
    editor: str | None
    os: str | None
    machine: str
    category: str
    branch: str | None
    entity: str
    dependencies: tuple[str, ...]

    @classmethod
    def of(cls, heartbeat: Heartbeat, duration_us: int) -> Slice:
        return cls(
            start_us=heartbeat.time_us,
            duration_us=duration_us,
            machine=heartbeat.machine,
            entity=heartbeat.entity,
            project=heartbeat.project,
            language=heartbeat.language,
            editor=heartbeat.editor,
            os=heartbeat.os,
            category=heartbeat.category,
            branch=heartbeat.branch,
            dependencies=heartbeat.dependencies,
        )


# The lists of a SummariesData, each fed by one Slice field (in the order of the group keys
# day_totals builds); dependencies, a tuple per slice, come last.
_SINGLE = (
    ("projects", "project"),
    ("languages", "language"),
    ("editors", "editor"),
    ("operating_systems", "os"),
    ("machines", "machine"),
    ("categories", "category"),
    ("branches", "branch"),
    ("entities", "entity"),
)
DIMENSIONS = (*(name for name, _ in _SINGLE), "dependencies")

# Query parameters that filter slices, and the Slice field each one compares.
FILTERS = {
    "project": "project",
    "language": "language",
    "editor": "editor",
    "operating_system": "os",
    "machine": "machine",
    "category": "category",
    "branch": "branch",
}


# --- texts ------------------------------------------------------------------------------------


def _clock(seconds: float) -> tuple[int, int, int]:
    """Whole hours, minutes and seconds, truncated (as WakaTime does)."""
    whole = int(seconds) if seconds > 0 else 0  # also maps NaN to 0
    return whole // 3600, whole // 60 % 60, whole % 60


def _count(number: int, unit: str) -> str:
    return f"{number} {unit}" if number == 1 else f"{number} {unit}s"


def _text(hours: int, minutes: int, seconds: int) -> str:
    if hours:
        return f"{_count(hours, 'hr')} {_count(minutes, 'min')}" if minutes else _count(hours, "hr")
    return _count(minutes, "min") if minutes else _count(seconds, "sec")


def _decimal(hours: int, minutes: int) -> str:
    return f"{hours + minutes / 60:.2f}"


def duration_text(seconds: float) -> str:
    """WakaTime's human text: ``"2 hrs 5 mins"``, ``"1 hr"``, ``"1 min"``, ``"45 secs"``."""
    return _text(*_clock(seconds))


def digital_text(seconds: float, *, with_seconds: bool = False) -> str:
    """``"2:05"``, or ``"2:05:07"`` with seconds (as WakaTime writes list entries)."""
    hours, minutes, secs = _clock(seconds)
    return f"{hours}:{minutes:02d}:{secs:02d}" if with_seconds else f"{hours}:{minutes:02d}"


def decimal_text(seconds: float) -> str:
    """Truncated hours and minutes as decimal hours: 2:05:59 is ``"2.08"``."""
    hours, minutes, _ = _clock(seconds)
    return _decimal(hours, minutes)


def _total(us: int) -> dict[str, Any]:
    """A total as WakaTime writes grand_total and cumulative_total (no seconds part)."""
    seconds = us / US
    hours, minutes, secs = _clock(seconds)
    return {
        "digital": f"{hours}:{minutes:02d}",
        "decimal": _decimal(hours, minutes),
        "hours": hours,
        "minutes": minutes,
        "text": _text(hours, minutes, secs),
        "total_seconds": seconds,
    }


def _entry(name: str, us: int, whole_us: int) -> dict[str, Any]:
    seconds = us / US
    hours, minutes, secs = _clock(seconds)
    return {
        "name": name,
        "total_seconds": seconds,
        "percent": round(us * 100 / whole_us, 2) if whole_us else 0.0,
        "digital": f"{hours}:{minutes:02d}:{secs:02d}",
        "decimal": _decimal(hours, minutes),
        "text": _text(hours, minutes, secs),
        "hours": hours,
        "minutes": minutes,
        "seconds": secs,
    }


def entries(totals: Mapping[str, int]) -> list[dict[str, Any]]:
    """One list of a SummariesData: longest first (then by name); percent of the list's sum."""
    whole = sum(totals.values())
    ordered = sorted(totals.items(), key=lambda item: (-item[1], item[0]))
    return [_entry(name, us, whole) for name, us in ordered]


def category_name(category: str) -> str:
    """A category as WakaTime shows it: ``"coding"`` -> ``"Coding"``, ``"ai coding"`` ->
    ``"AI Coding"``."""
    return " ".join("AI" if w == "ai" else w.capitalize() for w in category.split()) or UNKNOWN


def _label(field: str, value: str | None) -> str:
    if not value:
        return UNKNOWN
    return category_name(value) if field == "category" else value


_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def day_text(day: date) -> str:
    """A day as WakaTime writes ``range.text``: ``"Sun Jan 29th 2023"`` (English, whatever the
    locale)."""
    number = day.day
    suffix = "th" if 11 <= number <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{_WEEKDAYS[day.weekday()]} {_MONTHS[day.month - 1]} {number}{suffix} {day.year}"


def utc_text(us: int) -> str:
    """An instant as WakaTime writes range ends: UTC to the second, ``2023-01-29T03:00:00Z``."""
    moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=us // US)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


# --- days of a time zone ----------------------------------------------------------------------


def midnight_us(day: date, tz: ZoneInfo) -> int:
    """The instant ``day`` begins in ``tz``: its local midnight, or where midnight does not exist
    (a DST change at 00:00) the instant of the change."""
    return to_us(datetime.combine(day, time(0), tzinfo=tz))


def local_day(us: int, tz: ZoneInfo) -> date:
    """The date in ``tz`` at an instant (today's date, given now)."""
    return (datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=us)).astimezone(tz).date()


def day_bounds(start: date, end: date, tz: ZoneInfo) -> list[int]:
    """The midnights from ``start`` to the one after ``end``: day i is [bounds[i], bounds[i+1])."""
    count = (end - start).days + 1
    return [midnight_us(start + timedelta(days=i), tz) for i in range(count + 1)]


def split_days(slices: Iterable[Slice], start: date, end: date, tz: ZoneInfo) -> list[list[Slice]]:
    """The slices of each day from ``start`` to ``end`` (inclusive), cut at midnights: a slice
    over midnight is split in two; time outside the range, and slices of no length, are left
    out."""
    bounds = day_bounds(start, end, tz)
    days: list[list[Slice]] = [[] for _ in bounds[1:]]
    for piece in slices:
        for index, lo, hi in _pieces(piece.start_us, piece.start_us + piece.duration_us, bounds):
            days[index].append(_cut(piece, lo, hi))
    return days


def _cut(piece: Slice, lo: int, hi: int) -> Slice:
    if lo == piece.start_us and hi - lo == piece.duration_us:
        return piece
    return piece._replace(start_us=lo, duration_us=hi - lo)


def _pieces(lo: int, hi: int, bounds: Sequence[int]) -> Iterable[tuple[int, int, int]]:
    """(day index, start, end) of [lo, hi) clipped to the bounds and cut at each of them."""
    lo, hi = max(lo, bounds[0]), min(hi, bounds[-1])
    if hi <= lo:
        return
    index = bisect_right(bounds, lo) - 1
    while lo < hi:
        cut = min(hi, bounds[index + 1])
        yield index, lo, cut
        lo, index = cut, index + 1


# --- totals -----------------------------------------------------------------------------------


@dataclass(slots=True)
class DayTotals:
    """One day's coding time: the total and, per SummariesData list, microseconds per name."""

    day: date
    start_us: int  # the day's first instant
    end_us: int  # the next day's first instant
    total_us: int
    dims: dict[str, dict[str, int]]


def day_totals(slices: Iterable[Slice], start: date, end: date, tz: ZoneInfo) -> list[DayTotals]:
    """The totals of each day from ``start`` to ``end`` (inclusive) in ``tz``.

    Slices are cut at midnights; time outside the range is ignored, never refused, so the caller
    may pass every slice that overlaps it. Slices are first summed per (day, all their names),
    a few hundred groups for a month of heartbeats, and only those groups are spread over the
    lists: the cost per slice is one dict update (and a bisect where the day changes).
    """
    bounds = day_bounds(start, end, tz)
    first, last = bounds[0], bounds[-1]
    groups: list[defaultdict[tuple[Any, ...], int]] = [defaultdict(int) for _ in bounds[1:]]
    index, day_start, day_end = 0, bounds[0], bounds[1]
    group = groups[0]
    for piece in slices:
        lo = piece.start_us
        hi = lo + piece.duration_us
        if lo < first:
            lo = first
        if hi > last:
            hi = last
        if hi <= lo:
            continue
        key = piece[2:]  # the fields of _SINGLE in its order, then dependencies
        if not day_start <= lo < day_end:  # slices come mostly in time order: few bisects
            index = bisect_right(bounds, lo) - 1
            day_start, day_end, group = bounds[index], bounds[index + 1], groups[index]
        if hi <= day_end:
            group[key] += hi - lo
            continue
        group[key] += day_end - lo  # over midnight: the rest goes to the following days
        for later in range(index + 1, len(groups)):
            lo = bounds[later]
            groups[later][key] += min(hi, bounds[later + 1]) - lo
            if hi <= bounds[later + 1]:
                break
    return [
        _spread(start + timedelta(days=i), bounds[i], bounds[i + 1], group)
        for i, group in enumerate(groups)
    ]


def _spread(
    day: date, start_us: int, end_us: int, groups: Mapping[tuple[Any, ...], int]
) -> DayTotals:
    dims: dict[str, dict[str, int]] = {name: {} for name in DIMENSIONS}
    lists = [(dims[name], field) for name, field in _SINGLE]
    dependencies = dims["dependencies"]
    total = 0
    for key, us in groups.items():
        total += us
        for (names, field), value in zip(lists, key, strict=False):
            label = _label(field, value)
            names[label] = names.get(label, 0) + us
        # a file's time counts for each thing it imports, once even if listed twice
        for dependency in dict.fromkeys(key[-1]):
            if dependency:
                dependencies[dependency] = dependencies.get(dependency, 0) + us
    return DayTotals(day, start_us, end_us, total, dims)


def add_days(same_day: Sequence[DayTotals]) -> DayTotals:
    """One day's totals of several machines added up (each computed and cached alone)."""
    if len(same_day) == 1:
        return same_day[0]
    first = same_day[0]
    return DayTotals(
        first.day,
        first.start_us,
        first.end_us,
        sum(d.total_us for d in same_day),
        merge_totals(same_day),
    )


def merge_totals(days: Sequence[DayTotals]) -> dict[str, dict[str, int]]:
    """The lists of several days added up (for stats)."""
    merged: dict[str, dict[str, int]] = {name: {} for name in DIMENSIONS}
    for day in days:
        for name, totals in day.dims.items():
            target = merged[name]
            for label, us in totals.items():
                target[label] = target.get(label, 0) + us
    return merged


def filter_slices(slices: Iterable[Slice], filters: Mapping[str, str]) -> list[Slice]:
    """The slices matching every filter (keys from FILTERS). A value matches a field's own
    value or the name shown for it, so ``project=Unknown`` finds time without a project."""
    checks = [(FILTERS[key], value) for key, value in filters.items()]
    return [
        piece
        for piece in slices
        if all(
            (value == getattr(piece, field)) or value == _label(field, getattr(piece, field))
            for field, value in checks
        )
    ]


# --- responses --------------------------------------------------------------------------------


def _range(totals: DayTotals, tz: ZoneInfo) -> dict[str, Any]:
    return {
        "date": totals.day.isoformat(),
        "start": utc_text(totals.start_us),
        "end": utc_text(totals.end_us - US),
        "text": day_text(totals.day),
        "timezone": tz.key,
    }


def format_day(totals: DayTotals, tz: ZoneInfo) -> dict[str, Any]:
    """The SummariesData of one day."""
    data: dict[str, Any] = {"grand_total": _total(totals.total_us), "range": _range(totals, tz)}
    for name in DIMENSIONS:
        data[name] = entries(totals.dims[name])
    return data


def summaries_data(slices: Iterable[Slice], day: date, tz: ZoneInfo) -> dict[str, Any]:
    """The SummariesData of ``day`` in ``tz``; time of the slices outside the day is ignored."""
    return format_day(day_totals(slices, day, day, tz)[0], tz)


def _daily_average(days: Sequence[DayTotals]) -> tuple[int, int, float]:
    """(days, days with coding time, average seconds per day with coding time): WakaTime leaves
    days without coding time ("holidays") out of the average; wakapi does not."""
    active = sum(1 for day in days if day.total_us > 0)
    total_us = sum(day.total_us for day in days)
    return len(days), active, (total_us / US / active if active else 0.0)


def summaries_response(days: Sequence[DayTotals], tz: ZoneInfo) -> dict[str, Any]:
    """``GET …/summaries``: ``{data: [SummariesData per day], start, end, cumulative_total,
    daily_average}``. ``days`` are consecutive (``day_totals`` of the range), at least one."""
    if not days:
        raise ValueError("summaries of no days")
    total_us = sum(day.total_us for day in days)
    count, active, average = _daily_average(days)
    cumulative = _total(total_us)
    return {
        "data": [format_day(day, tz) for day in days],
        "start": utc_text(days[0].start_us),
        "end": utc_text(days[-1].end_us - US),
        "cumulative_total": {
            "seconds": cumulative["total_seconds"],
            "text": cumulative["text"],
            "decimal": cumulative["decimal"],
            "digital": cumulative["digital"],
        },
        "daily_average": {
            "holidays": count - active,
            "days_including_holidays": count,
            "days_minus_holidays": active,
            "seconds": int(average),
            "text": duration_text(average),
            # we know no "Other" language to leave out: both figures are the same
            "seconds_including_other_language": int(average),
            "text_including_other_language": duration_text(average),
        },
    }


def statusbar_response(today: DayTotals, tz: ZoneInfo, now_us: int) -> dict[str, Any]:
    """``GET …/statusbar/today``: ``{cached_at, data: SummariesData}``. The Go wakatime-cli
    prints ``data.grand_total.text``, or ``"<text> <name>"`` of each of ``data.categories``
    joined by ``", "`` when there are two or more."""
    return {
        "cached_at": utc_text(now_us),
        "data": format_day(today, tz),
        "has_team_features": False,
    }


def _best_day(days: Sequence[DayTotals]) -> dict[str, Any] | None:
    best = max(days, key=lambda day: day.total_us, default=None)
    if best is None or best.total_us <= 0:
        return None
    return {
        "date": best.day.isoformat(),
        "text": duration_text(best.total_us / US),
        "total_seconds": best.total_us / US,
    }


def stats_response(
    days: Sequence[DayTotals],
    tz: ZoneInfo,
    *,
    range_name: str,
    today: date,
    now_us: int,
    timeout_s: int,
    user: str = "current",
) -> dict[str, Any]:
    """``GET …/stats/<range>``: WakaTime's stats of the days of one range (``range_name`` as
    asked, any alias). Lists are added up over the days; entities are left out, as WakaTime
    does."""
    if not days:
        raise ValueError("stats of no days")
    canonical = canonical_range(range_name)
    total_us = sum(day.total_us for day in days)
    count, active, average = _daily_average(days)
    lists = merge_totals(days)
    now = utc_text(now_us)
    data: dict[str, Any] = {
        "total_seconds": total_us / US,
        "total_seconds_including_other_language": total_us / US,
        "human_readable_total": duration_text(total_us / US),
        "human_readable_total_including_other_language": duration_text(total_us / US),
        "daily_average": average,
        "daily_average_including_other_language": average,
        "human_readable_daily_average": duration_text(average),
        "human_readable_daily_average_including_other_language": duration_text(average),
        "best_day": _best_day(days),
        "range": canonical,
        "human_readable_range": range_title(canonical),
        "holidays": count - active,
        "days_including_holidays": count,
        "days_minus_holidays": active,
        "status": "ok",
        "percent_calculated": 100,
        "is_already_updating": False,
        "is_coding_activity_visible": True,
        "is_other_usage_visible": True,
        "is_stuck": False,
        "is_including_today": days[-1].day >= today >= days[0].day,
        "is_up_to_date": True,
        "start": utc_text(days[0].start_us),
        "end": utc_text(days[-1].end_us - US),
        "timezone": tz.key,
        "timeout": timeout_s // 60,
        "writes_only": False,
        "user_id": user,
        "username": user,
        "created_at": now,
        "modified_at": now,
    }
    for name in DIMENSIONS:
        if name != "entities":
            data[name] = entries(lists[name])
    return {"data": data}


def all_time_response(days: Sequence[DayTotals], tz: ZoneInfo, *, timeout_s: int) -> dict[str, Any]:
    """``GET …/all_time_since_today``: the total of every day from the first one with coding
    time (the first of ``days``) to today (the last)."""
    if not days:
        raise ValueError("all time of no days")
    total = _total(sum(day.total_us for day in days))
    _, _, average = _daily_average(days)
    first, last = days[0], days[-1]
    return {
        "data": {
            "total_seconds": total["total_seconds"],
            "text": total["text"],
            "decimal": total["decimal"],
            "digital": total["digital"],
            "daily_average": average,
            "is_up_to_date": True,
            "percent_calculated": 100,
            "range": {
                "start": utc_text(first.start_us),
                "start_date": first.day.isoformat(),
                "start_text": day_text(first.day),
                "end": utc_text(last.end_us - US),
                "end_date": last.day.isoformat(),
                "end_text": day_text(last.day),
                "timezone": tz.key,
            },
            "timeout": timeout_s // 60,
        }
    }


# --- ranges, dates and time zones -------------------------------------------------------------

# Every name clients use (WakaTime's, their "Title Case" forms, wakapi's aliases) -> our name.
_ALIASES = {
    "day": "yesterday",
    "week": "this_week",
    "month": "this_month",
    "year": "this_year",
    "7_days": "last_7_days",
    "14_days": "last_14_days",
    "30_days": "last_30_days",
    "6_months": "last_6_months",
    "12_months": "last_year",
    "last_12_months": "last_year",
    "any": "all_time",
}
_TITLES = {
    "today": "Today",
    "yesterday": "Yesterday",
    "this_week": "This Week",
    "last_week": "Last Week",
    "this_month": "This Month",
    "last_month": "Last Month",
    "this_year": "This Year",
    "last_7_days": "Last 7 Days",
    "last_7_days_from_yesterday": "Last 7 Days from Yesterday",
    "last_14_days": "Last 14 Days",
    "last_30_days": "Last 30 Days",
    "last_6_months": "Last 6 Months",
    "last_year": "Last Year",
    "all_time": "All Time",
}
_YEAR = re.compile(r"\d{4}")
_MONTH = re.compile(r"(\d{4})-(\d{2})")


def canonical_range(name: str) -> str:
    """Our name of a range: ``"Last 7 Days"``, ``"7_days"`` -> ``"last_7_days"``; a year
    ``"2024"`` or month ``"2024-03"`` stays as it is. Raises RangeError for anything else."""
    text = name.strip()
    if _YEAR.fullmatch(text) or _MONTH.fullmatch(text):
        return text
    key = re.sub(r"[\s-]+", "_", text.lower())
    key = _ALIASES.get(key, key)
    if key not in _TITLES:
        raise RangeError(f"unknown range {name!r}; use one of {', '.join(_TITLES)}")
    return key


def range_title(canonical: str) -> str:
    """WakaTime's human_readable_range: ``"Last 7 Days"``, ``"2024"``, ``"March 2024"``."""
    month = _MONTH.fullmatch(canonical)
    if month:
        return f"{_MONTH_NAMES[int(month[2]) - 1]} {month[1]}"
    return _TITLES.get(canonical, canonical)


def _add_months(day: date, months: int) -> date:
    """The same day ``months`` later (earlier if negative), clamped to the month's last day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    first_of_next = date(year + (month == 11), (month + 1) % 12 + 1, 1)
    return date(year, month + 1, min(day.day, (first_of_next - timedelta(days=1)).day))


def parse_range(name: str, today: date, *, first_day: date | None = None) -> tuple[date, date]:
    """The first and last day (inclusive) of a named range, seen from ``today``.

    Rolling ranges end today and span exactly their length: ``last_7_days`` is today and the six
    days before it (WakaTime's "Last 7 Days"), ``last_6_months`` starts the day after the same
    date six months ago, ``last_year`` (wakapi's ``12_months``, ``last_12_months``) likewise for
    twelve months. ``yesterday`` (wakapi's ``day``), ``last_7_days_from_yesterday`` (the seven
    days before today), ``this_week`` (``week``: from Monday), ``last_week``, ``this_month``
    (``month``), ``last_month``, ``this_year`` (``year``) are calendar ranges, the current ones
    up to today. ``all_time`` (``any``) starts at ``first_day`` (the day of the first
    heartbeat), today without one, at most MAX_DAYS back. ``YYYY`` and ``YYYY-MM`` are that
    year or month, up to today. Raises RangeError for an unknown name or a range after today.
    """
    canonical = canonical_range(name)
    start, end = _resolve(canonical, today, first_day)
    if start > today:
        raise RangeError(f"range {name!r} has not begun yet")
    if canonical == "all_time":
        start = max(start, today - timedelta(days=MAX_DAYS - 1))
    return start, min(end, today)


def _resolve(canonical: str, today: date, first_day: date | None) -> tuple[date, date]:
    one = timedelta(days=1)
    monday = today - timedelta(days=today.weekday())
    month_start = today.replace(day=1)
    days_back = {"last_7_days": 7, "last_14_days": 14, "last_30_days": 30}
    months_back = {"last_6_months": 6, "last_year": 12}
    if canonical in days_back:
        return today - timedelta(days=days_back[canonical] - 1), today
    if canonical in months_back:
        return _add_months(today, -months_back[canonical]) + one, today
    fixed = {
        "today": (today, today),
        "yesterday": (today - one, today - one),
        "last_7_days_from_yesterday": (today - timedelta(days=7), today - one),
        "this_week": (monday, today),
        "last_week": (monday - timedelta(days=7), monday - one),
        "this_month": (month_start, today),
        "last_month": (_add_months(month_start, -1), month_start - one),
        "this_year": (today.replace(month=1, day=1), today),
        "all_time": (min(first_day or today, today), today),
    }
    if canonical in fixed:
        return fixed[canonical]
    month = _MONTH.fullmatch(canonical)
    try:
        if month:
            first = date(int(month[1]), int(month[2]), 1)
            return first, _add_months(first, 1) - one
        return date(int(canonical), 1, 1), date(int(canonical), 12, 31)
    except ValueError:
        raise RangeError(f"invalid range {canonical!r}") from None


_US_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")


def parse_day(value: str, today: date, tz: ZoneInfo) -> date:
    """A ``start``/``end`` parameter as a day in ``tz``: ``YYYY-MM-DD``, ``today``,
    ``yesterday``, WakaTime's old ``MM/DD/YYYY``, or an ISO 8601 date-time (its date in ``tz``
    when it has an offset; a ``+`` that a query string turned into a space is read back)."""
    text = value.strip()
    lower = text.lower()
    if lower == "today":
        return today
    if lower == "yesterday":
        return today - timedelta(days=1)
    try:
        us_date = _US_DATE.fullmatch(text)
        if us_date:
            return date(int(us_date[3]), int(us_date[1]), int(us_date[2]))
        if len(text) == 10:
            return date.fromisoformat(text)
        moment = datetime.fromisoformat(text.replace(" ", "+") if "T" in text else text)
    except ValueError:
        raise RangeError(f"invalid date {value!r}: use YYYY-MM-DD") from None
    return moment.astimezone(tz).date() if moment.tzinfo else moment.date()


def parse_start_end(
    start: str | None, end: str | None, today: date, tz: ZoneInfo
) -> tuple[date, date]:
    """The days of ``start``/``end`` parameters (the end day is included, as in WakaTime).

    Like wakapi, a range name given as both (``start=last_7_days&end=last_7_days``) is that
    range. Raises RangeError when one is missing or invalid, the end is before the start, or
    the range is longer than MAX_DAYS.
    """
    if not start:
        raise RangeError("missing required 'start' parameter")
    if not end:
        raise RangeError("missing required 'end' parameter")
    if start == end and _is_range(start):
        return parse_range(start, today)
    first, last = parse_day(start, today, tz), parse_day(end, today, tz)
    if last < first:
        raise RangeError(f"'end' ({last}) is before 'start' ({first})")
    if (last - first).days >= MAX_DAYS:
        raise RangeError(f"at most {MAX_DAYS} days at once")
    return first, last


def _is_range(value: str) -> bool:
    try:
        canonical_range(value)
    except RangeError:
        return False
    return True


def zone(name: str) -> ZoneInfo:
    """The IANA time zone of a ``timezone`` parameter or ``Timezone`` header; RangeError for
    a name zoneinfo does not know."""
    text = name.strip()
    try:
        if not text or "\x00" in text:
            raise ValueError(text)
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise RangeError(
            f"unknown time zone {name!r}; use an IANA name like Europe/Berlin"
        ) from None
