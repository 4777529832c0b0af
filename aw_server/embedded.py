"""``ServerAPI``: the server's operations as a Python API, for programs that embed the server.

It has the names and signatures of the official server's ``aw_server.api.ServerAPI`` (watcher
tests and tools call it without HTTP) and is a thin facade over our Service: each method turns
its arguments into what the REST endpoint would have parsed, calls the same Service operation,
and turns the result into the documented Python value. So the two APIs cannot disagree, and
errors are the REST API's domain errors (``BucketNotFound``, ``NotFound``, ``BadRequest``... from
aw_server.errors) raised instead of answered as HTTP.

Datetime arguments may be in any time zone; naive ones are taken as UTC, as aw_core's Event and
the REST API take a timestamp without an offset.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any

import orjson

from aw_core.models import Event, EventId
from aw_core.timeutil import parse_datetime, parse_seconds
from aw_server import __version__
from aw_server.config import load_config
from aw_server.errors import BadRequest, BucketNotFound
from aw_server.logbuffer import log_buffer
from aw_server.service import Service, load_device_id, parse_event
from aw_server.storage import Storage

Timeperiod = str | tuple[datetime, datetime]
EventLike = Event | Mapping[str, Any]  # an Event, or its wire form as the REST API takes it


class ServerAPI:
    """The server's API over a storage: ``db`` is a SqliteStorage or MemoryStorage, or None to
    open the database the server would open for this mode (``testing``) with its config file."""

    def __init__(self, db: Storage | None, testing: bool) -> None:
        config = load_config(testing)
        if db is None:
            # imported here: aw_server.app imports aw_server.api, which re-exports this class
            from aw_server.app import open_storage

            db = open_storage(config)
            self._owns_db = True
        else:
            self._owns_db = False
        self.db: Storage = db
        self.testing = testing
        self.service = Service(
            db,
            testing=testing,
            device_id=load_device_id(config.resolved_data_dir()),
            version=f"v{__version__}",
        )
        log_buffer()  # as create_app does: get_log() holds the records from now on
        # writes made here are announced to webhooks like the server's (a server sends them)
        from aw_server.webhooks.app import hook_outbox
        from aw_server.webhooks.store import open_webhook_store

        hook_outbox(self.service, open_webhook_store(db), lambda: None)

    def close(self) -> None:
        """Close the database if this object opened it (``db=None``); a given one stays open."""
        if self._owns_db:
            self.db.close()

    def __enter__(self) -> ServerAPI:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # -- server ------------------------------------------------------------------------------

    def get_info(self) -> dict[str, Any]:
        """``{"hostname", "version", "testing", "device_id"}``, as GET /api/0/info."""
        return self.service.info()

    def get_log(self) -> list[dict[str, Any]]:
        """Recent log records of this process, newest first, as GET /api/0/log."""
        return log_buffer().records()

    # -- buckets -----------------------------------------------------------------------------

    def get_buckets(self) -> dict[str, dict[str, Any]]:
        """``{bucket_id: bucket}`` of every bucket, as GET /api/0/buckets/."""
        return self.service.list_buckets()

    def get_bucket_metadata(self, bucket_id: str) -> dict[str, Any]:
        """The bucket as GET /api/0/buckets/<id> gives it; BucketNotFound if missing."""
        return self.service.get_bucket(bucket_id).to_json_dict()

    def create_bucket(
        self,
        bucket_id: str,
        event_type: str,
        client: str,
        hostname: str,
        created: datetime | None = None,
        data: dict[str, Any] | None = None,
    ) -> bool:
        """Create a bucket; False (and no change) if one with this id exists.

        ``created`` defaults to now; hostname ``"!local"`` means this machine, as on the REST API.
        """
        body: dict[str, Any] = {"type": event_type, "client": client, "hostname": hostname}
        if created is not None:
            # a datetime is sent as the REST API receives it; anything else the Service rejects
            body["created"] = created.isoformat() if isinstance(created, datetime) else created
        if data is not None:
            body["data"] = data
        return self.service.create_bucket(bucket_id, body)

    def delete_bucket(self, bucket_id: str) -> None:
        """Delete the bucket and its events (no ``force`` needed); BucketNotFound if missing."""
        self.service.delete_bucket(bucket_id)

    # -- events ------------------------------------------------------------------------------

    def get_events(
        self,
        bucket_id: str,
        limit: int | None = -1,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> list[Event]:
        """Events overlapping ``[start, end]``, newest first, clipped to the range, at most
        ``limit`` (negative or None: all); the events GET /api/0/buckets/<id>/events gives."""
        chunks = self.service.get_events_json(
            bucket_id, _instant(start, "start"), _instant(end, "end"), _limit(limit)
        )
        return [Event.from_json_dict(obj) for obj in orjson.loads(b"".join(chunks))]

    def get_eventcount(
        self, bucket_id: str, start: datetime | None = None, end: datetime | None = None
    ) -> int:
        """The number of events overlapping ``[start, end]``."""
        return self.service.count_events(bucket_id, _instant(start, "start"), _instant(end, "end"))

    def create_events(
        self, bucket_id: str, events: EventLike | Sequence[EventLike]
    ) -> Event | None:
        """Insert one event (returned with its id) or a list of them (None is returned).

        All or nothing, as POST /api/0/buckets/<id>/events: an event carrying the id of an
        event of this bucket replaces it, and an id that is not in the bucket is a BadRequest.
        """
        if isinstance(events, Event | Mapping):
            return self.service.insert_events(bucket_id, [_event(events, "event")])[0]
        parsed = [_event(event, f"event {index}") for index, event in enumerate(events)]
        self.service.insert_events(bucket_id, parsed)
        return None

    def delete_event(self, bucket_id: str, event_id: EventId) -> bool:
        """Delete one event by its integer id (an ``Event.id`` as it is); True, or NotFound if
        the bucket has no such event."""
        self.service.delete_event(bucket_id, _event_id(event_id))
        return True

    def heartbeat(self, bucket_id: str, heartbeat: EventLike, pulsetime: float) -> Event:
        """Merge the heartbeat into the bucket's newest event when its data is equal and it
        comes within ``pulsetime`` seconds of that event's end, else insert it; the result."""
        try:
            seconds = parse_seconds(pulsetime, "pulsetime")
        except ValueError as exc:
            raise BadRequest(str(exc)) from None
        event = _event(heartbeat, "heartbeat", allow_id=False)
        return self.service.heartbeat(bucket_id, event, seconds)

    # -- export ------------------------------------------------------------------------------

    def export_all(self) -> dict[str, dict[str, Any]]:
        """``{bucket_id: bucket with its "events"}``: the ``"buckets"`` of GET /api/0/export."""
        return _exported(self.service.export())

    def export_bucket(self, bucket_id: str) -> dict[str, Any]:
        """The bucket with its ``"events"``, as in GET /api/0/buckets/<id>/export's ``"buckets"``."""
        if not bucket_id:  # Service.export() reads a missing id as "every bucket"
            raise BucketNotFound(bucket_id)
        return _exported(self.service.export(bucket_id))[bucket_id]

    # -- query2 ------------------------------------------------------------------------------

    def query2(
        self,
        name: str | None,
        query: str | list[str],
        timeperiods: Sequence[Timeperiod],
        cache: bool = False,
    ) -> list[Any]:
        """Run a query2 program once per timeperiod; the results as POST /api/0/query/ gives
        them (events as wire dicts).

        ``query`` is the program or a list of its lines; a timeperiod is ``"start/end"`` in ISO
        8601 or a ``(start, end)`` pair of datetimes. ``cache`` is accepted for compatibility
        and, as on the REST API, does not decide anything: with a ``name``, the result for a
        period wholly in the past is cached, and every write through this server invalidates
        what it could change, so the answer is the same either way.
        """
        body = {"query": query, "timeperiods": _timeperiods(timeperiods)}
        result: list[Any] = orjson.loads(self.service.query(body, name))
        return result


def _instant(value: datetime | None, name: str) -> datetime | None:
    if value is None:
        return None
    try:
        return parse_datetime(value)
    except ValueError as exc:
        raise BadRequest(f"invalid '{name}': {exc}") from None


def _limit(limit: int | None) -> int | None:
    """The REST API's rule for ``?limit=``: None or negative means all, as does anything
    beyond SQLite's 64-bit integers."""
    if limit is None:
        return None
    if isinstance(limit, bool) or not isinstance(limit, int):
        raise BadRequest(f"'limit' must be an integer, got {limit!r}")
    return None if limit < 0 or limit >= 2**63 else limit


def _event(value: object, where: str, *, allow_id: bool = True) -> Event:
    """Validate an event as the REST API validates a posted one (duration >= 0, integer id...)."""
    if isinstance(value, Event):
        value = value.to_json_dict()
    elif isinstance(value, Mapping):
        value = dict(value)
    return parse_event(value, where, allow_id=allow_id)


def _event_id(value: object) -> int:
    if isinstance(value, str) and value.isdecimal():  # an id taken from a URL or a log line
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadRequest(f"an event id must be an integer, not {value!r}")
    return value


def _timeperiods(periods: object) -> object:
    """``(start, end)`` datetime pairs as ``"start/end"`` strings; anything else is passed on
    for the Service to accept or reject."""
    if not isinstance(periods, list | tuple):
        return periods
    return [
        f"{p[0].isoformat()}/{p[1].isoformat()}"
        if isinstance(p, tuple | list) and len(p) == 2 and all(isinstance(t, datetime) for t in p)
        else p
        for p in periods
    ]


def _exported(chunks: Iterator[bytes]) -> dict[str, dict[str, Any]]:
    buckets: dict[str, dict[str, Any]] = orjson.loads(b"".join(chunks))["buckets"]
    return buckets
