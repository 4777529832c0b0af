"""The built-in query functions: names and signatures as in the official servers.

Each function declares its parameters with a kind that is checked before the call, so a wrong
argument is a clear QueryFunctionError, never a crash.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aw_core import transforms as t
from aw_core.models import Event, type_name
from aw_core.query.datasource import BucketForbidden, QueryDatasource, UnknownBucket
from aw_core.query.errors import QueryFunctionError


@dataclass
class QueryContext:
    datasource: QueryDatasource
    start: datetime
    end: datetime
    name: str | None = None


class EventList(list[Event]):
    """A list that a query function built from events: known to hold only events, so passing
    it on to the next function needs no check of its elements."""


@dataclass(frozen=True)
class Param:
    name: str
    kind: str  # events | list | str | int | number | dict | any
    optional: bool = False
    default: Any = None


@dataclass(frozen=True)
class QueryFunction:
    name: str
    params: tuple[Param, ...]
    impl: Callable[..., Any]
    variadic: Param | None = None  # a further parameter that may repeat
    returns_events: bool = False

    def call(self, ctx: QueryContext, args: list[Any]) -> Any:
        required = sum(1 for p in self.params if not p.optional)
        if len(args) < required or (self.variadic is None and len(args) > len(self.params)):
            expected = (
                f"{required} or more"
                if self.variadic
                else str(required)
                if required == len(self.params)
                else f"{required} to {len(self.params)}"
            )
            raise QueryFunctionError(
                f"{self.name}() takes {expected} arguments ({len(args)} given)"
            )
        checked = []
        for index, value in enumerate(args):
            param = self.params[index] if index < len(self.params) else self.variadic
            assert param is not None
            checked.append(_check(self.name, param, value))
        for param in self.params[len(args) :]:
            checked.append(param.default)
        result = self.impl(ctx, *checked)
        if self.returns_events and type(result) is not EventList:
            return EventList(result)  # copies pointers only: far cheaper than a later check
        return result


def _kind_name(value: Any) -> str:
    return type_name(value, mapping="a dict")


_EVENT_TYPE = {Event}
_EXPECTED = {
    "events": "a list of events",
    "list": "a list",
    "str": "a string",
    "int": "an integer",
    "number": "a number",
    "dict": "a dict",
}


def _check(function: str, param: Param, value: Any) -> Any:
    kind = param.kind
    if param.optional and value is None:
        return param.default
    ok = (
        kind == "any"
        or (kind == "events" and type(value) is EventList)
        or (kind == "events" and isinstance(value, list) and set(map(type, value)) <= _EVENT_TYPE)
        or (kind == "list" and isinstance(value, list))
        or (kind == "str" and isinstance(value, str))
        or (kind == "int" and isinstance(value, int) and not isinstance(value, bool))
        or (kind == "number" and isinstance(value, int | float) and not isinstance(value, bool))
        or (kind == "dict" and isinstance(value, dict))
    )
    if not ok:
        got = _kind_name(value)
        if kind == "events" and isinstance(value, list):
            got = "a list with something other than events in it"
        raise QueryFunctionError(
            f"{function}(): '{param.name}' must be {_EXPECTED[kind]}, not {got}"
        )
    return value


# -- buckets ------------------------------------------------------------------------------------


def _readable(ctx: QueryContext, bucket_id: str) -> str:
    if not ctx.datasource.readable(bucket_id):
        raise BucketForbidden(bucket_id)
    return bucket_id


def _query_bucket(ctx: QueryContext, bucket_id: str) -> list[Event]:
    _readable(ctx, bucket_id)
    try:
        return ctx.datasource.get_events(bucket_id, ctx.start, ctx.end)
    except UnknownBucket:
        raise QueryFunctionError(f"There's no bucket named '{bucket_id}'") from None


def _query_bucket_eventcount(ctx: QueryContext, bucket_id: str) -> int:
    _readable(ctx, bucket_id)
    try:
        return ctx.datasource.count_events(bucket_id, ctx.start, ctx.end)
    except UnknownBucket:
        raise QueryFunctionError(f"There's no bucket named '{bucket_id}'") from None


def _find_bucket(ctx: QueryContext, filter_str: str, hostname: str | None) -> str:
    """An exact id match wins; otherwise the first bucket (by creation) whose id starts with
    the filter, optionally only on the given hostname."""
    source = ctx.datasource
    ids = source.bucket_ids()

    def host_ok(bucket_id: str) -> bool:
        return hostname is None or source.bucket_hostname(bucket_id) == hostname

    if filter_str in ids and host_ok(filter_str):
        return _readable(ctx, filter_str)  # named in full: saying it is unreadable leaks nothing
    for bucket_id in ids:
        # a prefix search passes over buckets the asker may not read, never naming them
        if bucket_id.startswith(filter_str) and host_ok(bucket_id) and source.readable(bucket_id):
            return bucket_id
    raise QueryFunctionError(
        f"Unable to find bucket matching '{filter_str}' (hostname filter set to '{hostname}')"
    )


# -- argument converters ------------------------------------------------------------------------


def _regex(function: str, pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise QueryFunctionError(f"{function}(): invalid regex {pattern!r}: {exc}") from None


def _rules(function: str, classes: list[Any], tags: bool) -> list[tuple[Any, t.Rule]]:
    rules = []
    for index, item in enumerate(classes):
        if not isinstance(item, list) or len(item) != 2:
            raise QueryFunctionError(f"{function}(): rule {index} must be a pair [name, rule]")
        name, rule = item
        if tags:
            if not isinstance(name, str):
                raise QueryFunctionError(f"{function}(): rule {index}: the tag must be a string")
        elif not isinstance(name, list) or not all(isinstance(part, str) for part in name):
            raise QueryFunctionError(
                f"{function}(): rule {index}: the category must be a list of strings"
            )
        try:
            rules.append((name, t.Rule.from_dict(rule)))
        except ValueError as exc:
            raise QueryFunctionError(f"{function}(): rule {index}: {exc}") from None
    return rules


def _contains(ctx: QueryContext, container: Any, value: Any) -> bool:
    if isinstance(container, dict):
        return value in container if isinstance(value, str) else False
    if isinstance(container, str):
        if not isinstance(value, str):
            raise QueryFunctionError("contains(): a string can only contain a string")
        return value in container
    if isinstance(container, list):
        # true must not count as 1: compare booleans only with booleans
        return any(
            value == item and isinstance(value, bool) == isinstance(item, bool)
            for item in container
        )
    raise QueryFunctionError(
        f"contains(): 'container' must be a list, dict or string, not {_kind_name(container)}"
    )


def _fn(
    name: str, impl: Callable[..., Any], *params: Param, variadic: Param | None = None
) -> QueryFunction:
    return QueryFunction(name, tuple(params), impl, variadic)


def _events_fn(
    name: str, impl: Callable[..., Any], *params: Param, variadic: Param | None = None
) -> QueryFunction:
    """A function that returns a list of events."""
    return QueryFunction(name, tuple(params), impl, variadic, returns_events=True)


EVENTS = Param("events", "events")

FUNCTIONS: dict[str, QueryFunction] = {
    f.name: f
    for f in [
        _events_fn("query_bucket", _query_bucket, Param("bucket_id", "str")),
        _fn("query_bucket_eventcount", _query_bucket_eventcount, Param("bucket_id", "str")),
        _fn(
            "query_bucket_names",
            lambda ctx: [b for b in ctx.datasource.bucket_ids() if ctx.datasource.readable(b)],
        ),
        _fn(
            "find_bucket",
            _find_bucket,
            Param("filter", "str"),
            Param("hostname", "str", optional=True),
        ),
        _events_fn(
            "flood",
            lambda ctx, events, pulsetime: t.flood(events, pulsetime),
            EVENTS,
            Param("pulsetime", "number", optional=True, default=5),
        ),
        _events_fn(
            "merge_events_by_keys",
            lambda ctx, events, keys: t.merge_events_by_keys(events, keys),
            EVENTS,
            Param("keys", "list"),
        ),
        _events_fn(
            "chunk_events_by_key",
            lambda ctx, events, key: t.chunk_events_by_key(events, key),
            EVENTS,
            Param("key", "str"),
        ),
        _events_fn(
            "filter_keyvals",
            lambda ctx, events, key, vals: t.filter_keyvals(events, key, vals),
            EVENTS,
            Param("key", "str"),
            Param("vals", "list"),
        ),
        _events_fn(
            "exclude_keyvals",
            lambda ctx, events, key, vals: t.filter_keyvals(events, key, vals, exclude=True),
            EVENTS,
            Param("key", "str"),
            Param("vals", "list"),
        ),
        _events_fn(
            "filter_keyvals_regex",
            lambda ctx, events, key, regex: t.filter_keyvals_regex(
                events, key, _regex("filter_keyvals_regex", regex)
            ),
            EVENTS,
            Param("key", "str"),
            Param("regex", "str"),
        ),
        _events_fn(
            "filter_period_intersect",
            lambda ctx, events, filterevents: t.filter_period_intersect(events, filterevents),
            EVENTS,
            Param("filterevents", "events"),
        ),
        _events_fn(
            "period_union",
            lambda ctx, a, b: t.period_union(a, b),
            Param("events1", "events"),
            Param("events2", "events"),
        ),
        _events_fn(
            "union_no_overlap",
            lambda ctx, a, b: t.union_no_overlap(a, b),
            Param("events1", "events"),
            Param("events2", "events"),
        ),
        _events_fn(
            "limit_events",
            lambda ctx, events, count: t.limit_events(events, count),
            EVENTS,
            Param("count", "int"),
        ),
        _events_fn("sort_by_timestamp", lambda ctx, events: t.sort_by_timestamp(events), EVENTS),
        _events_fn("sort_by_duration", lambda ctx, events: t.sort_by_duration(events), EVENTS),
        _fn("sum_durations", lambda ctx, events: t.sum_durations(events).total_seconds(), EVENTS),
        _events_fn(
            "concat",
            lambda ctx, *lists: t.concat(*lists),
            Param("events1", "events"),
            variadic=Param("events", "events"),
        ),
        _events_fn("split_url_events", lambda ctx, events: t.split_url_events(events), EVENTS),
        _events_fn(
            "simplify_window_titles",
            lambda ctx, events, key: t.simplify_window_titles(events, key),
            EVENTS,
            Param("key", "str"),
        ),
        _events_fn(
            "categorize",
            lambda ctx, events, classes: t.categorize(
                events, _rules("categorize", classes, tags=False)
            ),
            EVENTS,
            Param("classes", "list"),
        ),
        _events_fn(
            "tag",
            lambda ctx, events, classes: t.tag(events, _rules("tag", classes, tags=True)),
            EVENTS,
            Param("classes", "list"),
        ),
        _fn("contains", _contains, Param("container", "any"), Param("value", "any")),
        _fn("nop", lambda ctx: 1),
    ]
}
