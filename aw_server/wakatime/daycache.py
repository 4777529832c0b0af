"""Per machine, time zone and day, the day's coding totals, kept until a write changes them.

Summaries of a month would otherwise read and sum every heartbeat of the month on every call;
past days rarely change, so each (machine, zone, day) is summed once. The cache subscribes to
the change feed: a committed change to ``aw-watcher-wakatime_<machine>`` within ``[start, end]``
(the span its recomputed events cover, which holds every heartbeat whose time changed) drops
that machine's days overlapping it; a change to the set of buckets drops everything. A result
computed while a change was being published is not kept (a per-machine generation counter).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import date

from aw_server.changes import Change
from aw_server.wakatime.summaries import DayTotals
from aw_server.wakatime.view import BUCKET_PREFIX

MAX_ENTRIES = 20_000

Key = tuple[str, str, date]  # machine, zone name, day


class DayCache:
    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self.max_entries = max_entries
        self._lock = threading.Lock()
        self._entries: OrderedDict[Key, DayTotals] = OrderedDict()
        self._generations: dict[str, int] = {}
        self._everything = 0  # bumped when all entries go

    def mark(self, machine: str) -> tuple[int, int]:
        """Note the state before computing a machine's days; pass it to put()."""
        with self._lock:
            return self._everything, self._generations.get(machine, 0)

    def get(self, machine: str, zone: str, day: date) -> DayTotals | None:
        with self._lock:
            totals = self._entries.get((machine, zone, day))
            if totals is not None:
                self._entries.move_to_end((machine, zone, day))
            return totals

    def put(self, machine: str, zone: str, days: list[DayTotals], since: tuple[int, int]) -> None:
        """Keep days computed after mark() returned ``since``, unless a change came since."""
        with self._lock:
            if since != (self._everything, self._generations.get(machine, 0)):
                return
            for totals in days:
                self._entries[(machine, zone, totals.day)] = totals
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def on_changes(self, changes: list[Change]) -> None:
        """The change feed subscriber."""
        with self._lock:
            for change in changes:
                if change.bucket_id is None:
                    self._entries.clear()
                    self._everything += 1
                    continue
                if not change.bucket_id.startswith(BUCKET_PREFIX):
                    continue
                machine = change.bucket_id[len(BUCKET_PREFIX) :]
                self._generations[machine] = self._generations.get(machine, 0) + 1
                stale = [
                    key
                    for key, totals in self._entries.items()
                    if key[0] == machine
                    and totals.start_us <= change.end_us
                    and change.start_us <= totals.end_us
                ]
                for key in stale:
                    del self._entries[key]
