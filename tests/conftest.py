from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from flask import Flask

from aw_server.app import create_app
from aw_server.config import Config
from aw_server.storage import MemoryStorage, SqliteStorage, Storage
from tests.liveserver import ThreadedServer

JSON = {"Content-Type": "application/json"}
NO_BODY = object()


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Point every user directory at tmp_path: no test touches the real home directory."""
    dirs = {}
    for var in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        path = tmp_path / "xdg" / var.lower()
        path.mkdir(parents=True)
        monkeypatch.setenv(var, str(path))
        dirs[var] = str(path)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return dirs


def write_client_config(isolated_dirs: dict[str, str], text: str) -> None:
    """Write aw-client/aw-client.toml in the isolated config dir."""
    path = Path(isolated_dirs["XDG_CONFIG_HOME"]) / "activitywatch" / "aw-client" / "aw-client.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def subprocess_env() -> dict[str, str]:
    """The current (isolated) environment, for servers and clients run as subprocesses."""
    return dict(os.environ)


@pytest.fixture(params=["memory", "sqlite"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Storage]:
    store: Storage = (
        MemoryStorage() if request.param == "memory" else SqliteStorage(tmp_path / "test.sqlite")
    )
    yield store
    store.close()


def make_config(tmp_path: Path, **overrides: object) -> Config:
    values: dict[str, object] = {
        "testing": False,
        "data_dir": str(tmp_path / "data"),
        "dbpath": str(tmp_path / "data" / "aw.sqlite"),
    }
    values.update(overrides)
    return Config(**values)  # type: ignore[arg-type]


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return make_config(tmp_path)


@pytest.fixture
def app(config: Config) -> Iterator[Flask]:
    app = create_app(config)
    yield app
    app.extensions["aw"].storage.close()


@pytest.fixture
def server(app: Flask) -> Iterator[ThreadedServer]:
    srv = ThreadedServer(app).start()
    yield srv
    srv.stop()


class Api:
    """A requests session bound to a live server's /api/0 with small helpers."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.session = requests.Session()

    def url(self, path: str) -> str:
        return f"{self.base}/api/0/{path.lstrip('/')}"

    def get(self, path: str, **kw: object) -> requests.Response:
        return self.session.get(self.url(path), timeout=30, **kw)  # type: ignore[arg-type]

    def post(self, path: str, body: object = NO_BODY, **kw: object) -> requests.Response:
        return self._send("POST", path, body, **kw)

    def put(self, path: str, body: object = NO_BODY, **kw: object) -> requests.Response:
        return self._send("PUT", path, body, **kw)

    def _send(self, method: str, path: str, body: object, **kw: object) -> requests.Response:
        if body is not NO_BODY:
            kw["data"] = json.dumps(body).encode()
            kw["headers"] = {**JSON, **kw.get("headers", {})}  # type: ignore[dict-item]
        return self.session.request(method, self.url(path), timeout=30, **kw)  # type: ignore[arg-type]

    def delete(self, path: str, **kw: object) -> requests.Response:
        return self.session.delete(self.url(path), timeout=30, **kw)  # type: ignore[arg-type]

    def create_bucket(self, bucket_id: str = "b", **fields: object) -> requests.Response:
        body = {"client": "test", "type": "test", "hostname": "host", **fields}
        return self.post(f"buckets/{bucket_id}", body)


@pytest.fixture
def api(server: ThreadedServer) -> Api:
    return Api(server.url)


def ev(
    ts: str, duration: float = 0, data: dict[str, object] | None = None, **kw: object
) -> dict[str, object]:
    """An event in its wire form."""
    return {"timestamp": ts, "duration": duration, "data": data if data is not None else {}, **kw}
