"""Who may do what on the WakaTime API: one table of scope x endpoint (every WakaTime route and
method; tests/test_auth_scopes.py leaves them to this file), keys presented the ways WakaTime
clients present them, what a key scoped to one machine sees, and requests without a key."""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from aw_server.app import create_app
from aw_server.wakatime.api import ROUTES
from tests.conftest import make_config
from tests.test_wakatime_support import WakaServer, heartbeat, waka_server

USERS = "/api/v1/users/current"
DEVBOX = "aw-watcher-wakatime_devbox"

# who: the scopes of a key (None: no key at all)
KEYS: dict[str, tuple[str, ...] | None] = {
    "wakatime": ("preset:wakatime",),
    "watcher": ("preset:watcher",),
    "dashboard": ("preset:dashboard",),
    "full": ("preset:full",),
    "device": ("preset:device",),
    "devbox only": (f"append:{DEVBOX}", f"read:{DEVBOX}"),
    "laptop only": ("append:aw-watcher-wakatime_laptop", "read:aw-watcher-wakatime_laptop"),
    "other buckets": ("read:aw-watcher-window_*", "append:aw-watcher-window_*"),
    "no key": None,
}
POSTERS = {"wakatime", "watcher", "full", "devbox only"}
READERS = {"wakatime", "dashboard", "full", "devbox only", "laptop only"}
EVERY_KEY = set(KEYS) - {"no key"}


@dataclass(frozen=True)
class Case:
    method: str
    path: str  # from the server root
    allowed: set[str]  # who gets `status`; other keys get 403, no key 401
    status: int = 200


CASES: dict[str, Case] = {
    "post bulk": Case("POST", f"{USERS}/heartbeats.bulk", POSTERS, 201),
    "post one": Case("POST", f"{USERS}/heartbeats", POSTERS, 201),
    "post legacy": Case("POST", "/api/v1", POSTERS, 201),
    "post bare": Case("POST", "/api/heartbeat", POSTERS, 201),
    "statusbar": Case("GET", f"{USERS}/statusbar/today", READERS),
    "summaries": Case("GET", f"{USERS}/summaries?range=last_7_days", READERS),
    "stats": Case("GET", f"{USERS}/stats", READERS),
    "stats of a range": Case("GET", f"{USERS}/stats/last_30_days", READERS),
    "all time": Case("GET", f"{USERS}/all_time_since_today", READERS),
    "heartbeats": Case("GET", f"{USERS}/heartbeats?date=today", READERS),
    "projects": Case("GET", f"{USERS}/projects", READERS),
    "goal": Case("GET", f"{USERS}/goals/abc", READERS, 404),
    "plugin errors": Case("POST", "/api/v1/plugins/errors", EVERY_KEY, 201),
}


def _make_key(srv: WakaServer, scopes: tuple[str, ...]) -> str:
    presets = [s.removeprefix("preset:") for s in scopes if s.startswith("preset:")]
    plain = [s for s in scopes if not s.startswith("preset:")]
    _, secret = srv.ring.create(
        "someone", preset=presets[0] if presets else None, scopes=plain or None
    )
    return secret


def _basic(secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(secret.encode()).decode()}


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[WakaServer, dict[str, str]]]:
    """One server (policy required) with heartbeats of devbox and laptop, and a key per row."""
    with waka_server(tmp_path_factory.mktemp("access"), policy="required") as srv:
        admin = _make_key(srv, ("preset:full",))
        now = time.time() - 900
        for machine in ("devbox", "laptop"):
            body = [heartbeat(now + i * 30, f"/{machine}/{i % 2}.py") for i in range(6)]
            r = srv.request(
                "POST",
                f"{USERS}/heartbeats.bulk",
                body=body,
                headers={**_basic(admin), "X-Machine-Name": machine},
            )
            assert r.status_code == 201, r.text
        secrets = {who: _make_key(srv, scopes) for who, scopes in KEYS.items() if scopes}
        yield srv, secrets


@pytest.mark.parametrize("endpoint", list(CASES))
@pytest.mark.parametrize("who", list(KEYS))
def test_who_may_call_what(
    shared: tuple[WakaServer, dict[str, str]], who: str, endpoint: str
) -> None:
    srv, secrets = shared
    case = CASES[endpoint]
    headers = {"X-Machine-Name": "devbox"}
    if who != "no key":
        headers.update(_basic(secrets[who]))
    body = None
    if case.method == "POST":
        body = (
            {"message": "plugin failed"}
            if endpoint == "plugin errors"
            else [heartbeat(time.time() - 60, f"/{who}/{endpoint}.py")]
        )
    r = srv.request(case.method, case.path, body=body, headers=headers)
    expected = 401 if who == "no key" else case.status if who in case.allowed else 403
    assert r.status_code == expected, (who, endpoint, r.text)
    assert r.json()["message"] if expected >= 400 else True
    if expected == 403:
        assert r.json()["code"] == "forbidden"
        needed = "append:" + DEVBOX if case.method == "POST" else "read:aw-watcher-wakatime_*"
        assert needed in r.json()["message"], r.json()["message"]
    if expected == 401:
        assert r.headers["WWW-Authenticate"].startswith("Bearer")


def test_the_table_covers_every_wakatime_endpoint_and_method(tmp_path: Path) -> None:
    app = create_app(make_config(tmp_path, storage="memory"))
    wakatime = {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("wakatime.")
        for method in (rule.methods or set()) & {"GET", "POST", "PUT", "PATCH", "DELETE"}
    }
    assert len(wakatime) == len({(r.view.__name__, r.method) for r in ROUTES}) == 9
    adapter = app.url_map.bind("localhost")
    covered = set()
    for case in CASES.values():
        endpoint, _ = adapter.match(case.path.split("?")[0], method=case.method)
        covered.add((endpoint, case.method))
    assert covered == wakatime, wakatime - covered


# --- presenting the key ---------------------------------------------------------------------


def _forms(secret: str) -> dict[str, tuple[dict[str, str], dict[str, str]]]:
    """(headers, query) of each way WakaTime clients present a key."""
    b64 = base64.b64encode(secret.encode()).decode()
    return {
        "Basic base64(key)": ({"Authorization": f"Basic {b64}"}, {}),
        "Bearer base64(key)": ({"Authorization": f"Bearer {b64}"}, {}),
        "plain Bearer": ({"Authorization": f"Bearer {secret}"}, {}),
        "?api_key=": ({}, {"api_key": secret}),
        "Basic base64(user:key)": (
            {"Authorization": "Basic " + base64.b64encode(f"ann:{secret}".encode()).decode()},
            {},
        ),
    }


@pytest.mark.parametrize(
    "form",
    [
        "Basic base64(key)",
        "Bearer base64(key)",
        "plain Bearer",
        "?api_key=",
        "Basic base64(user:key)",
    ],
)
def test_every_way_clients_present_a_key(tmp_path: Path, form: str) -> None:
    with waka_server(tmp_path, policy="required") as srv:
        secret = srv.key(preset="wakatime")
        headers, query = _forms(secret)[form]
        for prefix in ("/api/v1", "/api/compat/wakatime/v1", "/api"):
            r = srv.request(
                "POST",
                f"{prefix}/users/current/heartbeats.bulk",
                body=[heartbeat(time.time() - 120), heartbeat(time.time() - 60)],
                headers={**headers, "X-Machine-Name": "devbox"},
                params=query,
            )
            assert r.status_code == 201, (form, prefix, r.text)
            r = srv.request(
                "GET", f"{prefix}/users/current/statusbar/today", headers=headers, params=query
            )
            assert r.status_code == 200, (form, prefix, r.text)
        # the same forms with a wrong key: 401
        wrong_headers, wrong_query = _forms("aaaaaaaa-1234-4abc-8abc-123456789abc")[form]
        r = srv.request(
            "GET", f"{USERS}/statusbar/today", headers=wrong_headers, params=wrong_query
        )
        assert r.status_code == 401


# --- what a key may see ---------------------------------------------------------------------


def _calm_zone() -> str:
    return "UTC" if 1 <= datetime.now(UTC).hour <= 22 else "Asia/Tokyo"


def test_a_key_scoped_to_one_machine_sees_only_that_machine(tmp_path: Path) -> None:
    zone = _calm_zone()
    with waka_server(tmp_path, policy="required", timezone=zone) as srv:
        admin = srv.key(preset="full")
        now = time.time() - 900
        for machine, project, first in (("devbox", "alpha", 0), ("laptop", "beta", -300)):
            body = [heartbeat(now + first + i * 30, project=project) for i in range(5)]
            r = srv.request(
                "POST",
                f"{USERS}/heartbeats.bulk",
                body=body,
                headers={**_basic(admin), "X-Machine-Name": machine},
            )
            assert r.status_code == 201
        scoped = _basic(srv.key(f"append:{DEVBOX}", f"read:{DEVBOX}"))

        def get(path: str, **params: str) -> dict[str, object]:
            r = srv.request("GET", f"{USERS}/{path}", headers=scoped, params=params)
            assert r.status_code == 200, r.text
            body: dict[str, object] = r.json()
            return body

        summary = get("summaries", range="today")["data"][0]  # type: ignore[index]
        assert [m["name"] for m in summary["machines"]] == ["devbox"]
        assert [p["name"] for p in summary["projects"]] == ["alpha"]
        assert summary["grand_total"]["total_seconds"] == 120.0
        today = get("statusbar/today")["data"]
        assert today["grand_total"]["total_seconds"] == 120.0  # type: ignore[index]
        beats = get("heartbeats", date="today")["data"]
        assert {b["machine_name"] for b in beats} == {"devbox"}  # type: ignore[attr-defined]
        projects = get("projects")["data"]
        assert [p["name"] for p in projects] == ["alpha"]  # type: ignore[attr-defined]
        stats = get("stats/last_7_days")["data"]
        assert [m["name"] for m in stats["machines"]] == ["devbox"]  # type: ignore[index]
        all_time = get("all_time_since_today")["data"]
        assert all_time["total_seconds"] == 120.0  # type: ignore[index]
        # its posts reach its own machine only
        for machine, status in (("devbox", 201), ("laptop", 403)):
            r = srv.request(
                "POST",
                f"{USERS}/heartbeats.bulk",
                body=[heartbeat(time.time() - 30)],
                headers={**scoped, "X-Machine-Name": machine},
            )
            assert r.status_code == status, r.text
        # the buckets of the ActivityWatch API follow the same scopes
        r = srv.request("GET", "/api/0/buckets/", headers=scoped)
        assert sorted(r.json()) == [DEVBOX]
        r = srv.request("GET", "/api/0/buckets/aw-watcher-wakatime_laptop/events", headers=scoped)
        assert r.status_code == 403


def test_reads_are_refused_to_a_watcher_key_on_an_empty_server_too(tmp_path: Path) -> None:
    with waka_server(tmp_path, policy="required") as srv:
        watcher, reader = _basic(srv.key(preset="watcher")), _basic(srv.key(preset="wakatime"))
        for path in ("statusbar/today", "summaries?range=today", "projects", "goals/x"):
            r = srv.request("GET", f"{USERS}/{path}", headers=watcher)
            assert r.status_code == 403, (path, r.text)
            r = srv.request("GET", f"{USERS}/{path}", headers=reader)
            assert r.status_code == (404 if "goals" in path else 200), (path, r.text)


def test_a_key_for_a_machine_without_data_sees_nothing_rather_than_a_403(tmp_path: Path) -> None:
    with waka_server(tmp_path, policy="required") as srv:
        srv.send(
            [heartbeat(time.time() - 120), heartbeat(time.time() - 60)],
            "devbox",
            Authorization=_basic(srv.key(preset="full"))["Authorization"],
        )
        laptop = _basic(srv.key("read:aw-watcher-wakatime_laptop"))
        r = srv.request("GET", f"{USERS}/summaries", headers=laptop, params={"range": "today"})
        assert r.status_code == 200, r.text
        assert r.json()["cumulative_total"]["seconds"] == 0.0
        r = srv.request("GET", f"{USERS}/projects", headers=laptop)
        assert r.json()["data"] == []


# --- without a key --------------------------------------------------------------------------


def test_without_a_key_under_required_only_public_endpoints_answer(tmp_path: Path) -> None:
    with waka_server(tmp_path, policy="required") as srv:
        for case in CASES.values():
            r = srv.request(case.method, case.path, body=[] if case.method == "POST" else None)
            assert r.status_code == 401, (case.path, r.text)
            assert r.json()["code"] == "unauthorized"
        assert srv.get("/api/0/info").status_code == 200
        assert srv.get("/api/openapi.json").status_code == 200
        before = srv.state()
        assert (
            srv.post(f"{USERS}/heartbeats.bulk", [heartbeat(time.time() - 60)]).status_code == 401
        )
        assert srv.state() == before


def test_under_the_local_policy_loopback_needs_no_key_but_remote_clients_do(
    tmp_path: Path,
) -> None:
    with waka_server(tmp_path) as srv:
        beat = [heartbeat(time.time() - 60)]
        assert srv.post(f"{USERS}/heartbeats.bulk", beat).status_code == 201
        assert srv.get(f"{USERS}/statusbar/today").status_code == 200
        assert srv.post("/api/v1/plugins/errors", {"m": 1}).status_code == 201
        remote = {"X-Forwarded-For": "192.0.2.9"}
        for case in CASES.values():
            r = srv.request(
                case.method, case.path, body=beat if case.method == "POST" else None, headers=remote
            )
            assert r.status_code == 401, (case.path, r.text)
        secret = srv.key(preset="wakatime")
        r = srv.request(
            "POST", "/api/v1/plugins/errors", body={"m": 1}, headers={**remote, **_basic(secret)}
        )
        assert r.status_code == 201


def test_all_time_starts_at_the_first_day_the_key_may_see(tmp_path: Path) -> None:
    """A laptop heartbeat three days ago must not show a devbox-only key when the laptop began."""
    zone = _calm_zone()
    with waka_server(tmp_path, policy="required", timezone=zone) as srv:
        admin = srv.key(preset="full")
        for machine, at in (("laptop", time.time() - 3 * 86_400), ("devbox", time.time() - 120)):
            r = srv.request(
                "POST",
                f"{USERS}/heartbeats.bulk",
                body=[heartbeat(at), heartbeat(at + 60)],
                headers={**_basic(admin), "X-Machine-Name": machine},
            )
            assert r.status_code == 201, r.text
        scoped = _basic(srv.key(f"read:{DEVBOX}"))
        today = datetime.now(ZoneInfo(zone)).date().isoformat()
        r = srv.request("GET", f"{USERS}/all_time_since_today", headers=scoped)
        assert r.status_code == 200, r.text
        assert r.json()["data"]["range"]["start_date"] == today
        r = srv.request("GET", f"{USERS}/stats/all_time", headers=scoped, params={"timezone": zone})
        assert r.json()["data"]["days_including_holidays"] == 1
        r = srv.request("GET", f"{USERS}/all_time_since_today", headers=_basic(admin))
        assert r.json()["data"]["range"]["start_date"] < today


def test_a_browser_extension_posts_from_its_origin_with_its_key_only(tmp_path: Path) -> None:
    """The WakaTime browser extensions post from their own origin: with their key that is
    allowed; without one, a page of that origin riding on the loopback user's access is
    refused like any unknown origin."""
    origin = {"Origin": "chrome-extension://jnbbnacmeggbgdjgaoojpmhdlkkpblgi"}
    with waka_server(tmp_path) as srv:
        beat = [heartbeat(time.time() - 60, "github.com", type="domain")]
        before = srv.state()
        r = srv.request("POST", f"{USERS}/heartbeats.bulk", body=beat, headers=origin)
        assert r.status_code == 403 and "origin" in r.json()["message"]
        assert srv.state() == before
        secret = srv.key(preset="wakatime")
        r = srv.request(
            "POST",
            f"{USERS}/heartbeats.bulk",
            body=beat,
            headers={**origin, "X-Machine-Name": "devbox"},
            params={"api_key": secret},
        )
        assert r.status_code == 201, r.text
