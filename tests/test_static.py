from __future__ import annotations

from pathlib import Path

import pytest

from aw_server.app import create_app
from tests.conftest import make_config
from tests.liveserver import ThreadedServer


@pytest.fixture
def site(tmp_path: Path) -> ThreadedServer:
    webui = tmp_path / "webui"
    (webui / "js").mkdir(parents=True)
    (webui / "index.html").write_text("<html>official webui</html>")
    (webui / "js" / "app.js").write_text("console.log(1)")
    (webui / "logo.png").write_bytes(b"\x89PNG")
    page = tmp_path / "page"
    page.mkdir()
    (page / "index.html").write_text("custom page")
    (page / "style.css").write_text("body{}")
    (tmp_path / "secret.txt").write_text("secret")
    config = make_config(tmp_path, webui_path=str(webui), custom_static={"vis": str(page)})
    srv = ThreadedServer(create_app(config)).start()
    yield srv
    srv.stop()


def get(srv: ThreadedServer, path: str) -> tuple[int, str]:
    import requests

    r = requests.get(srv.url + path, timeout=10)
    return r.status_code, r.text


def test_webui_path_served_at_root(site: ThreadedServer) -> None:
    assert get(site, "/") == (200, "<html>official webui</html>")
    assert get(site, "/js/app.js") == (200, "console.log(1)")
    assert get(site, "/logo.png")[0] == 200
    assert get(site, "/missing.js")[0] == 404


def test_custom_static_pages(site: ThreadedServer) -> None:
    assert get(site, "/pages/") == (200, '["vis"]')
    assert get(site, "/pages/vis/") == (200, "custom page")
    assert get(site, "/pages/vis/style.css") == (200, "body{}")
    assert get(site, "/pages/other/")[0] == 404


@pytest.mark.parametrize(
    "path",
    [
        "/pages/vis/../../secret.txt",
        "/pages/vis/%2e%2e/%2e%2e/secret.txt",
        "/../secret.txt",
        "/%2e%2e/secret.txt",
        "/pages/vis/..%2f..%2fsecret.txt",
    ],
)
def test_no_path_traversal(site: ThreadedServer, path: str) -> None:
    import socket

    # send the raw path: requests would normalise the dots away
    with socket.create_connection(("127.0.0.1", site.port), timeout=10) as sock:
        sock.sendall(
            f"GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".encode()
        )
        response = b""
        while chunk := sock.recv(65536):
            response += chunk
    assert b" 200 " not in response.split(b"\r\n", 1)[0] or b"secret" not in response
    assert b"secret" not in response.split(b"\r\n\r\n", 1)[-1]


def test_builtin_page_without_webui_path(tmp_path: Path) -> None:
    srv = ThreadedServer(create_app(make_config(tmp_path))).start()
    try:
        status, text = get(srv, "/")
        assert status == 200 and "/js/app.js" in text
        status, script = get(srv, "/js/app.js")
        assert status == 200 and "hashchange" in script
    finally:
        srv.stop()


def test_default_classes_are_served_from_the_core_package(site: ThreadedServer) -> None:
    """One file holds the default category rules: the dashboard fetches it (even when another
    web UI is served at /), and no dashboard script carries a copy of the rules."""
    import json

    from aw_core.categories import default_classes
    from aw_server.static_files import BUILTIN_STATIC

    defaults = default_classes()
    status, text = get(site, "/default-classes.json")
    assert status == 200 and json.loads(text) == defaults
    assert defaults and all(isinstance(c["name"], list) and c["rule"]["regex"] for c in defaults)
    for script in (BUILTIN_STATIC / "js").rglob("*.js"):
        source = script.read_text(encoding="utf-8")
        assert not any(c["rule"]["regex"] in source for c in defaults), script.name
