"""The OpenAPI document matches the app's routes, is valid, and the API browser works."""

from __future__ import annotations

import json
import re

import pytest
from flask import Flask
from jsonschema import Draft202012Validator

from aw_server.openapi import openapi_document
from tests.conftest import Api

METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}


def app_routes(app: Flask) -> set[tuple[str, str]]:
    routes = set()
    for rule in app.url_map.iter_rules():
        # every API route but the API's own description (/api/ and /api/openapi.json)
        if not rule.rule.startswith("/api/") or rule.endpoint.startswith("docs."):
            continue
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule)
        for method in (rule.methods or set()) & METHODS:
            routes.add((method.lower(), path))
    return routes


def documented_routes() -> set[tuple[str, str]]:
    return {
        (method, path)
        for path, item in openapi_document()["paths"].items()
        for method in item
        if method != "parameters"
    }


def test_every_route_is_documented_and_vice_versa(app: Flask) -> None:
    assert app_routes(app) == documented_routes()


def test_document_is_well_formed() -> None:
    doc = openapi_document()
    assert doc["openapi"].startswith("3.1")
    schemas = doc["components"]["schemas"]
    for schema in schemas.values():
        Draft202012Validator.check_schema(schema)  # each schema is valid JSON Schema
    refs = re.findall(r'"\$ref": "#/components/schemas/(\w+)"', json.dumps(doc))
    assert set(refs) <= set(schemas)
    for path, item in doc["paths"].items():
        for name in re.findall(r"{(\w+)}", path):
            params = item.get("parameters", [])
            assert any(p["name"] == name and p["in"] == "path" for p in params), (path, name)


def test_served_and_browser_page(api: Api) -> None:
    r = api.session.get(f"{api.base}/api/openapi.json", timeout=10)
    assert r.status_code == 200 and r.json()["paths"].keys() == openapi_document()["paths"].keys()
    page = api.session.get(f"{api.base}/api/", timeout=10)
    assert page.status_code == 200 and "API browser" in page.text and "openapi.json" in page.text


@pytest.mark.parametrize("schema_name", ["Event", "Bucket", "Info"])
def test_real_responses_match_their_schemas(api: Api, schema_name: str) -> None:
    doc = openapi_document()
    api.create_bucket("b")
    event = api.post(
        "buckets/b/events", {"timestamp": "2024-01-01T00:00:00Z", "duration": 1, "data": {}}
    ).json()
    samples = {
        "Event": event,
        "Bucket": api.get("buckets/b").json(),
        "Info": api.get("info").json(),
    }
    validator = Draft202012Validator({**doc["components"]["schemas"][schema_name], "$defs": {}})
    assert not list(validator.iter_errors(samples[schema_name]))
