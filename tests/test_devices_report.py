"""The input side of the device reporting API: recorded reports (the reporting guide's curl and
fetch examples, Waken-Wa reporter-like bodies) in, normalised reports out; every normalisation
rule, every unusable body a clear 400, and the metadata merge rule."""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from typing import Any

import orjson
import pytest

from aw_server.devices.media import media_of
from aw_server.devices.report import (
    DATA_URL_MAX_CHARS,
    ICON_FIELDS,
    METADATA_MAX_CHARS,
    METADATA_MAX_DEPTH,
    METADATA_MAX_KEYS,
    SERVER_KEYS,
    Images,
    Report,
    ReportError,
    attach_image_urls,
    extract_images,
    merge_metadata,
    parse_report,
)
from tests.fixtures.devices import (
    RecordedRequest,
    data_url_bytes,
    load,
    names,
    png_data_url,
    png_size,
    reports,
)

KEY = "3f9a1c2b7d4e8f60a1b2c3d4e5f60718"
COVER = png_data_url(3, 2, (10, 20, 30, 255))
ICON = png_data_url(1, 1, (250, 250, 0, 128))


def body(**fields: Any) -> dict[str, Any]:
    """A valid minimal report, with ``fields`` replacing keys (None values are sent as null)."""
    return {"generatedHashKey": KEY, "process_name": "Code.exe", **fields}


def without(name: str) -> dict[str, Any]:
    value = body()
    value.pop(name, None)
    return value


def parse(**fields: Any) -> Report:
    return parse_report(body(**fields))


def refused(value: object) -> str:
    with pytest.raises(ReportError) as caught:
        parse_report(value)
    assert caught.value.status == 400
    return str(caught.value)


def parse_recorded(request: RecordedRequest) -> Report:
    """Parse a recorded body as the API does (orjson), checking the parse leaves it unchanged."""
    payload = orjson.loads(request.body.encode())
    before = copy.deepcopy(payload)
    report = parse_report(payload)
    assert payload == before
    return report


def compact_length(value: object) -> int:
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False))


# --- the recorded requests ----------------------------------------------------------------------


def test_fixtures_are_all_here() -> None:
    assert names() == [
        "guide_curl",
        "guide_fetch_battery",
        "guide_fetch_no_battery",
        "guide_fetch_preflight",
        "merge_1_title",
        "merge_2_singer",
        "reporter_desktop_media",
        "reporter_phone_battery",
    ]


@pytest.mark.parametrize("request_", reports(), ids=lambda r: r.name)
def test_every_recorded_report_is_accepted(request_: RecordedRequest) -> None:
    assert request_.path == "/api/activity"
    assert request_.header("Authorization") == "Bearer YOUR_TOKEN"
    assert (request_.header("Content-Type") or "").startswith("application/json")
    report = parse_recorded(request_)
    assert report.hash_key == request_.hash_key()
    assert "generatedHashKey" not in report.metadata


def test_the_guide_curl_example() -> None:
    report = parse_recorded(load("guide_curl"))
    assert report == Report(
        hash_key="YOUR_DEVICE_HASH_KEY",
        process_name="VS Code",
        process_title="editing setup-form.tsx",
        device_name="MacBook Pro",
        battery=82,
        charging=True,
        device_type="desktop",
        push_mode="realtime",
        metadata={
            "play_source": "manual-test",
            "media": {"title": "Example Track", "singer": "Example Artist"},
        },
        images=Images(),
    )
    assert load("guide_curl").header("User-Agent") == "curl/7.88.1"


def test_the_guide_fetch_example_with_a_battery() -> None:
    request = load("guide_fetch_battery")
    report = parse_recorded(request)
    assert (report.device_name, report.process_name, report.process_title) == (
        "Linux x86_64",
        "Chrome",
        "Dashboard",
    )
    assert (report.battery, report.charging) == (57, False)
    assert report.push_mode == "active"
    assert report.metadata == {"media": {"title": "Example Track", "singer": "Example Artist"}}
    assert request.header("Origin") == "http://127.0.0.1:38612"  # a page on another origin


def test_the_guide_fetch_example_without_a_battery() -> None:
    request = load("guide_fetch_no_battery")
    assert "battery_level" not in request.payload() and "is_charging" not in request.payload()
    report = parse_recorded(request)
    assert (report.battery, report.charging) == (None, None)  # None: keep what the device had
    with_battery = parse_recorded(load("guide_fetch_battery"))
    assert report == replace(with_battery, battery=None, charging=None)


def test_the_fetch_example_is_preceded_by_a_cors_preflight() -> None:
    preflight = load("guide_fetch_preflight")
    assert (preflight.method, preflight.body) == ("OPTIONS", "")
    assert preflight.header("Access-Control-Request-Method") == "POST"
    assert preflight.header("Access-Control-Request-Headers") == "authorization,content-type"
    assert preflight.header("Authorization") is None


def test_a_desktop_reporter_with_media_cover_and_icon() -> None:
    report = parse_recorded(load("reporter_desktop_media"))
    # the reporter sends its unset options as null: absent, not errors
    assert (report.battery, report.charging, report.process_title) == (
        None,
        None,
        "report.py - aw-server-py - Visual Studio Code",
    )
    assert (report.device_name, report.device_type, report.push_mode) == (
        "DESKTOP-7Q2K9LM",
        "desktop",
        "realtime",
    )
    assert report.images.cover is not None and report.images.icon is not None
    assert png_size(data_url_bytes(report.images.cover)) == (4, 4)
    assert png_size(data_url_bytes(report.images.icon)) == (2, 2)
    media = report.metadata["media"]
    assert "coverDataUrl" not in media and "appIconDataUrl" not in media
    assert media["title"] == "晴天" and media["singer"] == "周杰伦"
    assert report.metadata["source"] == "waken-wa-client"
    stored = attach_image_urls(
        report.metadata,
        cover_url="/api/media/covers/0123456789abcdef",
        icon_url="/api/media/covers/fedcba9876543210",
    )
    shown = media_of(stored)
    assert shown is not None
    assert (shown.title, shown.artist, shown.album, shown.status) == (
        "晴天",
        "周杰伦",
        "叶惠美",
        "playing",
    )
    assert (shown.source, shown.position_ms, shown.duration_ms) == (
        "cloudmusic.exe",
        83_000,
        269_000,
    )
    assert shown.cover_url == "/api/media/covers/0123456789abcdef"
    assert shown.icon_url == "/api/media/covers/fedcba9876543210"


def test_a_phone_reporter_with_battery() -> None:
    request = load("reporter_phone_battery")
    assert request.header("Content-Type") == "application/json; charset=utf-8"
    report = parse_recorded(request)
    assert (report.device_name, report.device_type) == ("Pixel 7", "mobile")
    assert (report.process_name, report.process_title) == ("com.tencent.mm", "微信")
    assert (report.battery, report.charging) == (64, False)
    assert report.metadata == {"source": "waken-wa"}
    assert media_of(report.metadata) is None


def test_the_merge_fixtures_show_title_and_singer_together() -> None:
    first = parse_recorded(load("merge_1_title"))
    second = parse_recorded(load("merge_2_singer"))
    assert (first.hash_key, first.process_name) == (second.hash_key, second.process_name)
    merged = merge_metadata(first.metadata, second.metadata)
    assert merged == {
        "play_source": "manual-test",
        "media": {"title": "Example Track", "singer": "Example Artist"},
    }


def test_with_credentials_swaps_the_placeholders_only() -> None:
    request = load("guide_curl").with_credentials("aw_live_key", "a-real-device-key")
    assert request.header("Authorization") == "Bearer aw_live_key"
    assert request.hash_key() == "a-real-device-key"
    original = load("guide_curl").body
    assert request.body == original.replace('"YOUR_DEVICE_HASH_KEY"', '"a-real-device-key"')


# --- the body and the required fields -----------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "kind"),
    [([], "an array"), ("text", "a string"), (3, "a number"), (None, "null"), (True, "a boolean")],
)
def test_a_body_that_is_not_an_object_is_refused(value: object, kind: str) -> None:
    assert refused(value) == f"the request body must be a JSON object, not {kind}"


@pytest.mark.parametrize("name", ["generatedHashKey", "process_name"])
def test_a_missing_required_field_is_refused(name: str) -> None:
    assert refused(without(name)) == f"{name} is required"
    assert refused(body(**{name: None})) == f"{name} is required"
    assert refused(body(**{name: "   "})) == f"{name} is required and must not be empty"
    assert refused(body(**{name: 12345678})) == f"{name} must be a string, not a number"
    assert "control characters" in refused(body(**{name: "abc\x00defgh"}))


def test_required_fields_are_trimmed() -> None:
    report = parse(generatedHashKey=f"  {KEY}\n", process_name="\tCode.exe  ")
    assert (report.hash_key, report.process_name) == (KEY, "Code.exe")


def test_the_hash_key_length_is_that_of_the_registry() -> None:
    assert parse(generatedHashKey="k" * 8).hash_key == "k" * 8
    assert parse(generatedHashKey="k" * 128).hash_key == "k" * 128
    assert (
        refused(body(generatedHashKey="k" * 7))
        == "generatedHashKey must be 8 to 128 characters, not 7"
    )
    assert (
        refused(body(generatedHashKey="k" * 129))
        == "generatedHashKey must be 8 to 128 characters, not 129"
    )


@pytest.mark.parametrize(
    "name", ["微信", "Café.exe", "🎵 player", "e\u0301cole", "Code Helper (Renderer)"]
)
def test_unicode_process_names_are_kept(name: str) -> None:
    assert parse(process_name=name).process_name == name


def test_process_names_up_to_256_characters_pass_and_longer_ones_are_refused() -> None:
    assert parse(process_name="微" * 256).process_name == "微" * 256  # characters, not bytes
    assert refused(body(process_name="p" * 257)) == (
        "process_name is 257 characters long; at most 256 are accepted"
    )
    assert refused(body(process_name="p" * 1024)) == (
        "process_name is 1024 characters long; at most 256 are accepted"
    )


# --- optional fields ----------------------------------------------------------------------------


def test_the_process_title_is_trimmed_optional_and_cut() -> None:
    assert parse(process_title="  editing x.py ").process_title == "editing x.py"
    for absent in (None, "", "   ", 42, ["x"]):
        assert parse(process_title=absent).process_title is None
    assert parse().process_title is None
    assert parse(process_title="t" * 1024).process_title == "t" * 1024
    cut = parse(process_title="t" * 1025 + "tail").process_title
    assert cut == "t" * 1023 + "…" and len(cut) == 1024
    assert parse(process_title="a\tb\nc\x00d").process_title == "a b c d"


def test_the_device_name_defaults_is_trimmed_and_cut() -> None:
    for absent in (None, "", "  ", 7):
        assert parse(device=absent).device_name == "Unknown Device"
    assert parse().device_name == "Unknown Device"
    assert parse(device="  MacBook Pro ").device_name == "MacBook Pro"
    assert parse(device_name="Pixel 7").device_name == "Pixel 7"  # what reporters send alongside
    assert parse(device="Pixel 7", device_name="other").device_name == "Pixel 7"
    assert parse(device="d" * 200).device_name == "d" * 127 + "…"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (82, 82),
        (82.4, 82),
        (82.5, 83),  # rounded half up, as Math.round
        (0.5, 1),
        (-0.5, 0),
        (-5, 0),
        (0, 0),
        (100, 100),
        (150, 100),
        (1e300, 100),
        (10**30, 100),
        (-(10**30), 0),
    ],
)
def test_battery_is_rounded_and_clamped(value: float, expected: int) -> None:
    assert parse(battery_level=value).battery == expected
    assert parse(device_battery=value).battery == expected


@pytest.mark.parametrize("value", ["NaN", "82", "", True, False, None, [82], {"level": 82}])
def test_battery_that_is_not_a_number_is_ignored(value: object) -> None:
    assert parse(battery_level=value).battery is None


def test_non_finite_battery_is_ignored() -> None:
    # orjson refuses NaN and Infinity in a body; a caller with another JSON reader may not
    for value in (float("nan"), float("inf"), float("-inf")):
        assert parse(battery_level=value).battery is None
    sent = orjson.dumps(body(battery_level="NaN"))
    assert parse_report(orjson.loads(sent)).battery is None
    with pytest.raises(orjson.JSONDecodeError):
        orjson.loads(sent.replace(b'"NaN"', b"NaN"))


def test_battery_level_comes_before_device_battery() -> None:
    assert parse(battery_level=40, device_battery=90).battery == 40
    assert parse(battery_level="NaN", device_battery=90).battery == 90


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"is_charging": True}, True),
        ({"is_charging": False}, False),
        ({"isCharging": True}, True),
        ({"isCharging": False}, False),
        ({"is_charging": False, "isCharging": True}, False),
        ({"is_charging": "true"}, None),
        ({"is_charging": 1}, None),
        ({"is_charging": None, "isCharging": True}, True),
        ({}, None),
    ],
)
def test_charging_is_a_boolean_or_nothing(fields: dict[str, Any], expected: bool | None) -> None:
    assert parse(**fields).charging is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("desktop", "desktop"),
        ("tablet", "tablet"),
        ("mobile", "mobile"),
        (" Mobile ", "mobile"),
        ("DESKTOP", "desktop"),
        ("toaster", None),
        ("phone", None),
        ("", None),
        (None, None),
        (3, None),
    ],
)
def test_device_type(value: object, expected: str | None) -> None:
    assert parse(device_type=value).device_type == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("realtime", "realtime"),
        ("active", "active"),
        ("persistent", "active"),
        (" ACTIVE ", "active"),
        ("Persistent", "active"),
        ("forever", "realtime"),
        ("", "realtime"),
        (None, "realtime"),
        (1, "realtime"),
    ],
)
def test_push_mode(value: object, expected: str) -> None:
    assert parse(push_mode=value).push_mode == expected


def test_times_and_unknown_fields_are_ignored() -> None:
    extra = parse(
        started_at="2026-11-29T10:00:00Z",
        ended_at="2026-11-29T11:00:00Z",
        persist_minutes=30,
        id="activity_1",
        anything={"x": 1},
    )
    assert extra == parse()


# --- metadata -----------------------------------------------------------------------------------


def test_metadata_absent_or_null_is_empty() -> None:
    assert parse().metadata == {}
    assert parse(metadata=None).metadata == {}


@pytest.mark.parametrize(
    ("value", "kind"), [([], "an array"), ("{}", "a string"), (5, "a number"), (True, "a boolean")]
)
def test_metadata_that_is_not_an_object_is_refused(value: object, kind: str) -> None:
    assert refused(body(metadata=value)) == f"metadata must be a JSON object, not {kind}"


def test_server_keys_sent_by_a_client_are_dropped() -> None:
    sent = {key: "forged" for key in SERVER_KEYS} | {"play_source": "spotify"}
    assert parse(metadata=sent).metadata == {"play_source": "spotify"}


def test_metadata_of_50_keys_passes_and_51_is_refused() -> None:
    fifty = {f"k{i}": i for i in range(50)}
    assert parse(metadata=fifty).metadata == fifty
    assert (
        refused(body(metadata={**fifty, "k50": 50})) == "metadata too large: 51 keys (at most 50)"
    )
    # the server's own keys do not count against the client
    assert parse(metadata={**fifty, "deviceType": "x"}).metadata == fifty


def padded(chars: int, filler: str = "x") -> dict[str, Any]:
    """Metadata whose compact JSON is exactly ``chars`` characters long."""
    value = {"k": filler * (chars - len('{"k":""}'))}
    assert compact_length(value) == chars
    return value


def test_metadata_of_10240_characters_passes_and_10241_is_refused() -> None:
    assert METADATA_MAX_CHARS == 10_240
    assert parse(metadata=padded(10_240)).metadata == padded(10_240)
    assert refused(body(metadata=padded(10_241))) == (
        "metadata too large: 10,241 characters of JSON (at most 10,240)"
    )


def test_metadata_size_counts_characters_not_bytes() -> None:
    assert parse(metadata=padded(10_240, "é")).metadata == padded(10_240, "é")  # 20 KB of UTF-8
    assert "10,241 characters" in refused(body(metadata=padded(10_241, "é")))


def test_metadata_nesting_is_bounded() -> None:
    def nested(levels: int) -> dict[str, Any]:
        value: dict[str, Any] = {}
        for _ in range(levels - 1):
            value = {"a": value}
        return value

    assert parse(metadata=nested(METADATA_MAX_DEPTH)).metadata == nested(METADATA_MAX_DEPTH)
    message = f"metadata too large: nested more than {METADATA_MAX_DEPTH} levels deep"
    assert refused(body(metadata=nested(METADATA_MAX_DEPTH + 1))) == message
    assert refused(body(metadata=nested(900))) == message  # no RecursionError, no 500


def test_image_data_urls_do_not_count_against_the_metadata_limit() -> None:
    cover = "data:image/png;base64," + "A" * 1_000_000
    report = parse(metadata={"media": {"title": "t", "coverDataUrl": cover}})
    assert report.images == Images(cover=cover)
    assert report.metadata == {"media": {"title": "t"}}


# --- images -------------------------------------------------------------------------------------


def test_a_3_mib_data_url_is_refused_before_any_decoding() -> None:
    # not even base64: refused for its length alone
    huge = "data:image/png;base64," + "!" * (3 * 1024 * 1024)
    assert refused(body(metadata={"media": {"title": "t", "coverDataUrl": huge}})) == (
        f"image too large: media.coverDataUrl is a data URL of {len(huge):,} characters"
        " (at most 2,097,152)"
    )
    assert "media.iconDataUrl" in refused(body(metadata={"media": {"iconDataUrl": huge}}))


def test_a_data_url_of_exactly_2_mib_passes() -> None:
    head = "data:image/png;base64,"
    exact = head + "A" * (DATA_URL_MAX_CHARS - len(head))
    assert parse(metadata={"media": {"coverDataUrl": exact}}).images.cover == exact
    assert "image too large" in refused(body(metadata={"media": {"coverDataUrl": exact + "A"}}))


@pytest.mark.parametrize("field", ICON_FIELDS)
def test_every_icon_field_is_taken_out(field: str) -> None:
    metadata = {"media": {"title": "t", field: ICON}, "play_source": "x"}
    kept, images = extract_images(metadata)
    assert images == Images(icon=ICON)
    assert kept == {"media": {"title": "t"}, "play_source": "x"}


def test_the_first_icon_field_wins_and_all_data_urls_leave() -> None:
    other = png_data_url(1, 1, (0, 0, 0, 255))
    kept, images = extract_images(
        {"media": {"icon": other, "appIconDataUrl": ICON, "iconDataUrl": other}}
    )
    assert images == Images(icon=ICON)
    assert kept == {"media": {}}


def test_only_data_urls_are_taken_out() -> None:
    metadata = {
        "media": {
            "coverDataUrl": "https://example.org/cover.jpg",  # a plain URL there is kept
            "icon": "music-note",
            "appIconDataUrl": 42,
        }
    }
    kept, images = extract_images(metadata)
    assert images == Images()
    assert kept is metadata


def test_any_data_url_is_taken_out_for_images_py_to_judge() -> None:
    html = "data:text/html;base64,PHNjcmlwdD4="
    upper = " DATA:image/png;base64,AAAA "
    kept, images = extract_images({"media": {"coverDataUrl": html, "iconDataUrl": upper}})
    assert images == Images(cover=html, icon="DATA:image/png;base64,AAAA")
    assert kept == {"media": {}}


def test_extract_images_without_media_object() -> None:
    for metadata in ({}, {"media": None}, {"media": "a song"}, {"media": [COVER]}):
        kept, images = extract_images(metadata)
        assert kept is metadata and images == Images()


def test_extract_images_never_mutates() -> None:
    metadata = {"media": {"title": "t", "coverDataUrl": COVER, "appIcon": ICON}}
    before = copy.deepcopy(metadata)
    kept, images = extract_images(metadata)
    assert metadata == before
    assert images == Images(cover=COVER, icon=ICON)
    assert kept == {"media": {"title": "t"}}


def test_attach_image_urls_writes_back_into_media() -> None:
    metadata = {"media": {"title": "t"}, "play_source": "x"}
    written = attach_image_urls(metadata, cover_url="/c", icon_url="/i")
    assert written == {
        "media": {"title": "t", "coverUrl": "/c", "appIconUrl": "/i"},
        "play_source": "x",
    }
    assert metadata == {"media": {"title": "t"}, "play_source": "x"}
    assert attach_image_urls(metadata) is metadata
    assert attach_image_urls({"play_source": "x"}, cover_url="/c") == {"play_source": "x"}


def test_parse_report_never_mutates_the_body() -> None:
    sent = body(metadata={"media": {"title": "t", "coverDataUrl": COVER}, "pushMode": "x"})
    before = copy.deepcopy(sent)
    report = parse_report(sent)
    assert sent == before
    assert report.metadata == {"media": {"title": "t"}}
    assert report.metadata is not sent["metadata"]


# --- the merge rule -----------------------------------------------------------------------------


def test_merge_title_first_then_singer_later() -> None:
    first = {"media": {"title": "Example Track"}, "play_source": "manual-test"}
    second = {"media": {"singer": "Example Artist"}}
    merged = merge_metadata(first, second)
    assert merged == {
        "media": {"title": "Example Track", "singer": "Example Artist"},
        "play_source": "manual-test",
    }
    shown = media_of(merged)
    assert shown is not None and (shown.title, shown.artist) == ("Example Track", "Example Artist")


def test_merge_replaces_what_is_sent_again() -> None:
    old = {"media": {"title": "One", "singer": "A", "positionMs": 1000}}
    new = {"media": {"title": "Two", "positionMs": 5000}}
    assert merge_metadata(old, new) == {
        "media": {"title": "Two", "singer": "A", "positionMs": 5000}
    }


def test_merge_goes_one_level_into_media_only() -> None:
    old = {"media": {"timestamps": {"start": 1}}, "extra": {"a": 1}}
    new = {"media": {"timestamps": {"end": 2}}, "extra": {"b": 2}}
    assert merge_metadata(old, new) == {"media": {"timestamps": {"end": 2}}, "extra": {"b": 2}}


def test_merge_top_level_is_shallow() -> None:
    assert merge_metadata({"a": 1, "b": 2}, {"b": 3, "c": 4}) == {"a": 1, "b": 3, "c": 4}
    assert merge_metadata({"a": 1}, {}) == {"a": 1}
    assert merge_metadata({}, {"a": 1}) == {"a": 1}


def test_media_null_or_not_an_object_replaces_the_old_media() -> None:
    old = {"media": {"title": "t"}}
    assert merge_metadata(old, {"media": None}) == {"media": None}
    assert merge_metadata(old, {"media": "x"}) == {"media": "x"}
    assert merge_metadata({"media": "x"}, {"media": {"title": "t"}}) == {"media": {"title": "t"}}


def test_merge_never_mutates_its_inputs() -> None:
    old = {"media": {"title": "t", "coverUrl": "/c"}, "a": [1]}
    new = {"media": {"singer": "s"}, "b": {"x": 1}}
    old_before, new_before = copy.deepcopy(old), copy.deepcopy(new)
    merged = merge_metadata(old, new)
    assert (old, new) == (old_before, new_before)
    assert merged["media"] is not old["media"] and merged["media"] is not new["media"]
    merged["media"]["extra"] = 1
    assert (old, new) == (old_before, new_before)


def test_merge_that_would_outgrow_the_limits_keeps_the_new_metadata() -> None:
    old = {f"old{i}": i for i in range(30)} | {"deviceBatteryPercent": 50}
    new = {f"new{i}": i for i in range(30)}
    assert merge_metadata(old, new) == new
    # server keys do not count: 30 + 20 client keys fit
    small = {f"new{i}": i for i in range(20)}
    assert merge_metadata(old, small) == old | small
    assert len(merge_metadata(padded(6000), {"k2": "y" * 6000})) == 1
    assert METADATA_MAX_KEYS == 50


def test_required_fields_are_judged_before_the_metadata() -> None:
    oversized = {f"k{i}": i for i in range(60)}
    assert refused({"process_name": "x", "metadata": oversized}) == "generatedHashKey is required"
