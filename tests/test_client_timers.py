"""aw_client's timers API (``client.time_entries``, ``client.projects``) and the ``aw-client
timer``/``projects`` commands, against a live server: the library's typed values and errors,
the CLI's human and JSON output, its exit codes, and the README examples."""

from __future__ import annotations

import http.server
import io
import json
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from aw_client import (
    UNSET,
    ActivityWatchClient,
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    NoTimerRunning,
    Page,
    ServerError,
    TimeEntry,
    Unauthorized,
    UnexpectedAnswer,
)
from aw_client import timers as timers_module
from aw_client.cli import EXIT_NOT_FOUND, EXIT_OK, EXIT_SERVER, EXIT_USAGE, main
from aw_server.app import create_app
from aw_server.auth.config import REQUIRED
from aw_server.config import Config
from tests.conftest import Api, make_config, subprocess_env, write_client_config
from tests.liveserver import ROOT, ThreadedServer

DAY = datetime(2024, 3, 4, 12, tzinfo=UTC)  # noon UTC: entries on known days of the server


@pytest.fixture
def config(tmp_path: Path) -> Config:
    """The conftest server, reading days in UTC so the date filters are known."""
    return make_config(tmp_path, timezone="UTC")


@pytest.fixture
def client(server: ThreadedServer) -> ActivityWatchClient:
    return ActivityWatchClient("timers-test", host="127.0.0.1", port=server.port, timeout=10)


def run(server: ThreadedServer, *argv: str) -> tuple[int, str]:
    """``aw-client --port PORT ARGV...`` in this process; exit code and stdout."""
    out = io.StringIO()
    code = main(["--port", str(server.port), *argv], out=out)
    return code, out.getvalue()


def run_json(server: ThreadedServer, *argv: str) -> Any:
    code, text = run(server, *argv, "--json")
    assert code == EXIT_OK, text
    return json.loads(text)


def run_process(port: int, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "aw_client", "--port", str(port), *argv],
        env={**subprocess_env(), "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def finished(
    client: ActivityWatchClient, day: int, description: str, project_id: str | None = None
) -> TimeEntry:
    """A finished entry of an hour at noon UTC, ``day`` days after DAY."""
    start = DAY + timedelta(days=day)
    return client.time_entries.create(
        start, duration=3600, description=description, project_id=project_id
    )


# -- the library: the timer ----------------------------------------------------------------------


def test_start_stop_current_in_clockeyes_shape(client: ActivityWatchClient, api: Api) -> None:
    assert client.time_entries.current() is None
    project = client.projects.create("Website", color="#3B82F6")
    assert (project.name, project.color, project.archived) == ("Website", "#3b82f6", False)
    assert project.id.startswith("proj_") and project.created.tzinfo is not None

    timer = client.time_entries.start(project_id=project.id, description="Fixing the header")
    assert isinstance(timer, TimeEntry)
    assert (timer.project_id, timer.description, timer.running, timer.end) == (
        project.id,
        "Fixing the header",
        True,
        None,
    )
    current = client.time_entries.current()
    assert current is not None and replace(current, duration=timer.duration) == timer

    second = client.time_entries.start(description="Review")  # stops the first
    first = client.time_entries.get(timer.id)
    assert (first.running, first.end) == (False, second.start)
    assert first.duration == second.start - first.start
    current = client.time_entries.current()
    assert current is not None and current.id == second.id

    stopped = client.time_entries.stop()
    assert (stopped.id, stopped.running, stopped.description) == (second.id, False, "Review")
    assert stopped.end is not None and stopped.duration == stopped.end - stopped.start
    assert client.time_entries.current() is None
    # the same entry as the API shows it, field for field
    shown = api.get(f"time-entries/{stopped.id}").json()
    assert stopped.to_json() == shown


def test_stop_with_no_timer_running_is_a_typed_conflict(client: ActivityWatchClient) -> None:
    with pytest.raises(NoTimerRunning) as info:
        client.time_entries.stop()
    error = info.value
    assert isinstance(error, Conflict) and isinstance(error, ServerError)
    assert (error.status, error.code, error.message, error.details) == (
        409,
        "no_timer_running",
        "no timer is running",  # ClockEye's "error", not the JSON body
        {},
    )


def test_unknown_project_and_task_keep_code_and_details(client: ActivityWatchClient) -> None:
    with pytest.raises(BadRequest) as project:
        client.time_entries.start(project_id="proj_nope", description="x")
    assert (project.value.status, project.value.code) == (400, "unknown_project")
    assert project.value.details == {"project_id": "proj_nope"}
    assert "proj_nope" in project.value.message
    with pytest.raises(BadRequest) as task:
        client.time_entries.start(task_id="task_nope")
    assert (task.value.code, task.value.details) == ("unknown_task", {"task_id": "task_nope"})
    assert client.time_entries.current() is None  # nothing was started


def test_a_task_names_its_project(client: ActivityWatchClient) -> None:
    project = client.projects.create("Website")
    task = client.projects.create_task(project.id, "Design")
    assert (task.project_id, task.name) == (project.id, "Design")
    assert [t.id for t in client.projects.tasks(project.id)] == [task.id]
    timer = client.time_entries.start(task_id=task.id)
    assert (timer.project_id, timer.task_id, timer.description) == (project.id, task.id, None)
    with pytest.raises(Conflict) as exists:
        client.projects.create_task(project.id, "design")
    assert exists.value.code == "task_exists"


def test_another_stopwatch_bucket(client: ActivityWatchClient, api: Api) -> None:
    work = client.time_entries.in_bucket("aw-stopwatch-work")
    timer = work.start(description="elsewhere")
    assert client.time_entries.current() is None
    current = work.current()
    assert current is not None and current.id == timer.id
    assert api.get("buckets/aw-stopwatch-work").json()["type"] == "general.stopwatch"
    assert work.stop().id == timer.id


# -- the library: entries ------------------------------------------------------------------------


def test_list_pages_filters_and_dates(client: ActivityWatchClient) -> None:
    project = client.projects.create("Website")
    entries = [finished(client, d, f"day {d}", project.id if d % 2 else None) for d in range(5)]
    page = client.time_entries.list(per_page=2)
    assert isinstance(page, Page) and len(page) == 2
    assert [e.id for e in page] == [entries[4].id, entries[3].id]  # newest first
    assert page.meta() == {"page": 1, "per_page": 2, "total": 5, "total_pages": 3}
    assert page.has_next and not client.time_entries.list(page=3, per_page=2).has_next
    assert [e.id for e in client.time_entries.list(page=3, per_page=2)] == [entries[0].id]

    # dates as date objects or strings: days of the server's time zone, both included
    by_date = client.time_entries.list(start_date=date(2024, 3, 5), end_date="2024-03-06")
    assert [e.description for e in by_date] == ["day 2", "day 1"]
    assert [e.description for e in client.time_entries.list(project_id=project.id)] == [
        "day 3",
        "day 1",
    ]
    with pytest.raises(ValueError, match="not a datetime"):
        client.time_entries.list(start_date=DAY)
    with pytest.raises(BadRequest) as bad:
        client.time_entries.list(start_date="2024-02-30")
    assert (bad.value.code, bad.value.details["field"]) == ("invalid_date", "start_date")
    with pytest.raises(BadRequest) as reversed_range:
        client.time_entries.list(start_date="2024-03-06", end_date="2024-03-05")
    assert reversed_range.value.details["field"] == "end_date"
    with pytest.raises(BadRequest) as too_many:
        client.time_entries.list(per_page=501)
    assert too_many.value.details["field"] == "per_page"


def test_create_get_update_delete(client: ActivityWatchClient) -> None:
    project = client.projects.create("Website")
    entry = client.time_entries.create(
        DAY, DAY + timedelta(minutes=30), description="call", project_id=project.id
    )
    assert (entry.start, entry.end, entry.duration) == (
        DAY,
        DAY + timedelta(minutes=30),
        timedelta(minutes=30),
    )
    by_duration = client.time_entries.create("2024-03-04T15:00:00Z", duration=timedelta(hours=1))
    assert by_duration.end == datetime(2024, 3, 4, 16, tzinfo=UTC)
    assert client.time_entries.get(entry.id) == entry

    # UNSET (the default) keeps a field, None clears it
    changed = client.time_entries.update(entry.id, description=None, end=DAY + timedelta(hours=1))
    assert (changed.description, changed.project_id) == (None, project.id)
    assert changed.duration == timedelta(hours=1)
    cleared = client.time_entries.update(entry.id, project_id=None, description=UNSET)
    assert cleared.project_id is None
    with pytest.raises(ValueError, match="timezone-aware"):
        client.time_entries.create(datetime(2024, 3, 4, 12), duration=60)

    running = client.time_entries.start(description="now")
    with pytest.raises(Conflict) as conflict:
        client.time_entries.update(running.id, end=datetime.now(UTC))
    assert conflict.value.code == "entry_running"

    assert client.time_entries.delete(entry.id).id == entry.id
    with pytest.raises(NotFound) as missing:
        client.time_entries.get(entry.id)
    assert missing.value.code == "not_found" and missing.value.details["id"] == entry.id


# -- the library: projects -----------------------------------------------------------------------


def test_projects_crud(client: ActivityWatchClient) -> None:
    website = client.projects.create("Website")
    with pytest.raises(Conflict) as exists:
        client.projects.create("website")
    assert (exists.value.code, exists.value.details) == ("project_exists", {"id": website.id})
    with pytest.raises(BadRequest) as bad_color:
        client.projects.create("Blog", color="blue")
    assert bad_color.value.details == {"field": "color"}
    archived = client.projects.update(website.id, archived=True, name="Old website")
    assert (archived.name, archived.archived, archived.color) == (
        "Old website",
        True,
        website.color,
    )
    assert client.projects.get(website.id) == archived
    with pytest.raises(NotFound):
        client.projects.get("proj_nope")
    with pytest.raises(ValueError):
        client.projects.get("")  # would name the list of projects
    with pytest.raises(NotFound):
        client.projects.get("../time-entries")  # one path segment, quoted

    blog = client.projects.create("Blog")
    assert [p.name for p in client.projects.list()] == ["Blog", "Old website"]
    assert [p.name for p in client.projects.list(archived=True)] == ["Old website"]
    finished(client, 0, "post", blog.id)
    with pytest.raises(Conflict) as in_use:
        client.projects.delete(blog.id)
    assert (in_use.value.code, in_use.value.details["entries"]) == ("project_has_entries", 1)
    assert client.projects.delete(blog.id, force=True) == 1
    assert [e.project_id for e in client.time_entries.list()] == [None]
    assert client.projects.delete(website.id) == 0


def test_whole_listings_are_read_page_by_page(
    client: ActivityWatchClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(timers_module, "MAX_PER_PAGE", 2)
    for name in "edcba":
        project = client.projects.create(name)
    for name in "zyx":
        client.projects.create_task(project.id, name)  # project "a"
    assert [p.name for p in client.projects.list()] == list("abcde")
    assert [t.name for t in client.projects.tasks(project.id)] == list("xyz")


# -- the library: keys and foreign answers -------------------------------------------------------


@pytest.fixture
def keyed(tmp_path: Path) -> Iterator[tuple[ThreadedServer, str]]:
    """A server that needs a key for everything; its admin key."""
    config = make_config(tmp_path)
    config.auth.policy = REQUIRED
    config.auth.api_key = "timers-admin-secret"
    app = create_app(config)
    server = ThreadedServer(app).start()
    yield server, "timers-admin-secret"
    server.stop()
    app.extensions["aw"].storage.close()


def test_key_refusals_on_the_timers_api_are_typed(keyed: tuple[ThreadedServer, str]) -> None:
    """The timers API answers refusals as {error, code, details}: they must still be read."""
    server, admin = keyed
    no_key = ActivityWatchClient("t", host="127.0.0.1", port=server.port, timeout=10)
    with pytest.raises(Unauthorized) as refused:
        no_key.time_entries.current()
    assert refused.value.code == "unauthorized" and "{" not in refused.value.message
    owner = ActivityWatchClient("t", host="127.0.0.1", port=server.port, api_key=admin)
    assert owner.time_entries.start(description="keyed").running
    created = owner._json("POST", "keys", {"name": "reader", "scopes": ["read:*"]})
    reader = ActivityWatchClient("t", port=server.port, host="127.0.0.1", api_key=created["secret"])
    assert reader.time_entries.current() is not None
    with pytest.raises(Forbidden) as forbidden:
        reader.time_entries.stop()
    assert forbidden.value.status == 403 and forbidden.value.code


@contextmanager
def serve_json(status: int, body: object) -> Iterator[int]:
    """A server that answers every request with ``status`` and the JSON ``body``; its port."""
    payload = json.dumps(body).encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def answer(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PATCH = do_DELETE = answer  # noqa: N815

        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield httpd.server_address[1]
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_an_answer_of_another_shape_is_unexpected_not_a_key_error() -> None:
    with serve_json(200, [1, 2]) as port:
        client = ActivityWatchClient("t", host="127.0.0.1", port=port, timeout=10)
        with pytest.raises(UnexpectedAnswer, match="time entry"):
            client.time_entries.current()
        with pytest.raises(UnexpectedAnswer, match="page of projects"):
            client.projects.list()
    with serve_json(200, {"data": [{"id": "x"}], "meta": {}}) as port:
        client = ActivityWatchClient("t", host="127.0.0.1", port=port, timeout=10)
        with pytest.raises(UnexpectedAnswer):
            client.time_entries.list()


# -- the CLI -------------------------------------------------------------------------------------

CLOCK = r"(\d{4}-\d{2}-\d{2} )?\d{2}:\d{2}"
ELAPSED = r"\d+(s|m \d{2}s|h \d{2}m)"


def test_cli_timer_start_status_stop(
    server: ThreadedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    code, text = run(server, "projects", "create", "Website", "--color", "#3b82f6")
    assert code == EXIT_OK and re.fullmatch(
        r"Created project Website \(proj_\w+, #3b82f6\)\n", text
    )
    code, text = run(server, "timer", "start", "--project", "website", "Fixing", "the", "header")
    assert code == EXIT_OK
    assert re.fullmatch(rf'Started "Fixing the header" \(Website\) at {CLOCK}\n', text), text
    code, text = run(server, "timer", "status")
    assert re.fullmatch(
        rf'Running "Fixing the header" \(Website\) since {CLOCK}, {ELAPSED}\n', text
    ), text

    code, text = run(server, "timer", "start")  # stops the running one first, and says so
    first, second = text.splitlines()
    assert re.fullmatch(
        rf'Stopped "Fixing the header" \(Website\) after {ELAPSED} \({CLOCK}-{CLOCK}\)', first
    ), first
    assert re.fullmatch(rf"Started \(no description\) at {CLOCK}", second), second
    code, text = run(server, "timer", "stop")
    assert code == EXIT_OK and text.startswith("Stopped (no description) after ")

    code, text = run(server, "timer", "stop")
    assert (code, text, capsys.readouterr().err) == (
        EXIT_SERVER,
        "",
        "aw-client: no timer is running\n",
    )
    assert run(server, "timer", "status") == (EXIT_OK, "No timer running.\n")


def test_cli_timer_json_is_the_apis(server: ThreadedServer, api: Api) -> None:
    started = run_json(server, "timer", "start", "Writing")
    shown = api.get("time-entries/current").json()
    assert {**started, "duration": 0} == {**shown, "duration": 0}
    assert started["running"] is True and started["description"] == "Writing"
    assert run_json(server, "timer", "status")["id"] == started["id"]
    stopped = run_json(server, "timer", "stop")
    assert stopped == api.get(f"time-entries/{started['id']}").json()
    assert run_json(server, "timer", "status") is None
    listing = run_json(server, "timer", "list")
    assert listing == api.get("time-entries").json()
    assert listing["meta"] == {"page": 1, "per_page": 50, "total": 1, "total_pages": 1}
    created = run_json(server, "projects", "create", "Blog")
    assert run_json(server, "projects") == run_json(server, "projects", "list") == [created]
    assert [created] == api.get("projects").json()["data"]


def test_cli_global_options_go_anywhere(server: ThreadedServer) -> None:
    for argv in (
        ["--json", "timer", "status"],
        ["timer", "--json", "status"],
        ["timer", "status", "--json"],
    ):
        assert run(server, *argv) == (EXIT_OK, "null\n"), argv


def test_cli_unknown_project_is_one_line_exit_1(
    server: ThreadedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(server, "timer", "start", "--project", "proj_nope", "x") == (EXIT_SERVER, "")
    assert capsys.readouterr().err == (
        "aw-client: the server answered 400: there is no project 'proj_nope'\n"
    )
    assert run(server, "projects", "tasks", "nope") == (EXIT_NOT_FOUND, "")
    assert capsys.readouterr().err == "aw-client: not found: there is no project 'nope'\n"
    assert run(server, "projects", "create", "Bad", "--color", "blue")[0] == EXIT_SERVER
    assert "'color' must be a hex color" in capsys.readouterr().err


def test_cli_timer_list_dates_and_pages(
    server: ThreadedServer, client: ActivityWatchClient, capsys: pytest.CaptureFixture[str]
) -> None:
    project = client.projects.create("Website")
    for day in range(3):
        finished(client, day, f"day {day}", project.id)
    code, text = run(
        server, "timer", "list", "--start", "2024-03-04", "--end", "2024-03-05", "--per-page", "1"
    )
    lines = text.splitlines()
    assert code == EXIT_OK and lines[0].split() == [
        "id",
        "start",
        "(local)",
        "duration",
        "project",
        "description",
    ]
    assert lines[2].split()[-3:] == ["Website", "day", "1"] and "1h 00m" in lines[2]
    assert lines[-1] == "Page 1 of 2 (2 entries); --page 2 for more"
    code, text = run(server, "timer", "list", "--project", "Website", "--page", "9")
    assert text == "No time entries here. Page 9 of 1 (3 entries)\n"
    assert run(server, "timer", "list", "--start", "today") == (EXIT_OK, "No time entries.\n")

    assert run(server, "timer", "list", "--start", "2024-02-30") == (EXIT_USAGE, "")
    assert capsys.readouterr().err == (
        "aw-client: invalid date '2024-02-30' for --start: use YYYY-MM-DD, 'today' or 'yesterday'\n"
    )
    assert run(server, "timer", "list", "--start", "2024-03-06", "--end", "2024-03-04") == (
        EXIT_USAGE,
        "",
    )
    assert capsys.readouterr().err == "aw-client: --start must not be after --end\n"
    for bad in (["--page", "0"], ["--per-page", "501"], ["--page", "-1"]):
        with pytest.raises(SystemExit) as usage:
            run(server, "timer", "list", *bad)
        assert usage.value.code == EXIT_USAGE


def test_cli_tasks_by_name(server: ThreadedServer, client: ActivityWatchClient) -> None:
    code, text = run(server, "projects", "add-task", "Website", "Design")
    assert code == EXIT_NOT_FOUND  # no such project yet
    client.projects.create("Website")
    code, text = run(server, "projects", "add-task", "website", "Design")
    assert code == EXIT_OK and re.fullmatch(r"Added task Design \(task_\w+\)\n", text)
    code, text = run(server, "projects", "tasks", "Website")
    assert code == EXIT_OK and text.splitlines()[2].split()[1] == "Design"
    code, text = run(
        server, "timer", "start", "--project", "Website", "--task", "design", "Mockups"
    )
    assert code == EXIT_OK and '"Mockups" (Website / Design)' in text
    code, text = run(server, "timer", "list")
    assert "Website / Design" in text and "(running)" in text


def test_cli_against_a_server_without_the_timers_api(capsys: pytest.CaptureFixture[str]) -> None:
    """The official servers answer 404 with only a message: say what is missing."""
    with serve_json(404, {"message": "The requested URL was not found on the server."}) as port:
        assert main(["--port", str(port), "timer", "status"], io.StringIO()) == EXIT_NOT_FOUND
    assert capsys.readouterr().err == (
        "aw-client: not found: this server has no timers API (time entries, projects): "
        "The requested URL was not found on the server.\n"
    )


def test_cli_process_stop_without_a_timer_and_help(server: ThreadedServer) -> None:
    result = run_process(server.port, "timer", "stop")
    assert (result.returncode, result.stdout, result.stderr) == (
        1,
        "",
        "aw-client: no timer is running\n",
    )
    shown = run_process(server.port, "timer", "stop", "--help")
    words = " ".join(shown.stdout.split())  # argparse wraps lines
    assert shown.returncode == 0 and "no timer running says so and exits 1" in words
    assert "Exit codes: 0 ok, 1 the server refused the request (`timer stop`: no timer" in words


# -- the README ----------------------------------------------------------------------------------

README_SH = """\
aw-client projects create Website --color '#3b82f6'
aw-client timer start --project Website Fixing the header   # a project's id or name; a running timer stops first
aw-client timer status                              # Running "Fixing the header" (Website) since 14:03, 2m 10s
aw-client timer stop                                # with no timer running: says so and exits 1
aw-client timer list --start today --per-page 20    # newest first; --project, --end, --page; --json for scripts
aw-client projects                                  # also: projects tasks PROJECT, projects add-task PROJECT NAME
"""

README_PY = """\
from datetime import date

from aw_client import ActivityWatchClient, NoTimerRunning

client = ActivityWatchClient("timer-example", testing=True)

# Project names are unique: reuse the project on later runs.
projects = {p.name: p for p in client.projects.list()}
project = projects.get("Website") or client.projects.create("Website", color="#3b82f6")

# Starting a timer stops the one running; the AW web UI's Stopwatch page shows it too.
timer = client.time_entries.start(project_id=project.id, description="Fixing the header")
print("running since", timer.start)

entry = client.time_entries.stop()
print(entry.description, entry.duration)

try:
    client.time_entries.stop()
except NoTimerRunning as error:
    print(error.status, error.code)  # 409 no_timer_running

page = client.time_entries.list(project_id=project.id, start_date=date.today(), per_page=20)
print(page.total, "entries today")
for e in page:
    print(e.start, e.duration, e.description)
"""


def test_readme_cli_example(server: ThreadedServer) -> None:
    commands = [re.split(r"\s{2,}#", line)[0] for line in README_SH.splitlines()]
    script = "set -e\nexport PATH={}:$PATH\n{}\n".format(
        ROOT / ".venv" / "bin", "\n".join(f"{c} --port {server.port}" for c in commands)
    )
    result = subprocess.run(
        ["bash", "-c", script],
        env={**subprocess_env(), "TZ": "UTC"},  # `today` is a day of the server's zone (UTC)
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert 'Started "Fixing the header" (Website)' in result.stdout
    assert "Page 1 of 1 (1 entry)" in result.stdout and result.stderr == ""


def test_readme_library_example(
    server: ThreadedServer, isolated_dirs: dict[str, str], tmp_path: Path
) -> None:
    write_client_config(isolated_dirs, f"[server-testing]\nport = {server.port}\n")
    example = tmp_path / "timer_example.py"
    example.write_text(README_PY)
    for _ in range(2):  # a second run reuses the project
        result = subprocess.run(
            [sys.executable, str(example)],
            # date.today() is a day of the server's time zone (UTC here)
            env={**subprocess_env(), "PYTHONPATH": str(ROOT), "TZ": "UTC"},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        assert "409 no_timer_running" in result.stdout
    assert "2 entries today" in result.stdout
