"""The built-in category rules, used when the user has stored none.

They live in ``default_classes.json`` next to this module, in the web UI's ``classes`` format
(``[{"name": [...], "rule": {"type": "regex", "regex": ..., "ignore_case"?: bool}}]``), so the
dashboard and ``aw-client report`` read the same list.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

DEFAULT_CLASSES_FILE = "default_classes.json"


def default_classes() -> list[dict[str, Any]]:
    """A fresh copy of the default categories (the caller may change it)."""
    text = resources.files("aw_core").joinpath(DEFAULT_CLASSES_FILE).read_text(encoding="utf-8")
    classes: list[dict[str, Any]] = json.loads(text)
    return classes
