"""Every bad input of the timers API gets a 4xx in ClockEye's error shape {error, code, details}
naming the problem, and changes nothing: unknown, archived or mismatched projects and tasks, a
100 KB description, impossible dates and reversed ranges, pages 0, -1 and 10^12, page sizes 0
and 501, bodies of the wrong kind, unknown fields, ids that cannot exist, bad bucket names; and
the access gate's 401, 403 and 429 on these paths have the same shape."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.test_timers_support import PREFIXES, STOPWATCH, TimerServer, bearer, timer_server


@pytest.fixture(scope="module", params=PREFIXES)
def srv(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TimerServer]:
    with timer_server(tmp_path_factory.mktemp("bad"), prefix=request.param) as server:
        yield server


@pytest.fixture(scope="module")
def names(srv: TimerServer) -> dict[str, str]:
    """Projects and tasks the cases name: {project}, {archived}, {task}, {other_task}."""
    project = srv.project("Website")["id"]
    other = srv.project("Other")["id"]
    archived = srv.project("Old", archived=True)["id"]
    return {
        "project": project,
        "archived": archived,
        "task": srv.task(project, "Design")["id"],
        "other_task": srv.task(other, "Elsewhere")["id"],
        "entry": str(srv.entry(start="2024-01-01T10:00:00Z", duration=60)["id"]),
    }


def refused(r: requests.Response, status: int, code: str, **details: Any) -> dict[str, Any]:
    """Check a refusal: its status, ClockEye's body, its code and (some of) its details."""
    assert r.status_code == status, r.text
    body = dict(r.json())
    assert set(body) == {"error", "code", "details"}, body
    assert isinstance(body["error"], str) and body["error"]
    assert body["code"] == code, body
    for name, value in details.items():
        assert body["details"].get(name) == value, body
    return body


def _fill(value: Any, names: dict[str, str]) -> Any:
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        return names[value[1:-1]]
    if isinstance(value, dict):
        return {k: _fill(v, names) for k, v in value.items()}
    return value


HUGE = "x" * 100_000

START_CASES: dict[str, tuple[object, int, str, dict[str, Any]]] = {
    "unknown project": (
        {"project_id": "proj_123"},
        400,
        "unknown_project",
        {"project_id": "proj_123"},
    ),
    "unknown task": ({"task_id": "task_456"}, 400, "unknown_task", {"task_id": "task_456"}),
    "task of another project": (
        {"project_id": "{project}", "task_id": "{other_task}"},
        400,
        "task_not_in_project",
        {},
    ),
    "archived project": ({"project_id": "{archived}"}, 422, "project_archived", {}),
    "100 KB description": (
        {"description": HUGE},
        400,
        "invalid_field",
        {"field": "description", "max_length": 10_000},
    ),
    "description not a string": (
        {"description": 5},
        400,
        "invalid_field",
        {"field": "description"},
    ),
    "empty project id": ({"project_id": ""}, 400, "invalid_field", {"field": "project_id"}),
    "project id not a string": ({"project_id": 7}, 400, "invalid_field", {"field": "project_id"}),
    "long task id": ({"task_id": "t" * 65}, 400, "invalid_field", {"field": "task_id"}),
    "unknown field": ({"projectId": "x"}, 400, "unknown_field", {"field": "projectId"}),
    "a list": ([], 400, "invalid_body", {}),
    "a string": ("start", 400, "invalid_body", {}),
}


@pytest.mark.parametrize("case", list(START_CASES))
def test_bad_starts_change_nothing(srv: TimerServer, names: dict[str, str], case: str) -> None:
    body, status, code, details = START_CASES[case]
    before = srv.events()
    r = srv.call("POST", "/time-entries/start", _fill(body, names))
    refused(r, status, code, **_fill(details, names))
    assert srv.events() == before
    assert srv.ok("GET", "/time-entries/current") is None


def test_a_refused_first_start_makes_no_bucket(tmp_path: Path) -> None:
    with timer_server(tmp_path) as srv:
        refused(
            srv.call("POST", "/time-entries/start", {"project_id": "proj_x"}),
            400,
            "unknown_project",
        )
        assert srv.call("GET", f"/api/0/buckets/{STOPWATCH}").status_code == 404


def test_the_longest_description_is_taken(srv: TimerServer) -> None:
    entry = srv.entry(start="2020-01-01T00:00:00Z", duration=1, description="d" * 10_000)
    assert len(entry["description"]) == 10_000
    srv.ok("DELETE", f"/time-entries/{entry['id']}")


NEW_ENTRY_CASES: dict[str, tuple[object, str, str]] = {
    "no start": ({"duration": 5}, "invalid_field", "start"),
    "no end nor duration": ({"start": "2024-01-01T10:00:00Z"}, "invalid_field", "end"),
    "30 February": ({"start": "2024-02-30T10:00:00Z", "duration": 5}, "invalid_date", "start"),
    "not a date": ({"start": "yesterday", "duration": 5}, "invalid_date", "start"),
    "a number for a date": ({"start": 1700000000, "duration": 5}, "invalid_date", "start"),
    "bad end": (
        {"start": "2024-01-01T10:00:00Z", "end": "2024-13-01T00:00:00Z"},
        "invalid_date",
        "end",
    ),
    "end before start": (
        {"start": "2024-01-01T10:00:00Z", "end": "2024-01-01T09:00:00Z"},
        "invalid_field",
        "end",
    ),
    "negative duration": (
        {"start": "2024-01-01T10:00:00Z", "duration": -1},
        "invalid_field",
        "duration",
    ),
    "duration a string": (
        {"start": "2024-01-01T10:00:00Z", "duration": "1h"},
        "invalid_field",
        "duration",
    ),
    "duration true": (
        {"start": "2024-01-01T10:00:00Z", "duration": True},
        "invalid_field",
        "duration",
    ),
    "endless": ({"start": "2024-01-01T10:00:00Z", "duration": 1e300}, "invalid_field", "duration"),
    "past the year 9999": (
        {"start": "9999-12-31T23:00:00Z", "duration": 7200},
        "invalid_field",
        "duration",
    ),
    "end and duration disagree": (
        {"start": "2024-01-01T10:00:00Z", "end": "2024-01-01T11:00:00Z", "duration": 60},
        "invalid_field",
        "duration",
    ),
    "running": (
        {"start": "2024-01-01T10:00:00Z", "duration": 5, "running": True},
        "invalid_field",
        "running",
    ),
    "unknown field": (
        {"start": "2024-01-01T10:00:00Z", "duration": 5, "billable": True},
        "unknown_field",
        "billable",
    ),
}


@pytest.mark.parametrize("case", list(NEW_ENTRY_CASES))
def test_bad_new_entries(srv: TimerServer, case: str) -> None:
    body, code, field = NEW_ENTRY_CASES[case]
    before = srv.events()
    refused(srv.call("POST", "/time-entries", body), 400, code, field=field)
    assert srv.events() == before


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"start": "2024-02-30T00:00:00Z"}, 400, "invalid_date"),
        ({"end": "2023-12-31T00:00:00Z"}, 400, "invalid_field"),
        ({"project_id": "proj_nope"}, 400, "unknown_project"),
        ({"task_id": "{other_task}", "project_id": "{project}"}, 400, "task_not_in_project"),
        ({"project_id": "{archived}"}, 422, "project_archived"),
        ({"description": HUGE}, 400, "invalid_field"),
        ({"colour": "red"}, 400, "unknown_field"),
        (None, 400, "bad_request"),
    ],
)
def test_bad_changes(
    srv: TimerServer, names: dict[str, str], body: Any, status: int, code: str
) -> None:
    path = f"/time-entries/{names['entry']}"
    before = srv.ok("GET", path)
    if body is None:
        r = srv.session.patch(
            f"{srv.url}{srv.prefix}{path}",
            data=b"{nope",
            headers={"Content-Type": "application/json"},
        )
    else:
        r = srv.call("PATCH", path, _fill(body, names))
    refused(r, status, code)
    assert srv.ok("GET", path) == before


@pytest.mark.parametrize("entry_id", ["0", "999999", str(2**63), str(2**64)])
@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
def test_entries_that_cannot_exist(srv: TimerServer, method: str, entry_id: str) -> None:
    body = {"description": "x"} if method == "PATCH" else None
    refused(srv.call(method, f"/time-entries/{entry_id}", body), 404, "not_found")


@pytest.mark.parametrize("path", ["/time-entries/abc", "/time-entries/-1", "/projects/x/tasks/y"])
def test_unknown_paths(srv: TimerServer, path: str) -> None:
    refused(srv.call("GET", path), 404, "not_found")


def test_a_wrong_method(srv: TimerServer) -> None:
    r = srv.call("GET", "/time-entries/start")
    refused(r, 405, "method_not_allowed")
    assert "POST" in r.headers["Allow"]


def test_bodies_that_are_not_json(srv: TimerServer) -> None:
    url = f"{srv.url}{srv.prefix}/time-entries/start"
    r = srv.session.post(url, data=b"description=x", headers={"Content-Type": "text/plain"})
    refused(r, 415, "unsupported_media_type")
    r = srv.session.post(url, data=b"{", headers={"Content-Type": "application/json"})
    refused(r, 400, "bad_request")
    r = srv.session.post(
        f"{srv.url}{srv.prefix}/time-entries",
        data=b"",
        headers={"Content-Type": "application/json"},
    )
    refused(r, 400, "bad_request")


LIST_CASES: dict[str, tuple[dict[str, Any], str, str]] = {
    "30 February": ({"start_date": "2024-02-30"}, "invalid_date", "start_date"),
    "31 April": ({"end_date": "2024-04-31"}, "invalid_date", "end_date"),
    "no leading zeros": ({"start_date": "2024-1-5"}, "invalid_date", "start_date"),
    "a date-time": ({"start_date": "2024-01-05T00:00:00"}, "invalid_date", "start_date"),
    "start after end": (
        {"start_date": "2024-03-02", "end_date": "2024-03-01"},
        "invalid_date",
        "end_date",
    ),
    "page 0": ({"page": "0"}, "invalid_parameter", "page"),
    "page -1": ({"page": "-1"}, "invalid_parameter", "page"),
    "page 2^53": ({"page": str(2**53)}, "invalid_parameter", "page"),
    "page not a number": ({"page": "two"}, "invalid_parameter", "page"),
    "empty page": ({"page": ""}, "invalid_parameter", "page"),
    "per_page 0": ({"per_page": "0"}, "invalid_parameter", "per_page"),
    "per_page 501": ({"per_page": "501"}, "invalid_parameter", "per_page"),
    "per_page 1.5": ({"per_page": "1.5"}, "invalid_parameter", "per_page"),
    "bucket with a slash": ({"bucket": "a/b"}, "invalid_parameter", "bucket"),
    "bucket too long": ({"bucket": "b" * 513}, "invalid_parameter", "bucket"),
}


@pytest.mark.parametrize("case", list(LIST_CASES))
def test_bad_list_parameters(srv: TimerServer, case: str) -> None:
    params, code, field = LIST_CASES[case]
    refused(srv.call("GET", "/time-entries", params=params), 400, code, field=field)


def test_page_10_to_the_12_is_an_empty_page(srv: TimerServer) -> None:
    listing = srv.ok("GET", "/time-entries", params={"page": str(10**12)})
    assert listing["data"] == [] and listing["meta"]["page"] == 10**12


# -- projects and tasks --------------------------------------------------------------------------

PROJECT_CASES: dict[str, tuple[object, int, str, dict[str, Any]]] = {
    "no name": ({}, 400, "invalid_field", {"field": "name"}),
    "empty name": ({"name": ""}, 400, "invalid_field", {"field": "name"}),
    "blank name": ({"name": "   "}, 400, "invalid_field", {"field": "name"}),
    "long name": ({"name": "n" * 201}, 400, "invalid_field", {"field": "name", "max_length": 200}),
    "name not a string": ({"name": ["a"]}, 400, "invalid_field", {"field": "name"}),
    "bad color": ({"name": "C", "color": "red"}, 400, "invalid_field", {"field": "color"}),
    "short color": ({"name": "C", "color": "#fff"}, 400, "invalid_field", {"field": "color"}),
    "archived not a bool": (
        {"name": "C", "archived": "yes"},
        400,
        "invalid_field",
        {"field": "archived"},
    ),
    "unknown field": ({"name": "C", "client": "ACME"}, 400, "unknown_field", {"field": "client"}),
    "an entry's field": (
        {"name": "C", "running": True},
        400,
        "unknown_field",
        {"field": "running"},
    ),
    "same name": ({"name": "WEBSITE"}, 409, "project_exists", {"id": "{project}"}),
}


@pytest.mark.parametrize("case", list(PROJECT_CASES))
def test_bad_projects(srv: TimerServer, names: dict[str, str], case: str) -> None:
    body, status, code, details = PROJECT_CASES[case]
    before = srv.ok("GET", "/projects")
    refused(srv.call("POST", "/projects", body), status, code, **_fill(details, names))
    assert srv.ok("GET", "/projects") == before


def test_bad_project_changes(srv: TimerServer, names: dict[str, str]) -> None:
    path = f"/projects/{names['project']}"
    before = srv.ok("GET", path)
    refused(srv.call("PATCH", path, {"name": "other"}), 409, "project_exists")
    refused(srv.call("PATCH", path, {"color": "#12345g"}), 400, "invalid_field", field="color")
    refused(srv.call("PATCH", path, {"name": ""}), 400, "invalid_field", field="name")
    refused(srv.call("PATCH", path, []), 400, "invalid_body")
    assert srv.ok("GET", path) == before
    refused(
        srv.call("PATCH", "/projects/proj_none", {"name": "x"}), 404, "not_found", id="proj_none"
    )
    refused(srv.call("GET", "/projects/proj_none"), 404, "not_found")
    refused(srv.call("DELETE", "/projects/proj_none"), 404, "not_found")
    r = srv.call("DELETE", path, params={"force": "yes"})
    refused(r, 400, "invalid_parameter", field="force")
    refused(srv.call("GET", "/projects", params={"archived": "maybe"}), 400, "invalid_parameter")
    refused(srv.call("GET", "/projects", params={"per_page": "501"}), 400, "invalid_parameter")


def test_bad_tasks(srv: TimerServer, names: dict[str, str]) -> None:
    refused(srv.call("GET", "/projects/proj_none/tasks"), 404, "not_found")
    refused(srv.call("POST", "/projects/proj_none/tasks", {"name": "x"}), 404, "not_found")
    tasks = f"/projects/{names['project']}/tasks"
    refused(srv.call("POST", tasks, {"name": "design"}), 409, "task_exists", id=names["task"])
    refused(srv.call("POST", tasks, {}), 400, "invalid_field", field="name")
    refused(srv.call("POST", tasks, {"name": "x", "due": "soon"}), 400, "unknown_field")
    archived = f"/projects/{names['archived']}/tasks"
    refused(srv.call("POST", archived, {"name": "x"}), 422, "project_archived")


# -- the access gate's refusals ------------------------------------------------------------------


@pytest.mark.parametrize("prefix", PREFIXES)
def test_the_gate_s_refusals_have_clockeye_s_shape(tmp_path: Path, prefix: str) -> None:
    with timer_server(tmp_path, prefix=prefix, auth={"policy": "required"}) as srv:
        r = srv.call("POST", "/time-entries/start", {})
        refused(r, 401, "unauthorized")
        assert r.headers["WWW-Authenticate"].startswith("Bearer")
        r = srv.call("POST", "/time-entries/start", {}, headers=bearer("not-a-key"))
        refused(r, 401, "unauthorized")
        reader = srv.key("read:aw-stopwatch")
        body = refused(srv.call("POST", "/time-entries/start", {}, secret=reader), 403, "forbidden")
        assert "write" in body["error"]
        _, limited = srv.ring.create("limited", scopes=["admin"], rate_limit=1)
        assert srv.call("GET", "/projects", secret=limited).status_code == 200
        r = srv.call("GET", "/projects", secret=limited)
        refused(r, 429, "rate_limited")
        assert int(r.headers["Retry-After"]) >= 1
