"""The reporting guide's own curl and fetch examples, and reporter-like reports, through a live
server: the 202 of a new device and the 200 after its approval exactly as Waken-Wa's reporters
expect them, the buckets and events each report makes, the device row, the pictures served and
referenced by URL; then the live feed: its shape, one status per device and their order, recent
activities and top apps, the public view with every display rule, and who may read it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.fixtures.devices import load, png_size, reports
from tests.test_devices_support import (
    COVER,
    HASH_KEY,
    DeviceClock,
    DeviceServer,
    device_server,
    media,
    report_body,
    use_device_clock,
)

ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
ACTIVITY_ID = re.compile(r"^activity_\d{13}_\d+$")
STATUS_KEYS = {
    "id",
    "deviceId",
    "device",
    "processName",
    "processTitle",
    "startedAt",
    "updatedAt",
    "endedAt",
    "pushMode",
    "lastReportAt",
    "metadata",
}
ISSUE_STATUS_KEYS = {
    "id",
    "device",
    "deviceId",
    "processName",
    "processTitle",
    "startedAt",
    "updatedAt",
    "endedAt",
    "metadata",
}
FEED_KEYS = {
    "activeStatuses",
    "recentActivities",
    "recentTopApps",
    "historyWindowMinutes",
    "processStaleSeconds",
    "generatedAt",
}


@pytest.fixture(params=["sqlite", "memory"])
def srv(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[DeviceServer]:
    with device_server(tmp_path, storage=request.param) as server:
        yield server


@pytest.fixture
def device_key(srv: DeviceServer) -> str:
    return srv.key(preset="device", name="phone")


# --- the guide's curl example ---------------------------------------------------------------


def test_the_curl_example_of_a_new_device_is_answered_202_pending(
    srv: DeviceServer, device_key: str
) -> None:
    r = srv.replay(load("guide_curl"), device_key)
    assert r.status_code == 202, r.text
    body = r.json()
    device = srv.device_by_key(HASH_KEY)
    assert device is not None
    assert body == {
        "success": False,
        "pending": True,
        "error": body["error"],
        "approvalUrl": f"{srv.url}/#/devices?device={device['id']}",
        "registration": {
            "displayName": "MacBook Pro",
            "generatedHashKey": HASH_KEY,
            "status": "pending",
        },
    }
    assert isinstance(body["error"], str) and body["error"]
    # pending, bound to the key that reported, nothing recorded yet
    assert device["status"] == "pending"
    assert device["apiTokenId"] == srv.key_id(device_key)
    assert re.fullmatch(r"dev_[0-9a-f]{8}", device["id"])
    assert srv.snapshot().buckets == {}


def test_the_curl_example_of_an_approved_device_is_answered_200_with_its_status(
    srv: DeviceServer, device_key: str
) -> None:
    assert srv.replay(load("guide_curl"), device_key).status_code == 202
    device = srv.device_by_key(HASH_KEY)
    assert device is not None
    srv.approve(device["id"])
    r = srv.replay(load("guide_curl"), device_key)
    assert r.status_code == 200, r.text
    assert HASH_KEY not in r.text  # the device key is never echoed in a 200
    body = r.json()
    assert body["success"] is True and set(body) == {"success", "data"}
    item = body["data"]
    assert set(item) == STATUS_KEYS and set(item) >= ISSUE_STATUS_KEYS
    assert ACTIVITY_ID.match(item["id"])
    assert item["deviceId"] == device["id"]
    assert item["device"] == "MacBook Pro"
    assert item["processName"] == "VS Code"
    assert item["processTitle"] == "editing setup-form.tsx"
    assert item["endedAt"] is None
    assert item["pushMode"] == "realtime"
    for name in ("startedAt", "updatedAt", "lastReportAt"):
        assert ISO_MS.match(item[name]), item[name]
    assert item["metadata"] == {
        "play_source": "manual-test",
        "media": {"title": "Example Track", "singer": "Example Artist"},
        "deviceBatteryPercent": 82,
        "deviceBatteryCharging": True,
        "deviceType": "desktop",
        "pushMode": "realtime",
    }


def test_the_curl_report_makes_the_window_media_and_state_buckets(
    srv: DeviceServer, device_key: str
) -> None:
    device_id = srv.enrol(device_key)
    assert srv.replay(load("guide_curl"), device_key).status_code == 200
    expected = {
        "waken-window_": ("currentwindow", {"app": "VS Code", "title": "editing setup-form.tsx"}),
        "waken-media_": (
            "currently-playing",
            {
                "title": "Example Track",
                "artist": "Example Artist",
                "album": None,
                "status": None,
                "source": "manual-test",
            },
        ),
        "waken-device_": ("device.state", {"battery": 82, "charging": True}),
    }
    for prefix, (kind, data) in expected.items():
        bucket = srv.bucket(prefix + device_id)
        assert bucket is not None, prefix
        assert (bucket["type"], bucket["client"], bucket["hostname"]) == (
            kind,
            "waken",
            "MacBook Pro",
        )
        assert HASH_KEY not in bucket["id"] and "MacBook" not in bucket["id"]
        events = srv.events(prefix + device_id)
        # the enrolling report made the window event: the same app and title continue it
        assert [e["data"] for e in events] == [data], prefix
    # the buckets are ActivityWatch buckets: the API lists them with the device as host
    listed = srv.request("GET", "/api/0/buckets/", srv.admin).json()
    assert listed[f"waken-window_{device_id}"]["hostname"] == "MacBook Pro"


def test_the_device_row_after_the_curl_report(srv: DeviceServer, device_key: str) -> None:
    device_id = srv.enrol(device_key)
    assert srv.replay(load("guide_curl"), device_key).status_code == 200
    row = srv.device(device_id)
    assert row["displayName"] == "MacBook Pro"
    assert row["status"] == "active"
    assert row["deviceType"] == "desktop"
    assert (row["batteryPercent"], row["charging"]) == (82, True)
    assert row["pushMode"] == "realtime"
    assert row["lastSeenAt"] is not None
    listed = srv.admin_call("GET", "/api/admin/devices").json()["data"]["items"]
    assert [d["id"] for d in listed] == [device_id]
    assert listed[0]["generatedHashKey"] == HASH_KEY  # admins manage the key


# --- the guide's fetch example ---------------------------------------------------------------


def test_the_fetch_example_with_a_battery_reports_it_in_active_mode(
    srv: DeviceServer, device_key: str
) -> None:
    recorded = load("guide_fetch_battery")
    device_id = srv.enrol(device_key)
    r = srv.replay(recorded, device_key)
    assert r.status_code == 200, r.text
    # a page of another origin: the answer is readable by it
    assert r.headers["Access-Control-Allow-Origin"] in ("*", recorded.header("Origin"))
    item = r.json()["data"]
    assert (item["device"], item["processName"], item["processTitle"]) == (
        "Linux x86_64",
        "Chrome",
        "Dashboard",
    )
    assert item["pushMode"] == "active"
    assert item["metadata"]["deviceBatteryPercent"] == 57
    assert item["metadata"]["deviceBatteryCharging"] is False
    assert srv.events(f"waken-device_{device_id}")[0]["data"] == {"battery": 57, "charging": False}
    # the report renamed the device: the buckets follow
    assert srv.device(device_id)["displayName"] == "Linux x86_64"
    assert srv.bucket(f"waken-window_{device_id}")["hostname"] == "Linux x86_64"  # type: ignore[index]


def test_the_fetch_example_without_a_battery_keeps_the_last_known_one(
    srv: DeviceServer, device_key: str
) -> None:
    device_id = srv.enrol(device_key)
    r = srv.replay(load("guide_fetch_no_battery"), device_key)
    assert r.status_code == 200, r.text
    assert "deviceBatteryPercent" not in r.json()["data"]["metadata"]
    assert srv.bucket(f"waken-device_{device_id}") is None or not srv.events(
        f"waken-device_{device_id}"
    )
    assert srv.replay(load("guide_fetch_battery"), device_key).status_code == 200
    r = srv.replay(load("guide_fetch_no_battery"), device_key)
    assert r.json()["data"]["metadata"]["deviceBatteryPercent"] == 57
    assert r.json()["data"]["metadata"]["deviceBatteryCharging"] is False
    assert (srv.device(device_id)["batteryPercent"], srv.device(device_id)["charging"]) == (
        57,
        False,
    )


# --- reporter-like reports --------------------------------------------------------------------


@pytest.mark.parametrize("name", [r.name for r in reports()])
def test_every_recorded_report_is_pending_then_reported(
    srv: DeviceServer, device_key: str, name: str
) -> None:
    recorded = load(name)
    first = srv.replay(recorded, device_key)
    assert first.status_code == 202, first.text
    assert first.json()["registration"]["generatedHashKey"] == recorded.hash_key()
    srv.approve(first.json()["approvalUrl"].rpartition("device=")[2])
    second = srv.replay(recorded, device_key)
    assert second.status_code == 200, second.text
    assert recorded.hash_key() not in second.text
    assert "data:image" not in second.text
    assert second.json()["data"]["processName"] == recorded.payload()["process_name"]


def test_the_phone_reporter_reports_a_mobile_with_its_battery(
    srv: DeviceServer, device_key: str
) -> None:
    recorded = load("reporter_phone_battery")
    device_id = srv.enrol(device_key, recorded.hash_key())
    r = srv.replay(recorded, device_key)
    assert r.status_code == 200, r.text
    item = r.json()["data"]
    assert (item["device"], item["processName"], item["processTitle"]) == (
        "Pixel 7",
        "com.tencent.mm",
        "微信",
    )
    assert item["metadata"] == {
        "source": "waken-wa",
        "deviceBatteryPercent": 64,
        "deviceBatteryCharging": False,
        "deviceType": "mobile",
        "pushMode": "realtime",
    }
    assert srv.events(f"waken-window_{device_id}")[0]["data"] == {
        "app": "com.tencent.mm",
        "title": "微信",
    }
    assert srv.device(device_id)["deviceType"] == "mobile"
    # no media, no media event
    assert srv.events(f"waken-media_{device_id}") == []


def _picture(srv: DeviceServer, url: str) -> requests.Response:
    assert re.fullmatch(r"/api/media/covers/[0-9a-f]{16}", url), url
    return requests.get(srv.url + url, timeout=30)  # no key: pages show covers in <img>


def test_the_desktop_reporter_s_cover_and_icon_are_stored_and_served_by_url(
    srv: DeviceServer, device_key: str
) -> None:
    recorded = load("reporter_desktop_media")
    device_id = srv.enrol(device_key, recorded.hash_key())
    r = srv.replay(recorded, device_key)
    assert r.status_code == 200, r.text
    shown = r.json()["data"]["metadata"]["media"]
    assert "coverDataUrl" not in shown and "appIconDataUrl" not in shown
    assert (shown["title"], shown["artist"], shown["album"]) == ("晴天", "周杰伦", "叶惠美")
    sizes = {}
    for field in ("coverUrl", "appIconUrl"):
        picture = _picture(srv, shown[field])
        assert picture.status_code == 200
        assert picture.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert picture.headers["Content-Type"] == "image/png"
        assert picture.headers["X-Content-Type-Options"] == "nosniff"
        sizes[field] = png_size(picture.content)
    assert sizes == {"coverUrl": (4, 4), "appIconUrl": (2, 2)}  # never enlarged
    # the feed and the events hold the URL, never the data URL
    feed = srv.feed()
    assert feed["activeStatuses"][0]["metadata"]["media"]["coverUrl"] == shown["coverUrl"]
    everything = str(srv.snapshot())
    assert "data:image" not in everything and "base64" not in everything
    assert srv.events(f"waken-media_{device_id}")[0]["data"] == {
        "title": "晴天",
        "artist": "周杰伦",
        "album": "叶惠美",
        "status": "playing",
        "source": "cloudmusic.exe",
    }
    assert srv.snapshot().pictures == 2


def test_the_same_cover_sent_again_is_stored_once(srv: DeviceServer, device_key: str) -> None:
    srv.enrol(device_key)
    urls = set()
    for _ in range(3):
        r = srv.report(device_key, report_body(metadata=media("Song", coverDataUrl=COVER)))
        assert r.status_code == 200, r.text
        urls.add(r.json()["data"]["metadata"]["media"]["coverUrl"])
    assert len(urls) == 1 and srv.snapshot().pictures == 1


@pytest.mark.parametrize("digest", ["0123456789abcdef", "0123456789ABCDEF", "short", "x" * 64])
def test_an_unknown_picture_is_a_json_404(srv: DeviceServer, digest: str) -> None:
    r = requests.get(f"{srv.url}/api/media/covers/{digest}", timeout=30)
    assert r.status_code == 404
    assert r.json()["success"] is False and r.json()["error"]


# --- the feed -------------------------------------------------------------------------------


def test_the_feed_s_shape(srv: DeviceServer, device_key: str) -> None:
    device_id = srv.enrol(device_key)
    assert srv.replay(load("guide_curl"), device_key).status_code == 200
    r = srv.request("GET", "/api/activity", srv.admin)
    assert r.status_code == 200 and r.json()["success"] is True
    feed = r.json()["data"]
    assert set(feed) == FEED_KEYS
    assert (feed["historyWindowMinutes"], feed["processStaleSeconds"]) == (120, 500)
    assert ISO_MS.match(feed["generatedAt"])
    (status,) = feed["activeStatuses"]
    assert set(status) == STATUS_KEYS and status["deviceId"] == device_id
    (recent,) = feed["recentActivities"]
    assert (
        recent["id"]
        == f"waken-window_{device_id}:{srv.events('waken-window_' + device_id)[0]['id']}"
    )
    assert (recent["processName"], recent["processTitle"], recent["endedAt"]) == (
        "VS Code",
        "editing setup-form.tsx",
        None,  # still current
    )
    assert feed["recentTopApps"] == [{"processName": "VS Code", "seconds": pytest.approx(0, abs=5)}]
    assert HASH_KEY not in r.text


def test_one_status_per_device_the_newest_process(srv: DeviceServer, device_key: str) -> None:
    device_id = srv.enrol(device_key)
    for process in ("VS Code", "Firefox", "Terminal"):
        assert srv.report(device_key, report_body(process=process)).status_code == 200
    feed = srv.feed()
    assert [(s["deviceId"], s["processName"]) for s in feed["activeStatuses"]] == [
        (device_id, "Terminal")
    ]
    recent = feed["recentActivities"]
    assert [a["processName"] for a in recent] == ["Terminal", "Firefox", "VS Code"]
    assert [a["endedAt"] is None for a in recent] == [True, False, False]


def test_statuses_are_ordered_pinned_then_active_mode_then_newest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = DeviceClock()
    use_device_clock(monkeypatch, clock)
    with device_server(tmp_path) as srv:
        key = srv.key(preset="device")
        ids = {name: srv.enrol(key, f"hash-key-{name}") for name in ("a", "b", "c", "d")}
        for name, mode in (
            ("a", "realtime"),
            ("b", "active"),
            ("c", "realtime"),
            ("d", "realtime"),
        ):
            clock.advance(1)
            body = report_body(f"hash-key-{name}", process=f"app-{name}", push_mode=mode)
            assert srv.report(key, body).status_code == 200
        order = [s["deviceId"] for s in srv.feed()["activeStatuses"]]
        assert order == [ids["b"], ids["d"], ids["c"], ids["a"]]
        r = srv.admin_call("PATCH", f"/api/admin/devices/{ids['a']}", {"pinToTop": True})
        assert r.status_code == 200
        order = [s["deviceId"] for s in srv.feed()["activeStatuses"]]
        assert order == [ids["a"], ids["b"], ids["d"], ids["c"]]


def test_recent_activities_keep_the_history_window_and_at_most_fifty(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = DeviceClock()
    use_device_clock(monkeypatch, clock)
    with device_server(tmp_path, devices={"history_window_minutes": 10}) as srv:
        key = srv.key(preset="device")
        srv.enrol(key)
        assert srv.report(key, report_body(process="old")).status_code == 200
        clock.advance(11 * 60)  # out of the window (and stale: a new event)
        for n in range(60):
            clock.advance(1)
            assert srv.report(key, report_body(process=f"app{n % 30}")).status_code == 200
        feed = srv.feed()
        assert feed["historyWindowMinutes"] == 10
        names = [a["processName"] for a in feed["recentActivities"]]
        assert len(names) == 50 and "old" not in names
        assert names[0] == "app29"  # newest first
        assert len(feed["recentTopApps"]) == 3


def test_top_apps_rank_by_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = DeviceClock()
    use_device_clock(monkeypatch, clock)
    with device_server(tmp_path) as srv:
        key = srv.key(preset="device")
        srv.enrol(key)
        for process, seconds in (("short", 10), ("long", 60), ("middle", 30), ("tiny", 1)):
            assert srv.report(key, report_body(process=process)).status_code == 200
            clock.advance(seconds)
            assert srv.report(key, report_body(process=process)).status_code == 200
        top = srv.feed()["recentTopApps"]
        assert top == [
            {"processName": "long", "seconds": 60.0},
            {"processName": "middle", "seconds": 30.0},
            {"processName": "short", "seconds": 10.0},
        ]


# --- the public view --------------------------------------------------------------------------

RULES: dict[str, Any] = {
    "public_status": True,
    "app_blocklist": ["KeePassXC"],
    "name_only_apps": ["Firefox"],
    "media_source_rules": [
        {"source": "spotify.exe", "action": "block"},
        {"source": "cloudmusic.exe", "action": "rename", "displayName": "Music"},
    ],
}


def _public_feed(srv: DeviceServer) -> dict[str, Any]:
    r = requests.get(f"{srv.url}/api/activity", timeout=30)
    assert r.status_code == 200, r.text
    feed: dict[str, Any] = r.json()["data"]
    return feed


def _report_four(srv: DeviceServer, key: str) -> dict[str, str]:
    """Four devices: a blocked app, a name-only app, a blocked and a renamed media source."""
    reports = {
        "vault": report_body("hash-vault", process="KeePassXC", process_title="Passwords"),
        "browser": report_body("hash-browser", process="firefox", process_title="Bank - login"),
        "spotify": report_body(
            "hash-spotify",
            process="Spotify",
            metadata={"play_source": "Spotify.exe", **media("Secret Song", coverDataUrl=COVER)},
        ),
        "music": report_body(
            "hash-music",
            process="cloudmusic",
            metadata={"play_source": "cloudmusic.exe", **media("晴天", singer="周杰伦")},
        ),
    }
    ids = {}
    for name, body in reports.items():
        ids[name] = srv.enrol(key, body["generatedHashKey"])
        r = srv.report(key, body)
        assert r.status_code == 200, r.text
    return ids


def test_the_public_view_applies_every_display_rule(tmp_path: Path) -> None:
    with device_server(tmp_path, devices=RULES, auth={"policy": "required"}) as srv:
        key = srv.key(preset="device")
        ids = _report_four(srv, key)
        r = requests.get(f"{srv.url}/api/activity", timeout=30)
        public = r.json()["data"]
        statuses = {s["deviceId"]: s for s in public["activeStatuses"]}
        assert ids["vault"] not in statuses  # a blocked app is not shown at all
        assert "KeePassXC" not in r.text and "Passwords" not in r.text
        assert statuses[ids["browser"]]["processTitle"] is None  # name only (any case)
        assert "Bank - login" not in r.text
        assert "media" not in statuses[ids["spotify"]]["metadata"]  # blocked source
        assert "Secret Song" not in r.text and "/api/media/covers/" not in r.text
        renamed = statuses[ids["music"]]["metadata"]
        assert renamed["play_source_name"] == "Music" and renamed["media"]["title"] == "晴天"
        assert all(a["processName"] != "KeePassXC" for a in public["recentActivities"])
        assert all(a["processName"] != "KeePassXC" for a in public["recentTopApps"])
        for hash_key in ("hash-vault", "hash-browser", "hash-spotify", "hash-music"):
            assert hash_key not in r.text
        # the private view (a read key) shows everything as stored
        private = srv.request("GET", "/api/activity", srv.key(preset="dashboard"))
        assert "KeePassXC" in private.text and "Bank - login" in private.text
        assert "Secret Song" in private.text and "play_source_name" not in private.text


def test_the_public_view_with_an_allowlist_and_hidden_media(tmp_path: Path) -> None:
    devices = {
        "public_status": True,
        "app_allowlist": ["cloudmusic", "Spotify"],
        "hide_media": True,
    }
    # (a loopback request without a key is the owner's under the local policy: the whole feed)
    with device_server(tmp_path, devices=devices, auth={"policy": "required"}) as srv:
        ids = _report_four(srv, srv.key(preset="device"))
        public = _public_feed(srv)
        shown = {s["deviceId"] for s in public["activeStatuses"]}
        assert shown == {ids["spotify"], ids["music"]}
        assert all("media" not in s["metadata"] for s in public["activeStatuses"])
        assert {a["processName"] for a in public["recentActivities"]} == {"Spotify", "cloudmusic"}


def test_the_public_stream_applies_the_rules_too(tmp_path: Path) -> None:
    with device_server(tmp_path, devices=RULES, auth={"policy": "required"}) as srv:
        srv.caster.lifetime = 0.3  # the stream ends by itself: its body can be read whole
        _report_four(srv, srv.key(preset="device"))
        r = requests.get(f"{srv.url}/api/activity/stream", timeout=30)
        assert r.status_code == 200
        assert r.headers["Content-Type"].startswith("text/event-stream")
        assert "KeePassXC" not in r.text and "Bank - login" not in r.text
        assert "Secret Song" not in r.text and "hash-" not in r.text
        assert "cloudmusic" in r.text


def test_without_public_status_the_feed_needs_a_key_that_may_read(tmp_path: Path) -> None:
    with device_server(tmp_path, auth={"policy": "required"}) as srv:
        key = srv.key(preset="device")
        srv.enrol(key)
        assert srv.report(key, report_body()).status_code == 200
        r = requests.get(f"{srv.url}/api/activity", timeout=30)
        assert r.status_code == 401 and r.json()["success"] is False
        assert r.headers["WWW-Authenticate"].startswith("Bearer")
        for refused in (key, srv.key(preset="watcher")):  # append only: nothing to read
            r = srv.request("GET", "/api/activity", refused)
            assert r.status_code == 403, r.text
            assert r.json() == {"success": False, "error": r.json()["error"], "code": "forbidden"}
        r = srv.request("GET", "/api/activity", srv.key(preset="dashboard"))
        assert r.status_code == 200 and len(r.json()["data"]["activeStatuses"]) == 1


def test_a_key_without_read_gets_the_public_view_when_it_is_on(tmp_path: Path) -> None:
    with device_server(tmp_path, devices=RULES) as srv:
        key = srv.key(preset="device")
        _report_four(srv, key)
        r = srv.request("GET", "/api/activity", key)
        assert r.status_code == 200
        assert "KeePassXC" not in r.text and "Bank - login" not in r.text


def test_a_key_sees_only_the_devices_it_may_read(srv: DeviceServer, device_key: str) -> None:
    mine = srv.enrol(device_key, "hash-key-mine")
    other = srv.enrol(device_key, "hash-key-other")
    for hash_key in ("hash-key-mine", "hash-key-other"):
        assert srv.report(device_key, report_body(hash_key)).status_code == 200
    scoped = srv.key(f"read:waken-*_{mine}")
    feed = srv.feed(scoped)
    assert [s["deviceId"] for s in feed["activeStatuses"]] == [mine]
    assert {a["deviceId"] for a in feed["recentActivities"]} == {mine}
    assert {s["deviceId"] for s in srv.feed()["activeStatuses"]} == {mine, other}


def test_pending_and_revoked_devices_are_not_in_the_feed(
    srv: DeviceServer, device_key: str
) -> None:
    device_id = srv.enrol(device_key)
    assert srv.report(device_key, report_body()).status_code == 200
    assert srv.report(device_key, report_body("hash-key-pending")).status_code == 202
    srv.admin_call("PATCH", f"/api/admin/devices/{device_id}", {"status": "revoked"})
    feed = srv.feed()
    assert feed["activeStatuses"] == [] and feed["recentActivities"] == []
