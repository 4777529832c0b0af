"""What a key may do: scopes on bucket globs, the presets, and the one rule that checks them.

A scope is ``read:<glob>``, ``append:<glob>``, ``write:<glob>`` or ``admin``. ``append`` creates
matching buckets and adds events (inserts, heartbeats); ``write`` is append plus replacing and
deleting events and updating, deleting and importing buckets; ``read`` is reading them; ``admin``
is everything, keys and settings included. A glob matches a bucket id with ``*`` standing for
any run of characters; every other character is literal (bucket ids may hold ``[`` or ``?``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

READ, APPEND, WRITE, ADMIN = "read", "append", "write", "admin"
BUCKET_ACTIONS = (READ, APPEND, WRITE)

# action asked for -> the scope actions that grant it
_GRANTED_BY = {
    READ: (READ,),
    APPEND: (APPEND, WRITE),
    WRITE: (WRITE,),
}

PRESETS: dict[str, tuple[str, ...]] = {
    "dashboard": ("read:*",),
    "watcher": ("append:*",),
    "wakatime": ("append:aw-watcher-wakatime_*", "read:aw-watcher-wakatime_*"),
    "device": ("append:waken-*",),
    "full": ("admin",),
}

MAX_GLOB_LENGTH = 512


class ScopeError(ValueError):
    """A scope that is not ``read:<glob>``, ``append:<glob>``, ``write:<glob>`` or ``admin``."""


@dataclass(frozen=True)
class Scope:
    action: str
    glob: str = "*"

    def __str__(self) -> str:
        return ADMIN if self.action == ADMIN else f"{self.action}:{self.glob}"

    def matches(self, bucket_id: str) -> bool:
        return _glob_regex(self.glob).fullmatch(bucket_id) is not None


@lru_cache(maxsize=1024)
def _glob_regex(glob: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in glob.split("*")), re.S)


def parse_scope(text: str) -> Scope:
    if not isinstance(text, str):
        raise ScopeError("a scope must be a string such as 'read:*' or 'admin'")
    text = text.strip()
    if text == ADMIN:
        return Scope(ADMIN)
    action, sep, glob = text.partition(":")
    if not sep or action not in BUCKET_ACTIONS:
        raise ScopeError(
            f"unknown scope {text!r}: use read:<glob>, append:<glob>, write:<glob> or admin"
        )
    if not glob or len(glob) > MAX_GLOB_LENGTH or any(ord(c) < 32 for c in glob):
        raise ScopeError(f"scope {text!r} needs a bucket glob such as '*' or 'aw-watcher-*'")
    return Scope(action, glob)


def parse_scopes(texts: list[str] | tuple[str, ...]) -> tuple[Scope, ...]:
    """Parsed scopes without repeats, in the order given; at least one."""
    scopes = tuple(dict.fromkeys(parse_scope(t) for t in texts))
    if not scopes:
        raise ScopeError("a key needs at least one scope")
    return scopes


def preset_scopes(name: str) -> tuple[str, ...]:
    try:
        return PRESETS[name]
    except KeyError:
        raise ScopeError(f"unknown preset {name!r}; presets: {', '.join(PRESETS)}") from None


def allows(scopes: tuple[Scope, ...], action: str, bucket_id: str | None = None) -> bool:
    """Whether the scopes grant ``action`` (read, append, write or admin) on the bucket.

    Without a bucket, a bucket action is granted by a scope of that action on any glob (reading
    settings needs ``read`` on anything).
    """
    granting = _GRANTED_BY.get(action, ())
    for scope in scopes:
        if scope.action == ADMIN:
            return True
        if scope.action in granting and (bucket_id is None or scope.matches(bucket_id)):
            return True
    return False


def needed_scope(action: str, bucket_id: str | None = None) -> str:
    """The scope that would grant the action, as the 403 message names it."""
    if action == ADMIN:
        return ADMIN
    return f"{action}:{bucket_id if bucket_id is not None else '<any bucket>'}"
