"""A watcher-like process for the client crash tests.

python queue_client.py PORT fill    # queue 200 heartbeats (10 data values) as ~100 requests, flush, wait to be killed
python queue_client.py PORT drain   # deliver whatever is queued, then exit
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime, timedelta

from aw_client import ActivityWatchClient, Event

BUCKET = "queue-test_host"
START = datetime(2024, 1, 1, 12, tzinfo=UTC)


def main(port: int, mode: str) -> None:
    client = ActivityWatchClient("queue-test", host="127.0.0.1", port=port, timeout=2)
    if mode == "fill":
        client.create_bucket(BUCKET, "test", queued=True)
        client.connect()
        for i in range(200):
            event = Event(timestamp=START + timedelta(seconds=i), data={"block": i // 20})
            client.heartbeat(BUCKET, event, pulsetime=2, queued=True, commit_interval=1)
        client.flush()
        print("filled", flush=True)
        time.sleep(600)
    else:
        client.connect()
        client.disconnect(timeout=30)
        print("drained", flush=True)


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2])
