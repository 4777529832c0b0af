"""Parsing and formatting of timestamps and durations: the one place that knows ISO 8601 quirks.

Inside the project every datetime is timezone-aware UTC and every stored instant is an integer
number of microseconds since the Unix epoch.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)


def parse_datetime(value: str | datetime) -> datetime:
    """Parse an ISO 8601 string (or take a datetime) and return it as aware UTC.

    A value without a UTC offset is taken to be UTC. Raises ValueError on anything else,
    including dates that fall outside the representable range once converted to UTC.
    """
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, str):
        text = value.strip()
        if not text:
            raise ValueError("empty timestamp")
        try:
            # fast path: the C parser covers what clients send (offsets, Z, fractions)
            dt = datetime.fromisoformat(text)
        except ValueError:
            from dateutil.parser import isoparse  # rarely needed: imported on first use

            try:
                dt = isoparse(text)  # the rest of ISO 8601 (week dates, basic format, 9 digits)
            except (ValueError, OverflowError) as exc:
                raise ValueError(f"invalid ISO 8601 timestamp {value!r}: {exc}") from None
    else:
        raise ValueError(f"timestamp must be an ISO 8601 string, not {type(value).__name__}")
    if dt.tzinfo is UTC:
        return dt  # what clients send ("Z" or "+00:00"): nothing to convert
    if dt.tzinfo is None:
        return dt.replace(tzinfo=UTC)
    try:
        return dt.astimezone(UTC)
    except (OverflowError, ValueError):
        raise ValueError(f"timestamp {value!r} is out of range") from None


def format_datetime(dt: datetime) -> str:
    """Format an aware datetime as ISO 8601 in UTC (``2024-01-01T12:00:00.123000+00:00``)."""
    return dt.astimezone(UTC).isoformat()


def to_us(dt: datetime) -> int:
    """Microseconds since the Unix epoch for an aware datetime."""
    return (dt - EPOCH) // _US


MAX_US = to_us(datetime.max.replace(tzinfo=UTC))


def duration_to_us(duration: timedelta) -> int:
    """A timedelta as a whole number of microseconds."""
    return duration // _US


# Longer than the whole datetime range (~3.2e11 s) and still a valid timedelta.
_SECONDS_CAP = 1e13


def seconds_to_us(seconds: float) -> int:
    """A number of seconds (such as a pulsetime) as whole microseconds, rounded as timedelta
    rounds; values beyond the datetime range are capped, so they still compare as huge."""
    capped = max(-_SECONDS_CAP, min(seconds, _SECONDS_CAP))
    return timedelta(seconds=capped) // _US


def from_us(us: int) -> datetime:
    """The aware UTC datetime for a number of microseconds since the Unix epoch."""
    return EPOCH + timedelta(0, 0, us)  # positional: much cheaper than the keyword


def parse_duration(value: object) -> timedelta:
    """Take a duration as a number of seconds or a timedelta; reject booleans, NaN and infinities."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"duration must be a number of seconds, not {type(value).__name__}")
    if not math.isfinite(value):
        raise ValueError("duration must be a finite number")
    try:
        return timedelta(seconds=value)
    except OverflowError:
        raise ValueError(f"duration {value!r} is out of range") from None


_MAX_DURATION_US = timedelta.max // _US


def duration_us_from_seconds(value: object) -> int:
    """Whole microseconds for a JSON duration in seconds, rounded as timedelta rounds; rejects
    booleans, NaN, infinities and values beyond timedelta's range (like parse_duration)."""
    if type(value) is int:
        us = value * 1_000_000
        if -_MAX_DURATION_US <= us <= _MAX_DURATION_US:
            return us
        raise ValueError(f"duration {value!r} is out of range")
    return duration_to_us(parse_duration(value))


def parse_seconds(value: object, name: str) -> float:
    """Parse a non-negative finite number of seconds given as a number or a numeric string."""
    if isinstance(value, bool):
        raise ValueError(f"{name} must be a number")
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise ValueError(f"{name} must be a number, got {value!r}") from None
    if not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0")
    return float(value)
