"""Time entries and the timer over a ``general.stopwatch`` bucket, written through the service
(so the change feed, the query cache and the webhooks' outbox see every change).

ClockEye's timer: a start first stops every running timer of the bucket (the AW web UI allows
several), each ending where the new one starts; a stop stops them all and returns the newest.
What is running is read inside the same transaction as the writes, so two starts racing on two
connections leave exactly one timer running: the later one's.

Occurrences (for webhooks): a start notes ``time_entry.stopped`` for each timer it stops, then
``time_entry.started``; a stop ``time_entry.stopped``; a new finished entry
``time_entry.created``; a change ``time_entry.updated``; a deletion ``time_entry.deleted``. Each
carries the entry as the API shows it. Timers started and stopped by the AW web UI itself write
plain events, which are announced as ``event.created`` only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aw_core.models import Bucket, Event
from aw_core.timeutil import from_us
from aw_server.errors import BadRequest, Conflict, NotFound, Unprocessable
from aw_server.service import Service, Writes
from aw_server.timers.model import (
    STOPWATCH_TYPE,
    USER_ID,
    Entry,
    entry_data,
    now_us,
)
from aw_server.timers.parsing import UNSET, EntryFilter, Labels, Paging, Span, finished_span
from aw_server.timers.running import RunningIndex
from aw_server.timers.store import ProjectStore

CLIENT = "aw-server-py"  # the client named by the buckets this package creates


def note(writes: Writes, kind: str, entry: Entry, at_us: int) -> None:
    """Note a ``time_entry.<kind>`` occurrence carrying the entry."""
    writes.occurred(f"time_entry.{kind}", lambda: entry.to_json(at_us))


def _storable(entry_id: int) -> bool:
    return 0 < entry_id < 2**63


def stopped(event: Event, end_us: int) -> Event:
    """The running timer ``event`` stopped at ``end_us`` (never before its start), as the web
    UI stops one: ``running`` false and the duration set, the rest of its data kept."""
    duration_us = max(end_us - event.start_us, 0)
    return Event.of_us(event.id, event.start_us, duration_us, {**event.data, "running": False})


@dataclass(frozen=True)
class Resolved:
    description: str | None
    project_id: str | None
    task_id: str | None


class TimeEntries:
    def __init__(self, service: Service, projects: ProjectStore) -> None:
        self.service = service
        self.projects = projects
        self.index = RunningIndex()
        service.changes.subscribe(self.index.on_changes)

    # -- buckets ---------------------------------------------------------------------------------

    def exists(self, bucket_id: str) -> bool:
        """Whether the bucket exists; 422 if it is not a stopwatch bucket."""
        bucket = self.service.storage.get_bucket(bucket_id)
        if bucket is None:
            return False
        if bucket.type != STOPWATCH_TYPE:
            raise Unprocessable(
                f"bucket {bucket_id!r} is of type {bucket.type!r}, not {STOPWATCH_TYPE!r}",
                code="not_a_stopwatch_bucket",
                details={"bucket": bucket_id, "type": bucket.type},
            )
        return True

    def _ensure(self, writes: Writes, bucket_id: str) -> None:
        """Create the stopwatch bucket on first use, as a bucket of this server's host."""
        if not self.exists(bucket_id):
            writes.ensure_bucket(
                Bucket(
                    id=bucket_id,
                    type=STOPWATCH_TYPE,
                    client=CLIENT,
                    hostname=self.service.hostname,
                    created=datetime.now(UTC),
                    data={"device_id": self.service.device_id},
                )
            )

    # -- projects and tasks named by an entry ----------------------------------------------------

    def resolve(self, given: Labels, entry: Entry | None = None) -> Resolved:
        """What an entry is for after ``given`` (over ``entry``'s values): a task names its
        project unless the project is given too, and then they must agree. A project or task
        given must exist; a project newly given must not be archived."""
        old = entry or Entry(0, None, None, None, 0, None)
        task_id = old.task_id if given.task_id is UNSET else given.task_id
        task = self.projects.task(task_id) if task_id is not None else None
        if task is None and given.task_id is not UNSET and task_id is not None:
            raise BadRequest(
                f"there is no task {task_id!r}", code="unknown_task", details={"task_id": task_id}
            )
        if given.project_id is not UNSET:
            project_id = given.project_id
        elif given.task_id is not UNSET and task is not None:
            project_id = task.project_id
        else:
            project_id = old.project_id
        if project_id is not None and project_id != old.project_id:
            self._check_project(project_id)
        if task is not None and task.project_id != project_id:
            raise BadRequest(
                f"task {task.id!r} belongs to project {task.project_id!r}, not {project_id!r}",
                code="task_not_in_project",
                details={"task_id": task.id, "project_id": project_id},
            )
        description = old.description if given.description is UNSET else given.description
        return Resolved(description, project_id, task_id)

    def _check_project(self, project_id: str) -> None:
        project = self.projects.get(project_id)
        if project is None:
            raise BadRequest(
                f"there is no project {project_id!r}",
                code="unknown_project",
                details={"project_id": project_id},
            )
        if project.archived:
            raise Unprocessable(
                f"project {project_id!r} is archived",
                code="project_archived",
                details={"project_id": project_id},
            )

    # -- the timer -------------------------------------------------------------------------------

    def start(self, bucket_id: str, given: Labels) -> Entry:
        """Stop every running timer, then start a new one; the new entry."""

        def write(writes: Writes) -> Entry:
            self._ensure(writes, bucket_id)
            labels = self.resolve(given)
            timers = self.index.running(self.service.storage, bucket_id)
            # read now, in the transaction: a later start never begins before an earlier one
            at_us = max([now_us(), *(t.start_us for t in timers)])
            data = entry_data(labels.description, labels.project_id, labels.task_id, running=True)
            new = Event.of_us(None, at_us, 0, data)
            written = writes.insert_events(bucket_id, [stopped(t, at_us) for t in timers] + [new])
            for event in written[:-1]:
                note(writes, "stopped", Entry.of(event), at_us)
            entry = Entry.of(written[-1])
            note(writes, "started", entry, at_us)
            return entry

        return self.service.transaction(write)

    def stop(self, bucket_id: str) -> Entry:
        """Stop every running timer; the one started last. 409 when none runs."""

        def write(writes: Writes) -> Entry:
            timers = (
                self.index.running(self.service.storage, bucket_id)
                if self.exists(bucket_id)
                else []
            )
            if not timers:
                raise Conflict("no timer is running", code="no_timer_running")
            at_us = now_us()
            written = writes.insert_events(bucket_id, [stopped(t, at_us) for t in timers])
            entries = [Entry.of(e) for e in written]
            for entry in entries:
                note(writes, "stopped", entry, at_us)
            return entries[-1]

        return self.service.transaction(write)

    def current(self, bucket_id: str) -> Entry | None:
        """The running timer (the one started last if the web UI runs several), or None."""
        if not self.exists(bucket_id):
            return None
        timers = self.index.running(self.service.storage, bucket_id)
        return Entry.of(timers[-1]) if timers else None

    # -- entries ---------------------------------------------------------------------------------

    def page(self, bucket_id: str, where: EntryFilter, paging: Paging) -> tuple[list[Entry], int]:
        """A page of the entries matching the filter, newest first, and how many match."""
        if not self.exists(bucket_id) or where.user_id not in (None, USER_ID):
            return [], 0
        storage = self.service.storage
        if where.project_id is None and where.start_us is None and where.end_us is None:
            total = storage.count_events(bucket_id)
            if paging.offset >= total:
                return [], total
            events = storage.get_events(bucket_id, limit=paging.offset + paging.per_page)
            return [Entry.of(e) for e in events[paging.offset :]], total
        lo, hi = where.start_us, where.end_us
        events = [
            e
            for e in storage.get_events(
                bucket_id,
                from_us(lo) if lo is not None else None,
                from_us(hi) if hi is not None else None,
            )
            # an entry is in the days it starts in; the range ends before the next midnight
            if (lo is None or e.start_us >= lo)
            and (hi is None or e.start_us < hi)
            and (where.project_id is None or e.data.get("project_id") == where.project_id)
        ]
        chosen = events[paging.offset : paging.offset + paging.per_page]
        return [Entry.of(e) for e in chosen], len(events)

    def _event(self, bucket_id: str, entry_id: int) -> Event:
        event = (
            self.service.storage.get_event(bucket_id, entry_id)
            if _storable(entry_id) and self.exists(bucket_id)
            else None
        )
        if event is None:
            # an id no event can have may be too large for a JSON number: left out then
            known = {"id": entry_id} if _storable(entry_id) else {}
            raise NotFound(
                f"there is no time entry {entry_id} in bucket {bucket_id!r}",
                details={**known, "bucket": bucket_id},
            )
        return event

    def get(self, bucket_id: str, entry_id: int) -> Entry:
        return Entry.of(self._event(bucket_id, entry_id))

    def create(self, bucket_id: str, given: Labels, span: tuple[int, int]) -> Entry:
        """Store a finished entry."""
        start_us, end_us = span

        def write(writes: Writes) -> Entry:
            self._ensure(writes, bucket_id)
            labels = self.resolve(given)
            data = entry_data(labels.description, labels.project_id, labels.task_id, running=False)
            event = Event.of_us(None, start_us, end_us - start_us, data)
            entry = Entry.of(writes.insert_events(bucket_id, [event])[0])
            note(writes, "created", entry, now_us())
            return entry

        return self.service.transaction(write)

    def update(self, bucket_id: str, entry_id: int, given: Labels, span: Span) -> Entry:
        """Change an entry's labels and times. A running entry has no end: only its start may
        move (the duration it is sent with is ignored: it counts up to now). ``running`` is
        read-only: a value other than the entry's is refused."""

        def write(writes: Writes) -> Entry:
            event = self._event(bucket_id, entry_id)
            entry = Entry.of(event)
            labels = self.resolve(given, entry)
            if span.running is not None and span.running != entry.running:
                # read-only: sent back as read it is fine, but it is not how a timer stops
                raise BadRequest(
                    "'running' cannot be changed: POST /time-entries/stop stops the timer"
                    if entry.running
                    else "'running' cannot be changed: a finished entry cannot run again",
                    code="invalid_field",
                    details={"field": "running"},
                )
            if entry.running:
                if span.end_us is not None:
                    raise Conflict(
                        "the entry is running: stop it before giving it an end",
                        code="entry_running",
                        details={"id": entry_id},
                    )
                start_us = span.start_us if span.start_us is not None else event.start_us
                duration_us = event.duration_us
            else:
                start_us, end_us = finished_span(span, start_us=event.start_us, end_us=event.end_us)
                duration_us = end_us - start_us
            data = {
                **event.data,
                **entry_data(
                    labels.description, labels.project_id, labels.task_id, running=entry.running
                ),
            }
            changed = Event.of_us(event.id, start_us, duration_us, data)
            result = Entry.of(writes.insert_events(bucket_id, [changed])[0])
            note(writes, "updated", result, now_us())
            return result

        return self.service.transaction(write)

    def delete(self, bucket_id: str, entry_id: int) -> Entry:
        def write(writes: Writes) -> Entry:
            entry = Entry.of(self._event(bucket_id, entry_id))
            writes.delete_event(bucket_id, entry_id)
            note(writes, "deleted", entry, now_us())
            return entry

        return self.service.transaction(write)

    # -- entries of a project, in every stopwatch bucket -----------------------------------------

    def of_project(self, project_id: str) -> dict[str, list[Event]]:
        """The events naming the project, by stopwatch bucket (reads every stopwatch bucket)."""
        found: dict[str, list[Event]] = {}
        storage = self.service.storage
        for bucket in storage.list_buckets():
            if bucket.type != STOPWATCH_TYPE:
                continue
            events = [
                e for e in storage.get_events(bucket.id) if e.data.get("project_id") == project_id
            ]
            if events:
                found[bucket.id] = events
        return found

    def clear_project(
        self, writes: Writes, found: dict[str, list[Event]], check_bucket: Callable[[str], None]
    ) -> int:
        """Take the project (and its task) off the entries ``found``; how many changed."""
        for bucket_id in found:
            check_bucket(bucket_id)
        at_us = now_us()
        for bucket_id, events in found.items():
            cleared = [
                Event.of_us(e.id, e.start_us, e.duration_us, _without_project(e.data))
                for e in events
            ]
            for event in writes.insert_events(bucket_id, cleared):
                note(writes, "updated", Entry.of(event), at_us)
        return sum(len(events) for events in found.values())


def _without_project(data: dict[str, Any]) -> dict[str, Any]:
    return {**data, "project_id": None, "task_id": None}
