"""A WakaTime client's first requests through a live server, end to end."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from tests.conftest import Api

UA = (
    "wakatime/13.1.0 (Linux-6.1.0-x86_64-with-glibc2.36) Python3.9.18.final.0 vim/9.0 "
    "vim-wakatime/1.0"
)


def beat(at: float, entity: str = "/home/ann/proj/a.py") -> dict[str, object]:
    return {
        "time": at,
        "entity": entity,
        "type": "file",
        "category": None,
        "project": "proj",
        "branch": "main",
        "language": "Python",
        "lineno": "3",
        "user_agent": UA,
    }


def test_heartbeats_become_events_and_summaries(api: Api) -> None:
    now = time.time()
    body = [beat(now - 600), beat(now - 570), beat(now - 540, "/b.py"), beat(now - 500)]
    headers = {"X-Machine-Name": "devbox", "User-Agent": UA}
    r = api.session.post(
        f"{api.base}/api/v1/users/current/heartbeats.bulk", json=body, headers=headers, timeout=10
    )
    assert r.status_code == 201, r.text
    assert [status for _, status in r.json()["responses"]] == [201] * 4
    # the legacy CLI posts to its api_url verbatim; a replay is answered like the first time
    again = api.session.post(f"{api.base}/api/v1", json=body[:1], headers=headers, timeout=10)
    assert again.status_code == 201
    assert (
        again.json()["responses"][0][0]["data"]["id"] == r.json()["responses"][0][0]["data"]["id"]
    )
    events = api.get("buckets/aw-watcher-wakatime_devbox/events").json()
    assert [e["duration"] for e in events] == [0.0, 40.0, 60.0]
    assert events[0]["data"] == {
        "file": "/home/ann/proj/a.py",
        "project": "proj",
        "language": "Python",
        "branch": "main",
        "category": "coding",
        "type": "file",
        "editor": "Vim",
        "os": "Linux",
    }
    # the days of the heartbeats (just after midnight they may be yesterday's)
    first = datetime.fromtimestamp(now - 600, UTC).date()
    last = datetime.fromtimestamp(now, UTC).date()
    summaries = api.session.get(
        f"{api.base}/api/v1/users/current/summaries",
        params={"start": str(first), "end": str(last), "timezone": "UTC"},
        timeout=10,
    )
    assert summaries.status_code == 200
    assert summaries.json()["cumulative_total"]["seconds"] == 100.0
    assert api.get("buckets/aw-watcher-wakatime_devbox").json()["type"] == "app.editor.activity"
