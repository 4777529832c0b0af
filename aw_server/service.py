"""Framework-free server operations over a storage: validation, heartbeats, import and export.

There is no heartbeat "last event" cache: the newest event is read inside the same write
transaction that merges into it, so no insert, replace or delete can leave a stale copy behind.
"""

from __future__ import annotations

import functools
import logging
import re
import socket
import uuid
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import orjson

from aw_core.heartbeat import heartbeat_merge
from aw_core.models import Bucket, Event, event_from_api
from aw_core.query import (
    BucketForbidden,
    QueryError,
    UnknownBucket,
    gc_paused,
    parse_timeperiod,
    run_period,
)
from aw_core.query import parse as parse_query
from aw_core.query.ast import Program
from aw_core.timeutil import from_us, parse_datetime, to_us
from aw_server.changes import Change, ChangeFeed
from aw_server.errors import BadRequest, BucketNotFound, Forbidden, NotFound
from aw_server.querycache import QueryCache, Reads
from aw_server.storage.base import Storage
from aw_server.wire import dumps

logger = logging.getLogger(__name__)
T = TypeVar("T")

# Who may read which bucket: None reads everything (a request without a key on loopback).
Reader = Callable[[str], bool] | None

MAX_BUCKET_ID_LENGTH = 512
MAX_SETTING_KEY_LENGTH = 128
_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")
_EXPORT_CHUNK = 1000


def validate_bucket_id(bucket_id: str) -> str:
    if not bucket_id or len(bucket_id) > MAX_BUCKET_ID_LENGTH:
        raise BadRequest(f"a bucket id must have 1 to {MAX_BUCKET_ID_LENGTH} characters")
    if _CONTROL_CHARS.search(bucket_id) or "/" in bucket_id:
        raise BadRequest("a bucket id must not contain control characters or '/'")
    return bucket_id


def _require_str(body: dict[str, Any], key: str, where: str) -> str:
    if key not in body:
        raise BadRequest(f"{where}: missing required field '{key}'")
    value = body[key]
    if not isinstance(value, str):
        raise BadRequest(f"{where}: field '{key}' must be a string")
    return value


def _optional_name(body: dict[str, Any], where: str) -> str | None:
    name = body.get("name")
    if name is not None and not isinstance(name, str):
        raise BadRequest(f"{where}: field 'name' must be a string or null")
    return name


def _optional_data(body: dict[str, Any], where: str) -> dict[str, Any]:
    data = body.get("data")
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise BadRequest(f"{where}: field 'data' must be an object")
    return data


def _optional_created(body: dict[str, Any], where: str) -> datetime:
    created = body.get("created")
    if created is None:
        return datetime.now(UTC)
    if not isinstance(created, str):
        raise BadRequest(f"{where}: field 'created' must be an ISO 8601 string")
    try:
        return parse_datetime(created)
    except ValueError as exc:
        raise BadRequest(f"{where}: field 'created': {exc}") from None


def parse_event(obj: object, where: str, *, allow_id: bool = True) -> Event:
    try:
        return event_from_api(obj, allow_id=allow_id)
    except ValueError as exc:
        raise BadRequest(f"{where}: {exc}") from None


def _canonical(data: dict[str, Any]) -> bytes:
    return orjson.dumps(data, option=orjson.OPT_SORT_KEYS)


def _identity(event: Event) -> tuple[int, int, bytes]:
    """What makes two events the same for import de-duplication: start, end and data."""
    return (event.start_us, event.end_us, _canonical(event.data))


@functools.lru_cache(maxsize=64)
def _parse_program(program: str) -> Program:
    """Parse a query program; clients send the same few programs again and again, and the
    tree is immutable, so it is kept (a failed parse is not)."""
    return parse_query(program)


def load_device_id(data_dir: Path) -> str:
    """The server's device id: a UUID kept in ``<data dir>/device_id``, created on first use."""
    path = data_dir / "device_id"
    try:
        text = path.read_text(encoding="utf-8").strip()
        if text:
            return text
    except FileNotFoundError:
        pass
    device_id = str(uuid.uuid4())
    path.write_text(device_id, encoding="utf-8")
    return device_id


@dataclass(frozen=True)
class Occurrence:
    """Something that happened in a write, as webhooks announce it: a type such as
    ``event.created`` and its JSON data. Collected in the transaction, handed to the outbox
    before it commits (see Service.transaction)."""

    type: str
    data: dict[str, Any]


def _nobody(occurrence_type: str) -> bool:
    return False


class Writes:
    """The writes of one transaction (see Service.transaction): every change to buckets and
    events goes through here, which notes what changed (for the change feed, after the commit)
    and what happened (for the outbox, inside the transaction)."""

    def __init__(self, storage: Storage, listening: Callable[[str], bool] = _nobody) -> None:
        self.storage = storage
        self.changes: list[Change] = []
        self.occurrences: list[Occurrence] = []
        self._listening = listening

    def occurred(self, occurrence_type: str, data: Callable[[], dict[str, Any]]) -> None:
        """Note an occurrence; ``data`` is made only if someone listens for the type."""
        if self._listening(occurrence_type):
            self.occurrences.append(Occurrence(occurrence_type, data()))

    def _events_changed(self, bucket_id: str, events: list[Event]) -> None:
        if events:
            start = min(e.start_us for e in events)
            end = max(e.start_us + e.duration_us for e in events)
            self.changes.append(Change(bucket_id, start, end))

    def ensure_bucket(self, bucket: Bucket) -> bool:
        """Create the bucket unless it exists; True if it was created."""
        validate_bucket_id(bucket.id)
        created = self.storage.create_bucket(bucket)
        if created:
            self.changes.append(Change(None))
            self.occurred("bucket.created", bucket.to_json_dict)
        return created

    def update_bucket(self, bucket_id: str, changes: dict[str, Any]) -> None:
        """Change a bucket's metadata (fields of storage.base.BUCKET_FIELDS)."""
        self.storage.update_bucket(bucket_id, changes)
        self.changes.append(Change(None))

    def delete_bucket(self, bucket_id: str) -> None:
        self.storage.delete_bucket(bucket_id)
        self.changes.append(Change(None))
        self.occurred("bucket.deleted", lambda: {"id": bucket_id})

    def insert_events(self, bucket_id: str, events: list[Event]) -> list[Event]:
        """Insert events; one carrying the id of an event of this bucket replaces that event.

        All or nothing: an id that is not in this bucket fails the whole transaction.
        """
        result: list[Event | None] = [None] * len(events)
        fresh: list[tuple[int, Event]] = []
        replaced: list[Event] = []  # the events as they were before being replaced
        for index, event in enumerate(events):
            if event.id is None:
                fresh.append((index, event))
                continue
            old = self.storage.get_event(bucket_id, int(event.id))
            if old is None or not self.storage.replace_event(bucket_id, event):
                raise BadRequest(
                    f"event {index}: there's no event {event.id} in bucket {bucket_id!r}"
                )
            replaced.append(old)
            result[index] = event
        inserted = self.storage.insert_events(bucket_id, [e for _, e in fresh])
        for (index, _), event in zip(fresh, inserted, strict=True):
            result[index] = event
        written = [e for e in result if e is not None]
        self._events_changed(bucket_id, written + replaced)
        if inserted and self._listening("event.created"):  # asked once per write, not per event
            self.occurrences += [
                Occurrence("event.created", {"bucket_id": bucket_id, "event": e.to_json_dict()})
                for e in inserted
            ]
        return written

    def delete_event(self, bucket_id: str, event_id: int) -> Event:
        """Delete an event of the bucket; NotFound if it is not there."""
        event = self.storage.get_event(bucket_id, event_id)
        if event is None or not self.storage.delete_event(bucket_id, event_id):
            raise NotFound(f"There's no event {event_id} in bucket {bucket_id!r}")
        self._events_changed(bucket_id, [event])
        self.occurred(
            "event.deleted", lambda: {"bucket_id": bucket_id, "event": event.to_json_dict()}
        )
        return event

    def heartbeat(self, bucket_id: str, heartbeat: Event, pulsetime: float) -> Event:
        """Merge the heartbeat into the bucket's newest event (read in this transaction) if it
        continues it, else insert it; the written event. Only an inserted event is an
        ``event.created``: a heartbeat that extends one is not."""
        last = self.storage.last_event(bucket_id)
        merged = heartbeat_merge(last, heartbeat, pulsetime) if last is not None else None
        if (
            last is not None
            and merged is not None
            and self.storage.replace_event(bucket_id, merged)
        ):
            # a merge keeps the start and the data and only moves the end: just that part changed
            self.changes.append(Change(bucket_id, min(last.end_us, merged.end_us), merged.end_us))
            return merged
        written = self.storage.insert_events(bucket_id, [heartbeat.replace(id=None)])[0]
        self.changes.append(Change(bucket_id, written.start_us, written.end_us))
        self.occurred(
            "event.created", lambda: {"bucket_id": bucket_id, "event": written.to_json_dict()}
        )
        return written

    def replace_span(self, bucket_id: str, lo_us: int, hi_us: int, events: list[Event]) -> None:
        """Replace the bucket's events that start within ``[lo, hi]`` by ``events`` (a view
        recomputed from its source: the events are not announced one by one)."""
        old = [
            e
            for e in self.storage.get_events(bucket_id, from_us(lo_us), from_us(hi_us))
            if lo_us <= e.start_us <= hi_us
        ]
        for event in old:
            self.storage.delete_event(bucket_id, int(event.id or 0))
        inserted = self.storage.insert_events(bucket_id, events)
        self._events_changed(bucket_id, old + inserted)


@dataclass
class ImportedBucket:
    bucket: Bucket
    events: list[Event]


class Service:
    def __init__(
        self,
        storage: Storage,
        *,
        testing: bool,
        device_id: str,
        version: str,
        hostname: str | None = None,
    ) -> None:
        self.storage = storage
        self.testing = testing
        self.device_id = device_id
        self.version = version
        self.hostname = hostname or socket.gethostname()
        self.changes = ChangeFeed()
        self.query_cache = QueryCache()
        self.changes.subscribe(self.query_cache.publish)
        # what happens in a write, for the webhooks' outbox: who listens for which type, and
        # the writer called inside the transaction (set by the webhooks package)
        self.listening: Callable[[str], bool] = _nobody
        self.outbox: Callable[[list[Occurrence]], None] | None = None

    def info(self) -> dict[str, Any]:
        return {
            "hostname": self.hostname,
            "version": self.version,
            "testing": self.testing,
            "device_id": self.device_id,
        }

    # -- buckets -----------------------------------------------------------------------------

    def list_buckets(self) -> dict[str, dict[str, Any]]:
        return {b.id: b.to_json_dict() for b in self.storage.list_buckets()}

    def get_bucket(self, bucket_id: str) -> Bucket:
        bucket = self.storage.get_bucket(bucket_id)
        if bucket is None:
            raise BucketNotFound(bucket_id)
        return bucket

    def _bucket_from_body(self, bucket_id: str, body: dict[str, Any], where: str) -> Bucket:
        bucket = Bucket(
            id=bucket_id,
            type=_require_str(body, "type", where),
            client=_require_str(body, "client", where),
            hostname=_require_str(body, "hostname", where),
            created=_optional_created(body, where),
            name=_optional_name(body, where),
            data=_optional_data(body, where),
        )
        if bucket.hostname == "!local":
            bucket.hostname = self.hostname
            bucket.data = {**bucket.data, "device_id": self.device_id}
        return bucket

    def create_bucket(self, bucket_id: str, body: object) -> bool:
        """Create a bucket from a POST body; False if it already exists."""
        validate_bucket_id(bucket_id)
        if not isinstance(body, dict):
            raise BadRequest("the bucket must be a JSON object")
        bucket = self._bucket_from_body(bucket_id, body, "bucket")
        return self.transaction(lambda writes: writes.ensure_bucket(bucket))

    def update_bucket(self, bucket_id: str, body: object) -> Bucket:
        if not isinstance(body, dict):
            raise BadRequest("the bucket update must be a JSON object")
        changes: dict[str, Any] = {}
        for key in ("type", "client", "hostname"):
            if key in body:
                changes[key] = _require_str(body, key, "bucket update")
        if "name" in body:
            changes["name"] = _optional_name(body, "bucket update")
        if "data" in body:
            changes["data"] = _optional_data(body, "bucket update")
        if changes.get("hostname") == "!local":
            changes["hostname"] = self.hostname
        self.transaction(lambda writes: writes.update_bucket(bucket_id, changes))
        return self.get_bucket(bucket_id)

    def delete_bucket(self, bucket_id: str) -> None:
        self.transaction(lambda writes: writes.delete_bucket(bucket_id))

    # -- events ------------------------------------------------------------------------------

    def get_events_json(
        self,
        bucket_id: str,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int | None = None,
    ) -> Iterator[bytes]:
        """Events overlapping ``[start, end]`` (inclusive, see storage.base), newest first,
        clipped to the range, as a JSON array streamed in chunks (never all in memory)."""
        _check_range(start, end)
        return _json_array(self.storage.events_json(bucket_id, start, end, limit))

    def count_events(
        self, bucket_id: str, start: datetime | None = None, end: datetime | None = None
    ) -> int:
        """How many events overlap ``[start, end]`` (inclusive, like get_events_json)."""
        _check_range(start, end)
        return self.storage.count_events(bucket_id, start, end)

    def get_event(self, bucket_id: str, event_id: int) -> Event:
        event = self.storage.get_event(bucket_id, event_id) if _storable_id(event_id) else None
        if event is None:
            raise NotFound(f"There's no event {event_id} in bucket {bucket_id!r}")
        return event

    def delete_event(self, bucket_id: str, event_id: int) -> None:
        if not _storable_id(event_id):
            raise NotFound(f"There's no event {event_id} in bucket {bucket_id!r}")
        self.transaction(lambda writes: writes.delete_event(bucket_id, event_id))

    def insert_events(self, bucket_id: str, events: list[Event]) -> list[Event]:
        """Insert events; one carrying the id of an event of this bucket replaces that event.

        All or nothing: an id that is not in this bucket fails the whole request.
        """
        return self.transaction(lambda writes: writes.insert_events(bucket_id, events))

    def heartbeat(self, bucket_id: str, heartbeat: Event, pulsetime: float) -> Event:
        """Merge the heartbeat into the bucket's newest event if it continues it, else insert it."""
        return self.transaction(lambda writes: writes.heartbeat(bucket_id, heartbeat, pulsetime))

    def transaction(self, fn: Callable[[Writes], T]) -> T:
        """Run ``fn`` in one committed write, for features that change several things at once
        (their own tables and buckets' events); what it changed is published after the commit."""
        writes = Writes(self.storage, self.listening)

        def run() -> T:
            result = fn(writes)
            if writes.occurrences and self.outbox is not None:
                self.outbox(writes.occurrences)  # in the transaction: kept or lost with it
            return result

        result = self.storage.write(run)
        self.changes.publish(writes.changes)
        return result

    # -- export / import ---------------------------------------------------------------------

    def export(self, bucket_id: str | None = None, reader: Reader = None) -> Iterator[bytes]:
        """Stream ``{"buckets": {id: {...bucket, "events": [...]}}}`` as JSON chunks; all
        buckets (those ``reader`` may read), or one."""
        if bucket_id:
            buckets = [self.get_bucket(bucket_id)]
        else:
            buckets = [b for b in self.storage.list_buckets() if reader is None or reader(b.id)]
        return self._export_chunks(buckets)

    def _export_chunks(self, buckets: list[Bucket]) -> Iterator[bytes]:
        yield b'{"buckets":{'
        for index, bucket in enumerate(buckets):
            head = orjson.dumps(bucket.to_json_dict())
            yield (
                (b"," if index else b"")
                + orjson.dumps(bucket.id)
                + b":"
                + head[:-1]
                + b',"events":['
            )
            try:
                yield from _json_chunks(self.storage.events_json(bucket.id))
            except BucketNotFound:
                logger.warning("bucket %s was deleted during an export", bucket.id)
            yield b"]}"
        yield b"}}"

    def parse_import(self, payload: object) -> list[ImportedBucket]:
        """Validate a whole export document before anything is written; 400 names what is wrong."""
        if not isinstance(payload, dict) or "buckets" not in payload:
            raise BadRequest('an import must be a JSON object with a "buckets" field')
        raw = payload["buckets"]
        if isinstance(raw, dict):
            items = list(raw.items())
        elif isinstance(raw, list):
            items = [(None, b) for b in raw]
        else:
            raise BadRequest('"buckets" must be an object of buckets (or a list of them)')
        parsed: list[ImportedBucket] = []
        seen: set[str] = set()
        for key, body in items:
            where = f"bucket {key!r}" if key is not None else f"bucket #{len(parsed)}"
            if not isinstance(body, dict):
                raise BadRequest(f"{where}: must be a JSON object")
            bucket_id = body.get("id", key)
            if not isinstance(bucket_id, str):
                raise BadRequest(f"{where}: field 'id' must be a string")
            where = f"bucket {bucket_id!r}"
            validate_bucket_id(bucket_id)
            if bucket_id in seen:
                raise BadRequest(f"{where}: appears twice in the import")
            seen.add(bucket_id)
            bucket = self._bucket_from_body(bucket_id, body, where)
            raw_events = body.get("events", [])
            if raw_events is None:
                raw_events = []
            if not isinstance(raw_events, list):
                raise BadRequest(f"{where}: field 'events' must be a list")
            events = [
                parse_event(e, f"{where}, event {i}", allow_id=False)
                for i, e in enumerate(raw_events)
            ]
            parsed.append(ImportedBucket(bucket, events))
        return parsed

    def import_buckets(
        self, payload: object, check_bucket: Callable[[str], None] | None = None
    ) -> dict[str, Any]:
        """Import an export document in one transaction; events already present are skipped.

        ``check_bucket`` may refuse a bucket (by raising) before anything is written.
        """
        imports = self.parse_import(payload)
        if check_bucket is not None:
            for item in imports:
                check_bucket(item.bucket.id)
        summary: dict[str, dict[str, Any]] = {}

        def write(writes: Writes) -> None:
            for item in imports:
                bucket_id = item.bucket.id
                created = writes.ensure_bucket(item.bucket)
                events = item.events
                if not created and events:
                    events = self._without_existing(bucket_id, events)
                # stored as they are, not announced one by one (an import may hold millions)
                self.storage.insert_events(bucket_id, events)
                summary[bucket_id] = {
                    "created": created,
                    "inserted": len(events),
                    "skipped": len(item.events) - len(events),
                }
            writes.changes.append(Change(None))

        self.transaction(write)
        return {"buckets": summary}

    def _without_existing(self, bucket_id: str, events: list[Event]) -> list[Event]:
        # Any stored duplicate starts within [first start, last end], so one range read finds it.
        start = min(e.timestamp for e in events)
        end = max(e.end for e in events) + timedelta(microseconds=1)
        existing = {_identity(e) for e in self.storage.get_events(bucket_id, start, end)}
        return [e for e in events if _identity(e) not in existing]

    # -- query2 ------------------------------------------------------------------------------

    def query(
        self,
        body: object,
        name: str | None = None,
        reader: Reader = None,
        reach: Hashable = None,
    ) -> bytes:
        """Run a query2 program once per timeperiod; the JSON list of results.

        Errors are 400 with their type; reading a bucket ``reader`` refuses is a 403 naming it.
        With a ``name``, the result of a period that lies wholly in the past is cached (see
        QueryCache) until a write could change it; ``reach`` identifies what ``reader`` allows,
        so a result is only served again to requests that may read the same buckets.
        """
        if not isinstance(body, dict):
            raise BadRequest('the query must be an object {"query": [...], "timeperiods": [...]}')
        lines, periods = body.get("query"), body.get("timeperiods")
        if isinstance(lines, str):
            lines = [lines]
        if not isinstance(lines, list) or not all(isinstance(line, str) for line in lines):
            raise BadRequest("'query' must be a list of strings (the program's lines)")
        if not isinstance(periods, list) or not periods:
            raise BadRequest("'timeperiods' must be a non-empty list of 'start/end' strings")
        program = "\n".join(lines)
        try:
            timeperiods = [parse_timeperiod(p) for p in periods]
            tree = _parse_program(program)
            # noted before anything is read: the bucket list, read once, serves every period
            since = self.query_cache.mark()
            source = StorageDatasource(self.storage, reader)
            now_us = to_us(datetime.now(UTC))
            parts = []
            # the results are serialised and freed inside the pause (see gc_paused)
            with gc_paused():
                for start, end in timeperiods:
                    key = (name, program, to_us(start), to_us(end), reach)
                    cacheable = name is not None and key[3] <= now_us
                    payload = self.query_cache.get(key) if cacheable else None
                    if payload is None:
                        source.forget_reads()
                        payload = dumps(run_period(tree, start, end, source, name))
                        if cacheable:
                            self.query_cache.put(key, payload, source.reads(), since)
                    parts.append(payload)
        except QueryError as exc:
            raise BadRequest(exc.message, type=exc.type, code="query_error") from None
        except BucketForbidden as exc:
            raise Forbidden(
                f"this API key may not read bucket {exc.bucket_id!r} (needs read:{exc.bucket_id})"
            ) from None
        return b"[" + b",".join(parts) + b"]"

    # -- settings ----------------------------------------------------------------------------

    @staticmethod
    def _check_key(key: str) -> None:
        if not key or len(key) > MAX_SETTING_KEY_LENGTH:
            raise BadRequest(f"a setting key must have 1 to {MAX_SETTING_KEY_LENGTH} characters")

    def get_settings(self) -> dict[str, Any]:
        return {k: orjson.loads(v) for k, v in self.storage.all_settings().items()}

    def get_setting(self, key: str) -> Any:
        self._check_key(key)
        value = self.storage.get_setting(key)
        return None if value is None else orjson.loads(value)

    def set_setting(self, key: str, value: Any) -> Any:
        self._check_key(key)
        self.storage.set_setting(key, orjson.dumps(value).decode())
        return value

    def delete_setting(self, key: str) -> None:
        self._check_key(key)
        self.storage.delete_setting(key)


class StorageDatasource:
    """The query interpreter's view of the storage, for one request."""

    def __init__(self, storage: Storage, reader: Reader = None) -> None:
        self.storage = storage
        self.reader = reader
        self._hostnames: dict[str, str] | None = None
        self._read: set[str] = set()
        self._listed = False

    def forget_reads(self) -> None:
        self._read, self._listed = set(), False

    def reads(self) -> Reads:
        """What was read since forget_reads(): the queried buckets and whether it listed them."""
        return Reads(frozenset(self._read), self._listed)

    def _buckets(self) -> dict[str, str]:
        self._listed = True
        if self._hostnames is None:
            self._hostnames = self.storage.bucket_hostnames()
        return self._hostnames

    def bucket_ids(self) -> list[str]:
        return list(self._buckets())

    def bucket_hostname(self, bucket_id: str) -> str | None:
        return self._buckets().get(bucket_id)

    def readable(self, bucket_id: str) -> bool:
        return self.reader is None or self.reader(bucket_id)

    def get_events(self, bucket_id: str, start: datetime, end: datetime) -> list[Event]:
        self._read.add(bucket_id)
        try:
            return self.storage.clipped_events(bucket_id, start, end)
        except BucketNotFound:
            raise UnknownBucket(bucket_id) from None

    def count_events(self, bucket_id: str, start: datetime, end: datetime) -> int:
        self._read.add(bucket_id)
        try:
            return self.storage.count_events(bucket_id, start, end)
        except BucketNotFound:
            raise UnknownBucket(bucket_id) from None


def _storable_id(event_id: int) -> bool:
    """Whether an event could have this id: ids are positive 64-bit integers, and a larger
    number from a URL must be a 404, not an overflow in the database driver."""
    return 0 < event_id < 2**63


def _check_range(start: datetime | None, end: datetime | None) -> None:
    if start is not None and end is not None and start > end:
        raise BadRequest("'start' must not be after 'end'")


def _json_chunks(items: Iterator[str]) -> Iterator[bytes]:
    """Comma-joined JSON texts, in chunks of _EXPORT_CHUNK items."""
    first = True
    batch: list[str] = []
    for item in items:
        batch.append(item)
        if len(batch) >= _EXPORT_CHUNK:
            yield (b"" if first else b",") + ",".join(batch).encode()
            first, batch = False, []
    if batch:
        yield (b"" if first else b",") + ",".join(batch).encode()


def _json_array(items: Iterator[str]) -> Iterator[bytes]:
    yield b"["
    yield from _json_chunks(items)
    yield b"]"
