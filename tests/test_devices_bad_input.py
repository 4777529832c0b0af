"""Bad input to the device API through a live server: each refused request gets a clear JSON
4xx (``{success: false, error, code}``) and leaves everything as it was (device rows, device
buckets and their events, stored pictures compared before and after); input that is only
partly wrong (a NaN battery, a toaster) is reported without the wrong part; racing reports
are all answered and agree; no answer is ever a 500."""

from __future__ import annotations

import base64
import struct
import threading
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
import requests

from tests.fixtures.devices import png_bytes
from tests.test_devices_support import (
    HASH_KEY,
    DeviceServer,
    Snapshot,
    bearer,
    device_server,
    media,
    report_body,
)


@pytest.fixture(params=["sqlite", "memory"])
def srv(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[DeviceServer]:
    with device_server(tmp_path, storage=request.param) as server:
        yield server


@pytest.fixture
def key(srv: DeviceServer) -> str:
    """A device key whose device (HASH_KEY) is approved and has reported once."""
    secret = srv.key(preset="device")
    srv.enrol(secret)
    assert srv.report(secret, report_body(battery_level=50, is_charging=True)).status_code == 200
    return secret


def _refused(r: requests.Response, status: int, fragment: str = "") -> None:
    assert r.status_code == status, r.text
    body = r.json()
    assert body["success"] is False and isinstance(body["error"], str) and body["error"]
    assert set(body) == {"success", "error", "code"}
    assert fragment.lower() in body["error"].lower(), body["error"]


def _unchanged(srv: DeviceServer, before: Snapshot) -> None:
    after = srv.snapshot()
    assert after.devices == before.devices
    assert after.buckets == before.buckets
    assert after.events == before.events
    assert after.pictures == before.pictures


def _data_url(raw: bytes, mime: str = "image/png") -> str:
    return f"data:{mime};base64,{base64.b64encode(raw).decode()}"


def _bomb() -> bytes:
    """A real PNG of 10,000 x 10,000 one-bit pixels, all black: 12 KB that would decode to
    100 million pixels."""
    width = height = 10_000
    row = b"\x00" + b"\x00" * (width // 8)
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)

    def chunk(kind: bytes, content: bytes) -> bytes:
        crc = zlib.crc32(kind + content)
        return struct.pack(">I", len(content)) + kind + content + struct.pack(">I", crc)

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height, 9))
        + chunk(b"IEND", b"")
    )


SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"><script>alert(1)</script></svg>'
)
HTML = b"<!doctype html><html><body><script>alert(1)</script></body></html>"


def _exact_metadata(chars: int) -> dict[str, Any]:
    """Metadata whose compact JSON is exactly ``chars`` characters."""
    base = len(orjson.dumps({"pad": ""}))
    metadata = {"pad": "x" * (chars - base)}
    assert len(orjson.dumps(metadata).decode()) == chars
    return metadata


# --- refused, nothing stored ------------------------------------------------------------------

REFUSED: dict[str, tuple[object, str]] = {
    "no generatedHashKey": ({"process_name": "VS Code"}, "generatedHashKey"),
    "no process_name": ({"generatedHashKey": HASH_KEY}, "process_name"),
    "empty process_name": (report_body(process="   "), "process_name"),
    "a number for process_name": (report_body(process=42), "process_name"),
    "a short generatedHashKey": (report_body("short"), "generatedHashKey"),
    "an array": ([report_body()], "JSON object"),
    "a string": ("report", "JSON object"),
    "metadata not an object": (report_body(metadata=["a"]), "metadata"),
    "metadata of 51 keys": (
        report_body(metadata={f"k{n}": n for n in range(51)}),
        "metadata too large",
    ),
    "metadata of 10,241 characters": (
        report_body(metadata=_exact_metadata(10_241)),
        "metadata too large",
    ),
    "a data URL that is not an image": (
        report_body(metadata=media("Song", coverDataUrl="data:text/plain;base64,aGVsbG8=")),
        "data:image",
    ),
    "an image data URL of text": (
        report_body(metadata=media("Song", coverDataUrl=_data_url(b"hello, not a picture"))),
        "not a PNG",
    ),
    "an image bomb": (
        report_body(metadata=media("Song", coverDataUrl=_data_url(_bomb()))),
        "too large",
    ),
    "a 3 MiB cover": (
        report_body(
            metadata=media("Song", coverDataUrl="data:image/png;base64," + "A" * 3 * 1024 * 1024)
        ),
        "image too large",
    ),
    "SVG disguised as a PNG": (
        report_body(metadata=media("Song", coverDataUrl=_data_url(SVG))),
        "not a PNG",
    ),
    "SVG as itself": (
        report_body(metadata=media("Song", coverDataUrl=_data_url(SVG, "image/svg+xml"))),
        "not a PNG",
    ),
    "HTML disguised as a JPEG icon": (
        report_body(metadata=media("Song", appIconDataUrl=_data_url(HTML, "image/jpeg"))),
        "not a PNG",
    ),
    "a truncated PNG": (
        report_body(
            metadata=media("Song", coverDataUrl=_data_url(png_bytes(8, 8, (1, 2, 3, 255))[:50]))
        ),
        "corrupt",
    ),
    "bad base64": (
        report_body(metadata=media("Song", coverDataUrl="data:image/png;base64,@@@@")),
        "base64",
    ),
    "a process name of 1 KB": (report_body(process="p" * 1024), "process_name"),
    "a control character in the process name": (report_body(process="a\x00b"), "control"),
}


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")  # the bomb: refused
@pytest.mark.parametrize("case", list(REFUSED))
def test_a_refused_report_stores_nothing(srv: DeviceServer, key: str, case: str) -> None:
    body, fragment = REFUSED[case]
    before = srv.snapshot()
    live = srv.feed()["activeStatuses"]
    _refused(srv.report(key, body), 400, fragment)
    _unchanged(srv, before)
    assert srv.feed()["activeStatuses"] == live


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"{",
        b'{"generatedHashKey": "YOUR_DEVICE_HASH_KEY", "process_name": "x", "battery_level": NaN}',
        b'{"generatedHashKey": "YOUR_DEVICE_HASH_KEY", "process_name": "x", "battery_level": 1e999}',
        b"\xff\xfe not utf-8",
        b'"\\ud800"',
        b"null",
    ],
)
def test_a_body_that_is_not_json_stores_nothing(srv: DeviceServer, key: str, raw: bytes) -> None:
    before = srv.snapshot()
    r = srv.report(key, None, raw=raw)
    assert 400 <= r.status_code < 500, r.text
    assert r.json()["success"] is False and r.json()["error"]
    _unchanged(srv, before)


def test_metadata_at_the_limits_is_accepted(srv: DeviceServer, key: str) -> None:
    for metadata in ({f"k{n}": n for n in range(50)}, _exact_metadata(10_240)):
        r = srv.report(key, report_body(process=f"app{len(metadata)}", metadata=metadata))
        assert r.status_code == 200, r.text


def test_metadata_counts_characters_not_bytes(srv: DeviceServer, key: str) -> None:
    base = len(orjson.dumps({"pad": ""}))
    metadata = {"pad": "晴" * (10_240 - base)}  # 10,240 characters, three times as many bytes
    assert srv.report(key, report_body(metadata=metadata)).status_code == 200


def test_a_revoked_device_stores_nothing(srv: DeviceServer, key: str) -> None:
    device = srv.device_by_key(HASH_KEY)
    assert device is not None
    srv.admin_call("PATCH", f"/api/admin/devices/{device['id']}", {"status": "revoked"})
    before = srv.snapshot()
    _refused(srv.report(key, report_body(process="Other")), 403, "revoked")
    _unchanged(srv, before)


def test_a_key_bound_elsewhere_stores_nothing(srv: DeviceServer, key: str) -> None:
    before = srv.snapshot()
    _refused(srv.report(srv.key(preset="device"), report_body(process="Other")), 403, "another")
    _unchanged(srv, before)


def test_a_key_that_may_not_report_registers_nothing(srv: DeviceServer, key: str) -> None:
    before = srv.snapshot()
    for refused in (srv.key(preset="dashboard"), srv.key("append:aw-watcher-*")):
        _refused(srv.report(refused, report_body("new-device-key")), 403, "append:waken-")
        _refused(
            srv.request(
                "POST", "/api/activity/verify", refused, body={"generatedHashKey": "new-device-key"}
            ),
            403,
        )
    _unchanged(srv, before)


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({}, "unauthorized"),
        ({"Authorization": "Bearer wrong"}, "unauthorized"),
        ({"Authorization": "Token abc"}, "unauthorized"),
    ],
)
def test_a_report_without_a_valid_key_stores_nothing(
    srv: DeviceServer, key: str, headers: dict[str, str], code: str
) -> None:
    before = srv.snapshot()
    r = requests.post(f"{srv.url}/api/activity", json=report_body(), headers=headers, timeout=30)
    _refused(r, 401)
    assert r.json()["code"] == code
    _unchanged(srv, before)


def test_a_disabled_key_is_401(srv: DeviceServer, key: str) -> None:
    r = srv.admin_call("PATCH", f"/api/0/keys/{srv.key_id(key)}", {"enabled": False})
    assert r.status_code == 200, r.text
    before = srv.snapshot()
    _refused(srv.report(key, report_body()), 401)
    _unchanged(srv, before)


# --- partly wrong: reported without the wrong part --------------------------------------------


@pytest.mark.parametrize("battery", ["NaN", None, True, "82", [1], {"level": 1}])
def test_a_battery_that_is_not_a_number_is_ignored(
    srv: DeviceServer, key: str, battery: object
) -> None:
    r = srv.report(key, report_body(battery_level=battery, device_battery=battery))
    assert r.status_code == 200, r.text
    assert r.json()["data"]["metadata"]["deviceBatteryPercent"] == 50  # the last known value
    device = srv.device_by_key(HASH_KEY)
    assert device is not None and device["batteryPercent"] == 50


@pytest.mark.parametrize(("battery", "stored"), [(150, 100), (-3, 0), (82.5, 83), (1e300, 100)])
def test_a_battery_is_rounded_and_clamped(
    srv: DeviceServer, key: str, battery: float, stored: int
) -> None:
    r = srv.report(key, report_body(battery_level=battery))
    assert r.json()["data"]["metadata"]["deviceBatteryPercent"] == stored


def test_a_toaster_is_reported_without_its_type(srv: DeviceServer, key: str) -> None:
    r = srv.report(key, report_body(device_type="toaster"))
    assert r.status_code == 200, r.text
    device = srv.device_by_key(HASH_KEY)
    assert device is not None and device["deviceType"] == "desktop"  # the earlier, valid one
    assert r.json()["data"]["metadata"]["deviceType"] == "desktop"
    assert "toaster" not in r.text
    fresh = srv.key(preset="device")
    srv.enrol(fresh, "toaster-device-key", device_type="TOASTER")
    r = srv.report(fresh, report_body("toaster-device-key", device_type="toaster"))
    assert r.status_code == 200 and "deviceType" not in r.json()["data"]["metadata"]
    new = srv.device_by_key("toaster-device-key")
    assert new is not None and new["deviceType"] is None


def test_charging_that_is_not_a_boolean_keeps_the_last_value(srv: DeviceServer, key: str) -> None:
    r = srv.report(key, report_body(is_charging="yes", isCharging=1))
    assert r.json()["data"]["metadata"]["deviceBatteryCharging"] is True


@pytest.mark.parametrize(
    "process",
    ["微信", "Ünïcödé — app", "🎵 Music", "a" * 256, "مرحبا", "\u200b zero width"],
)
def test_unicode_and_long_process_names_are_stored_as_sent(
    srv: DeviceServer, key: str, process: str
) -> None:
    r = srv.report(key, report_body(process=process, process_title="t" * 5000))
    assert r.status_code == 200, r.text
    item = r.json()["data"]
    assert item["processName"] == process.strip()
    assert len(item["processTitle"]) == 1024  # titles are cut, never refused
    device = srv.device_by_key(HASH_KEY)
    assert device is not None
    events = srv.events(f"waken-window_{device['id']}")
    assert events[0]["data"]["app"] == process.strip()


def test_server_keys_in_metadata_are_not_believed(srv: DeviceServer, key: str) -> None:
    metadata = {"deviceBatteryPercent": 1, "pushMode": "active", "deviceType": "toaster"}
    r = srv.report(key, report_body(metadata=metadata))
    shown = r.json()["data"]["metadata"]
    assert (shown["deviceBatteryPercent"], shown["pushMode"], shown["deviceType"]) == (
        50,
        "realtime",
        "desktop",
    )


def test_started_at_and_ended_at_are_ignored(srv: DeviceServer, key: str) -> None:
    r = srv.report(
        key,
        report_body(started_at="2000-01-01T00:00:00Z", ended_at="2000-01-01T00:00:01Z"),
    )
    assert r.status_code == 200 and not r.json()["data"]["startedAt"].startswith("2000")


# --- races ------------------------------------------------------------------------------------


def _race(
    url: str, key: str, bodies: list[dict[str, Any]], connections: int = 2
) -> list[requests.Response]:
    """Send the bodies from ``connections`` threads at once, each on its own connection."""
    answers: list[requests.Response] = []
    lock = threading.Lock()
    start = threading.Barrier(connections)

    def run(part: list[dict[str, Any]]) -> None:
        session = requests.Session()
        start.wait()
        for body in part:
            r = session.post(f"{url}/api/activity", json=body, headers=bearer(key), timeout=60)
            with lock:
                answers.append(r)

    threads = [
        threading.Thread(target=run, args=(bodies[n::connections],)) for n in range(connections)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def test_racing_reports_of_one_device_agree(srv: DeviceServer, key: str) -> None:
    bodies = [
        report_body(process="Racing", battery_level=n, metadata={f"k{n}": n}) for n in range(40)
    ]
    answers = _race(srv.url, key, bodies)
    assert sorted(r.status_code for r in answers) == [200] * 40
    ids = {r.json()["data"]["id"] for r in answers}
    assert len(ids) == 1  # one status, continued by every report
    (status,) = srv.feed()["activeStatuses"]
    # every report's metadata merged in, whatever the order
    assert {f"k{n}" for n in range(40)} <= set(status["metadata"])
    device = srv.device_by_key(HASH_KEY)
    assert device is not None
    newest = srv.events(f"waken-window_{device['id']}")[0]
    assert newest["data"] == {"app": "Racing", "title": "editing setup-form.tsx"}
    # the state bucket's newest event agrees with the device row
    state = srv.events(f"waken-device_{device['id']}")[0]["data"]
    assert state["battery"] == device["batteryPercent"]
    assert status["metadata"]["deviceBatteryPercent"] == device["batteryPercent"]


def test_racing_first_reports_register_the_device_once(srv: DeviceServer) -> None:
    key = srv.key(preset="device")
    for n in range(10):
        hash_key = f"racing-device-{n}"
        answers = _race(srv.url, key, [report_body(hash_key)] * 4, connections=4)
        assert [r.status_code for r in answers] == [202] * 4, [r.text for r in answers]
        ids = {r.json()["approvalUrl"] for r in answers}
        assert len(ids) == 1
    assert len(srv.reporting.registry.all()) == 10


def test_racing_verifies_register_the_device_once(srv: DeviceServer) -> None:
    key = srv.key(preset="device")
    answers: list[int] = []

    def verify() -> None:
        r = requests.post(
            f"{srv.url}/api/activity/verify",
            json={"generatedHashKey": "racing-verify"},
            headers=bearer(key),
            timeout=60,
        )
        answers.append(r.status_code)

    threads = [threading.Thread(target=verify) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [202] * 6
    assert len(srv.reporting.registry.all()) == 1


# --- never a 500 ------------------------------------------------------------------------------

ODD_BODIES: list[object] = [
    {},
    [],
    0,
    "",
    True,
    {"generatedHashKey": None, "process_name": None},
    {"generatedHashKey": {"a": 1}, "process_name": []},
    report_body(device={"name": "x"}, process_title=["x"], push_mode=5, device_type=7),
    report_body(metadata={"media": "not an object"}),
    report_body(metadata={"media": None}),
    report_body(metadata={"media": {"title": 5, "status": [], "positionMs": "x"}}),
    report_body(metadata={"media": {"title": "t", "timestamps": {"start": "nope", "end": 1e300}}}),
    report_body(metadata={"media": {"title": "t", "durationMs": -1, "positionSec": 1e308}}),
    report_body(metadata={"media": {"title": "t", "coverDataUrl": 5, "appIconDataUrl": None}}),
    report_body(metadata={"media": {"title": "t", "coverUrl": "javascript:alert(1)"}}),
    report_body(
        metadata={"deep": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}
    ),
    report_body(metadata={"n": 2**70}),
    report_body(device="\x00\x01", process_title="\x1b[31m"),
    report_body(battery_level=-(2**80), device_battery=2**80),
]


@pytest.mark.parametrize("number", range(len(ODD_BODIES)))
def test_odd_bodies_never_get_a_500(srv: DeviceServer, key: str, number: int) -> None:
    body = ODD_BODIES[number]
    for path in ("/api/activity", "/api/activity/verify"):
        r = srv.request("POST", path, key, body=body)
        assert r.status_code < 500, (path, r.text)
        assert r.headers["Content-Type"].startswith("application/json")
        if r.status_code >= 400:
            assert r.json()["success"] is False and r.json()["error"]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/api/admin/devices", []),
        ("POST", "/api/admin/devices", {"displayName": ""}),
        ("POST", "/api/admin/devices", {"displayName": "x" * 129}),
        ("POST", "/api/admin/devices", {"displayName": "ok", "generatedHashKey": "short"}),
        ("POST", "/api/admin/devices", {"displayName": "ok", "apiTokenId": "1"}),
        ("POST", "/api/admin/devices", {"displayName": "ok", "apiTokenId": True}),
        ("POST", "/api/admin/devices", {"displayName": "a\nb"}),
        ("PATCH", "/api/admin/devices", {"id": 5}),
        ("PATCH", "/api/admin/devices", []),
        ("PATCH", "/api/admin/devices/{id}", {"status": "deleted"}),
        ("PATCH", "/api/admin/devices/{id}", {"pinToTop": "yes"}),
        ("PATCH", "/api/admin/devices/{id}", {"displayName": None, "status": None}),
        ("PATCH", "/api/admin/devices/{id}", "active"),
    ],
)
def test_bad_admin_input_is_a_400_and_changes_nothing(
    srv: DeviceServer, key: str, method: str, path: str, body: object
) -> None:
    device = srv.device_by_key(HASH_KEY)
    assert device is not None
    before = srv.snapshot()
    r = srv.admin_call(method, path.replace("{id}", device["id"]), body)
    _refused(r, 400)
    _unchanged(srv, before)


def test_admin_input_must_be_json(srv: DeviceServer, key: str) -> None:
    r = srv.request(
        "POST",
        "/api/admin/devices",
        srv.admin,
        raw=b"displayName=x",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 415 and r.json()["success"] is False
