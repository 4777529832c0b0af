"""Selecting events by the values in their data."""

from __future__ import annotations

import re
from collections.abc import Collection
from contextlib import suppress
from typing import Any

from aw_core.models import Event


def filter_keyvals(
    events: list[Event], key: str, vals: list[Any], exclude: bool = False
) -> list[Event]:
    """Events whose ``data[key]`` equals one of ``vals`` (or, with ``exclude``, all others).

    Equality is Python's, so ``1``, ``1.0`` and ``true`` are equal, as in aw-core.
    """
    wanted: Collection[Any] = vals  # unhashable values (lists, objects): compared one by one
    with suppress(TypeError):
        wanted = set(vals)  # same equality as the list (hash agrees with ==), faster lookups
    if exclude:
        return [e for e in events if not (key in e.data and e.data[key] in wanted)]
    return [e for e in events if key in e.data and e.data[key] in wanted]


def filter_keyvals_regex(events: list[Event], key: str, regex: re.Pattern[str]) -> list[Event]:
    """Events whose ``data[key]`` is a string in which ``regex`` is found."""
    search = regex.search
    result = []
    for e in events:
        value = e.data.get(key)
        if isinstance(value, str) and search(value):
            result.append(e)
    return result
