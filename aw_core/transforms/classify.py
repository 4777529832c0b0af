"""Categorising and tagging events with regex rules (the web UI's "classes")."""

from __future__ import annotations

import itertools
import re
import threading
from collections import OrderedDict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from aw_core.models import Event
from aw_core.transforms._util import map_data

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


def _json_key(data: dict[str, Any]) -> Hashable:
    """The key for data whose items are not hashable (lists, nested dicts): its canonical JSON."""
    return orjson.dumps(data, option=orjson.OPT_SORT_KEYS)


class _ResultCache:
    """A bounded, thread-safe LRU of rule results: they depend only on the rules and the data,
    so they stay valid across periods and requests (titles recur day after day)."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: Hashable, value: Any) -> None:
        with self._lock:
            self._items[key] = value
            if len(self._items) > self.capacity:
                self._items.popitem(last=False)


_CATEGORIES = _ResultCache(100_000)
_TAGS = _ResultCache(100_000)


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


_RULE_SET_IDS: dict[Hashable, int] = {}
_RULE_SET_LOCK = threading.Lock()
_NEXT_RULE_SET_ID = itertools.count()


def _rules_key(classes: Sequence[tuple[Any, Rule]]) -> int:
    """A small id for a rule set, so cache keys do not hash every rule for every event."""
    key = tuple((tuple(name) if isinstance(name, list) else name, rule) for name, rule in classes)
    with _RULE_SET_LOCK:
        if key not in _RULE_SET_IDS:
            if len(_RULE_SET_IDS) > 10_000:  # bounded; ids are never reused, old entries age out
                _RULE_SET_IDS.clear()
            _RULE_SET_IDS[key] = next(_NEXT_RULE_SET_ID)
        return _RULE_SET_IDS[key]


def categorize(events: list[Event], classes: Sequence[tuple[list[str], Rule]]) -> list[Event]:
    """Set ``data["$category"]`` to the category path that matches each event best.

    Events that share one data dict (as the storage gives them) share their result's dict too.
    """
    rules_key = _rules_key(classes)
    local: dict[Hashable, list[str]] = {}
    return map_data(
        events,
        lambda data: {**data, "$category": list(_category(data, classes, rules_key, local))},
    )


def _category(
    data: dict[str, Any],
    classes: Sequence[tuple[list[str], Rule]],
    rules_key: int,
    local: dict[Hashable, list[str]],
) -> list[str]:
    key: Hashable = tuple(data.items())  # hashed once, by the lookup below
    try:
        category = local.get(key)
    except TypeError:
        key = _json_key(data)
        category = local.get(key)
    if category is None:
        shared_key = (rules_key, key)
        category = _CATEGORIES.get(shared_key)
        if category is None:
            category = _pick_category([(c, r) for c, r in classes if r.matches(data)])
            _CATEGORIES.put(shared_key, category)
        local[key] = category
    return category


def tag(events: list[Event], classes: Sequence[tuple[str, Rule]]) -> list[Event]:
    """Set ``data["$tags"]`` to the tags of every matching rule, in rule order."""
    rules_key = _rules_key(classes)
    result = []
    for event in events:
        data = event.data
        items: Hashable = tuple(data.items())
        try:
            hash(items)
        except TypeError:
            items = _json_key(data)
        shared_key = (rules_key, items)
        tags = _TAGS.get(shared_key)
        if tags is None:
            tags = [t for t, r in classes if r.matches(data)]
            _TAGS.put(shared_key, tags)
        result.append(
            Event.of_us(event.id, event.start_us, event.duration_us, {**data, "$tags": list(tags)})
        )
    return result
