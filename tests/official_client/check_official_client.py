"""Run by the OFFICIAL aw-client (in its own venv) against our server: exits 0 when all works.

Usage: python check_official_client.py PORT
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime, timedelta

from aw_client import ActivityWatchClient
from aw_core.models import Event


def wait_for(predicate, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError("timed out waiting for the queued heartbeats")


def main(port: int) -> None:
    client = ActivityWatchClient("official-check", testing=True, host="127.0.0.1", port=str(port))
    info = client.get_info()
    assert info["testing"] is True and info["device_id"], info

    bucket = "official-check_host"
    client.create_bucket(bucket, event_type="currentwindow")
    client.create_bucket(bucket, event_type="currentwindow")  # 304: already exists, no error
    assert bucket in client.get_buckets()

    # queued heartbeats: pre-merged by the client, sent by its background thread
    queued = "official-queued_host"
    client.create_bucket(queued, event_type="currentwindow", queued=True)
    start = datetime(2024, 1, 1, 12, tzinfo=UTC)
    with client:
        for i in range(30):
            data = {"app": "editor" if i < 20 else "browser", "title": "t"}
            client.heartbeat(
                queued,
                Event(timestamp=start + timedelta(seconds=i), data=data),
                pulsetime=2,
                queued=True,
                commit_interval=5,
            )
        # the app switch flushes the editor event into the queue; commits arrive in stages
        wait_for(
            lambda: any(
                e.data["app"] == "editor" and e.duration == timedelta(seconds=19)
                for e in client.get_events(queued)
            )
        )
    editor = [e for e in client.get_events(queued) if e.data["app"] == "editor"]
    assert len(editor) == 1 and editor[0].duration == timedelta(seconds=19), editor

    # synchronous heartbeats return the merged event
    client.heartbeat(bucket, Event(timestamp=start, data={"app": "a"}), pulsetime=5)
    merged = client.heartbeat(
        bucket, Event(timestamp=start + timedelta(seconds=3), data={"app": "a"}), pulsetime=5
    )
    assert merged is None or merged.duration == timedelta(seconds=3)

    # inserts
    inserted = client.insert_event(
        bucket, Event(timestamp=start + timedelta(hours=1), duration=60, data={"app": "b"})
    )
    client.insert_events(
        bucket,
        [
            Event(timestamp=start + timedelta(hours=2, seconds=i), duration=1, data={"n": i})
            for i in range(10)
        ],
    )
    events = client.get_events(bucket)
    assert len(events) == 12, events
    assert events[0].timestamp > events[-1].timestamp  # newest first
    assert client.get_events(bucket, limit=3)[0].data == {"n": 9}
    ranged = client.get_events(
        bucket, start=start + timedelta(minutes=30), end=start + timedelta(hours=1, seconds=30)
    )
    assert len(ranged) == 1 and ranged[0].duration == timedelta(seconds=30), ranged
    assert client.get_eventcount(bucket) == 12
    assert client.get_eventcount(bucket, start=start + timedelta(hours=2)) == 10
    if inserted is not None and getattr(inserted, "id", None) is not None:
        assert client.get_event(bucket, inserted.id).data == {"app": "b"}

    # query2, as aw-client sends it (lines split on newlines, several periods)
    program = f'events = query_bucket(find_bucket("{bucket}"));\nRETURN = sum_durations(events);'
    periods = [
        (start, start + timedelta(hours=2)),
        (start + timedelta(hours=2), start + timedelta(hours=3)),
    ]
    assert client.query(program, periods) == [3.0 + 60, 10.0]
    assert client.query(program, periods, name="official-check", cache=True)[0] == 63.0

    # export
    exported = client.export_all()
    assert set(exported["buckets"]) >= {bucket, queued}
    assert len(exported["buckets"][bucket]["events"]) == 12
    one = client.export_bucket(bucket)
    assert list(one["buckets"]) == [bucket]

    # settings
    client.set_setting("official-check", {"ok": True})
    assert client.get_setting("official-check") == {"ok": True}

    # delete
    client.delete_bucket(bucket, force=True)
    assert bucket not in client.get_buckets()
    client.import_bucket(one["buckets"][bucket])
    assert client.get_eventcount(bucket) == 12
    client.delete_bucket(bucket)
    client.delete_bucket(queued)
    assert client.get_buckets() == {}
    print("official aw-client: all checks passed")


if __name__ == "__main__":
    main(int(sys.argv[1]))
