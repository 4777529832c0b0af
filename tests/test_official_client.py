"""The official aw-client 0.5.15 (in a separate venv) works against `aw-server --testing`."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.conftest import subprocess_env
from tests.liveserver import ServerProcess, free_port
from tests.official_client.make_venv import ensure

SCRIPT = Path(__file__).parent / "official_client" / "check_official_client.py"


def test_official_client_against_our_server() -> None:
    python = ensure()
    server = ServerProcess(["--testing"], subprocess_env(), free_port()).start()
    try:
        result = subprocess.run(
            [str(python), str(SCRIPT), str(server.port)],
            env=subprocess_env(),
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        server.stop()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "all checks passed" in result.stdout
