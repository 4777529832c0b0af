"""Simplifying window titles so that trivially different titles group together."""

from __future__ import annotations

import re

from aw_core.models import Event

_LEADING_DOT = re.compile(r"^(●|\*)\s*")
_COUNT_PREFIX = re.compile(r"^\([0-9]+\)\s*")
_FPS = re.compile(r"FPS:\s+[0-9\.]+")


def simplify_window_titles(events: list[Event], key: str = "title") -> list[Event]:
    """Drop ``(3) `` unread-count prefixes; for window titles (key ``title`` with an ``app``)
    also ``●``/``*`` unsaved markers and changing ``FPS: 59.9`` counters."""
    result = []
    for event in events:
        value = event.data.get(key)
        if not isinstance(value, str):
            result.append(event)
            continue
        value = _COUNT_PREFIX.sub("", value)
        if key == "title" and "app" in event.data:
            value = _LEADING_DOT.sub("", _FPS.sub("FPS: ...", value))
        result.append(
            Event.of_us(event.id, event.start_us, event.duration_us, {**event.data, key: value})
        )
    return result
