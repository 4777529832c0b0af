"""Categorising and tagging events with regex rules (the web UI's "classes")."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from aw_core.models import Event

UNCATEGORIZED = ["Uncategorized"]


@dataclass(frozen=True)
class Rule:
    """A rule: a compiled regex searched in the string values of the selected data keys.

    A rule without a regex, with an empty one, or of type ``"none"`` never matches.
    """

    regex: re.Pattern[str] | None
    select_keys: tuple[str, ...] | None = None
    priority: int | None = None

    @classmethod
    def from_dict(cls, rule: dict[str, Any]) -> Rule:
        """Build a rule from its JSON form; raise ValueError saying what is wrong."""
        if not isinstance(rule, dict):
            raise ValueError("a rule must be an object")
        rule_type = rule.get("type", "regex")
        if rule_type not in ("regex", "none", None):
            raise ValueError(f"unknown rule type {rule_type!r}")
        pattern = rule.get("regex")
        if pattern is not None and not isinstance(pattern, str):
            raise ValueError("a rule's 'regex' must be a string")
        ignore_case = rule.get("ignore_case", False)
        if not isinstance(ignore_case, bool):
            raise ValueError("a rule's 'ignore_case' must be true or false")
        select_keys = rule.get("select_keys")
        if select_keys is not None and (
            not isinstance(select_keys, list) or not all(isinstance(k, str) for k in select_keys)
        ):
            raise ValueError("a rule's 'select_keys' must be a list of strings")
        priority = rule.get("priority", rule.get("weight"))
        if priority is not None and (isinstance(priority, bool) or not isinstance(priority, int)):
            raise ValueError("a rule's 'priority' must be an integer")
        compiled = None
        if pattern and rule_type != "none":
            try:
                compiled = re.compile(pattern, re.IGNORECASE if ignore_case else 0)
            except re.error as exc:
                raise ValueError(f"invalid regex {pattern!r}: {exc}") from None
        return cls(compiled, tuple(select_keys) if select_keys else None, priority)

    def matches(self, data: dict[str, Any]) -> bool:
        if self.regex is None:
            return False
        values = [data.get(k) for k in self.select_keys] if self.select_keys else data.values()
        search = self.regex.search
        return any(isinstance(v, str) and search(v) for v in values)


def _cache_key(data: dict[str, Any]) -> bytes:
    try:
        return orjson.dumps(data, option=orjson.OPT_SORT_KEYS)
    except TypeError:
        return repr(sorted(data.items(), key=lambda kv: kv[0])).encode()


def _pick_category(matches: list[tuple[list[str], Rule]]) -> list[str]:
    """The deepest matching category wins (or the highest priority); ties go to the later rule."""
    best, best_rank = UNCATEGORIZED, None
    for category, rule in matches:
        if not category:
            continue
        rank = rule.priority if rule.priority is not None else len(category) * 10
        if best_rank is None or rank >= best_rank:
            best, best_rank = category, rank
    return best


def categorize(events: list[Event], classes: Sequence[tuple[list[str], Rule]]) -> list[Event]:
    """Set ``data["$category"]`` to the category path that matches each event best."""
    cache: dict[bytes, list[str]] = {}
    result = []
    for event in events:
        key = _cache_key(event.data)
        category = cache.get(key)
        if category is None:
            category = _pick_category([(c, r) for c, r in classes if r.matches(event.data)])
            cache[key] = category
        data = {**event.data, "$category": list(category)}
        result.append(Event._trusted(event.id, event.timestamp, event.duration, data))
    return result


def tag(events: list[Event], classes: Sequence[tuple[str, Rule]]) -> list[Event]:
    """Set ``data["$tags"]`` to the tags of every matching rule, in rule order."""
    cache: dict[bytes, list[str]] = {}
    result = []
    for event in events:
        key = _cache_key(event.data)
        tags = cache.get(key)
        if tags is None:
            tags = [t for t, r in classes if r.matches(event.data)]
            cache[key] = tags
        data = {**event.data, "$tags": list(tags)}
        result.append(Event._trusted(event.id, event.timestamp, event.duration, data))
    return result
