"""Starting the two servers side by side and reading their CPU time and memory from /proc."""

from __future__ import annotations

import os
import socket
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OFFICIAL_VENV = ROOT / "bench" / ".venv-official"
OFFICIAL_REQUIREMENTS = ["aw-server==0.12.0", "peewee<4", "flask<2.3"]
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def ensure_official_venv() -> Path:
    """The official server in its own venv (its packages are named like ours)."""
    python = OFFICIAL_VENV / "bin" / "python"
    stamp = OFFICIAL_VENV / ".installed"
    if not stamp.exists():
        subprocess.run(["python3", "-m", "venv", "--clear", str(OFFICIAL_VENV)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", *OFFICIAL_REQUIREMENTS], check=True
        )
        stamp.write_text("\n".join(OFFICIAL_REQUIREMENTS))
    return OFFICIAL_VENV / "bin" / "aw-server"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    name: str
    command: list[str]
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="aw-bench-")))
    startup_seconds: float = 0.0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = {
            **os.environ,
            "XDG_DATA_HOME": str(self.workdir / "data"),
            "XDG_CONFIG_HOME": str(self.workdir / "config"),
            "XDG_CACHE_HOME": str(self.workdir / "cache"),
            "XDG_STATE_HOME": str(self.workdir / "state"),
        }
        started = time.perf_counter()
        log = (self.workdir / "server.log").open("wb")
        self.proc = subprocess.Popen(
            [*self.command, "--port", str(self.port)],
            env=env,
            cwd=self.workdir,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = started + 60
        while time.perf_counter() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited; see {self.workdir / 'server.log'}")
            try:
                with urllib.request.urlopen(f"{self.base}/api/0/info", timeout=1) as response:
                    if response.status == 200:
                        self.startup_seconds = time.perf_counter() - started
                        return
            except OSError:
                time.sleep(0.01)
        raise TimeoutError(f"{self.name} did not start")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    def cpu_seconds(self) -> float:
        assert self.proc is not None
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS

    def memory_mib(self) -> tuple[float, float]:
        """(current RSS, peak RSS) in MiB."""
        assert self.proc is not None
        values = {}
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0]) / 1024
        return values["VmRSS"], values["VmHWM"]


def official_server() -> Server:
    return Server("official aw-server 0.12.0", [str(ensure_official_venv())])


def our_server() -> Server:
    return Server("this server", [str(ROOT / ".venv" / "bin" / "aw-server")])
