"""A device over time, through a live server: the merge rule of repeated reports, realtime and
active push modes on a clock the test moves, the live state across a restart (the real CLI
server stopped and started), the approval flow (auto-registration, pending, revocation,
binding and re-binding, verify) and the admin's registry API."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from aw_server.devices.model import Device
from aw_server.devices.reporting import Reporting
from tests.conftest import subprocess_env
from tests.fixtures.devices import load
from tests.liveserver import ServerProcess, free_port
from tests.test_devices_support import (
    HASH_KEY,
    DeviceClock,
    DeviceServer,
    bearer,
    device_server,
    media,
    report_body,
    use_device_clock,
)

STALE = 30  # process_stale_seconds: the smallest allowed


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> DeviceClock:
    found = DeviceClock()
    use_device_clock(monkeypatch, found)
    return found


@pytest.fixture(params=["sqlite", "memory"])
def srv(
    request: pytest.FixtureRequest, tmp_path: Path, clock: DeviceClock
) -> Iterator[DeviceServer]:
    with device_server(
        tmp_path, storage=request.param, devices={"process_stale_seconds": STALE}
    ) as server:
        yield server


@pytest.fixture
def key(srv: DeviceServer) -> str:
    return srv.key(preset="device", name="laptop")


def _status(srv: DeviceServer) -> dict[str, Any] | None:
    statuses = srv.feed()["activeStatuses"]
    assert len(statuses) <= 1
    return statuses[0] if statuses else None


def _report(srv: DeviceServer, key: str, **fields: Any) -> dict[str, Any]:
    r = srv.report(key, report_body(**fields))
    assert r.status_code == 200, r.text
    item: dict[str, Any] = r.json()["data"]
    return item


# --- the merge rule ---------------------------------------------------------------------------


def test_the_title_first_and_the_singer_later_show_together(srv: DeviceServer, key: str) -> None:
    device_id = srv.enrol(key)
    assert srv.replay(load("merge_1_title"), key).status_code == 200
    r = srv.replay(load("merge_2_singer"), key)
    assert r.status_code == 200, r.text
    expected = {"title": "Example Track", "singer": "Example Artist"}
    assert r.json()["data"]["metadata"]["media"] == expected
    assert r.json()["data"]["metadata"]["play_source"] == "manual-test"  # top level kept
    status = _status(srv)
    assert status is not None and status["metadata"]["media"] == expected
    # the title alone, then the title with its singer: the newest media event has both
    newest, first = srv.events(f"waken-media_{device_id}")
    assert (first["data"]["title"], first["data"]["artist"]) == ("Example Track", None)
    assert (newest["data"]["title"], newest["data"]["artist"]) == (
        "Example Track",
        "Example Artist",
    )


def test_media_merges_one_level_only(srv: DeviceServer, key: str) -> None:
    srv.enrol(key)
    _report(srv, key, metadata={"a": {"x": 1}, **media("Song", extra={"p": 1})})
    item = _report(srv, key, metadata={"a": {"y": 2}, **media(extra={"q": 2})})
    assert item["metadata"]["a"] == {"y": 2}  # top level: shallow
    assert item["metadata"]["media"] == {"title": "Song", "extra": {"q": 2}}  # media: one level


def test_the_same_process_keeps_its_id_and_start(
    srv: DeviceServer, key: str, clock: DeviceClock
) -> None:
    srv.enrol(key)
    first = _report(srv, key)
    clock.advance(10)
    second = _report(srv, key, process="vs code")  # process names match in any case
    assert (second["id"], second["startedAt"]) == (first["id"], first["startedAt"])
    assert second["updatedAt"] > first["updatedAt"]
    assert second["processName"] == "VS Code"


def test_a_new_process_starts_fresh(srv: DeviceServer, key: str) -> None:
    srv.enrol(key)
    first = _report(srv, key, metadata=media("Song", singer="Someone"))
    item = _report(srv, key, process="Firefox", metadata={"tab": 1})
    assert item["id"] != first["id"]
    assert "media" not in item["metadata"] and item["metadata"]["tab"] == 1
    # and back to the first process: fresh again (its status ended)
    again = _report(srv, key, metadata={})
    assert again["id"] != first["id"] and "media" not in again["metadata"]


def test_a_stale_process_starts_fresh(srv: DeviceServer, key: str, clock: DeviceClock) -> None:
    srv.enrol(key)
    first = _report(srv, key, metadata=media("Song"))
    clock.advance(STALE + 1)
    item = _report(srv, key, metadata={"other": True})
    assert item["id"] != first["id"] and "media" not in item["metadata"]


# --- push modes -------------------------------------------------------------------------------


def test_a_realtime_status_goes_stale_after_process_stale_seconds(
    srv: DeviceServer, key: str, clock: DeviceClock
) -> None:
    device_id = srv.enrol(key)
    _report(srv, key)
    clock.advance(STALE - 1)
    status = _status(srv)
    assert status is not None and status["deviceId"] == device_id
    assert srv.feed()["processStaleSeconds"] == STALE
    clock.advance(2)
    assert _status(srv) is None
    # its window event is history now: ended
    (recent,) = srv.feed()["recentActivities"]
    assert recent["endedAt"] is not None


def test_an_active_status_stays_until_the_next_report(
    srv: DeviceServer, key: str, clock: DeviceClock
) -> None:
    srv.enrol(key)
    first = _report(srv, key, push_mode="active", metadata=media("Song"))
    clock.advance(3600)
    status = _status(srv)
    assert status is not None and status["id"] == first["id"]
    assert status["pushMode"] == "active" and status["lastReportAt"] == first["updatedAt"]
    # a report after the stale window: the same process, but a fresh status
    again = _report(srv, key, push_mode="persistent", metadata={})  # persistent = active
    assert again["pushMode"] == "active"
    # the active status never went stale, so the same process continues it
    assert again["id"] == first["id"] and again["metadata"]["media"] == {"title": "Song"}
    item = _report(srv, key, process="Firefox")
    assert item["pushMode"] == "realtime"
    status = _status(srv)
    assert status is not None and status["processName"] == "Firefox"


def test_unknown_push_modes_are_realtime(srv: DeviceServer, key: str) -> None:
    srv.enrol(key)
    assert _report(srv, key, push_mode="sometimes")["pushMode"] == "realtime"
    assert _report(srv, key, push_mode=None)["pushMode"] == "realtime"


# --- restart ----------------------------------------------------------------------------------


def test_a_restart_restores_active_and_current_realtime_statuses(
    tmp_path: Path, clock: DeviceClock
) -> None:
    """Servers on one database, one after the other, on the test's clock: after a restart an
    active status is still shown however old, a realtime one only within its window."""
    devices = {"process_stale_seconds": STALE}
    dbpath = str(tmp_path / "shared.sqlite")
    with device_server(tmp_path, devices=devices, dbpath=dbpath) as srv:
        key = srv.key(preset="device")
        active = srv.enrol(key, "hash-key-active")
        realtime = srv.enrol(key, "hash-key-realtime")
        _report(srv, key, hash_key="hash-key-active", push_mode="active", metadata=media("Song"))
        _report(srv, key, hash_key="hash-key-realtime", process="Firefox")
    for advance, shown in ((STALE - 5, {active, realtime}), (10, {active})):
        clock.advance(advance)
        with device_server(tmp_path, devices=devices, dbpath=dbpath) as srv:
            statuses = {s["deviceId"]: s for s in srv.feed()["activeStatuses"]}
            assert set(statuses) == shown, advance
            assert statuses[active]["pushMode"] == "active"
            assert statuses[active]["processName"] == "VS Code"
            assert statuses[active]["metadata"]["media"]["title"] == "Song"


def _cli_server(tmp_path: Path, isolated_dirs: dict[str, str]) -> ServerProcess:
    config = Path(isolated_dirs["XDG_CONFIG_HOME"]) / "activitywatch" / "aw-server"
    config.mkdir(parents=True, exist_ok=True)
    (config / "aw-server.toml").write_text(f"[devices]\nprocess_stale_seconds = {STALE}\n")
    db = str(tmp_path / "aw.sqlite")
    return ServerProcess(["--dbpath", db], subprocess_env(), free_port())


def _make_key(url: str, preset: str) -> str:
    r = requests.post(f"{url}/api/0/keys", json={"name": preset, "preset": preset}, timeout=30)
    assert r.status_code == 201, r.text
    secret: str = r.json()["secret"]
    return secret


def _cli_report(url: str, key: str, **fields: Any) -> requests.Response:
    return requests.post(
        f"{url}/api/activity", json=report_body(**fields), headers=bearer(key), timeout=30
    )


def test_the_cli_server_restores_the_live_state_after_a_restart(
    tmp_path: Path, isolated_dirs: dict[str, str]
) -> None:
    server = _cli_server(tmp_path, isolated_dirs).start()
    try:
        key = _make_key(server.url, "device")
        ids = {}
        for name in ("active", "realtime"):
            r = _cli_report(server.url, key, hash_key=f"hash-key-{name}")
            assert r.status_code == 202, r.text
            ids[name] = r.json()["approvalUrl"].rpartition("device=")[2]
            approved = requests.patch(
                f"{server.url}/api/admin/devices/{ids[name]}", json={"status": "active"}, timeout=30
            )
            assert approved.status_code == 200, approved.text
        body = {"push_mode": "active", "metadata": media("Song", singer="Someone")}
        assert _cli_report(server.url, key, hash_key="hash-key-active", **body).status_code == 200
        r = _cli_report(server.url, key, hash_key="hash-key-realtime", process="Firefox")
        assert r.status_code == 200
        before = requests.get(f"{server.url}/api/activity", timeout=30).json()["data"]
    finally:
        assert server.stop() == 0
    server.start()
    try:
        after = requests.get(f"{server.url}/api/activity", timeout=30).json()["data"]
        statuses = {s["deviceId"]: s for s in after["activeStatuses"]}
        assert set(statuses) == set(ids.values())  # the realtime one is within its window
        old = {s["deviceId"]: s for s in before["activeStatuses"]}
        for device_id, status in statuses.items():
            for field in ("deviceId", "device", "processName", "processTitle", "pushMode"):
                assert status[field] == old[device_id][field], field
            assert status["startedAt"] == old[device_id]["startedAt"]
        assert statuses[ids["active"]]["metadata"]["media"] == {
            "title": "Song",
            "singer": "Someone",
        }
        # reporting goes on where it left off
        r = _cli_report(server.url, key, hash_key="hash-key-active", push_mode="active")
        assert (
            r.status_code == 200
            and r.json()["data"]["startedAt"] == old[ids["active"]]["startedAt"]
        )
    finally:
        server.stop()


# --- approval ---------------------------------------------------------------------------------


def test_a_new_device_waits_until_approved(srv: DeviceServer, key: str) -> None:
    for _ in range(2):
        r = srv.report(key, report_body())
        assert r.status_code == 202 and r.json()["pending"] is True
    device = srv.device_by_key(HASH_KEY)
    assert device is not None and device["status"] == "pending"
    assert len(srv.reporting.registry.all()) == 1  # registered once
    assert srv.snapshot().buckets == {}
    srv.approve(device["id"])
    assert srv.report(key, report_body()).status_code == 200


def test_without_auto_registration_an_unknown_device_is_403(tmp_path: Path) -> None:
    with device_server(tmp_path, devices={"auto_register": False}) as srv:
        key = srv.key(preset="device")
        r = srv.report(key, report_body())
        assert r.status_code == 403, r.text
        assert r.json() == {"success": False, "error": r.json()["error"], "code": "forbidden"}
        assert srv.reporting.registry.all() == []
        # a device the admin added, bound to the key, reports at once
        created = srv.admin_call(
            "POST",
            "/api/admin/devices",
            {"displayName": "Laptop", "generatedHashKey": HASH_KEY, "apiTokenId": srv.key_id(key)},
        )
        assert created.status_code == 201 and created.json()["data"]["status"] == "active"
        assert srv.report(key, report_body()).status_code == 200


def test_a_revoked_device_is_refused(srv: DeviceServer, key: str) -> None:
    device_id = srv.enrol(key)
    r = srv.admin_call("PATCH", f"/api/admin/devices/{device_id}", {"status": "revoked"})
    assert r.status_code == 200 and r.json()["data"]["status"] == "revoked"
    before = srv.snapshot()
    r = srv.report(key, report_body())
    assert r.status_code == 403 and "revoked" in r.json()["error"]
    assert srv.snapshot() == before
    r = srv.request("POST", "/api/activity/verify", key, body={"generatedHashKey": HASH_KEY})
    assert r.status_code == 403


def test_a_device_bound_to_another_key_is_refused(srv: DeviceServer, key: str) -> None:
    device_id = srv.enrol(key)
    other = srv.key(preset="device", name="stolen")
    r = srv.report(other, report_body())
    assert r.status_code == 403 and "another API key" in r.json()["error"]
    device = srv.device(device_id)
    assert (device["status"], device["apiTokenId"]) == ("active", srv.key_id(key))


def test_with_rebinding_another_key_re_binds_the_device_back_to_pending(tmp_path: Path) -> None:
    with device_server(tmp_path, devices={"rebind_on_token_change": True}) as srv:
        key = srv.key(preset="device", name="old")
        device_id = srv.enrol(key)
        new = srv.key(preset="device", name="new")
        r = srv.report(new, report_body())
        assert r.status_code == 202 and r.json()["pending"] is True
        device = srv.device(device_id)
        assert (device["status"], device["apiTokenId"]) == ("pending", srv.key_id(new))
        assert srv.report(key, report_body()).status_code == 202  # the old key re-binds it again
        assert srv.device(device_id)["apiTokenId"] == srv.key_id(key)
        srv.approve(device_id)
        assert srv.report(key, report_body()).status_code == 200


def test_a_key_that_may_not_report_for_a_device_cannot_re_bind_it(tmp_path: Path) -> None:
    with device_server(tmp_path, devices={"rebind_on_token_change": True}) as srv:
        key = srv.key(preset="device")
        device_id = srv.enrol(key)
        reader = srv.key(preset="dashboard")
        r = srv.report(reader, report_body())
        assert r.status_code == 403 and "append:waken-window_" in r.json()["error"]
        device = srv.device(device_id)
        assert (device["status"], device["apiTokenId"]) == ("active", srv.key_id(key))


def test_verify_runs_the_checks_without_reporting(srv: DeviceServer, key: str) -> None:
    verify = {"generatedHashKey": HASH_KEY, "device": "MacBook Pro"}
    r = srv.request("POST", "/api/activity/verify", key, body=verify)
    assert r.status_code == 202 and r.json()["registration"]["displayName"] == "MacBook Pro"
    device = srv.device_by_key(HASH_KEY)
    assert device is not None
    srv.approve(device["id"])
    r = srv.request("POST", "/api/activity/verify", key, body=verify)
    assert r.status_code == 200, r.text
    assert r.json() == {
        "success": True,
        "data": {
            "tokenValid": True,
            "approved": True,
            "deviceStatus": "active",
            "generatedHashKey": HASH_KEY,
            "displayName": "MacBook Pro",
        },
    }
    assert srv.snapshot().buckets == {}
    assert srv.feed()["activeStatuses"] == []


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"generatedHashKey": "short"}, "8 to 128"),
        ({"generatedHashKey": "x" * 129}, "8 to 128"),
        ({"generatedHashKey": "bad\nkey-12345"}, "control"),
        ({}, "generatedHashKey"),
        ([], "JSON object"),
    ],
)
def test_verify_refuses_what_a_report_refuses(
    srv: DeviceServer, key: str, body: object, fragment: str
) -> None:
    r = srv.request("POST", "/api/activity/verify", key, body=body)
    assert r.status_code == 400, r.text
    assert fragment in r.json()["error"]
    assert srv.reporting.registry.all() == []


def test_verify_clamps_the_name_as_a_report_does(srv: DeviceServer, key: str) -> None:
    r = srv.request(
        "POST",
        "/api/activity/verify",
        key,
        body={"generatedHashKey": HASH_KEY, "device": "n" * 500},
    )
    assert r.status_code == 202
    assert len(r.json()["registration"]["displayName"]) == 128


# --- the admin's registry ---------------------------------------------------------------------


def _create(srv: DeviceServer, **body: Any) -> dict[str, Any]:
    r = srv.admin_call("POST", "/api/admin/devices", body)
    assert r.status_code == 201, r.text
    device: dict[str, Any] = r.json()["data"]
    return device


def test_admin_create_get_patch_delete(srv: DeviceServer, key: str) -> None:
    made = _create(srv, displayName="Tablet")
    assert made["status"] == "pending" and made["apiTokenId"] is None
    assert 8 <= len(made["generatedHashKey"]) <= 128
    bound = _create(
        srv, displayName="Phone", generatedHashKey="phone-key-1", apiTokenId=srv.key_id(key)
    )
    assert bound["status"] == "active"
    r = srv.admin_call(
        "POST", "/api/admin/devices", {"displayName": "Again", "generatedHashKey": "phone-key-1"}
    )
    assert r.status_code == 400 and "generatedHashKey" in r.json()["error"]
    # a device with no key cannot become active, by either PATCH form
    r = srv.admin_call("PATCH", f"/api/admin/devices/{made['id']}", {"status": "active"})
    assert r.status_code == 400 and "no API key" in r.json()["error"]
    r = srv.admin_call("PATCH", "/api/admin/devices", {"id": made["id"], "status": "active"})
    assert r.status_code == 400
    r = srv.admin_call("PATCH", f"/api/admin/devices/{bound['id']}", {"apiTokenId": None})
    assert r.status_code == 400  # unbinding an active device would leave it active without one
    # binding, then activating in the collection form
    r = srv.admin_call(
        "PATCH",
        "/api/admin/devices",
        {"id": made["id"], "apiTokenId": srv.key_id(key), "status": "active", "pinToTop": True},
    )
    assert r.status_code == 200, r.text
    assert (r.json()["data"]["status"], r.json()["data"]["pinToTop"]) == ("active", True)
    r = srv.admin_call("PATCH", f"/api/admin/devices/{made['id']}", {"apiTokenId": 99999})
    assert r.status_code == 400 and "99999" in r.json()["error"]
    r = srv.admin_call("PATCH", f"/api/admin/devices/{made['id']}", {"nickname": "x"})
    assert r.status_code == 400 and "nickname" in r.json()["error"]
    r = srv.admin_call("PATCH", "/api/admin/devices/dev_00000000", {"pinToTop": True})
    assert r.status_code == 404
    r = srv.admin_call("PATCH", "/api/admin/devices", {"pinToTop": True})
    assert r.status_code == 400 and "id" in r.json()["error"]
    # the two DELETE forms
    assert srv.admin_call("DELETE", f"/api/admin/devices/{made['id']}").status_code == 200
    r = srv.admin_call("DELETE", "/api/admin/devices", params={"id": bound["id"]})
    assert r.status_code == 200 and r.json()["data"] == {"id": bound["id"]}
    assert srv.admin_call("DELETE", f"/api/admin/devices/{made['id']}").status_code == 404
    assert srv.admin_call("DELETE", "/api/admin/devices").status_code == 400
    assert srv.reporting.registry.all() == []


def test_admin_list_pages_filters_and_searches(srv: DeviceServer, key: str) -> None:
    for n in range(25):
        _create(srv, displayName=f"Device {n:02d}", generatedHashKey=f"hash-key-{n:02d}")
    srv.enrol(key, "hash-key-phone", device="Phone")
    r = srv.admin_call("GET", "/api/admin/devices")
    page = r.json()["data"]
    assert (page["total"], page["limit"], page["offset"], len(page["items"])) == (26, 20, 0, 20)
    r = srv.admin_call("GET", "/api/admin/devices", params={"limit": "10", "offset": "20"})
    page = r.json()["data"]
    assert (page["total"], len(page["items"])) == (26, 6)
    assert srv.admin_call("GET", "/api/admin/devices", params={"limit": "501"}).status_code == 400
    assert srv.admin_call("GET", "/api/admin/devices", params={"limit": "x"}).status_code == 400
    assert srv.admin_call("GET", "/api/admin/devices", params={"status": "gone"}).status_code == 400
    r = srv.admin_call("GET", "/api/admin/devices", params={"status": "active"})
    assert [d["displayName"] for d in r.json()["data"]["items"]] == ["Phone"]
    r = srv.admin_call("GET", "/api/admin/devices", params={"status": "pending", "limit": "500"})
    assert r.json()["data"]["total"] == 25
    r = srv.admin_call("GET", "/api/admin/devices", params={"q": "device 1"})  # name, any case
    assert r.json()["data"]["total"] == 10
    r = srv.admin_call("GET", "/api/admin/devices", params={"q": "key-2"})  # the device key
    assert {d["displayName"] for d in r.json()["data"]["items"]} == {
        f"Device {n}" for n in range(20, 25)
    }


def test_renaming_a_device_renames_its_buckets_host(srv: DeviceServer, key: str) -> None:
    device_id = srv.enrol(key)
    _report(srv, key, metadata=media("Song"), battery_level=50)
    r = srv.admin_call("PATCH", f"/api/admin/devices/{device_id}", {"displayName": "Work laptop"})
    assert r.status_code == 200 and r.json()["data"]["displayName"] == "Work laptop"
    for prefix in ("waken-window_", "waken-media_", "waken-device_"):
        assert srv.bucket(prefix + device_id)["hostname"] == "Work laptop"  # type: ignore[index]
    status = _status(srv)
    assert status is not None and status["device"] == "Work laptop"


def test_an_admin_edit_during_reports_is_kept(
    srv: DeviceServer, key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A report writes the device row as it is when the report commits: an admin's pin (or
    revocation) in between is never undone by the report's older copy."""
    device_id = srv.enrol(key)
    state: Reporting = srv.reporting
    real = state.admitted

    def admitted_then_admin_edits(*args: Any) -> Device:
        device = real(*args)
        r = srv.admin_call("PATCH", f"/api/admin/devices/{device_id}", {"pinToTop": True})
        assert r.status_code == 200
        return device

    monkeypatch.setattr(state, "admitted", admitted_then_admin_edits)
    assert srv.report(key, report_body(battery_level=40)).status_code == 200
    row = srv.device(device_id)
    assert (row["pinToTop"], row["batteryPercent"]) == (True, 40)


def test_a_revocation_during_a_report_is_kept(
    srv: DeviceServer, key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    device_id = srv.enrol(key)
    state: Reporting = srv.reporting
    real = state.admitted
    revoked: list[str] = []

    def admitted_then_revoked(*args: Any) -> Device:
        device = real(*args)
        if not revoked:
            revoked.append(device_id)
            r = srv.admin_call("PATCH", f"/api/admin/devices/{device_id}", {"status": "revoked"})
            assert r.status_code == 200
        return device

    monkeypatch.setattr(state, "admitted", admitted_then_revoked)
    r = srv.report(key, report_body())
    assert r.status_code == 403 and "revoked" in r.json()["error"]
    assert srv.device(device_id)["status"] == "revoked"
    assert srv.snapshot().buckets == {}
    assert srv.feed()["activeStatuses"] == []


def test_deleting_a_device_ends_its_status_and_keeps_its_history(
    srv: DeviceServer, key: str
) -> None:
    device_id = srv.enrol(key)
    _report(srv, key, metadata=media("Song", coverDataUrl=load_cover()))
    assert srv.snapshot().pictures == 1
    assert srv.admin_call("DELETE", f"/api/admin/devices/{device_id}").status_code == 200
    assert srv.feed()["activeStatuses"] == []
    assert srv.snapshot().pictures == 0
    assert len(srv.events(f"waken-window_{device_id}")) == 1  # ActivityWatch history stays
    # the same device reporting again is a new, pending device
    r = srv.report(key, report_body())
    assert r.status_code == 202
    assert r.json()["approvalUrl"].rpartition("device=")[2] != device_id


def load_cover() -> str:
    payload = json.loads(load("reporter_desktop_media").body)
    cover: str = payload["metadata"]["media"]["coverDataUrl"]
    return cover


def test_the_apps_export_groups_pc_and_mobile(srv: DeviceServer, key: str) -> None:
    srv.enrol(key, "hash-key-desktop")
    srv.enrol(key, "hash-key-phone")
    for title in ("a.py", "b.py", "c.py", "d.py", "b.py"):
        _report(srv, key, hash_key="hash-key-desktop", process="Code", process_title=title)
        srv.report(key, report_body("hash-key-desktop", process="Other"))
    _report(
        srv,
        key,
        hash_key="hash-key-phone",
        process="com.tencent.mm",
        device_type="mobile",
        process_title="微信",
    )
    r = srv.admin_call("GET", "/api/admin/activity/apps-export")
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    assert data["version"] == 1 and set(data["groups"]) == {"pc", "mobile"}
    code = next(a for a in data["groups"]["pc"] if a["appName"] == "Code")
    assert code["titles"] == ["b.py", "d.py", "c.py"]
    assert [a["appName"] for a in data["groups"]["mobile"]] == ["com.tencent.mm"]
    assert HASH_KEY not in r.text and "hash-key" not in r.text
