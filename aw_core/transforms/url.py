"""Splitting the URL of browser events into parts."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from aw_core.models import Event
from aw_core.transforms._util import map_data


def split_url_events(events: list[Event]) -> list[Event]:
    """Add ``$protocol``, ``$domain`` (without ``www.``), ``$path``, ``$params``, ``$options``
    (the query string) and ``$identifier`` (the fragment) for events with a string ``url``.

    Events that share one data dict (as the storage gives them) share their result's dict too.
    """
    return map_data(events, _with_url_parts)


def _with_url_parts(data: dict[str, Any]) -> dict[str, Any]:
    url = data.get("url")
    if not isinstance(url, str):
        return data
    try:
        parsed = urlparse(url)
    except ValueError:
        return data
    netloc = parsed.netloc
    domain = netloc.removeprefix("www.") if netloc else parsed.scheme
    return {
        **data,
        "$protocol": parsed.scheme,
        "$domain": domain,
        "$path": parsed.path,
        "$params": parsed.params,
        "$options": parsed.query,
        "$identifier": parsed.fragment,
    }
