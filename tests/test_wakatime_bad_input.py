"""Bad input to the WakaTime heartbeat API: every refusal is a clear JSON 4xx (never a 500), and
what is refused leaves the database as it was (the raw table's rows and the events of every
WakaTime bucket are compared before and after)."""

from __future__ import annotations

import http.client
import random
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from aw_server.app import create_app
from tests.conftest import make_config
from tests.test_wakatime_support import WakaServer, heartbeat, post_paths, waka_server

PATH = "/api/v1/users/current/heartbeats.bulk"
MACHINE = {"X-Machine-Name": "devbox"}


@pytest.fixture
def srv(tmp_path: Path) -> Iterator[WakaServer]:
    """A server holding two heartbeats of devbox already (one event of 30 s)."""
    with waka_server(tmp_path) as server:
        now = time.time() - 600
        server.send([heartbeat(now), heartbeat(now + 30)])
        yield server


def _refused(
    srv: WakaServer,
    status: int,
    *,
    body: object = None,
    raw: bytes | None = None,
    headers: dict[str, str] | None = None,
    path: str = PATH,
) -> dict[str, Any]:
    """POST; the answer must be ``status`` with a JSON message, and nothing may change."""
    before = srv.state()
    r = srv.request("POST", path, body=body, raw=raw, headers={**MACHINE, **(headers or {})})
    assert r.status_code == status, r.text
    assert r.headers["Content-Type"].startswith("application/json")
    answer: dict[str, Any] = r.json()
    assert isinstance(answer["message"], str) and answer["message"]
    assert srv.state() == before
    return answer


def _item_error(answer: dict[str, Any]) -> str:
    """The error text of the only heartbeat of a whole-request 400."""
    ((result, status),) = answer["responses"]
    assert status == 400 and result["data"] is None
    error: str = result["error"]
    return error


# --- the body ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        (b"", "empty"),
        (b"   \n", "empty"),
        (b"{not json", "not valid JSON"),
        (b'[{"entity": "a"', "not valid JSON"),
        (b"\xff\xfe[]", "not valid JSON"),
        (b'["\xff"]', "not valid JSON"),
        (b'[{"entity": "\\ud800", "type": "file", "time": 1}]', "not valid JSON"),
        (b"[" * 5000 + b"]" * 5000, "not valid JSON"),
        (b'[{"time": NaN}]', "not valid JSON"),
        (b'[{"time": Infinity}]', "not valid JSON"),
        (b'[{"time": 1' + b"0" * 400 + b"}]", "not valid JSON"),
        (b"null", "got null"),
        (b'"a heartbeat"', "got a string"),
        (b"42", "got a number"),
        (b"true", "got a boolean"),
        (b"[]", "no heartbeats"),
    ],
)
def test_a_body_that_is_no_heartbeat_or_array_is_a_400(
    srv: WakaServer, raw: bytes, says: str
) -> None:
    answer = _refused(srv, 400, raw=raw)
    assert says in answer["message"], answer


@pytest.mark.parametrize("path", post_paths())
def test_every_path_refuses_a_bad_body_alike(srv: WakaServer, path: str) -> None:
    for raw in (b"{not json", b"null", b"[]", b"7"):
        _refused(srv, 400, raw=raw, path=path)


@pytest.mark.parametrize(
    "body",
    [
        {"foo": "bar"},
        {"heartbeats": [heartbeat(time.time() - 60)]},
        [1, "x", None, [], True],
        [{"entity": "/a.py"}],
    ],
    ids=["object", "wrapped", "scalars", "partial"],
)
def test_objects_that_are_no_heartbeat_are_a_400_per_item(srv: WakaServer, body: object) -> None:
    answer = _refused(srv, 400, body=body)
    count = len(body) if isinstance(body, list) else 1
    assert [status for _, status in answer["responses"]] == [400] * count
    assert all(isinstance(result["error"], str) for result, _ in answer["responses"])


# --- each field ----------------------------------------------------------------------------------

DAY = 86_400
WRONG: dict[str, list[Any]] = {
    "entity": [None, 1, 1.5, True, [], {}, "", "   ", "a\x00b", "x" * 4097],
    "type": [None, 1, True, [], {}, "", "spreadsheet", "file\x00"],
    "time": [
        None,
        True,
        [],
        {},
        "",
        "abc",
        "NaN",
        "nan",
        "Infinity",
        "-inf",
        "1e400",
        "0x10",
        0,
        -5,
        "0",
        1e300,
        1e30,
        2.0**64,
        1e-300,
        "yesterday",
    ],
    "category": [1, True, [], {}, "a\x00", "x" * 1025],
    "project": [1, True, [], {}, "a\x00", "x" * 1025],
    "branch": [1, True, [], {}, "a\x00", "x" * 1025],
    "language": [1, True, [], {}, "a\x00", "x" * 1025],
    "user_agent": [1, True, [], {}, "a\x00", "x" * 1025],
    "is_write": [2, -1, 0.5, "yes", "", [], {}],
    "lineno": ["x", "1.5", -1, 1.5, True, [], {}, 2**63, "9" * 30, float("1e20")],
    "cursorpos": ["x", -1, True, [], {}, 2**53],
    "lines": ["x", -1, True, [], {}],
    "line_additions": ["x", -1, True, [], {}],
    "line_deletions": ["x", -1, True, [], {}],
    "project_root_count": ["x", -1, True, [], {}],
    "dependencies": [
        "flask",
        1,
        True,
        {},
        [1],
        [None],
        [[]],
        ["a\x00"],
        ["x" * 1025],
        ["d"] * 1001,
    ],
}


@pytest.mark.parametrize("field", list(WRONG))
def test_a_wrong_value_in_any_field_is_that_heartbeats_400(srv: WakaServer, field: str) -> None:
    """Alone, it is a whole-request 400 naming the field; beside a valid heartbeat, the valid
    one is stored and the bad one answered 400 in its place."""
    for value in WRONG[field]:
        beat = heartbeat(time.time() - 60, **{field: value})
        if value is None:
            del beat[field]  # missing: as bad as null for the required fields
        error = _item_error(_refused(srv, 400, body=[beat]))
        assert f"'{field}'" in error, (value, error)
    good = heartbeat(time.time() - 30, "/good.py")
    r = srv.post(PATH, [good, {**good, field: WRONG[field][1]}], headers=MACHINE)
    assert r.status_code == 201, r.text
    assert [status for _, status in r.json()["responses"]] == [201, 400]


@pytest.mark.parametrize("field", ["time", "lineno", "lines", "cursorpos", "project_root_count"])
@pytest.mark.parametrize("digits", [20, 30, 310])
def test_integers_beyond_64_bits(srv: WakaServer, field: str, digits: int) -> None:
    """JSON numbers no 64-bit integer holds: a 400 for the heartbeat, or for the body when
    not even a double holds them."""
    beat = heartbeat(time.time() - 60, **{field: "BIG"})
    raw = orjson.dumps([beat]).replace(b'"BIG"', b"1" + b"0" * digits)
    answer = _refused(srv, 400, raw=raw)
    if digits < 309:
        assert f"'{field}'" in _item_error(answer)
    else:
        assert "not valid JSON" in answer["message"]


@pytest.mark.parametrize("value", [None, ""])
def test_null_and_empty_optional_fields_are_absent(srv: WakaServer, value: object) -> None:
    optional = ["category", "project", "branch", "language", "lineno", "cursorpos", "lines"]
    if value is None:
        optional.append("is_write")  # "" is neither true nor false: that is an error
    fields: dict[str, Any] = dict.fromkeys(optional, value)
    r = srv.send([heartbeat(time.time() - 60, **fields)])
    data = r.json()["responses"][0][0]["data"]
    assert data["category"] == "coding"
    assert all(data[name] is None for name in optional if name != "category")


@pytest.mark.parametrize(
    ("offset", "says"),
    [
        (2 * 3600, "more than 1 hour in the future"),
        (-181 * DAY, "older than the accepted 180 days"),
    ],
)
def test_times_outside_the_accepted_window(srv: WakaServer, offset: float, says: str) -> None:
    error = _item_error(_refused(srv, 400, body=[heartbeat(time.time() + offset)]))
    assert says in error, error


def test_times_just_inside_the_window_are_accepted(srv: WakaServer) -> None:
    r = srv.send([heartbeat(time.time() + 3500), heartbeat(time.time() - 179 * DAY)])
    assert [status for _, status in r.json()["responses"]] == [201, 201]


def test_an_unknown_type_is_a_per_item_400(srv: WakaServer) -> None:
    good = heartbeat(time.time() - 30, "/good.py")
    r = srv.post(PATH, [{**good, "type": "spreadsheet"}, good], headers=MACHINE)
    assert r.status_code == 201, r.text
    (bad, _), (ok, _) = r.json()["responses"]
    assert "'type' must be one of file, app, domain, url, event" in bad["error"]
    assert ok["data"]["entity"] == "/good.py"


def test_a_megabyte_entity_is_a_per_item_400(srv: WakaServer) -> None:
    huge = heartbeat(time.time() - 30, "/" + "x" * 1_000_000)
    error = _item_error(_refused(srv, 400, body=[huge]))
    assert error == "'entity' is longer than 4096 characters"
    r = srv.post(PATH, [huge, heartbeat(time.time() - 20, "/ok.py")], headers=MACHINE)
    assert [status for _, status in r.json()["responses"]] == [400, 201]
    assert len(r.content) < 10_000  # the answer does not echo the megabyte


def test_ten_thousand_heartbeats_are_refused_whole(srv: WakaServer) -> None:
    """More than 1,000 heartbeats in one request (the Go CLI sends at most 25 per request and
    1,000 per run) is a 413 for the whole request: none of them is stored, not even the first
    thousand; a client splits its queue."""
    base = time.time() - 3000
    beats = [heartbeat(base + i * 0.25, f"/f{i % 7}.py") for i in range(10_000)]
    answer = _refused(srv, 413, body=beats)
    assert "10000 heartbeats" in answer["message"] and "1000" in answer["message"]
    _refused(srv, 413, body=beats[:1001])
    r = srv.post(PATH, beats[:1000], headers=MACHINE)
    assert r.status_code == 201 and len(r.json()["responses"]) == 1000


def test_placeholders_with_no_previous_heartbeat_are_null_not_an_error(tmp_path: Path) -> None:
    with waka_server(tmp_path) as server:
        beat = heartbeat(
            time.time() - 60,
            project="<<LAST_PROJECT>>",
            language="<<LAST_LANGUAGE>>",
            branch="<<LAST_BRANCH>>",
        )
        r = server.send([beat], "fresh-machine")
        data = r.json()["responses"][0][0]["data"]
        assert (data["project"], data["language"], data["branch"]) == (None, None, None)


# --- who posts, and from where -------------------------------------------------------------------


def test_a_read_key_posting_is_a_403(tmp_path: Path) -> None:
    with waka_server(tmp_path, policy="required") as server:
        writer = server.key(preset="wakatime")
        server.request(
            "POST",
            PATH,
            body=[heartbeat(time.time() - 60)],
            headers={**MACHINE, "Authorization": f"Bearer {writer}"},
        )
        server.session.headers["Authorization"] = f"Bearer {writer}"
        before = server.state()
        reader = server.key("read:*")
        r = server.request(
            "POST",
            PATH,
            body=[heartbeat(time.time() - 30)],
            headers={**MACHINE, "Authorization": f"Bearer {reader}"},
        )
        assert r.status_code == 403, r.text
        assert r.json()["code"] == "forbidden"
        assert "append:aw-watcher-wakatime_devbox" in r.json()["message"]
        assert server.state() == before


def test_someone_elses_user_is_a_404(srv: WakaServer) -> None:
    for path in post_paths("mallory"):
        if "mallory" in path:
            answer = _refused(srv, 404, body=[heartbeat(time.time() - 60)], path=path)
            assert "mallory" in answer["message"]


def _post_with_machine(srv: WakaServer, machine: bytes) -> tuple[int, bytes]:
    """POST with raw header bytes (requests refuses to send some of them)."""
    body = orjson.dumps([heartbeat(time.time() - 60)])
    conn = http.client.HTTPConnection("127.0.0.1", srv.server.port, timeout=30)
    try:
        conn.putrequest("POST", PATH)
        conn.putheader("X-Machine-Name", machine)
        conn.putheader("Content-Type", "application/json")
        conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


@pytest.mark.parametrize(
    "machine",
    [b"a" * 1024, b"a" * 256, b"dev/box", b"dev\tbox", "dev\u0085box".encode()],
    ids=["1KB", "256", "slash", "tab", "C1"],
)
def test_a_machine_name_a_bucket_cannot_hold_is_a_400(srv: WakaServer, machine: bytes) -> None:
    before = srv.state()
    status, body = _post_with_machine(srv, machine)
    assert status == 400, body
    assert "X-Machine-Name" in orjson.loads(body)["message"]
    assert srv.state() == before


@pytest.mark.parametrize(
    "machine", [b"dev\x00box", b"dev\x01box", b"dev\x7fbox"], ids=["NUL", "SOH", "DEL"]
)
def test_a_machine_name_with_nul_is_a_400(srv: WakaServer, machine: bytes) -> None:
    """waitress refuses such a header line itself (its own plain-text 400); behind a proxy that
    passes it, the API's JSON 400 answers it."""
    before = srv.state()
    status, _ = _post_with_machine(srv, machine)
    assert status == 400
    assert srv.state() == before
    app = create_app(make_config(srv.dbpath().parent / "direct", storage="memory"))
    client = app.test_client()
    r = client.post(
        PATH,
        data=orjson.dumps([heartbeat(time.time() - 60)]),
        headers={"X-Machine-Name": machine.decode("latin-1")},
    )
    assert r.status_code == 400
    assert "control characters" in r.get_json()["message"]
    assert app.extensions["aw_wakatime_store"].machines() == []


def test_a_bad_key_is_a_401_with_a_message(srv: WakaServer) -> None:
    for headers, params in [
        ({"Authorization": "Basic bm90LWEta2V5"}, None),
        ({"Authorization": "Bearer not-a-key"}, None),
        ({}, {"api_key": "not-a-key"}),
    ]:
        before = srv.state()
        r = srv.request(
            "POST",
            PATH,
            body=[heartbeat(time.time() - 60)],
            headers={**MACHINE, **headers},
            params=params,
        )
        assert r.status_code == 401, r.text
        assert r.json()["message"]
        assert srv.state() == before


def test_the_server_still_answers_after_all_that(srv: WakaServer) -> None:
    for raw in (b"\x00" * 100, b"[" * 2000, b'{"entity": []}', b'[{"time": 1' + b"0" * 21 + b"}]"):
        assert srv.request("POST", PATH, raw=raw, headers=MACHINE).status_code in (400, 413)
    assert srv.send([heartbeat(time.time() - 10)]).status_code == 201


def _random_value(rng: random.Random) -> Any:
    return rng.choice(
        [
            None,
            True,
            rng.randint(-(2**63), 2**63 - 1),
            rng.random() * 10 ** rng.randint(-5, 12),
            "",
            "<<LAST_PROJECT>>",
            "".join(chr(rng.randint(1, 0x2FFF)) for _ in range(rng.randint(1, 20))),
            [],
            [rng.random()],
            {"nested": {}},
            str(time.time() - rng.randint(0, 10**6)),
        ]
    )


def test_random_heartbeats_never_give_a_500(srv: WakaServer) -> None:
    """Valid heartbeats with random values in random fields, in batches: every answer is a
    201 or a 400, with a 201 or 400 per item, in order."""
    rng = random.Random(2024)
    fields = [*WRONG, "plugin", "machine_name", "id"]
    for _ in range(40):
        batch = []
        for _ in range(rng.randint(1, 25)):
            beat = heartbeat(time.time() - rng.randint(0, 86_400), f"/f{rng.randint(0, 5)}.py")
            for field in rng.sample(fields, rng.randint(0, 3)):
                beat[field] = _random_value(rng)
            batch.append(beat)
        r = srv.post(PATH, batch, headers=MACHINE)
        assert r.status_code in (201, 400), r.text
        statuses = [status for _, status in r.json()["responses"]]
        assert len(statuses) == len(batch) and set(statuses) <= {201, 400}
    assert srv.get("/api/v1/users/current/summaries", range="last_7_days").status_code == 200
