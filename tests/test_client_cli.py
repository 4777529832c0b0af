"""The aw-client command line against a live server."""

from __future__ import annotations

import argparse
import io
import json
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from aw_client.cli import main, parse_args, plural
from tests.conftest import Api, ev, subprocess_env, write_client_config
from tests.liveserver import ROOT, ThreadedServer, free_port
from tests.test_client import serve_html


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


def test_report_defaults_to_this_machine(server: ThreadedServer, api: Api) -> None:
    host = socket.gethostname()
    result = run_process(server.port, "report")
    assert result.returncode == 2
    assert f"no aw-watcher-window bucket for host {host!r}" in result.stderr
    api.create_bucket(f"aw-watcher-window_{host}", type="currentwindow", hostname=host)
    api.create_bucket(f"aw-watcher-afk_{host}", type="afkstatus", hostname=host)
    code, text = run(server, "report")
    assert code == 0 and f"Activity on {host}" in text and "Active time: 0s" in text


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
    assert code == 0 and "aw-watcher-window_laptop: 3 events imported, 0 already there" in text
    assert "aw-watcher-afk_laptop: 0 events imported, 1 already there" in text
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
        (["delete-bucket", "aw-watcher-afk_laptop"], 1, "needs --force unless"),
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
        assert "?force" not in result.stderr


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


# -- messages -----------------------------------------------------------------------------------


def test_plural() -> None:
    assert [plural(n, "event") for n in (0, 1, 2)] == ["0 events", "1 event", "2 events"]


def test_import_message_is_grammatical(server: ThreadedServer, api: Api, tmp_path: Path) -> None:
    api.create_bucket("one")
    api.post("buckets/one/events", ev("2024-01-01T09:00:00Z", 60))
    target = tmp_path / "one.json"
    assert run(server, "export", "one", "-o", str(target))[0] == 0
    api.delete("buckets/one?force=1")
    code, text = run(server, "import", str(target))
    assert code == 0 and text == "one: 1 event imported, 0 already there (created)\n"


# -- create-bucket and --create -------------------------------------------------------------------


def test_create_bucket_defaults_and_options(server: ThreadedServer, api: Api) -> None:
    code, text = run(server, "create-bucket", "plain")
    assert code == 0 and text == "Created bucket plain\n"
    code, text = run(server, "create-bucket", "plain", "--type", "other")
    assert code == 0 and text == "Bucket plain already exists (left unchanged)\n"
    bucket = api.get("buckets/plain").json()
    assert (bucket["type"], bucket["client"], bucket["hostname"]) == (
        "general",
        "aw-client-cli",
        socket.gethostname(),
    )
    code, text = run(
        server,
        "create-bucket",
        "chosen",
        "--type",
        "currentwindow",
        "--client",
        "my-watcher",
        "--hostname",
        "!local",
        "--json",
    )
    assert code == 0 and json.loads(text) == {"id": "chosen", "created": True}
    bucket = api.get("buckets/chosen").json()
    server_hostname = api.get("info").json()["hostname"]
    assert (bucket["type"], bucket["client"], bucket["hostname"]) == (
        "currentwindow",
        "my-watcher",
        server_hostname,
    )


def test_heartbeat_to_a_missing_bucket_suggests_create(server: ThreadedServer) -> None:
    result = run_process(server.port, "heartbeat", "my-bucket", '{"label": "working"}')
    assert result.returncode == 4
    assert result.stderr == (
        "aw-client: not found: There's no bucket named 'my-bucket'; add --create, "
        "or run `aw-client create-bucket my-bucket` first\n"
    )


def test_heartbeat_create(server: ThreadedServer, api: Api) -> None:
    for _ in range(2):  # the second time the bucket exists and is left as it is
        code, text = run(
            server, "--json", "heartbeat", "my-bucket", '{"label": "working"}', "--create"
        )
        assert code == 0 and json.loads(text)["data"] == {"label": "working"}
    bucket = api.get("buckets/my-bucket").json()
    assert (bucket["type"], bucket["client"]) == ("general", "aw-client-cli")
    assert api.get("buckets/my-bucket/events/count").json() == 1


# -- global options before or after the command ---------------------------------------------------

GLOBAL_OPTIONS = [["--host", "example.org"], ["--port", "5601"], ["--testing"], ["--json"], ["-v"]]


@pytest.mark.parametrize("option", GLOBAL_OPTIONS, ids=lambda o: o[0])
@pytest.mark.parametrize(
    "command", [["buckets"], ["events", "b", "--limit", "3"], ["delete-bucket", "b", "--force"]]
)
def test_global_options_parse_the_same_in_either_position(
    option: list[str], command: list[str]
) -> None:
    before = parse_args([*option, *command])
    after = parse_args([*command, *option])
    assert before == after
    assert before != parse_args(command)  # the option did something
    assert set(vars(parse_args(command))) == set(vars(before))  # every global has a default


def test_global_option_values(tmp_path: Path) -> None:
    args = parse_args(["buckets", "--host", "h", "--port", "5601", "--testing", "--json", "-v"])
    assert (args.host, args.port, args.testing, args.json, args.verbose) == (
        "h",
        5601,
        True,
        True,
        True,
    )
    assert parse_args(["--port", "1", "buckets", "--port", "2"]).port == 2  # the later one wins
    assert parse_args(["buckets"]) == argparse.Namespace(
        command="buckets",
        host=None,
        port=None,
        api_key=None,
        testing=False,
        json=False,
        verbose=False,
    )


def ordered(position: str, command: list[str], option: list[str]) -> list[str]:
    return [*option, *command] if position == "before" else [*command, *option]


@pytest.mark.parametrize("position", ["before", "after"])
def test_json_option_live(server: ThreadedServer, api: Api, position: str) -> None:
    api.create_bucket("b")
    out = io.StringIO()
    argv = ordered(position, ["buckets", "--port", str(server.port)], ["--json"])
    assert main(argv, out=out) == 0
    assert list(json.loads(out.getvalue())) == ["b"]


@pytest.mark.parametrize("position", ["before", "after"])
def test_port_and_host_options_live(server: ThreadedServer, position: str) -> None:
    assert main(ordered(position, ["buckets"], ["--port", str(server.port)]), io.StringIO()) == 0
    # the server listens on 127.0.0.1 only: another loopback address is refused
    other_host = ordered(position, ["buckets", "--port", str(server.port)], ["--host", "127.0.0.2"])
    assert main(other_host, io.StringIO()) == 3


@pytest.mark.parametrize("position", ["before", "after"])
def test_testing_option_live(
    isolated_dirs: dict[str, str], server: ThreadedServer, position: str
) -> None:
    write_client_config(
        isolated_dirs, f"[server]\nport = {free_port()}\n[server-testing]\nport = {server.port}\n"
    )
    assert main(ordered(position, ["buckets"], ["--testing"]), io.StringIO()) == 0
    assert main(["buckets"], io.StringIO()) == 3


@pytest.mark.parametrize("position", ["before", "after"])
def test_verbose_option_live(server: ThreadedServer, position: str) -> None:
    result = run_process(server.port, *ordered(position, ["buckets"], ["-v"]))
    assert result.returncode == 0 and "DEBUG" in result.stderr
    assert run_process(server.port, "buckets").stderr == ""


# -- a server that is not ActivityWatch -----------------------------------------------------------


@pytest.mark.parametrize("status", [200, 404, 500])
def test_foreign_web_server_is_one_line_exit_5(
    status: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export_file, import_file = tmp_path / "out.json", tmp_path / "in.json"
    import_file.write_text('{"buckets": {}}')
    with serve_html(status) as port:
        expected = (
            f"aw-client: http://127.0.0.1:{port} did not answer as an ActivityWatch server "
            f"(HTTP {status}, text/html); check --host and --port\n"
        )
        commands = [
            ["buckets"],
            ["events", "b"],
            ["heartbeat", "b", "{}"],
            ["create-bucket", "b"],
            ["report", "laptop"],
            ["import", str(import_file)],
            ["export", "-o", str(export_file)],
            ["timer", "status"],
            ["projects"],
        ]
        for argv in commands:
            assert main(["--port", str(port), *argv], io.StringIO()) == 5, argv
            assert capsys.readouterr().err == expected, argv
        assert not export_file.exists()
        result = run_process(port, "export")  # it used to end in a JSONDecodeError traceback
        assert (result.returncode, result.stderr, result.stdout) == (5, expected, "")


def test_export_cut_off_midway_leaves_no_file(tmp_path: Path) -> None:
    """The server goes away in the middle of an export: exit 3, one line, and no partial file
    that looks like an export."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)

        def answer_half() -> None:
            connection, _ = listener.accept()
            with connection:
                connection.recv(65536)
                connection.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    b'Content-Length: 100000\r\n\r\n{"buckets": {"a": '
                )

        thread = threading.Thread(target=answer_half, daemon=True)
        thread.start()
        target = tmp_path / "export.json"
        result = run_process(listener.getsockname()[1], "export", "-o", str(target))
        thread.join(10)
    assert result.returncode == 3, result.stderr
    assert "broke during the transfer" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and not target.exists()
