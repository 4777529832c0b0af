"""Real HTTP servers for tests: waitress in a thread, or the CLI in a subprocess."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping
from pathlib import Path

import requests
from flask import Flask
from waitress import wasyncore
from waitress.server import create_server

from aw_server.webhooks.app import start_sender, stop_sender

ROOT = Path(__file__).resolve().parent.parent


class ThreadedServer:
    """Serve a Flask app with waitress on a free loopback port in a background thread."""

    def __init__(self, app: Flask, threads: int = 8) -> None:
        self.app = app
        # as the CLI serves: proxy headers reach the app (they make a request count as remote)
        self.server = create_server(
            app, host="127.0.0.1", port=0, threads=threads, clear_untrusted_proxy_headers=False
        )
        self.port: int = self.server.effective_port  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{self.port}"
        self._stopping = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        # Poll in short steps until asked to stop, then close every channel from this same
        # thread: closing them from another thread races with the poll (EBADF).
        channels = self.server._map  # type: ignore[union-attr]
        while not self._stopping.is_set():
            wasyncore.loop(timeout=0.05, map=channels, use_poll=True, count=1)
        for channel in list(channels.values()):
            channel.close()

    def start(self) -> ThreadedServer:
        self.thread.start()
        wait_until_ready(self.url)
        start_sender(self.app)  # webhook deliveries go out while the server serves
        return self

    def stop(self) -> None:
        streams = self.app.extensions.get("aw_devices_stream")
        if streams is not None:
            streams.close()  # open live streams end, so their threads can be joined
        stop_sender(self.app)
        self._stopping.set()
        self.thread.join(timeout=10)
        self.server.task_dispatcher.shutdown(timeout=5)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_ready(
    url: str, timeout: float = 15.0, proc: subprocess.Popen[bytes] | None = None
) -> None:
    """Poll GET /api/0/info until it answers (readiness, not a sleep)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            if requests.get(f"{url}/api/0/info", timeout=1).ok:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.02)
    raise TimeoutError(f"{url} did not become ready within {timeout}s")


class ServerProcess:
    """``python -m aw_server`` as a subprocess with its own environment (XDG dirs)."""

    def __init__(
        self, args: list[str], env: Mapping[str, str], port: int, *, pass_port: bool = True
    ) -> None:
        self.args = ["--port", str(port), *args] if pass_port else args
        self.env = dict(env)
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = tempfile.NamedTemporaryFile(prefix="aw-server-", suffix=".log", delete=False)  # noqa: SIM115

    def start(self, timeout: float = 20.0) -> ServerProcess:
        cmd = [sys.executable, "-m", "aw_server", *self.args]
        # a file, not a pipe: an unread pipe fills up and blocks the server's logging
        self.proc = subprocess.Popen(
            cmd, env=self.env, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT
        )
        wait_until_ready(self.url, timeout, self.proc)
        return self

    def stop(self, sig: int | None = None, timeout: float = 10.0) -> int:
        assert self.proc is not None
        if self.proc.poll() is None:
            if sig is None:
                self.proc.terminate()
            else:
                os.kill(self.proc.pid, sig)
        return self.proc.wait(timeout=timeout)

    def output(self) -> str:
        return Path(self.log.name).read_text(errors="replace")
