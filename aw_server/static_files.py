"""Static files: the web UI at / (built-in page or --webui-path) and custom pages under /pages/."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Flask, Response, abort, send_from_directory
from werkzeug.routing import PathConverter

import aw_core
from aw_core.categories import DEFAULT_CLASSES_FILE
from aw_server.config import Config
from aw_server.http import json_response

BUILTIN_STATIC = Path(__file__).parent / "static"
# The default category rules, one file shared by the dashboard and `aw-client report`.
CORE_DIR = Path(aw_core.__file__).parent


class NonApiPath(PathConverter):
    """A path that does not start with ``api/``, so API paths answer 404/405 as JSON."""

    regex = r"(?!api(?:/|$))[^/].*?"


def register_static(app: Flask, config: Config) -> None:
    app.url_map.converters["nonapi"] = NonApiPath
    webui = Path(config.webui_path) if config.webui_path else BUILTIN_STATIC
    pages = {name: Path(path) for name, path in config.custom_static.items()}
    bp = Blueprint("static_files", __name__)

    @bp.get("/")
    def index() -> Response:
        return send_from_directory(webui, "index.html")

    @bp.get("/pages/")
    def list_pages() -> Response:
        return json_response(sorted(pages))

    @bp.get("/pages/<name>/")
    @bp.get("/pages/<name>/<path:filename>")
    def page(name: str, filename: str = "index.html") -> Response:
        if name not in pages:
            abort(404)
        # send_from_directory refuses paths that escape the directory (404).
        return send_from_directory(pages[name], filename)

    @bp.get("/default-classes.json")
    def default_classes() -> Response:
        return send_from_directory(CORE_DIR, DEFAULT_CLASSES_FILE)

    @bp.get("/<nonapi:filename>")
    def webui_file(filename: str) -> Response:
        return send_from_directory(webui, filename)

    app.register_blueprint(bp)
