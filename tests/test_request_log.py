"""The request log: every 4xx/5xx at INFO, every request with --verbose, secrets redacted."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import requests

from aw_core.log import get_latest_log_file
from aw_server.app import create_app
from aw_server.wsgi import redact_query, request_target
from tests.conftest import make_config, subprocess_env
from tests.liveserver import ServerProcess, free_port


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("api_key=s3cret&x=1", "api_key=[redacted]&x=1"),
        (
            "x=1&token=abc&KEY=k&Api%5Fkey=v",
            "x=1&token=[redacted]&KEY=[redacted]&Api%5Fkey=[redacted]",
        ),
        ("password=p&keys=fine&monkey=fine", "password=[redacted]&keys=fine&monkey=fine"),
        ("api_key", "api_key"),  # no value to hide
        ("", ""),
    ],
)
def test_redact_query(query: str, expected: str) -> None:
    assert redact_query(query) == expected


def test_request_target_is_decoded_and_cannot_forge_lines() -> None:
    # WSGI gives the raw UTF-8 bytes of the path as latin-1 text
    environ = {
        "PATH_INFO": "/api/0/buckets/日本\n[ERROR] forged".encode().decode("latin-1"),
        "QUERY_STRING": "token=t",
    }
    assert request_target(environ) == "/api/0/buckets/日本\\n[ERROR] forged?token=[redacted]"


def log_lines(server: ServerProcess) -> tuple[list[str], str, str]:
    """(messages from GET /api/0/log, the log file's text, the process's stderr)."""
    records = requests.get(f"{server.url}/api/0/log", timeout=5).json()
    path = get_latest_log_file("aw-server")
    assert path is not None
    return [r["message"] for r in records], Path(path).read_text(), server.output()


def test_errors_are_logged_at_info_and_secrets_never(isolated_dirs: dict[str, str]) -> None:
    server = ServerProcess(["--storage", "memory"], subprocess_env(), free_port()).start()
    try:
        base = f"{server.url}/api/0"
        # a key that is presented is checked, even on loopback and for a missing path: 401
        assert requests.get(f"{base}/nope?api_key=secret1&x=1", timeout=5).status_code == 401
        r = requests.get(f"{base}/buckets/missing/events?token=secret2", timeout=5)
        assert r.status_code == 404
        assert requests.get(f"{base}/info?key=secret3", timeout=5).status_code == 200
        messages, file_text, stderr = log_lines(server)
    finally:
        server.stop()
    expected = "GET /api/0/nope?api_key=[redacted]&x=1 401 "
    assert any(m.startswith(expected) and m.endswith(" ms 127.0.0.1") for m in messages)
    assert any(
        m.startswith("GET /api/0/buckets/missing/events?token=[redacted] 404") for m in messages
    )
    assert not any(m.startswith("GET /api/0/info") for m in messages)  # a 200 at INFO: no
    assert "failed authentication from 127.0.0.1: the API key is not valid" in messages
    for text in (file_text, stderr):
        assert expected in text and "GET /api/0/info" not in text
    for text in ("\n".join(messages), file_text, stderr):
        assert "secret" not in text


def test_verbose_logs_every_request(isolated_dirs: dict[str, str]) -> None:
    server = ServerProcess(
        ["--storage", "memory", "--verbose"], subprocess_env(), free_port()
    ).start()
    try:
        assert requests.get(f"{server.url}/api/0/info?token=secret", timeout=5).ok
        messages, file_text, _ = log_lines(server)
    finally:
        server.stop()
    assert any(m.startswith("GET /api/0/info?token=[redacted] 200 ") for m in messages)
    assert "[DEBUG]: GET /api/0/info?token=[redacted] 200 " in file_text
    assert "secret" not in file_text


def test_two_instances_never_share_a_log_file(isolated_dirs: dict[str, str]) -> None:
    """Started at once with the same directories, each server writes its own file."""
    first = ServerProcess(["--storage", "memory"], subprocess_env(), free_port())
    second = ServerProcess(["--storage", "memory"], subprocess_env(), free_port())
    first.start()
    second.start()
    first.stop()
    second.stop()
    log_dir = Path(isolated_dirs["XDG_CACHE_HOME"]) / "activitywatch" / "log" / "aw-server"
    files = sorted(log_dir.iterdir())
    assert first.proc is not None and second.proc is not None
    pids = {first.proc.pid, second.proc.pid}
    assert {int(p.name.rsplit("_", 1)[1].removesuffix(".log")) for p in files} == pids
    texts = [p.read_text() for p in files]
    assert sum(f"serving http://127.0.0.1:{first.port}" in t for t in texts) == 1
    assert sum(f"serving http://127.0.0.1:{second.port}" in t for t in texts) == 1


def test_the_log_names_the_client_a_trusted_proxy_reports(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="aw_server.requests")
    config = make_config(tmp_path)
    config.auth.trusted_proxies = ["127.0.0.1"]
    app = create_app(config)
    try:
        forwarded = {"X-Forwarded-For": "203.0.113.5"}
        assert app.test_client().get("/api/0/buckets/", headers=forwarded).status_code == 401
    finally:
        app.extensions["aw"].storage.close()
    assert any(
        m.startswith("GET /api/0/buckets/ 401 ") and m.endswith(" 203.0.113.5")
        for m in caplog.messages
    )
