"""Transforms over lists of events: lists in, new lists out, inputs never mutated."""

from aw_core.transforms.classify import Rule, categorize, tag
from aw_core.transforms.clip import clip_events
from aw_core.transforms.filters import filter_keyvals, filter_keyvals_regex
from aw_core.transforms.flood import flood
from aw_core.transforms.merge import chunk_events_by_key, merge_events_by_keys
from aw_core.transforms.periods import filter_period_intersect, period_union, union_no_overlap
from aw_core.transforms.simplify import simplify_window_titles
from aw_core.transforms.sort import (
    concat,
    limit_events,
    sort_by_duration,
    sort_by_timestamp,
    sum_durations,
)
from aw_core.transforms.url import split_url_events

__all__ = [
    "Rule",
    "categorize",
    "chunk_events_by_key",
    "clip_events",
    "concat",
    "filter_keyvals",
    "filter_keyvals_regex",
    "filter_period_intersect",
    "flood",
    "limit_events",
    "merge_events_by_keys",
    "period_union",
    "simplify_window_titles",
    "sort_by_duration",
    "sort_by_timestamp",
    "split_url_events",
    "sum_durations",
    "tag",
    "union_no_overlap",
]
