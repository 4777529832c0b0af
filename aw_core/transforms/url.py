"""Splitting the URL of browser events into parts."""

from __future__ import annotations

from urllib.parse import urlparse

from aw_core.models import Event


def split_url_events(events: list[Event]) -> list[Event]:
    """Add ``$protocol``, ``$domain`` (without ``www.``), ``$path``, ``$params``, ``$options``
    (the query string) and ``$identifier`` (the fragment) for events with a string ``url``."""
    result = []
    for event in events:
        url = event.data.get("url")
        if not isinstance(url, str):
            result.append(event)
            continue
        try:
            parsed = urlparse(url)
        except ValueError:
            result.append(event)
            continue
        netloc = parsed.netloc
        domain = netloc.removeprefix("www.") if netloc else parsed.scheme
        data = {
            **event.data,
            "$protocol": parsed.scheme,
            "$domain": domain,
            "$path": parsed.path,
            "$params": parsed.params,
            "$options": parsed.query,
            "$identifier": parsed.fragment,
        }
        result.append(Event.of_us(event.id, event.start_us, event.duration_us, data))
    return result
