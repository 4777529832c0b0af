"""The input side of ``POST /api/activity``: a Waken-Wa reporter's body, checked and normalised
into a :class:`Report`. Pure: no storage, no Flask, no image decoding.

What is accepted, field by field (Waken-Wa's names; ``null`` counts as absent everywhere, because
the desktop reporter sends its unset fields as ``null``):

- ``generatedHashKey``: required string, trimmed, 8 to 128 characters (what the registry accepts
  for a device key: an unknown key may create a device), no control characters;
- ``process_name``: required string, trimmed, at most 256 characters, no control characters:
  it names the app in the ActivityWatch bucket, so it is refused rather than cut (cutting would
  merge different apps); any script is fine (``微信``);
- ``process_title``: optional string, trimmed, control characters turned into spaces, cut to
  1,024 characters (a window title is display text: a long one must not lose the report);
- ``device`` (or ``device_name``, which reporters send alongside): the display name, trimmed,
  cut to 128 characters, ``Unknown Device`` when absent or empty;
- ``battery_level``, else ``device_battery``: a finite JSON number, rounded half up, clamped to
  0..100; anything else (strings such as ``"NaN"``, booleans) is ignored;
- ``is_charging``, else ``isCharging``: a boolean, else ignored (the caller keeps the previous value);
- ``device_type``: desktop, tablet or mobile in any case; anything else is ignored;
- ``push_mode``: realtime or active (``persistent`` means active); anything else is realtime;
- ``metadata``: a JSON object (or absent); the keys the server writes itself are dropped, data
  URLs of the media images are taken out (:func:`extract_images`), and what remains must hold at
  most 50 keys and 10,240 characters of compact JSON;
- everything else (``started_at``, ``ended_at``, ``persist_minutes``...) is ignored: the server
  stamps times.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Final, TypeGuard

import orjson

from aw_server.devices.model import DEVICE_TYPES

HASH_KEY_MIN: Final = 8
HASH_KEY_MAX: Final = 128
PROCESS_NAME_MAX: Final = 256
PROCESS_TITLE_MAX: Final = 1024
DEVICE_NAME_MAX: Final = 128
DEFAULT_DEVICE_NAME: Final = "Unknown Device"
METADATA_MAX_KEYS: Final = 50
METADATA_MAX_CHARS: Final = 10_240
METADATA_MAX_DEPTH: Final = 32  # the feed nests metadata a few levels deeper; orjson stops at 255
DATA_URL_MAX_CHARS: Final = 2 * 1024 * 1024

REALTIME, ACTIVE = "realtime", "active"

# Written by the server from the report's own fields; a client's copies would lie about them.
SERVER_KEYS: Final = (
    "deviceBatteryPercent",
    "deviceBatteryCharging",
    "deviceType",
    "pushMode",
    "userPersistExpiresAt",
    "userActivityDbSynced",
)

# Where the media images may arrive as data URLs, inside ``metadata.media``.
COVER_FIELDS: Final = ("coverDataUrl",)
ICON_FIELDS: Final = (
    "appIconDataUrl",
    "app_icon_data_url",
    "iconDataUrl",
    "icon_data_url",
    "sourceIconDataUrl",
    "playSourceIconDataUrl",
    "playerIconDataUrl",
    "programIconDataUrl",
    "appIcon",  # Waken-Wa also takes these two when they hold a data URL
    "icon",
)
COVER_URL_FIELD: Final = "coverUrl"
ICON_URL_FIELD: Final = "appIconUrl"

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


class ReportError(ValueError):
    """A report that cannot be accepted; ``str(exc)`` is the English ``error`` of the answer."""

    status = 400


@dataclass(frozen=True)
class Images:
    """The data URLs taken out of a report's media (verified and stored by images.py)."""

    cover: str | None = None
    icon: str | None = None


@dataclass(frozen=True)
class Report:
    hash_key: str
    process_name: str
    process_title: str | None
    device_name: str
    battery: int | None  # None: keep the device's previous value
    charging: bool | None  # None: keep the device's previous value
    device_type: str | None  # None: keep the device's previous type
    push_mode: str  # REALTIME or ACTIVE
    metadata: dict[str, Any]  # the client's, without server keys and without data URLs
    images: Images


def parse_report(body: object) -> Report:
    """The report in a decoded JSON body; raises :class:`ReportError` (400) when unusable.

    Never mutates ``body``: the metadata returned is a new object (nested values are shared).
    """
    if not isinstance(body, dict):
        raise ReportError(f"the request body must be a JSON object, not {_json_type(body)}")
    hash_key = _hash_key(body.get("generatedHashKey"))  # the required fields answer first
    process_name = _process_name(body.get("process_name"))
    metadata, images = _client_metadata(body.get("metadata"))
    return Report(
        hash_key=hash_key,
        process_name=process_name,
        process_title=_process_title(body.get("process_title")),
        device_name=_device_name(_first_present(body, "device", "device_name")),
        battery=_battery(body),
        charging=_charging(body),
        device_type=_device_type(body.get("device_type")),
        push_mode=_push_mode(body.get("push_mode")),
        metadata=metadata,
        images=images,
    )


def parse_verify(body: object) -> tuple[str, str]:
    """The ``generatedHashKey`` and display name of a ``POST /api/activity/verify`` body, by
    the rules of a report's (verifying may register the device, so it must not take a key or
    a name a report would refuse); raises :class:`ReportError` (400)."""
    if not isinstance(body, dict):
        raise ReportError(f"the request body must be a JSON object, not {_json_type(body)}")
    hash_key = _hash_key(body.get("generatedHashKey"))
    return hash_key, _device_name(_first_present(body, "device", "device_name"))


def merge_metadata(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """Waken-Wa's merge rule for repeated reports of one (device, process): top-level keys are
    merged shallowly, ``media`` one level deeper (``{**old_media, **new_media}``), so a client
    may send the title first and the singer later. ``"media": null`` (or any non-object)
    replaces the old media.

    When the merged client part would exceed the metadata limits, the new metadata alone is
    returned: a client sending new keys on every report must not grow the state without bound.
    Never mutates its inputs.
    """
    merged = {**old, **new}
    old_media, new_media = old.get("media"), new.get("media")
    if isinstance(old_media, dict) and isinstance(new_media, dict):
        merged["media"] = {**old_media, **new_media}
    client_part = {k: v for k, v in merged.items() if k not in SERVER_KEYS}
    if _limit_problem(client_part) is not None:
        return dict(new)
    return merged


def extract_images(metadata: dict[str, Any]) -> tuple[dict[str, Any], Images]:
    """The metadata without the data URLs of its media images, and those data URLs.

    Any ``data:`` value in an image field is taken out (whatever its type: images.py refuses
    what is not PNG, JPEG, WebP or GIF); other values stay. The first icon field in
    :data:`ICON_FIELDS` order wins. Raises :class:`ReportError` for a data URL longer than
    2 MiB of characters, before anything decodes it. Never mutates ``metadata``.
    """
    media = metadata.get("media")
    if not isinstance(media, dict):
        return metadata, Images()
    kept = dict(media)
    cover = _take_data_urls(kept, COVER_FIELDS)
    icon = _take_data_urls(kept, ICON_FIELDS)
    if len(kept) == len(media):
        return metadata, Images()
    return {**metadata, "media": kept}, Images(cover=cover, icon=icon)


def attach_image_urls(
    metadata: dict[str, Any], *, cover_url: str | None = None, icon_url: str | None = None
) -> dict[str, Any]:
    """The metadata with the stored images' URLs written back into ``media`` (``coverUrl``,
    ``appIconUrl``); unchanged when there is nothing to write. Never mutates ``metadata``."""
    media = metadata.get("media")
    if not isinstance(media, dict) or (cover_url is None and icon_url is None):
        return metadata
    written = dict(media)
    if cover_url is not None:
        written[COVER_URL_FIELD] = cover_url
    if icon_url is not None:
        written[ICON_URL_FIELD] = icon_url
    return {**metadata, "media": written}


def clamp_text(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, the last one an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def round_half_up(value: float) -> int:
    """Round as JavaScript's Math.round does (82.5 -> 83), not as Python's round (-> 82)."""
    if isinstance(value, int):
        return value  # exact, and no float overflow for huge integers
    return math.floor(value + 0.5)


def is_number(value: object) -> TypeGuard[int | float]:
    """A finite JSON number (booleans are not numbers here, unlike in Python)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return isinstance(value, int) or math.isfinite(value)


# --- fields -----------------------------------------------------------------------------------


def _first_present(body: dict[str, Any], *names: str) -> object:
    return next((body[n] for n in names if body.get(n) is not None), None)


def _required_text(value: object, name: str) -> str:
    if value is None:
        raise ReportError(f"{name} is required")
    if not isinstance(value, str):
        raise ReportError(f"{name} must be a string, not {_json_type(value)}")
    text = value.strip()
    if not text:
        raise ReportError(f"{name} is required and must not be empty")
    if _CONTROL.search(text):
        raise ReportError(f"{name} must not contain control characters")
    return text


def _hash_key(value: object) -> str:
    key = _required_text(value, "generatedHashKey")
    if not HASH_KEY_MIN <= len(key) <= HASH_KEY_MAX:
        raise ReportError(
            f"generatedHashKey must be {HASH_KEY_MIN} to {HASH_KEY_MAX} characters, not {len(key)}"
        )
    return key


def _process_name(value: object) -> str:
    name = _required_text(value, "process_name")
    if len(name) > PROCESS_NAME_MAX:
        raise ReportError(
            f"process_name is {len(name)} characters long; at most {PROCESS_NAME_MAX} are accepted"
        )
    return name


def _display_text(value: object, limit: int) -> str | None:
    """Free display text: a string, trimmed, control characters as spaces, cut to ``limit``."""
    if not isinstance(value, str):
        return None
    text = _CONTROL.sub(" ", value).strip()
    return clamp_text(text, limit) if text else None


def _process_title(value: object) -> str | None:
    return _display_text(value, PROCESS_TITLE_MAX)


def _device_name(value: object) -> str:
    return _display_text(value, DEVICE_NAME_MAX) or DEFAULT_DEVICE_NAME


def _battery(body: dict[str, Any]) -> int | None:
    for name in ("battery_level", "device_battery"):
        value = body.get(name)
        if is_number(value):
            return max(0, min(100, round_half_up(value)))
    return None


def _charging(body: dict[str, Any]) -> bool | None:
    for name in ("is_charging", "isCharging"):
        value = body.get(name)
        if isinstance(value, bool):
            return value
    return None


def _device_type(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    kind = value.strip().lower()
    return kind if kind in DEVICE_TYPES else None


def _push_mode(value: object) -> str:
    mode = value.strip().lower() if isinstance(value, str) else ""
    return ACTIVE if mode in (ACTIVE, "persistent") else REALTIME


# --- metadata ---------------------------------------------------------------------------------


def _client_metadata(value: object) -> tuple[dict[str, Any], Images]:
    if value is None:
        return {}, Images()
    if not isinstance(value, dict):
        raise ReportError(f"metadata must be a JSON object, not {_json_type(value)}")
    metadata = {k: v for k, v in value.items() if k not in SERVER_KEYS}
    metadata, images = extract_images(metadata)
    problem = _limit_problem(metadata)
    if problem is not None:
        raise ReportError(f"metadata too large: {problem}")
    return metadata, images


def _limit_problem(metadata: dict[str, Any]) -> str | None:
    """Why ``metadata`` breaks the limits, or None. Characters are counted in the compact JSON
    (no spaces after separators, non-ASCII as is), as Waken-Wa's JSON.stringify counts them."""
    if len(metadata) > METADATA_MAX_KEYS:
        return f"{len(metadata)} keys (at most {METADATA_MAX_KEYS})"
    if _too_deep(metadata, METADATA_MAX_DEPTH):
        return f"nested more than {METADATA_MAX_DEPTH} levels deep"
    try:
        size = len(orjson.dumps(metadata).decode())
    except orjson.JSONEncodeError as exc:
        return f"not serialisable as JSON ({exc})"
    if size > METADATA_MAX_CHARS:
        return f"{size:,} characters of JSON (at most {METADATA_MAX_CHARS:,})"
    return None


def _too_deep(value: object, levels_left: int) -> bool:
    if isinstance(value, dict):
        children: Any = value.values()
    elif isinstance(value, list):
        children = value
    else:
        return False
    if levels_left == 0:
        return True
    return any(_too_deep(child, levels_left - 1) for child in children)


def _take_data_urls(media: dict[str, Any], fields: tuple[str, ...]) -> str | None:
    """Remove the data URLs of ``fields`` from ``media`` (in place: the caller's own copy)."""
    first: str | None = None
    for name in fields:
        value = media.get(name)
        if not isinstance(value, str) or value.lstrip()[:5].lower() != "data:":
            continue
        url = value.strip()
        if len(url) > DATA_URL_MAX_CHARS:
            raise ReportError(
                f"image too large: media.{name} is a data URL of {len(url):,} characters"
                f" (at most {DATA_URL_MAX_CHARS:,})"
            )
        del media[name]
        first = first or url
    return first


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object" if isinstance(value, dict) else type(value).__name__
