"""What each endpoint needs, in one table, checked before the view runs.

A rule names the action and, for bucket endpoints, the URL argument holding the bucket id.
Endpoints whose need depends on the body or that show only what the key may read (bucket list,
export, import, query, inserting events with ids) are marked ``BY_VIEW``: the table still says
the least they need, and the view asks ``require``/``can`` for the rest. A test checks that
every ``/api`` endpoint has a rule, so a new route cannot be left open by accident.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass

from flask import Flask, request

from aw_server.auth.policy import current_principal
from aw_server.auth.scopes import ADMIN, APPEND, READ, WRITE, needed_scope
from aw_server.errors import Forbidden, is_api_path


@dataclass(frozen=True)
class Rule:
    action: str | None  # None: public, or the view alone decides
    bucket_arg: str | None = None
    by_view: bool = False


PUBLIC = Rule(None)
BY_VIEW = Rule(None, by_view=True)

RULES: dict[str, Rule] = {
    "info.get_info": PUBLIC,
    "docs.openapi": PUBLIC,
    "docs.browser": PUBLIC,
    "buckets.list_buckets": BY_VIEW,  # lists only the buckets the key may read
    "buckets.get_bucket": Rule(READ, "bucket_id"),
    "buckets.create_bucket": Rule(APPEND, "bucket_id"),
    "buckets.update_bucket": Rule(WRITE, "bucket_id"),
    "buckets.delete_bucket": Rule(WRITE, "bucket_id"),
    "events.get_events": Rule(READ, "bucket_id"),
    "events.count_events": Rule(READ, "bucket_id"),
    "events.get_event": Rule(READ, "bucket_id"),
    "events.post_events": Rule(APPEND, "bucket_id", by_view=True),  # an id replaces: write
    "events.delete_event": Rule(WRITE, "bucket_id"),
    "events.heartbeat": Rule(APPEND, "bucket_id"),
    "export.export_all": BY_VIEW,  # exports only the buckets the key may read
    "export.export_bucket": Rule(READ, "bucket_id"),
    "export.import_buckets": BY_VIEW,  # write on every bucket of the import
    "query.query": BY_VIEW,  # read on every bucket the program reads
    "settings.get_settings": Rule(READ),
    "settings.get_setting": Rule(READ),
    "settings.post_settings_without_key": Rule(ADMIN),
    "settings.set_setting": Rule(ADMIN),
    "settings.delete_setting": Rule(ADMIN),
    "log.get_log": Rule(ADMIN),
    # WakaTime: heartbeats need append on the machine's bucket, reads read on it (by view)
    "wakatime.post_heartbeats": BY_VIEW,
    "wakatime.get_statusbar": BY_VIEW,
    "wakatime.get_summaries": BY_VIEW,
    "wakatime.get_stats": BY_VIEW,
    "wakatime.get_all_time": BY_VIEW,
    "wakatime.get_heartbeats": BY_VIEW,
    "wakatime.get_projects": BY_VIEW,
    "wakatime.get_goal": BY_VIEW,
    "wakatime.post_plugin_error": Rule(None),  # any key (or loopback under the local policy)
    # Devices: reports need a key and append on the device's buckets, the feed read on them
    # (or nothing when the live status is public), covers are public (by view)
    "devices.post_report": BY_VIEW,
    "devices.verify": BY_VIEW,
    "devices.get_feed": BY_VIEW,
    "devices.get_stream": BY_VIEW,
    "devices.get_cover": PUBLIC,
    "devices.list_devices": Rule(ADMIN),
    "devices.create_device": Rule(ADMIN),
    "devices.update_device": Rule(ADMIN),
    "devices.update_device_in_body": Rule(ADMIN),
    "devices.delete_device": Rule(ADMIN),
    "devices.delete_device_by_query": Rule(ADMIN),
    "devices.get_apps_export": Rule(ADMIN),
    "keys.list_keys": Rule(ADMIN),
    "keys.create_key": Rule(ADMIN),
    "keys.update_key": Rule(ADMIN),
    "keys.delete_key": Rule(ADMIN),
    # Timers: entries live in a stopwatch bucket (?bucket=, default aw-stopwatch): the view asks
    # for read on it, append for a new finished entry, write to start (it stops the running
    # ones), stop, change or delete; projects and tasks read or write on aw-stopwatch (by view)
    "timers.list_entries": Rule(READ, by_view=True),
    "timers.get_current": Rule(READ, by_view=True),
    "timers.get_entry": Rule(READ, by_view=True),
    "timers.create_entry": Rule(APPEND, by_view=True),
    "timers.start_timer": Rule(WRITE, by_view=True),
    "timers.stop_timer": Rule(WRITE, by_view=True),
    "timers.update_entry": Rule(WRITE, by_view=True),
    "timers.delete_entry": Rule(WRITE, by_view=True),
    "timers.list_projects": Rule(READ, by_view=True),
    "timers.get_project": Rule(READ, by_view=True),
    "timers.list_tasks": Rule(READ, by_view=True),
    "timers.create_project": Rule(WRITE, by_view=True),
    "timers.update_project": Rule(WRITE, by_view=True),
    "timers.delete_project": Rule(WRITE, by_view=True),  # force: write on each bucket it changes
    "timers.create_task": Rule(WRITE, by_view=True),
    # Webhooks: they see every change and hold their secrets, so only admins manage them
    "webhooks.list_webhooks": Rule(ADMIN),
    "webhooks.create_webhook": Rule(ADMIN),
    "webhooks.get_webhook": Rule(ADMIN),
    "webhooks.update_webhook": Rule(ADMIN),
    "webhooks.delete_webhook": Rule(ADMIN),
    "webhooks.test_webhook": Rule(ADMIN),
    "webhooks.list_deliveries": Rule(ADMIN),
    "webhooks.retry_delivery": Rule(ADMIN),
}


def can(action: str, bucket_id: str | None = None) -> bool:
    return current_principal().can(action, bucket_id)


def read_filter() -> tuple[Callable[[str], bool] | None, Hashable]:
    """Which buckets this request may read (None: all) and a hashable name for that reach,
    for results cached per reach (see Service.query)."""
    principal = current_principal()
    if principal.everything:
        return None, None
    reach = principal.key.scopes if principal.key is not None else ()
    return (lambda bucket_id: principal.can(READ, bucket_id)), reach


def require(action: str, bucket_id: str | None = None) -> None:
    """403 naming the missing scope unless this request may do ``action`` on the bucket."""
    if not can(action, bucket_id):
        raise Forbidden(f"this API key lacks the scope {needed_scope(action, bucket_id)}")


def _check_rule() -> None:
    if request.method == "OPTIONS" or not is_api_path(request.path):
        return
    endpoint = request.endpoint
    if endpoint is None:
        return  # no route: the 404/405 handler answers
    rule = RULES.get(endpoint)
    if rule is None:
        # a route without a rule is refused rather than left open
        raise Forbidden(f"no access rule for {endpoint}")
    if rule.action is None:
        return
    bucket_id = (request.view_args or {}).get(rule.bucket_arg) if rule.bucket_arg else None
    require(rule.action, bucket_id)


def register_access(app: Flask) -> None:
    app.before_request(_check_rule)
