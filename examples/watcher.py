"""The ActivityWatch documentation's watcher example, complete: run `aw-server --testing`, then `python examples/watcher.py`."""

from datetime import datetime, timezone
from time import sleep

from aw_client import ActivityWatchClient, Event

# testing=True talks to the testing server (port 5666), so a real instance is not touched.
client = ActivityWatchClient("test-client", testing=True)

# Convention: one bucket per client and host; event_type tells visualisers what the data is.
bucket_id = "{}_{}".format("test-client-bucket", client.client_hostname)
event_type = "dummydata"

# Creating a bucket that exists is fine (the server answers 304), so do it at every start.
client.create_bucket(bucket_id, event_type="test")

# Queued heartbeats: merged locally, kept on disk until the server has them.
with client:
    heartbeat_data = {"label": "heartbeat"}
    sleeptime = 1
    for i in range(5):
        now = datetime.now(timezone.utc)
        print(f"Sending heartbeat {i}")
        # Heartbeats less than pulsetime apart merge into one event.
        client.heartbeat(bucket_id, Event(timestamp=now, data=heartbeat_data), pulsetime=sleeptime + 1, queued=True)
        sleep(sleeptime)
# Leaving the block sends what is still merging and waits briefly for delivery.

# A plain event, inserted synchronously; the server gives it an id.
inserted_event = client.insert_event(bucket_id, Event(timestamp=datetime.now(timezone.utc), data={"label": "non-heartbeat event"}))
assert inserted_event.id is not None

# Newest first: the inserted event, then the heartbeat event lasting about 4 s.
events = client.get_events(bucket_id=bucket_id, limit=10)
for event in events:
    print(event.timestamp, event.duration, event.data)

# Clean up (a watcher would not do this).
client.delete_bucket(bucket_id)
