"""The public display rules: app block and allow lists, name-only apps, media source rules with
every Waken-Wa spelling, hiding media; their config validation; items never mutated."""

from __future__ import annotations

import copy
import tomllib
from typing import Any

import pytest

from aw_core.config import ConfigError
from aw_server.devices.config import devices_config_from_document
from aw_server.devices.rules import (
    ACTION_KEYS,
    NAME_KEYS,
    SOURCE_KEYS,
    DisplayRules,
    MediaSourceRule,
    public_item,
    rules_from_config,
)

MEDIA = {"title": "晴天", "singer": "周杰伦", "coverUrl": "/api/media/covers/0123456789abcdef"}


def item(
    process: str = "Code.exe", title: str | None = "main.py - proj", **metadata: Any
) -> dict[str, Any]:
    """A feed item in Waken-Wa's shape."""
    return {
        "id": "activity_1",
        "deviceId": "dev_3f9a1c2b",
        "device": "Desk",
        "processName": process,
        "processTitle": title,
        "metadata": {"media": dict(MEDIA), "play_source": "cloudmusic.exe", **metadata},
    }


def rules(**table: Any) -> DisplayRules:
    return rules_from_config(table)


def public(entry: dict[str, Any], display: DisplayRules) -> dict[str, Any] | None:
    """public_item, checking on the way that it never mutates the item."""
    before = copy.deepcopy(entry)
    result = public_item(entry, display)
    assert entry == before
    return result


def shown(entry: dict[str, Any], display: DisplayRules) -> dict[str, Any]:
    result = public(entry, display)
    assert result is not None
    return result


def config_error(**table: Any) -> str:
    with pytest.raises(ConfigError) as caught:
        rules_from_config(table)
    return str(caught.value)


# --- apps ---------------------------------------------------------------------------------------


def test_no_rules_show_everything_unchanged() -> None:
    entry = item()
    assert public(entry, rules()) is entry
    assert rules() == DisplayRules()


def test_the_blocklist_is_exact_case_insensitive_and_trimmed() -> None:
    display = rules(app_blocklist=[" code.EXE ", "WeChat.exe"])
    assert public(item("Code.exe"), display) is None
    assert public(item("  CODE.exe"), display) is None
    assert public(item("wechat.exe"), display) is None
    assert public(item("Code.exe-helper"), display) is not None  # exact, not a substring
    assert public(item("code"), display) is not None


def test_the_allowlist_shows_only_its_apps() -> None:
    display = rules(app_allowlist=["Code.exe", "firefox"])
    assert public(item("code.exe"), display) is not None
    assert public(item("Firefox"), display) is not None
    assert public(item("Telegram.exe"), display) is None
    assert public(item("Code.exe"), rules(app_allowlist=[])) is not None  # empty: every app


def test_the_blocklist_applies_within_the_allowlist() -> None:
    display = rules(app_allowlist=["code.exe", "firefox"], app_blocklist=["firefox"])
    assert public(item("Code.exe"), display) is not None
    assert public(item("firefox"), display) is None


def test_an_item_without_a_process_name_is_judged_as_empty() -> None:
    entry = {"processTitle": "x"}
    assert public(entry, rules()) is entry
    assert public(entry, rules(app_allowlist=["code.exe"])) is None


def test_name_only_apps_lose_their_title_only() -> None:
    display = rules(name_only_apps=["WeChat.exe"])
    entry = item("wechat.exe", "Chat with Ann")
    result = shown(entry, display)
    assert result["processTitle"] is None
    assert {k: v for k, v in result.items() if k != "processTitle"} == {
        k: v for k, v in entry.items() if k != "processTitle"
    }
    untitled = item("WeChat.exe", None)
    assert public(untitled, display) is untitled
    assert shown(item("Code.exe"), display)["processTitle"] == "main.py - proj"


# --- media --------------------------------------------------------------------------------------


def test_hide_media_removes_media_and_keeps_the_rest() -> None:
    result = shown(item(source="waken-wa-client"), rules(hide_media=True))
    assert result["metadata"] == {"play_source": "cloudmusic.exe", "source": "waken-wa-client"}
    no_media = {"processName": "x", "metadata": {"a": 1}}
    assert public(no_media, rules(hide_media=True)) is no_media


def test_a_plain_string_is_a_block_rule() -> None:
    display = rules(media_source_rules=["CloudMusic.exe"])
    assert display.media_source_rules == (MediaSourceRule("cloudmusic.exe", "block"),)
    assert shown(item(), display)["metadata"] == {"play_source": "cloudmusic.exe"}
    assert shown(item(), display)["processTitle"] == "main.py - proj"


@pytest.mark.parametrize("source_key", SOURCE_KEYS)
def test_every_source_spelling(source_key: str) -> None:
    display = rules(media_source_rules=[{source_key: " CLOUDMUSIC.exe ", "action": "block"}])
    assert display.media_source_rules == (MediaSourceRule("cloudmusic.exe", "block"),)
    assert "media" not in shown(item(), display)["metadata"]


@pytest.mark.parametrize("action_key", ACTION_KEYS)
@pytest.mark.parametrize(
    ("action", "expected"),
    [
        ("block", "block"),
        ("rename", "rename"),
        ("override", "rename"),
        ("rewrite", "rename"),
        (" Rename ", "rename"),
    ],
)
def test_every_action_spelling(action_key: str, action: str, expected: str) -> None:
    rule: dict[str, Any] = {"source": "cloudmusic.exe", action_key: action}
    if expected == "rename":
        rule["displayName"] = "NetEase Cloud Music"
    display = rules(media_source_rules=[rule])
    assert display.media_source_rules[0].action == expected


@pytest.mark.parametrize("name_key", NAME_KEYS)
def test_every_display_name_spelling(name_key: str) -> None:
    display = rules(
        media_source_rules=[{"source": "cloudmusic.exe", "action": "rename", name_key: " NetEase "}]
    )
    assert display.media_source_rules == (MediaSourceRule("cloudmusic.exe", "rename", "NetEase"),)


def test_a_name_without_an_action_is_a_rename() -> None:
    display = rules(media_source_rules=[{"match": "cloudmusic.exe", "rewrite": "NetEase"}])
    assert display.media_source_rules == (MediaSourceRule("cloudmusic.exe", "rename", "NetEase"),)
    assert rules(media_source_rules=[{"source": "x"}]).media_source_rules[0].action == "block"


def test_rename_sets_play_source_name_and_keeps_the_media() -> None:
    display = rules(
        media_source_rules=[
            {"source": "CloudMusic.exe", "action": "rename", "displayName": "NetEase"}
        ]
    )
    metadata = shown(item(), display)["metadata"]
    assert metadata == {
        "media": MEDIA,
        "play_source": "cloudmusic.exe",
        "play_source_name": "NetEase",
    }


def test_block_removes_the_media_of_that_source_only() -> None:
    display = rules(media_source_rules=["spotify.exe"])
    assert "media" in shown(item(), display)["metadata"]
    blocked = item()
    blocked["metadata"]["play_source"] = "Spotify.EXE"
    assert "media" not in shown(blocked, display)["metadata"]


def test_media_without_a_source_meets_no_source_rule() -> None:
    entry = {"processName": "x", "metadata": {"media": dict(MEDIA)}}
    assert public(entry, rules(media_source_rules=["cloudmusic.exe"])) is entry
    odd = {"processName": "x", "metadata": {"media": dict(MEDIA), "play_source": 7}}
    assert public(odd, rules(media_source_rules=["7"])) is odd


def test_hide_media_wins_over_rename() -> None:
    display = rules(
        hide_media=True, media_source_rules=[{"source": "cloudmusic.exe", "name": "NetEase"}]
    )
    assert shown(item(), display)["metadata"] == {"play_source": "cloudmusic.exe"}


def test_media_hidden_tells_whether_images_need_keeping() -> None:
    display = rules(media_source_rules=["cloudmusic.exe", {"source": "spotify", "name": "Spotify"}])
    assert display.media_hidden({"play_source": "CloudMusic.exe"})
    assert not display.media_hidden({"play_source": "spotify"})
    assert not display.media_hidden({})
    assert rules(hide_media=True).media_hidden({})


def test_all_rules_together() -> None:
    display = rules(
        app_blocklist=["telegram.exe"],
        name_only_apps=["code.exe"],
        media_source_rules=[
            {"source": "cloudmusic.exe", "action": "rename", "displayName": "NetEase"}
        ],
    )
    result = shown(item("Code.exe"), display)
    assert result["processTitle"] is None
    assert result["metadata"]["play_source_name"] == "NetEase"
    assert public(item("Telegram.exe"), display) is None


# --- configuration ------------------------------------------------------------------------------


def test_rules_from_the_devices_section_of_the_config_file() -> None:
    document = tomllib.loads(
        """
        [devices]
        app_blocklist = ["Telegram.exe"]
        app_allowlist = []
        name_only_apps = ["WeChat.exe"]
        hide_media = false
        media_source_rules = [
          "spotify.exe",
          { source = "cloudmusic.exe", action = "rename", displayName = "NetEase Cloud Music" },
        ]
        """
    )
    display = rules_from_config(devices_config_from_document(document).display)
    assert display == DisplayRules(
        app_blocklist=frozenset({"telegram.exe"}),
        name_only_apps=frozenset({"wechat.exe"}),
        media_source_rules=(
            MediaSourceRule("spotify.exe", "block"),
            MediaSourceRule("cloudmusic.exe", "rename", "NetEase Cloud Music"),
        ),
    )


def test_waken_wa_preset_marks_are_accepted() -> None:
    display = rules(media_source_rules=[{"source": "x", "action": "block", "default": True}])
    assert display.media_source_rules == (MediaSourceRule("x", "block"),)


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"app_blacklist": []}, "unknown display rule 'app_blacklist' in [devices]"),
        ({"hide_media": "yes"}, "[devices] hide_media must be true or false"),
        ({"app_blocklist": "code.exe"}, "[devices] app_blocklist must be a list of app names"),
        ({"app_allowlist": ["ok", ""]}, "[devices] app_allowlist must be a list of app names"),
        ({"name_only_apps": [3]}, "[devices] name_only_apps must be a list of app names"),
        ({"media_source_rules": "x"}, "[devices] media_source_rules must be a list"),
        ({"media_source_rules": [3]}, "entry 1 must be a source name or a table"),
        ({"media_source_rules": ["ok", " "]}, "entry 2 is an empty source name"),
        ({"media_source_rules": [{"source": "x", "colour": "red"}]}, "has an unknown key 'colour'"),
        (
            {"media_source_rules": [{"action": "block"}]},
            "entry 1 needs a source (one of source, match",
        ),
        ({"media_source_rules": [{"source": ""}]}, "source must be a non-empty string"),
        ({"media_source_rules": [{"source": 5}]}, "source must be a non-empty string"),
        (
            {"media_source_rules": [{"source": "x", "match": "y"}]},
            "gives its source twice (source, match)",
        ),
        (
            {"media_source_rules": [{"source": "x", "name": "a", "displayName": "b"}]},
            "gives its display name twice",
        ),
        (
            {"media_source_rules": [{"source": "x", "action": "block", "mode": "block"}]},
            "gives its action twice",
        ),
        (
            {"media_source_rules": [{"source": "x", "action": "hide"}]},
            "action must be one of block, rename",
        ),
        ({"media_source_rules": [{"source": "x", "mode": 1}]}, "mode must be one of block, rename"),
        (
            {"media_source_rules": [{"source": "x", "action": "rename"}]},
            "a rename rule needs a displayName",
        ),
        (
            {"media_source_rules": [{"source": "x", "action": "block", "name": "X"}]},
            "a block rule takes no displayName",
        ),
        ({"media_source_rules": ["Spotify", {"source": "spotify "}]}, "lists 'spotify' twice"),
    ],
)
def test_config_errors_are_clear(table: dict[str, Any], message: str) -> None:
    assert message in config_error(**table)
