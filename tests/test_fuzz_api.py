"""Property-based fuzzing of the whole HTTP API from its OpenAPI document (schemathesis).

Every operation gets generated requests, valid and invalid; no answer may be a 5xx, every
answer must match the documented status codes, content types and schemas, and the server must
still answer afterwards. `make test` runs a short pass (FUZZ_EXAMPLES, default 15 per operation),
`make fuzz` a long one.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings

from aw_server.app import create_app
from aw_server.openapi import openapi_document
from tests.conftest import make_config
from tests.liveserver import ThreadedServer

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "15"))
COUNTS = {"requests": 0, "server_errors": 0}
# A schema-valid request may still be refused on purpose (a random bucket id is a documented 404,
# a reversed range a 400), so the "positive data is accepted" check does not apply; every other
# check does (no 5xx, documented status codes, content types, headers, response schemas, invalid
# data rejected).
EXCLUDED_CHECKS: list[Any] = [schemathesis.checks.positive_data_acceptance]


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ThreadedServer]:
    path = Path(tmp_path_factory.mktemp("fuzz"))
    app = create_app(make_config(path, testing=True))
    app.extensions["aw_devices_stream"].lifetime = 0.5  # live streams end soon: answers complete
    srv = ThreadedServer(app).start()
    session = requests.Session()
    for bucket in ("fuzz", "string"):  # give generated paths something to find
        session.post(
            f"{srv.url}/api/0/buckets/{bucket}",
            json={"client": "c", "type": "t", "hostname": "h"},
            timeout=10,
        )
        session.post(
            f"{srv.url}/api/0/buckets/{bucket}/events",
            json=[{"timestamp": "2024-01-01T00:00:00Z", "duration": 1, "data": {}}],
            timeout=10,
        )
    yield srv
    srv.stop()


SCHEMA = schemathesis.openapi.from_dict(openapi_document())
OPERATIONS = {result.ok().label: result.ok() for result in SCHEMA.get_all_operations()}
POSITIVE, NEGATIVE = schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE


def _has_invalid_form(label: str) -> bool:
    """Whether a request to the operation can be made invalid: a body or a parameter other than
    a string path segment (whose only invalid value, empty, cannot be put in a URL) or one that
    accepts any value."""
    operation = OPERATIONS[label]
    params = [
        p
        for p in operation.iter_parameters()
        if not (p.location == "path" and p.raw_schema.get("type") == "string")
    ]
    return bool(params) or bool(operation.definition.raw.get("requestBody"))


CASES = [(label, POSITIVE) for label in sorted(OPERATIONS)] + [
    (label, NEGATIVE) for label in sorted(OPERATIONS) if _has_invalid_form(label)
]


@pytest.mark.parametrize(
    ("label", "mode"), CASES, ids=[f"{label} {mode.value}" for label, mode in CASES]
)
def test_api_conforms(fuzz_server: ThreadedServer, label: str, mode: Any) -> None:
    """Valid (positive) and invalid (negative) requests for one operation."""
    operation = OPERATIONS[label]
    session = requests.Session()

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def run(case: Any) -> None:
        response = case.call(base_url=fuzz_server.url, session=session, timeout=30)
        COUNTS["requests"] += 1
        if response.status_code >= 500:
            COUNTS["server_errors"] += 1
        case.validate_response(response, excluded_checks=EXCLUDED_CHECKS)

    run()


def test_server_still_answers_after_fuzzing(fuzz_server: ThreadedServer) -> None:
    assert requests.get(f"{fuzz_server.url}/api/0/info", timeout=10).status_code == 200
    assert COUNTS["server_errors"] == 0
    print(f"\nfuzzed {COUNTS['requests']} requests, {COUNTS['server_errors']} server errors")
