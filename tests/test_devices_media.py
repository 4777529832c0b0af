"""The now-playing view of a report's metadata: every alias reporters use, the state rules, the
24 h caps, milliseconds vs seconds vs ISO timestamps, and what the media bucket keeps."""

from __future__ import annotations

from typing import Any

import pytest

from aw_server.devices.media import (
    DAY_MS,
    DURATION_MS,
    DURATION_SEC,
    END_ALIASES,
    ICON_URL_FIELDS,
    POSITION_MS,
    POSITION_SEC,
    START_ALIASES,
    Media,
    bucket_data,
    media_of,
)

START_MS = 1_778_017_800_000  # 2026-05-05T21:50:00Z, the reporting guide's example
END_MS = 1_778_018_044_000


def of(**media: Any) -> Media | None:
    return media_of({"media": {"title": "Song", **media}})


def shown(**media: Any) -> Media:
    result = of(**media)
    assert result is not None
    return result


def test_the_guide_example() -> None:
    metadata = {
        "play_source": "cloudmusic.exe",
        "media": {
            "title": "Song Title",
            "singer": "Artist Name",
            "album": "Album Name",
            "status": "playing",
            "positionMs": 83000,
            "durationMs": 244000,
            "timestamps": {"start": START_MS, "end": END_MS},
        },
    }
    assert media_of(metadata) == Media(
        title="Song Title",
        artist="Artist Name",
        album="Album Name",
        status="playing",
        source="cloudmusic.exe",
        position_ms=83_000,
        duration_ms=244_000,
        start_ms=START_MS,
        end_ms=END_MS,
    )


# --- title and text -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "metadata",
    [
        {},
        {"media": None},
        {"media": "Song"},
        {"media": ["Song"]},
        {"media": {}},
        {"media": {"title": None}},
        {"media": {"title": 5}},
        {"media": {"title": ""}},
        {"media": {"title": "   "}},
        {"media": {"singer": "Someone"}},
    ],
)
def test_no_media_without_a_title(metadata: dict[str, Any]) -> None:
    assert media_of(metadata) is None


def test_the_title_is_trimmed_and_clamped_to_200_characters() -> None:
    assert shown(title="  Song  ").title == "Song"
    assert shown(title="s" * 200).title == "s" * 200
    clamped = shown(title="s" * 201).title
    assert clamped == "s" * 199 + "…" and len(clamped) == 200
    assert shown(title="歌" * 500).title == "歌" * 199 + "…"


def test_singer_comes_before_artist() -> None:
    assert shown(singer="S", artist="A").artist == "S"
    assert shown(artist="A").artist == "A"
    assert shown(singer="  ", artist="A").artist == "A"
    assert shown(singer=3, artist="A").artist == "A"
    assert shown().artist is None


def test_album_and_source_are_trimmed_and_clamped() -> None:
    assert shown(album=" Album ").album == "Album"
    assert shown(album="a" * 300).album == "a" * 199 + "…"
    result = media_of({"play_source": " spotify.exe ", "media": {"title": "t"}})
    assert result is not None and result.source == "spotify.exe"
    assert shown().source is None


# --- state --------------------------------------------------------------------------------------

WORDS = [
    ("playing", "playing"),
    ("play", "playing"),
    ("running", "playing"),
    ("paused", "paused"),
    ("pause", "paused"),
    ("stopped", "stopped"),
    ("stop", "stopped"),
    ("ended", "stopped"),
    ("idle", "stopped"),
]


@pytest.mark.parametrize("key", ["status", "state", "playbackState"])
@pytest.mark.parametrize(("word", "expected"), WORDS)
def test_every_status_word_under_every_key(key: str, word: str, expected: str) -> None:
    assert shown(**{key: word}).status == expected
    assert shown(**{key: f" {word.upper()} "}).status == expected


def test_status_comes_before_state_and_playback_state() -> None:
    assert shown(status="paused", state="playing", playbackState="stopped").status == "paused"
    assert shown(status=None, state="stop").status == "stopped"


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        ({"isPaused": True}, "paused"),
        ({"isPaused": False}, "playing"),
        ({"paused": True}, "paused"),
        ({"paused": False}, "playing"),
        ({"isPlaying": True}, "playing"),
        ({"isPlaying": False}, "paused"),
        ({"playing": True}, "playing"),
        ({"playing": False}, "paused"),
        ({"isPaused": True, "isPlaying": True}, "paused"),  # isPaused is read first
        ({"status": "buffering", "isPaused": True}, "paused"),  # an unknown word falls through
        ({"isPaused": "true"}, None),
        ({"isPlaying": 1}, None),
    ],
)
def test_boolean_state_aliases(flags: dict[str, Any], expected: str | None) -> None:
    assert shown(**flags).status == expected


def test_timestamps_alone_mean_playing() -> None:
    assert shown(timestamps={"start": START_MS}).status == "playing"
    assert shown(endTime=END_MS).status == "playing"
    assert shown(timestamps={"start": START_MS}, status="paused").status == "paused"
    assert shown().status is None
    assert shown(positionMs=1000).status is None


# --- position and duration ----------------------------------------------------------------------


@pytest.mark.parametrize("key", POSITION_MS)
def test_position_ms_aliases(key: str) -> None:
    assert shown(**{key: 83_000}).position_ms == 83_000


@pytest.mark.parametrize("key", POSITION_SEC)
def test_position_second_aliases(key: str) -> None:
    assert shown(**{key: 83.25}).position_ms == 83_250


@pytest.mark.parametrize("key", DURATION_MS)
def test_duration_ms_aliases(key: str) -> None:
    assert shown(**{key: 244_000}).duration_ms == 244_000


@pytest.mark.parametrize("key", DURATION_SEC)
def test_duration_second_aliases(key: str) -> None:
    assert shown(**{key: 244}).duration_ms == 244_000


def test_ms_aliases_come_before_second_aliases_and_in_order() -> None:
    assert shown(positionSec=1, positionMs=5).position_ms == 5
    assert shown(progressMs=7, positionMs=5).position_ms == 5
    assert shown(totalMs=9, durationMs=3).duration_ms == 3


def test_unusable_values_fall_through_to_the_next_alias() -> None:
    assert shown(positionMs=-1, elapsedMs=20).position_ms == 20
    assert shown(positionMs="soon", positionSec=2).position_ms == 2000
    assert shown(durationMs=True, lengthMs=30).duration_ms == 30
    assert shown(positionMs="NaN").position_ms is None
    assert shown(positionMs=None).position_ms is None


def test_numeric_strings_are_read() -> None:
    assert shown(positionMs="83000").position_ms == 83_000
    assert shown(durationSec=" 244.5 ").duration_ms == 244_500
    assert shown(positionMs="1e3").position_ms == 1000
    assert shown(positionMs="1_000").position_ms is None  # Python's float would take it


def test_lengths_are_rounded_half_up() -> None:
    assert shown(positionMs=10.5).position_ms == 11
    assert shown(positionSec=0.0005).position_ms == 1


def test_position_and_duration_are_capped_at_24_hours() -> None:
    assert shown(positionMs=DAY_MS).position_ms == DAY_MS
    assert shown(positionMs=DAY_MS + 1).position_ms == DAY_MS
    assert shown(durationSec=10**9).duration_ms == DAY_MS
    assert shown(durationMs=1e300).duration_ms == DAY_MS
    assert shown(positionSec=1e308).position_ms == DAY_MS  # infinite once in ms
    assert shown(durationMs=10**400).duration_ms is None  # beyond a double: not a length at all


def test_duration_from_timestamps_when_not_given() -> None:
    assert shown(timestamps={"start": START_MS, "end": END_MS}).duration_ms == 244_000
    assert shown(timestamps={"start": START_MS, "end": END_MS}, durationMs=1).duration_ms == 1
    assert shown(timestamps={"start": START_MS, "end": START_MS}).duration_ms is None
    assert shown(timestamps={"start": END_MS, "end": START_MS}).duration_ms is None
    assert shown(timestamps={"start": START_MS}).duration_ms is None
    two_days = {"start": START_MS, "end": START_MS + 2 * DAY_MS}
    assert shown(timestamps=two_days).duration_ms == DAY_MS


# --- timestamps ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        START_MS,  # ms
        START_MS / 1000,  # seconds
        float(START_MS),
        str(START_MS),
        "1778017800",
        "2026-05-05T21:50:00Z",
        "2026-05-05T21:50:00.000+00:00",
        "2026-05-06T05:50:00+08:00",
        "2026-05-05T21:50:00",  # no offset: UTC
    ],
)
def test_timestamps_ms_seconds_and_iso(value: object) -> None:
    assert shown(timestamps={"start": value}).start_ms == START_MS


def test_the_ms_threshold_is_1e10() -> None:
    assert shown(timestamps={"start": 10_000_000_000}).start_ms == 10_000_000_000_000  # seconds
    assert shown(timestamps={"start": 10_000_000_001}).start_ms == 10_000_000_001  # ms


@pytest.mark.parametrize(
    "value", [0, -5, "-5", "", "yesterday", True, None, [1], 1e20, "9999999999999999"]
)
def test_unusable_timestamps_are_none(value: object) -> None:
    assert shown(timestamps={"start": value, "end": value}).start_ms is None


@pytest.mark.parametrize("key", START_ALIASES)
def test_start_aliases(key: str) -> None:
    assert shown(**{key: START_MS}).start_ms == START_MS


@pytest.mark.parametrize("key", END_ALIASES)
def test_end_aliases(key: str) -> None:
    assert shown(**{key: END_MS}).end_ms == END_MS


def test_the_timestamps_object_comes_first() -> None:
    result = shown(timestamps={"start": START_MS, "end": END_MS}, startTime=1, endTime=2)
    assert (result.start_ms, result.end_ms) == (START_MS, END_MS)
    fallback = shown(timestamps={"start": "nonsense"}, startedAt=START_MS)
    assert fallback.start_ms == START_MS
    assert shown(timestamps="soon", startTime=START_MS).start_ms == START_MS


# --- images -------------------------------------------------------------------------------------


def test_cover_url() -> None:
    assert shown(coverUrl="https://img.example/c.jpg").cover_url == "https://img.example/c.jpg"
    assert shown(coverUrl=" /api/media/covers/0123456789abcdef ").cover_url == (
        "/api/media/covers/0123456789abcdef"
    )
    assert shown(coverDataUrl="http://img.example/c.jpg").cover_url == "http://img.example/c.jpg"
    assert shown(coverUrl="/a", coverDataUrl="/b").cover_url == "/a"


@pytest.mark.parametrize(
    "value",
    [
        "data:image/png;base64,AAAA",
        "javascript:alert(1)",
        "//evil.example/x.png",
        "ftp://x/y.png",
        "cover.png",
        "",
        5,
    ],
)
def test_unsafe_or_unusable_image_urls_are_not_shown(value: object) -> None:
    assert shown(coverUrl=value, coverDataUrl=value).cover_url is None
    assert shown(appIconUrl=value).icon_url is None


@pytest.mark.parametrize("key", ICON_URL_FIELDS)
def test_every_icon_url_field(key: str) -> None:
    assert shown(**{key: "/api/media/covers/fedcba9876543210"}).icon_url == (
        "/api/media/covers/fedcba9876543210"
    )


def test_the_first_usable_icon_url_wins() -> None:
    assert shown(appIconUrl="data:x", iconUrl="/i", icon="/j").icon_url == "/i"


# --- what is kept -------------------------------------------------------------------------------


def test_bucket_data_keeps_identity_and_state_only() -> None:
    media = shown(
        singer="S",
        album="A",
        status="paused",
        positionMs=5,
        durationMs=10,
        timestamps={"start": START_MS},
        coverUrl="/c",
    )
    assert bucket_data(media) == {
        "title": "Song",
        "artist": "S",
        "album": "A",
        "status": "paused",
        "source": None,
    }
    assert bucket_data(shown(positionMs=1)) == bucket_data(shown(positionMs=2))


def test_to_wire_is_camel_case() -> None:
    media = shown(positionMs=5, durationMs=10, coverUrl="/c", appIconUrl="/i")
    assert media.to_wire() == {
        "title": "Song",
        "artist": None,
        "album": None,
        "status": None,
        "source": None,
        "positionMs": 5,
        "durationMs": 10,
        "startedAtMs": None,
        "endsAtMs": None,
        "coverUrl": "/c",
        "appIconUrl": "/i",
    }
