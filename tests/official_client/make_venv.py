"""Create (once) a separate venv with the official aw-client; print its python's path.

The official packages are named aw_core/aw_client like ours, so they never go into the
project's venv. Used by tests/test_official_client.py and by `make official-venv`.
"""

from __future__ import annotations

import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VENV = ROOT / ".cache" / "official-client-venv"
REQUIREMENT = "aw-client==0.5.15"


def python_path() -> Path:
    return VENV / "bin" / "python"


def ensure() -> Path:
    stamp = VENV / ".installed"
    if stamp.exists() and stamp.read_text() == REQUIREMENT:
        return python_path()
    venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    subprocess.run(
        [
            str(python_path()),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            REQUIREMENT,
        ],
        check=True,
    )
    stamp.write_text(REQUIREMENT)
    return python_path()


if __name__ == "__main__":
    print(ensure())
    sys.exit(0)
