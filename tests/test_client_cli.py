"""The aw-client command line against a live server."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from aw_client.cli import main
from tests.conftest import Api, ev, subprocess_env, write_client_config
from tests.liveserver import ROOT, ThreadedServer, free_port


def run(server: ThreadedServer, *argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(["--port", str(server.port), *argv], out=out)
    return code, out.getvalue()


def run_process(
    port: int, *argv: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "aw_client", "--port", str(port), *argv],
        env={**subprocess_env(), "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def seeded(api: Api) -> Api:
    host = "laptop"
    api.create_bucket(f"aw-watcher-window_{host}", type="currentwindow", hostname=host)
    api.create_bucket(f"aw-watcher-afk_{host}", type="afkstatus", hostname=host)
    api.create_bucket(f"aw-watcher-web-firefox_{host}", type="web.tab.current", hostname=host)
    window = [
        ev("2024-01-01T09:00:00Z", 3600, {"app": "Code", "title": "main.py"}),
        ev("2024-01-01T10:00:00Z", 1800, {"app": "Firefox", "title": "GitHub"}),
        ev("2024-01-01T10:30:00Z", 600, {"app": "Slack", "title": "#general"}),
    ]
    api.post(f"buckets/aw-watcher-window_{host}/events", window)
    api.post(
        f"buckets/aw-watcher-afk_{host}/events",
        ev("2024-01-01T09:00:00Z", 7200, {"status": "not-afk"}),
    )
    api.post(
        f"buckets/aw-watcher-web-firefox_{host}/events",
        ev(
            "2024-01-01T10:00:00Z",
            1800,
            {"url": "https://github.com/x", "title": "GitHub", "audible": False},
        ),
    )
    classes = [
        {"id": 1, "name": ["Work", "Programming"], "rule": {"type": "regex", "regex": "Code"}},
        {"id": 2, "name": ["Comms"], "rule": {"type": "regex", "regex": "Slack"}},
    ]
    api.post("settings/classes", classes)
    return api


def test_buckets_and_events(server: ThreadedServer, seeded: Api) -> None:
    code, text = run(server, "buckets")
    assert code == 0 and "aw-watcher-window_laptop" in text and "currentwindow" in text
    code, text = run(server, "--json", "buckets")
    assert code == 0 and set(json.loads(text)) == {
        "aw-watcher-window_laptop",
        "aw-watcher-afk_laptop",
        "aw-watcher-web-firefox_laptop",
    }
    code, text = run(server, "events", "aw-watcher-window_laptop", "--limit", "2")
    assert code == 0 and "Slack" in text and "Firefox" in text and "main.py" not in text
    code, text = run(
        server,
        "--json",
        "events",
        "aw-watcher-window_laptop",
        "--start",
        "2024-01-01T10:15:00+00:00",
        "--end",
        "2024-01-01T10:20:00+00:00",
    )
    assert [e["duration"] for e in json.loads(text)] == [300.0]


def test_report(server: ThreadedServer, seeded: Api) -> None:
    code, text = run(
        server,
        "report",
        "laptop",
        "--start",
        "2024-01-01T00:00:00+00:00",
        "--end",
        "2024-01-02T00:00:00+00:00",
    )
    assert code == 0, text
    assert "Active time: 1h 40m" in text
    assert "Work > Programming" in text and "Comms" in text
    assert text.index("Code") < text.index("Firefox") < text.index("Slack")
    assert "github.com" in text
    code, text = run(
        server,
        "--json",
        "report",
        "laptop",
        "--start",
        "2024-01-01T00:00:00+00:00",
        "--end",
        "2024-01-02T00:00:00+00:00",
    )
    assert json.loads(text)["window"]["duration"] == 6000.0


def test_heartbeat_and_query(server: ThreadedServer, api: Api, tmp_path: Path) -> None:
    api.create_bucket("hb")
    code, text = run(server, "--json", "heartbeat", "hb", '{"app": "x"}', "--pulsetime", "60")
    assert code == 0 and json.loads(text)["data"] == {"app": "x"}
    program = tmp_path / "q.txt"
    program.write_text('RETURN = query_bucket_eventcount("hb");')
    code, text = run(server, "--json", "query", str(program), "--start", "today", "--end", "now")
    assert code == 0 and json.loads(text) == 1
    result = run_process(
        server.port, "query", "-", "--start", "yesterday", stdin='RETURN = query_bucket("hb");'
    )
    assert result.returncode == 0 and '"app": "x"' in result.stdout


def test_export_import_delete(server: ThreadedServer, seeded: Api, tmp_path: Path) -> None:
    target = tmp_path / "export.json"
    code, _ = run(server, "export", "-o", str(target))
    assert code == 0 and len(json.loads(target.read_text())["buckets"]) == 3
    code, text = run(server, "delete-bucket", "aw-watcher-window_laptop", "--force")
    assert code == 0 and "Deleted" in text
    code, text = run(server, "import", str(target))
    assert code == 0 and "aw-watcher-window_laptop: 3 events imported" in text
    code, text = run(server, "--json", "import", str(target))
    assert json.loads(text)["buckets"]["aw-watcher-window_laptop"]["skipped"] == 3
    result = run_process(server.port, "export", "aw-watcher-afk_laptop")
    assert result.returncode == 0 and list(json.loads(result.stdout)["buckets"]) == [
        "aw-watcher-afk_laptop"
    ]


def test_exit_codes_and_one_line_errors(
    server: ThreadedServer, seeded: Api, tmp_path: Path
) -> None:
    cases = [
        (["events", "no-such-bucket"], 4, "not found"),
        (["delete-bucket", "aw-watcher-afk_laptop"], 1, "force"),
        (["heartbeat", "aw-watcher-afk_laptop", "not json"], 2, "DATA_JSON"),
        (["report", "other-host"], 2, "no aw-watcher-window bucket"),
        (["query", str(tmp_path / "missing.txt")], 2, "cannot read"),
        (["events", "aw-watcher-afk_laptop", "--start", "whenever"], 2, "invalid time"),
        (["query", "-", "--start", "now", "--end", "yesterday"], 2, "--start must be before --end"),
    ]
    for argv, code, message in cases:
        result = run_process(server.port, *argv, stdin="RETURN = 1;")
        assert result.returncode == code, (argv, result.stderr)
        assert message in result.stderr and "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1


def test_unreachable_server() -> None:
    result = run_process(free_port(), "buckets")
    assert result.returncode == 3
    assert "Is the server running?" in result.stderr and "Traceback" not in result.stderr


def test_bad_usage_is_exit_2() -> None:
    result = run_process(free_port(), "no-such-command")
    assert result.returncode == 2


def test_readme_watcher_example_runs(isolated_dirs: dict[str, str], tmp_path: Path) -> None:
    """examples/watcher.py (shown in the README) works against a testing server."""
    from aw_server.app import create_app
    from tests.conftest import make_config

    srv = ThreadedServer(create_app(make_config(tmp_path, testing=True))).start()
    try:
        write_client_config(isolated_dirs, f'[server-testing]\nport = "{srv.port}"\n')
        result = subprocess.run(
            [sys.executable, str(ROOT / "examples" / "watcher.py")],
            env={**subprocess_env(), "PYTHONPATH": str(ROOT)},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        lines = result.stdout.strip().splitlines()
        assert lines[:5] == [f"Sending heartbeat {i}" for i in range(5)]
        assert "non-heartbeat event" in lines[5] and "'heartbeat'" in lines[6]
        assert "0:00:04" in lines[6] or "0:00:03.9" in lines[6]
        assert Api(srv.url).get("buckets/").json() == {}
    finally:
        srv.stop()
