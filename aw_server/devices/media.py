"""The now-playing view of a report's ``metadata.media``: what the live feed shows and what the
ActivityWatch media bucket keeps. Pure.

Reporters name the same things in many ways; every alias Waken-Wa reads is read here:

- ``title`` (required: no media without a non-empty one), ``singer`` or ``artist``, ``album``,
  and ``metadata.play_source`` as the source; each trimmed and cut to 200 characters (``…``);
- state: ``status``, ``state`` or ``playbackState`` (playing/play/running, paused/pause,
  stopped/stop/ended/idle, any case), else the booleans ``isPaused``/``paused``, else
  ``isPlaying``/``playing``, else playing when timestamps are given;
- position: ``positionMs``, ``elapsedMs``, ``currentMs``, ``progressMs``, or the same with
  ``Sec``; duration: ``durationMs``, ``lengthMs``, ``totalMs`` or the ``Sec`` forms, else
  end - start; numbers or numeric strings, never negative, capped at 24 h;
- timestamps: ``timestamps.start``/``end``, else ``startTimestamp``/``startedAt``/``startTime``
  and ``endTimestamp``/``endsAt``/``endTime``; numbers above 1e10 are milliseconds, smaller
  ones seconds; other strings are ISO 8601;
- images: ``coverUrl`` (else a ``coverDataUrl`` that is a plain URL), and the first of the app
  icon URL fields; only http(s) and same-site paths (``/api/media/covers/...``), so a page that
  shows them never loads ``javascript:`` or a data URL a report smuggled in.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Final, Literal

from aw_core.timeutil import parse_datetime, to_us
from aw_server.devices.report import clamp_text, round_half_up

Status = Literal["playing", "paused", "stopped"]

TEXT_MAX: Final = 200
DAY_MS: Final = 24 * 60 * 60 * 1000
MS_THRESHOLD: Final = 1e10  # 1e10 s is the year 2286; 1e10 ms is April 1970
MAX_TIMESTAMP_MS: Final = 253_402_300_799_999  # 9999-12-31T23:59:59.999Z

_STATUS_WORDS: Final[dict[str, Status]] = {
    "playing": "playing",
    "play": "playing",
    "running": "playing",
    "paused": "paused",
    "pause": "paused",
    "stopped": "stopped",
    "stop": "stopped",
    "ended": "stopped",
    "idle": "stopped",
}
POSITION_MS: Final = ("positionMs", "elapsedMs", "currentMs", "progressMs")
POSITION_SEC: Final = ("positionSec", "elapsedSec", "currentSec", "progressSec")
DURATION_MS: Final = ("durationMs", "lengthMs", "totalMs")
DURATION_SEC: Final = ("durationSec", "lengthSec", "totalSec")
START_ALIASES: Final = ("startTimestamp", "startedAt", "startTime")
END_ALIASES: Final = ("endTimestamp", "endsAt", "endTime")
ICON_URL_FIELDS: Final = (
    "appIconUrl",
    "app_icon_url",
    "iconUrl",
    "icon_url",
    "sourceIconUrl",
    "playSourceIconUrl",
    "playerIconUrl",
    "programIconUrl",
    "appIcon",
    "icon",
)

# Boolean aliases, in the order they are read: (names, state when true, state when false).
_STATUS_FLAGS: Final[tuple[tuple[tuple[str, ...], Status, Status], ...]] = (
    (("isPaused", "paused"), "paused", "playing"),
    (("isPlaying", "playing"), "playing", "paused"),
)

_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)


@dataclass(frozen=True)
class Media:
    title: str
    artist: str | None = None
    album: str | None = None
    status: Status | None = None
    source: str | None = None
    position_ms: int | None = None
    duration_ms: int | None = None
    start_ms: int | None = None
    end_ms: int | None = None
    cover_url: str | None = None
    icon_url: str | None = None

    def to_wire(self) -> dict[str, Any]:
        """The live view in the feed's camelCase (progress and images included)."""
        return {
            "title": self.title,
            "artist": self.artist,
            "album": self.album,
            "status": self.status,
            "source": self.source,
            "positionMs": self.position_ms,
            "durationMs": self.duration_ms,
            "startedAtMs": self.start_ms,
            "endsAtMs": self.end_ms,
            "coverUrl": self.cover_url,
            "appIconUrl": self.icon_url,
        }


def media_of(metadata: dict[str, Any]) -> Media | None:
    """The now-playing media of a report's metadata; None unless ``media.title`` is a string
    that is not empty once trimmed."""
    media = metadata.get("media")
    if not isinstance(media, dict):
        return None
    title = _text(media.get("title"))
    if title is None:
        return None
    start_ms, end_ms = _timestamps(media)
    inferred = end_ms - start_ms if start_ms is not None and end_ms is not None else None
    duration_ms = _span(media, DURATION_MS, DURATION_SEC)
    if duration_ms is None and inferred is not None and inferred > 0:
        duration_ms = min(inferred, DAY_MS)
    return Media(
        title=title,
        artist=_text(_first_text(media, "singer", "artist")),
        album=_text(media.get("album")),
        status=_status(media, start_ms is not None or end_ms is not None),
        source=_text(metadata.get("play_source")),
        position_ms=_span(media, POSITION_MS, POSITION_SEC),
        duration_ms=duration_ms,
        start_ms=start_ms,
        end_ms=end_ms,
        cover_url=_cover_url(media),
        icon_url=next(filter(None, (_url(media.get(k)) for k in ICON_URL_FIELDS)), None),
    )


def bucket_data(media: Media) -> dict[str, Any]:
    """What an event of the ActivityWatch media bucket holds: identity and state, never the
    position or timestamps (they change on every report, and heartbeats merge only equal data)."""
    return {
        "title": media.title,
        "artist": media.artist,
        "album": media.album,
        "status": media.status,
        "source": media.source,
    }


def _text(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    text = value.strip()
    return clamp_text(text, TEXT_MAX) if text else None


def _first_text(media: dict[str, Any], *names: str) -> str | None:
    return next(filter(None, (_text(media.get(n)) for n in names)), None)


def _number(value: object) -> float | None:
    """A finite number from a JSON number or a numeric string (reporters send both)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and _NUMBER.fullmatch(value.strip()):
        value = value.strip()
    elif not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:  # an integer beyond the double range
        return None
    return number if math.isfinite(number) else None


def _span(
    media: dict[str, Any], ms_names: tuple[str, ...], sec_names: tuple[str, ...]
) -> int | None:
    """The first usable length in ms among the ms aliases, then the seconds aliases."""
    for names, scale in ((ms_names, 1), (sec_names, 1000)):
        for name in names:
            number = _number(media.get(name))
            if number is not None and number >= 0:
                # capped before rounding: a huge number of seconds is infinite in ms
                return round_half_up(min(number * scale, DAY_MS))
    return None


def _timestamp_ms(value: object) -> int | None:
    number = _number(value)
    if number is not None:
        ms = round_half_up(number if number > MS_THRESHOLD else number * 1000)
    elif isinstance(value, str) and value.strip():
        try:
            ms = to_us(parse_datetime(value)) // 1000
        except ValueError:
            return None
    else:
        return None
    return ms if 0 < ms <= MAX_TIMESTAMP_MS else None


def _timestamps(media: dict[str, Any]) -> tuple[int | None, int | None]:
    given = media.get("timestamps")
    pair = given if isinstance(given, dict) else {}
    start = _first_timestamp((pair.get("start"), *(media.get(k) for k in START_ALIASES)))
    end = _first_timestamp((pair.get("end"), *(media.get(k) for k in END_ALIASES)))
    return start, end


def _first_timestamp(values: tuple[object, ...]) -> int | None:
    return next((ms for ms in map(_timestamp_ms, values) if ms is not None), None)


def _status(media: dict[str, Any], has_timestamps: bool) -> Status | None:
    word = _first_given(media, ("status", "state", "playbackState"))
    if isinstance(word, str) and word.strip().lower() in _STATUS_WORDS:
        return _STATUS_WORDS[word.strip().lower()]
    for names, when_true, when_false in _STATUS_FLAGS:
        flag = _first_given(media, names)
        if isinstance(flag, bool):
            return when_true if flag else when_false
    return "playing" if has_timestamps else None


def _first_given(media: dict[str, Any], names: tuple[str, ...]) -> object:
    """The value of the first of ``names`` that is present and not null."""
    return next((media[n] for n in names if media.get(n) is not None), None)


def _url(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    url = value.strip()
    lowered = url[:8].lower()
    if lowered.startswith(("http://", "https://")) or (url.startswith("/") and url[:2] != "//"):
        return url
    return None


def _cover_url(media: dict[str, Any]) -> str | None:
    return _url(media.get("coverUrl")) or _url(media.get("coverDataUrl"))
