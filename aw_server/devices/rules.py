"""The display rules of the public live feed (``[devices]`` in aw-server.toml), and their
application to one feed item. Pure.

- ``app_blocklist``: apps never shown publicly; ``app_allowlist``: when not empty, the only
  apps shown (the blocklist still applies);
- ``name_only_apps``: shown without their window title;
- ``media_source_rules``: by ``metadata.play_source``: ``block`` hides the media, ``rename``
  shows ``displayName`` instead (as ``metadata.play_source_name``); a plain string is a block
  rule (Waken-Wa's older media source blocklist);
- ``hide_media``: no media in public output at all.

Matching is exact and case-insensitive, on trimmed names (``Code.exe`` matches ``code.exe``,
never ``code.exe-helper``): a substring match would hide or show apps nobody listed.
The rules change what is shown, never what is stored.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

from aw_core.config import ConfigError

Action = Literal["block", "rename"]

# Waken-Wa's spellings of the three parts of a media source rule.
SOURCE_KEYS: Final = ("source", "match", "play_source", "value")
ACTION_KEYS: Final = ("action", "mode")
NAME_KEYS: Final = ("displayName", "display_name", "name", "overrideName", "rewrite")
ACTIONS: Final[dict[str, Action]] = {
    "block": "block",
    "rename": "rename",
    "override": "rename",
    "rewrite": "rename",
}
_IGNORED_RULE_KEYS: Final = ("default",)  # Waken-Wa marks its preset rules with it
_SECTION: Final = "[devices]"


@dataclass(frozen=True)
class MediaSourceRule:
    source: str  # trimmed and lower-cased
    action: Action
    display_name: str | None = None  # set for rename rules only


@dataclass(frozen=True)
class DisplayRules:
    app_blocklist: frozenset[str] = frozenset()  # names trimmed and lower-cased
    app_allowlist: frozenset[str] = frozenset()  # empty: every app
    name_only_apps: frozenset[str] = frozenset()
    media_source_rules: tuple[MediaSourceRule, ...] = ()
    hide_media: bool = False

    def app_shown(self, process_name: str) -> bool:
        name = _key(process_name)
        if self.app_allowlist and name not in self.app_allowlist:
            return False
        return name not in self.app_blocklist

    def source_rule(self, play_source: object) -> MediaSourceRule | None:
        """The rule for a media source (``metadata.play_source``), if any."""
        if not isinstance(play_source, str):
            return None
        source = _key(play_source)
        return next((r for r in self.media_source_rules if r.source == source), None)

    def media_hidden(self, metadata: Mapping[str, Any]) -> bool:
        """Whether this metadata's media never shows publicly (so its images need not be kept)."""
        if self.hide_media:
            return True
        rule = self.source_rule(metadata.get("play_source"))
        return rule is not None and rule.action == "block"


def rules_from_config(table: Mapping[str, Any]) -> DisplayRules:
    """The display rules written in the config (all keys optional); raises ConfigError naming
    the setting that is wrong."""
    known = ("app_blocklist", "app_allowlist", "name_only_apps", "media_source_rules", "hide_media")
    for key in table:
        if key not in known:
            raise ConfigError(f"unknown display rule {key!r} in {_SECTION} ({', '.join(known)})")
    hide_media = table.get("hide_media", False)
    if not isinstance(hide_media, bool):
        raise ConfigError(f"{_SECTION} hide_media must be true or false")
    return DisplayRules(
        app_blocklist=_names(table, "app_blocklist"),
        app_allowlist=_names(table, "app_allowlist"),
        name_only_apps=_names(table, "name_only_apps"),
        media_source_rules=_source_rules(table.get("media_source_rules", [])),
        hide_media=hide_media,
    )


def public_item(item: dict[str, Any], rules: DisplayRules) -> dict[str, Any] | None:
    """A feed item (Waken-Wa's shape: ``processName``, ``processTitle``, ``metadata``) as the
    public may see it: None when its app is not shown; the item itself when no rule changes it,
    else a changed copy. Never mutates ``item``."""
    name = item.get("processName")
    name = name if isinstance(name, str) else ""
    if not rules.app_shown(name):
        return None
    changes: dict[str, Any] = {}
    if _key(name) in rules.name_only_apps and item.get("processTitle") is not None:
        changes["processTitle"] = None
    metadata = item.get("metadata")
    if isinstance(metadata, dict):
        public = _public_metadata(metadata, rules)
        if public is not metadata:
            changes["metadata"] = public
    return {**item, **changes} if changes else item


def _public_metadata(metadata: dict[str, Any], rules: DisplayRules) -> dict[str, Any]:
    if "media" in metadata and rules.media_hidden(metadata):
        return {k: v for k, v in metadata.items() if k != "media"}
    rule = rules.source_rule(metadata.get("play_source"))
    if rule is not None and rule.action == "rename":
        return {**metadata, "play_source_name": rule.display_name}
    return metadata


def _key(name: str) -> str:
    return name.strip().lower()


def _names(table: Mapping[str, Any], setting: str) -> frozenset[str]:
    value = table.get(setting, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ConfigError(f"{_SECTION} {setting} must be a list of app names (non-empty strings)")
    return frozenset(_key(v) for v in value)


def _source_rules(value: object) -> tuple[MediaSourceRule, ...]:
    if not isinstance(value, list):
        raise ConfigError(f"{_SECTION} media_source_rules must be a list")
    rules: list[MediaSourceRule] = []
    for number, entry in enumerate(value, start=1):
        rule = _source_rule(entry, f"{_SECTION} media_source_rules entry {number}")
        if any(r.source == rule.source for r in rules):
            raise ConfigError(f"{_SECTION} media_source_rules lists {rule.source!r} twice")
        rules.append(rule)
    return tuple(rules)


def _source_rule(entry: object, where: str) -> MediaSourceRule:
    if isinstance(entry, str):
        if not entry.strip():
            raise ConfigError(f"{where} is an empty source name")
        return MediaSourceRule(source=_key(entry), action="block")
    if not isinstance(entry, dict):
        raise ConfigError(
            f"{where} must be a source name or a table {{source, action, displayName}}"
        )
    for key in entry:
        if key not in (*SOURCE_KEYS, *ACTION_KEYS, *NAME_KEYS, *_IGNORED_RULE_KEYS):
            raise ConfigError(f"{where} has an unknown key {key!r}")
    source = _one_text(entry, SOURCE_KEYS, where, "source")
    if source is None:
        raise ConfigError(f"{where} needs a source (one of {', '.join(SOURCE_KEYS)})")
    display_name = _one_text(entry, NAME_KEYS, where, "display name")
    action = _action(entry, where, display_name is not None)
    if action == "rename" and display_name is None:
        raise ConfigError(f"{where}: a rename rule needs a displayName")
    if action == "block" and display_name is not None:
        raise ConfigError(f"{where}: a block rule takes no displayName")
    return MediaSourceRule(source=_key(source), action=action, display_name=display_name)


def _one_text(entry: dict[str, Any], keys: tuple[str, ...], where: str, what: str) -> str | None:
    given = [k for k in keys if k in entry]
    if len(given) > 1:
        raise ConfigError(f"{where} gives its {what} twice ({', '.join(given)})")
    if not given:
        return None
    value = entry[given[0]]
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where}: {given[0]} must be a non-empty string")
    return value.strip()


def _action(entry: dict[str, Any], where: str, has_name: bool) -> Action:
    given = [k for k in ACTION_KEYS if k in entry]
    if len(given) > 1:
        raise ConfigError(f"{where} gives its action twice ({', '.join(given)})")
    if not given:
        return "rename" if has_name else "block"  # a name alone can only mean a rename
    value = entry[given[0]]
    action = ACTIONS.get(value.strip().lower()) if isinstance(value, str) else None
    if action is None:
        raise ConfigError(f"{where}: {given[0]} must be one of {', '.join(ACTIONS)}, not {value!r}")
    return action
