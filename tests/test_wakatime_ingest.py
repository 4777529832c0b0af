"""The input side of the WakaTime API: recorded client requests in, normalised heartbeats out;
every malformed field a clear per-heartbeat error, every unusable body a whole-request error."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import orjson
import pytest

from aw_server.service import validate_bucket_id
from aw_server.wakatime.ingest import (
    MAX_ITEMS,
    BodyError,
    ItemError,
    TooManyHeartbeats,
    machine_name,
    parse_body,
    parse_item,
)
from aw_server.wakatime.model import Heartbeat
from aw_server.wakatime.useragent import canonical_editor, canonical_os, editor_and_os
from aw_server.wakatime.view import bucket_id
from tests.fixtures.wakatime import RecordedRequest, load, names

DAY_US = 86_400_000_000
MAX_AGE_US = 180 * DAY_US
NOW_US = 1_796_000_000_000_000  # 2026-11-30 01:33:20 UTC
GO_UA = "wakatime/v1.90.0 (linux-6.5.0-amd64) go1.21.5 vscode/1.85.1 vscode-wakatime/24.4.0"
VIM_UA = "wakatime/13.1.0 (Linux-6.1.0-x86_64-with-glibc2.36) Python3.9.18.final.0 vim/9.0 vim-wakatime/1.0"


def parse_request(request: RecordedRequest) -> list[Heartbeat]:
    """Parse a recorded request as the API does, at a moment just after its latest heartbeat."""
    machine = machine_name(request.wsgi_header("X-Machine-Name"))
    now_us = round((request.latest_time() + 60) * 1e6)
    return [
        parse_item(
            item,
            machine=machine,
            header_user_agent=request.wsgi_header("User-Agent"),
            now_us=now_us,
            max_age_us=MAX_AGE_US,
        )
        for item in parse_body(request.body.encode())
    ]


def item(**fields: Any) -> dict[str, Any]:
    """A valid Go CLI heartbeat, with ``fields`` replacing (or, as None-removed, dropping) keys."""
    base: dict[str, Any] = {
        "entity": "/home/ann/proj/main.py",
        "type": "file",
        "category": "coding",
        "time": NOW_US / 1e6 - 30,
        "project": "proj",
        "branch": "main",
        "language": "Python",
        "user_agent": GO_UA,
    }
    base.update(fields)
    return base


def parse(obj: object, header_user_agent: str | None = GO_UA, machine: str = "devbox") -> Heartbeat:
    return parse_item(
        obj,
        machine=machine,
        header_user_agent=header_user_agent,
        now_us=NOW_US,
        max_age_us=MAX_AGE_US,
    )


def without(key: str) -> dict[str, Any]:
    body = item()
    del body[key]
    return body


# --- recorded requests ------------------------------------------------------------------


@pytest.mark.parametrize("name", names())
def test_every_recorded_request_parses_into_valid_heartbeats(name: str) -> None:
    request = load(name)
    heartbeats = parse_request(request)
    assert len(heartbeats) == len(request.heartbeats())
    for heartbeat in heartbeats:
        assert heartbeat.category  # never null after normalisation
        assert heartbeat.user_agent
        assert heartbeat.editor is not None or request.name == "go_cli_unknown_plugin"
        assert heartbeat.os is not None


def test_legacy_cli_request_as_recorded() -> None:
    [heartbeat] = parse_request(load("legacy_cli_recorded"))
    assert heartbeat == Heartbeat(
        machine="devbox",
        time_us=1_795_456_403_247_878,
        entity="/home/ann/proj/somefile.py",
        type="file",
        category="coding",  # null in the request
        project="proj",
        branch="feature-x",
        language="Python",
        editor="Vim",
        os="Linux",
        is_write=True,
        lines=2,
        dependencies=(),
        user_agent=VIM_UA,
    )


def test_legacy_cli_string_numbers_and_extra_heartbeat() -> None:
    request = load("legacy_cli_lineno_extra")
    assert request.path == "/api/v1"  # the legacy CLI posts to api_url verbatim
    assert request.heartbeats()[0]["lineno"] == "2"
    main, extra = parse_request(request)
    assert (main.lineno, main.cursorpos, main.lines) == (2, 5, 2)
    assert main.category == "debugging"
    assert extra.project == main.project == "MyProj"  # inherited by the extra heartbeat
    assert extra.category == "coding"
    assert extra.dependencies == ("flask", "requests")
    assert (extra.lineno, extra.cursorpos, extra.is_write) == (3, 1, False)
    assert extra.time_us > main.time_us


def test_legacy_cli_domain_heartbeat() -> None:
    [heartbeat] = parse_request(load("legacy_cli_domain"))
    assert (heartbeat.type, heartbeat.entity, heartbeat.category) == (
        "domain",
        "github.com",
        "browsing",
    )
    assert heartbeat.project is heartbeat.language is heartbeat.branch is None
    assert (heartbeat.editor, heartbeat.os) == ("Vim", "Linux")


def test_legacy_cli_utf8_machine_name_arrives_mis_decoded_and_is_repaired() -> None:
    request = load("legacy_cli_utf8_machine")
    assert request.wsgi_header("X-Machine-Name") == "cafÃ©-laptop"
    [heartbeat] = parse_request(request)
    assert heartbeat.machine == "café-laptop"


def test_legacy_cli_offline_queue_sends_the_older_heartbeat_last() -> None:
    [live] = parse_request(load("legacy_cli_sync_live"))
    [queued] = parse_request(load("legacy_cli_sync_queued"))
    assert queued.time_us < live.time_us
    assert queued.entity.endswith("other.py") and queued.is_write is True


def test_go_cli_bulk_of_25() -> None:
    request = load("go_cli_bulk_25")
    heartbeats = parse_request(request)
    assert len(heartbeats) == 25
    first = heartbeats[0]
    assert first.time_us == 1_795_990_029_500_000
    assert (first.editor, first.os, first.machine) == ("VS Code", "Linux", "devbox")
    assert (first.lineno, first.cursorpos, first.lines, first.project_root_count) == (
        10,
        100,
        310,
        5,
    )
    assert first.dependencies == ("orjson",)
    assert first.is_write is None and first.line_additions is None  # omitted by omitempty
    writes = [h for h in heartbeats if h.is_write]
    assert len(writes) == 5
    assert all(h.line_additions is not None and h.line_deletions is not None for h in writes)
    assert [h.time_us for h in heartbeats] == sorted(h.time_us for h in heartbeats)
    assert {h.category for h in heartbeats} == {"coding", "debugging"}
    assert len({h.digest() for h in heartbeats}) == 25


def test_go_cli_without_plugin_has_no_editor() -> None:
    [heartbeat] = parse_request(load("go_cli_unknown_plugin"))
    assert (heartbeat.editor, heartbeat.os) == (None, "macOS")
    assert heartbeat.machine == "anns-macbook.local"
    assert heartbeat.is_write is False


def test_browser_extension_bulk_drops_placeholders_of_domains_and_urls() -> None:
    request = load("browser_extension_bulk")
    assert request.heartbeats()[0]["project"] == "<<LAST_PROJECT>>"
    domain, url, figma = parse_request(request)
    assert domain.time_us == 1_795_993_300_125_000  # from the string "1795993300.125"
    assert (domain.type, domain.category, domain.project, domain.branch) == (
        "domain",
        "browsing",
        None,
        None,
    )
    assert (url.type, url.project, url.branch) == ("url", None, None)
    assert (figma.category, figma.project, figma.language) == (
        "designing",
        "landing-page",
        "Figma Design",
    )
    # the extension's own user agent (sent as 'plugin') wins over the browser's header
    assert (domain.editor, domain.os) == ("Chrome", "Linux")
    assert domain.user_agent == "Chrome/131.0.0.0 linux_x86-64 chrome-wakatime/4.0.10"


def test_browser_extension_single_object() -> None:
    [heartbeat] = parse_request(load("browser_extension_single"))
    assert heartbeat.machine == "unknown"  # no X-Machine-Name
    assert heartbeat.time_us == 1_795_993_600_000_000
    assert (heartbeat.editor, heartbeat.os, heartbeat.project) == ("Firefox", "Windows", None)


def test_rebased_request_moves_times_and_keeps_their_form() -> None:
    request = load("browser_extension_bulk")
    moved = request.rebased(NOW_US / 1e6)
    times = [h["time"] for h in moved.heartbeats()]
    assert times == ["1795999799.125", "1795999920.5", "1795999999.875"]  # whole seconds moved
    heartbeats = [parse(h, header_user_agent=None) for h in moved.heartbeats()]
    assert heartbeats[0].time_us == 1_795_999_799_125_000
    assert abs(heartbeats[-1].time_us - NOW_US) <= 500_000


# --- normalisation ----------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["file", "app", "domain", "url", "event"])
def test_placeholders_are_kept_for_files_only(kind: str) -> None:
    heartbeat = parse(
        item(
            type=kind,
            project="<<LAST_PROJECT>>",
            language="<<LAST_LANGUAGE>>",
            branch="<<LAST_BRANCH>>",
        )
    )
    expected = (
        ("<<LAST_PROJECT>>", "<<LAST_LANGUAGE>>", "<<LAST_BRANCH>>")
        if kind == "file"
        else (None, None, None)
    )
    assert (heartbeat.project, heartbeat.language, heartbeat.branch) == expected


@pytest.mark.parametrize(
    ("kind", "language", "category", "expected"),
    [
        ("file", "Python", None, "coding"),
        ("file", None, None, "coding"),
        ("file", "Python", "", "coding"),
        ("domain", None, None, "browsing"),
        ("url", None, "  ", "browsing"),
        ("app", None, None, "coding"),
        ("event", None, None, "coding"),
        ("domain", None, "designing", "designing"),
        ("file", "Python", " Debugging ", "debugging"),
        ("file", "Python", "writing tests", "writing tests"),
    ],
)
def test_category_defaults(
    kind: str, language: str | None, category: str | None, expected: str
) -> None:
    assert parse(item(type=kind, language=language, category=category)).category == expected


def test_missing_category_key_defaults_too() -> None:
    assert parse(without("category")).category == "coding"


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"lineno": "2", "cursorpos": " 5 ", "lines": "10"}, (2, 5, 10)),
        ({"lineno": 2, "cursorpos": 5.0, "lines": 0}, (2, 5, 0)),
        ({"lineno": None, "cursorpos": "", "lines": "+7"}, (None, None, 7)),
    ],
)
def test_numbers_sent_as_strings_are_coerced(
    fields: dict[str, Any], expected: tuple[int | None, ...]
) -> None:
    heartbeat = parse(item(**fields))
    assert (heartbeat.lineno, heartbeat.cursorpos, heartbeat.lines) == expected


def test_line_counts_and_project_roots_are_coerced() -> None:
    heartbeat = parse(item(line_additions="3", line_deletions=1, project_root_count="4"))
    assert (heartbeat.line_additions, heartbeat.line_deletions, heartbeat.project_root_count) == (
        3,
        1,
        4,
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, True),
        (False, False),
        (None, None),
        ("true", True),
        (" FALSE", False),
        (1, True),
        (0, False),
    ],
)
def test_is_write_forms(value: object, expected: bool | None) -> None:
    assert parse(item(is_write=value)).is_write is expected


@pytest.mark.parametrize(
    ("value", "expected_us"),
    [
        (1795456403.2478778, 1_795_456_403_247_878),
        ("1795456403.2478778", 1_795_456_403_247_878),
        (1795993600, 1_795_993_600_000_000),
        ("1795993600", 1_795_993_600_000_000),
        (" 1795993300.125 ", 1_795_993_300_125_000),
        ("1.7959936e9", 1_795_993_600_000_000),
        (NOW_US / 1e6 + 3600, NOW_US + 3_600_000_000),  # exactly 1 h ahead: accepted
        ((NOW_US - MAX_AGE_US) / 1e6, NOW_US - MAX_AGE_US),  # exactly max age: accepted
    ],
)
def test_time_forms(value: object, expected_us: int) -> None:
    assert parse(item(time=value)).time_us == expected_us


def test_strings_are_stripped_and_empty_ones_are_absent() -> None:
    heartbeat = parse(item(project="  proj ", branch="", language="   "))
    assert (heartbeat.project, heartbeat.branch, heartbeat.language) == ("proj", None, None)


def test_type_is_case_insensitive() -> None:
    assert parse(item(type=" File")).type == "file"


def test_unknown_keys_are_ignored() -> None:
    heartbeat = parse(item(id="0b0f6a64", ai_line_changes=3, alternate_project="x"))
    assert heartbeat.project == "proj"


def test_dependencies_keep_their_order() -> None:
    assert parse(item(dependencies=["b", "a", "b"])).dependencies == ("b", "a", "b")
    assert parse(item(dependencies=None)).dependencies == ()


def test_the_heartbeats_own_user_agent_wins_over_the_header() -> None:
    heartbeat = parse(item(user_agent=VIM_UA), header_user_agent=GO_UA)
    assert (heartbeat.editor, heartbeat.os, heartbeat.user_agent) == ("Vim", "Linux", VIM_UA)


def test_what_the_own_user_agent_does_not_name_comes_from_the_header() -> None:
    # wakatime-cli's own test data carries a bare "wakatime/13.0.6" per heartbeat
    heartbeat = parse(item(user_agent="wakatime/13.0.6"), header_user_agent=GO_UA)
    assert (heartbeat.editor, heartbeat.os, heartbeat.user_agent) == (
        "VS Code",
        "Linux",
        "wakatime/13.0.6",
    )


def test_plugin_field_is_the_user_agent_when_there_is_none() -> None:
    heartbeat = parse(
        item(user_agent=None, plugin="Firefox/133.0 win_x86-64 firefox-wakatime/3.0.22"),
        header_user_agent=None,
    )
    assert (heartbeat.editor, heartbeat.os) == ("Firefox", "Windows")
    assert heartbeat.user_agent == "Firefox/133.0 win_x86-64 firefox-wakatime/3.0.22"


def test_header_user_agent_is_used_and_kept_when_the_heartbeat_has_none() -> None:
    heartbeat = parse(without("user_agent"), header_user_agent=GO_UA)
    assert (heartbeat.editor, heartbeat.user_agent) == ("VS Code", GO_UA)
    assert parse(without("user_agent"), header_user_agent=None).user_agent is None


def test_an_overlong_header_user_agent_is_cut_not_an_error() -> None:
    heartbeat = parse(without("user_agent"), header_user_agent=GO_UA + " x" * 2000)
    assert heartbeat.user_agent is not None and len(heartbeat.user_agent) == 1024
    assert heartbeat.editor == "VS Code"


def test_machine_is_the_given_one() -> None:
    assert parse(item(), machine="café-laptop").machine == "café-laptop"


# --- per-heartbeat errors ---------------------------------------------------------------

BAD_ITEMS: list[tuple[object, str]] = [
    ([], "must be a JSON object, got an array"),
    ("file", "must be a JSON object, got a string"),
    (5, "must be a JSON object, got a number"),
    (None, "must be a JSON object, got null"),
    (without("entity"), "'entity' is required"),
    (item(entity=None), "'entity' is required"),
    (item(entity=5), "'entity' must be a string, got a number"),
    (item(entity=["a"]), "'entity' must be a string, got an array"),
    (item(entity=""), "'entity' must not be empty"),
    (item(entity="   "), "'entity' must not be empty"),
    (item(entity="x" * 4097), "'entity' is longer than 4096 characters"),
    (item(entity="x" * 1_000_000), "'entity' is longer than 4096 characters"),
    (item(entity="a\x00b"), "'entity' must not contain a NUL"),
    (without("type"), "'type' is required"),
    (item(type="folder"), "'type' must be one of file, app, domain, url, event"),
    (item(type=3), "'type' must be a string, got a number"),
    (item(type=""), "'type' must be one of"),
    (without("time"), "'time' is required"),
    (item(time=None), "'time' is required"),
    (item(time=True), "'time' must be a number of epoch seconds, got a boolean"),
    (item(time=False), "'time' must be a number of epoch seconds, got a boolean"),
    (item(time=math.nan), "'time' must be a finite number"),
    (item(time=math.inf), "'time' must be a finite number"),
    (item(time=-math.inf), "'time' must be a finite number"),
    (item(time="nan"), "'time' must be a number of epoch seconds"),
    (item(time="NaN"), "'time' must be a number of epoch seconds"),
    (item(time="inf"), "'time' must be a number of epoch seconds"),
    (item(time="-Infinity"), "'time' must be a number of epoch seconds"),
    (item(time="1e400"), "'time' must be a finite number"),
    (item(time=10**400), "'time' must be a finite number"),
    (item(time=1e300), "'time' is more than 1 hour in the future"),
    (item(time="1e300"), "'time' is more than 1 hour in the future"),
    (item(time=1e29), "'time' is more than 1 hour in the future"),
    (item(time=0), "'time' must be after 1970-01-01"),
    (item(time="0"), "'time' must be after 1970-01-01"),
    (item(time=0.0), "'time' must be after 1970-01-01"),
    (item(time=-5), "'time' must be after 1970-01-01"),
    (item(time="-1795993600"), "'time' must be after 1970-01-01"),
    (item(time=""), "'time' must be a number of epoch seconds"),
    (item(time="abc"), "'time' must be a number of epoch seconds, got \"abc\""),
    (item(time="1_795_993_600"), "'time' must be a number of epoch seconds"),
    (item(time="0x1F"), "'time' must be a number of epoch seconds"),
    (item(time="١٧٩٥٩٩٣٦٠٠"), "'time' must be a number of epoch seconds"),
    (item(time=[1795993600]), "'time' must be a number of epoch seconds, got an array"),
    (item(time={"s": 1}), "'time' must be a number of epoch seconds, got an object"),
    (item(time=NOW_US / 1e6 + 3600.01), "'time' is more than 1 hour in the future"),
    (item(time=(NOW_US - MAX_AGE_US) / 1e6 - 1), "'time' is older than the accepted 180 days"),
    (item(time=1.0), "'time' is older than the accepted 180 days"),
    (item(lineno="abc"), "'lineno' must be a whole number from 0 to"),
    (item(lineno=-1), "'lineno' must be a whole number"),
    (item(lineno="-1"), "'lineno' must be a whole number"),
    (item(lineno=1.5), "'lineno' must be a whole number"),
    (item(lineno="1.0"), "'lineno' must be a whole number"),
    (item(lineno=True), "'lineno' must be a whole number"),
    (item(lineno=[]), "'lineno' must be a whole number"),
    (item(lineno=2**53), "'lineno' must be a whole number"),
    (item(lineno=math.nan), "'lineno' must be a whole number"),
    (item(cursorpos="x"), "'cursorpos' must be a whole number"),
    (item(lines={}), "'lines' must be a whole number"),
    (item(line_additions="many"), "'line_additions' must be a whole number"),
    (item(line_deletions=-3), "'line_deletions' must be a whole number"),
    (item(project_root_count="two"), "'project_root_count' must be a whole number"),
    (item(dependencies="flask"), "'dependencies' must be a list of strings, got a string"),
    (item(dependencies={"flask": 1}), "'dependencies' must be a list of strings, got an object"),
    (item(dependencies=[1]), "'dependencies' must be a list of strings, holds a number"),
    (item(dependencies=[None]), "'dependencies' must be a list of strings, holds null"),
    (item(dependencies=["x" * 1025]), "each of 'dependencies' must have at most 1024"),
    (item(dependencies=["a\x00"]), "each of 'dependencies' must have at most 1024"),
    (item(dependencies=["x"] * 1001), "'dependencies' holds more than 1000 names"),
    (item(is_write="maybe"), "'is_write' must be true, false or null, got \"maybe\""),
    (item(is_write="yes"), "'is_write' must be true, false or null"),
    (item(is_write=2), "'is_write' must be true, false or null"),
    (item(is_write=1.5), "'is_write' must be true, false or null"),
    (item(is_write=[]), "'is_write' must be true, false or null"),
    (item(project=5), "'project' must be a string or null, got a number"),
    (item(project=True), "'project' must be a string or null, got a boolean"),
    (item(project=["p"]), "'project' must be a string or null, got an array"),
    (item(project="p" * 1025), "'project' is longer than 1024 characters"),
    (item(project="p\x00"), "'project' must not contain a NUL"),
    (item(branch=1), "'branch' must be a string or null"),
    (item(language={}), "'language' must be a string or null, got an object"),
    (item(category=7), "'category' must be a string or null"),
    (item(user_agent=3), "'user_agent' must be a string or null"),
    (item(user_agent="u" * 1025), "'user_agent' is longer than 1024 characters"),
    (item(user_agent=None, plugin=["p"]), "'plugin' must be a string or null"),
]


@pytest.mark.parametrize(("obj", "message"), BAD_ITEMS, ids=[m for _, m in BAD_ITEMS])
def test_bad_heartbeat_is_a_clear_item_error(obj: object, message: str) -> None:
    with pytest.raises(ItemError) as caught:
        parse(obj)
    assert message in str(caught.value)
    assert len(str(caught.value)) < 200  # a 1 MB entity is not echoed back


def test_item_error_is_a_value_error_and_not_a_body_error() -> None:
    assert issubclass(ItemError, ValueError) and not issubclass(ItemError, BodyError)


# --- whole-request errors ---------------------------------------------------------------

BAD_BODIES: list[tuple[bytes, str]] = [
    (b"", "the request body is empty"),
    (b"  \n", "the request body is empty"),
    (b"{not json", "not valid JSON"),
    (b'[{"time": NaN}]', "not valid JSON"),  # orjson refuses NaN/Infinity literals
    (b'[{"time": Infinity}]', "not valid JSON"),
    (b'[{"time": 1e400}]', "not valid JSON"),
    (b"\xff\xfe[]", "not valid JSON"),
    (b"[]", "the array holds no heartbeats"),
    (b"5", "expected a heartbeat object or an array of them, got a number"),
    (b'"entity"', "got a string"),
    (b"null", "got null"),
    (b"true", "got a boolean"),
]


@pytest.mark.parametrize(("raw", "message"), BAD_BODIES, ids=[m for _, m in BAD_BODIES])
def test_bad_body_is_a_whole_request_400(raw: bytes, message: str) -> None:
    with pytest.raises(BodyError) as caught:
        parse_body(raw)
    assert message in str(caught.value)
    assert caught.value.status == 400
    assert not isinstance(caught.value, TooManyHeartbeats)


def test_too_many_heartbeats_is_a_413() -> None:
    raw = orjson.dumps([item()] * (MAX_ITEMS + 1))
    with pytest.raises(TooManyHeartbeats) as caught:
        parse_body(raw)
    assert caught.value.status == 413
    assert "1001 heartbeats" in str(caught.value)
    assert len(parse_body(orjson.dumps([item()] * MAX_ITEMS))) == MAX_ITEMS


def test_ten_thousand_heartbeats_are_refused_whole() -> None:
    with pytest.raises(TooManyHeartbeats):
        parse_body(orjson.dumps([item()] * 10_000))


def test_body_forms() -> None:
    assert parse_body(orjson.dumps(item())) == [item()]  # one object: a list of one
    assert parse_body(b'[{"entity": "a"}, 5]') == [{"entity": "a"}, 5]  # items checked later


# --- machine names ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, "unknown"),
        ("", "unknown"),
        ("   ", "unknown"),
        ("devbox", "devbox"),
        (" devbox ", "devbox"),
        ("café-laptop".encode().decode("latin-1"), "café-laptop"),  # UTF-8 seen through WSGI
        ("caf\xe9", "café"),  # a latin-1 byte that is no UTF-8: kept
        ("日本のPC", "日本のPC"),  # already decoded text: kept
        ("é" * 255, "é" * 255),
        (("é" * 255).encode().decode("latin-1"), "é" * 255),  # 510 bytes, 255 characters
    ],
)
def test_machine_name(header: str | None, expected: str) -> None:
    assert machine_name(header) == expected


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("dev\x00box", "control characters"),
        ("dev\tbox", "control characters"),
        ("dev\x7fbox", "control characters"),
        ("\x80", "control characters"),
        ("home/laptop", "'/'"),  # a bucket id cannot hold it; no two machines share a bucket
        ("/", "'/'"),
        ("m" * 256, "longer than 255 characters"),
        ("m" * 1024, "longer than 255 characters"),
    ],
)
def test_bad_machine_name_is_a_whole_request_error(header: str, message: str) -> None:
    with pytest.raises(BodyError) as caught:
        machine_name(header)
    assert message in str(caught.value)
    assert caught.value.status == 400


@pytest.mark.parametrize("header", ["devbox", "a" * 255, "café-laptop", "unknown", "!local", None])
def test_every_accepted_machine_name_makes_a_valid_bucket_id(header: str | None) -> None:
    assert validate_bucket_id(bucket_id(machine_name(header)))


# --- digest -----------------------------------------------------------------------------


def test_digest_is_stable() -> None:
    [heartbeat] = parse_request(load("legacy_cli_recorded"))
    [again] = parse_request(load("legacy_cli_recorded"))
    assert heartbeat.digest() == again.digest()
    # Stored rows are unique on this value: a change of the scheme would let replays in twice.
    # It is sha256 of the compact JSON ["devbox","/home/ann/proj/somefile.py","file","coding",
    # "proj","feature-x","Python",true,1795456403247878].
    assert heartbeat.digest() == "88a75da587f6cbc5a8d896217854654d42a943345179dbe2d7f8871745c3cb23"


def test_digest_ignores_how_time_was_written() -> None:
    as_number = parse(item(time=1795993300.125))
    as_string = parse(item(time="1795993300.125"))
    assert as_number.digest() == as_string.digest()


HASHED_CHANGES: list[dict[str, Any]] = [
    {"machine": "other"},
    {"entity": "/home/ann/proj/other.py"},
    {"type": "app"},
    {"category": "debugging"},
    {"project": "other"},
    {"project": None},
    {"branch": "dev"},
    {"language": "Go"},
    {"is_write": True},
    {"is_write": False},
    {"time_us": NOW_US - 30_000_000 + 1},
]


@pytest.mark.parametrize("change", HASHED_CHANGES, ids=lambda c: repr(c))
def test_digest_differs_when_a_hashed_field_differs(change: dict[str, Any]) -> None:
    heartbeat = parse(item())
    assert heartbeat.is_write is None
    assert replace(heartbeat, **change).digest() != heartbeat.digest()


UNHASHED_CHANGES: list[dict[str, Any]] = [
    {"editor": "Vim"},
    {"os": "Windows"},
    {"lineno": 7},
    {"cursorpos": 8},
    {"lines": 9},
    {"line_additions": 1},
    {"line_deletions": 1},
    {"project_root_count": 2},
    {"dependencies": ("flask",)},
    {"user_agent": "other/1"},
]


@pytest.mark.parametrize("change", UNHASHED_CHANGES, ids=lambda c: repr(c))
def test_digest_ignores_volatile_fields(change: dict[str, Any]) -> None:
    heartbeat = parse(item())
    assert replace(heartbeat, **change).digest() == heartbeat.digest()


# --- user agents ------------------------------------------------------------------------

USER_AGENTS: list[tuple[str | None, str | None, str | None]] = [
    (VIM_UA, "Vim", "Linux"),
    (GO_UA, "VS Code", "Linux"),
    ("wakatime/v1.90.0 (darwin-23.1.0-arm64) go1.21.5 Unknown/0", None, "macOS"),
    (
        "wakatime/v1.90.0 (windows-10.0.19045-amd64) go1.21.5 vscode/1.85.1 vscode-wakatime/24.4.0",
        "VS Code",
        "Windows",
    ),
    (
        "wakatime/13.1.0 (Windows-10-10.0.19041-SP0) Python3.9.13.final.0 vim/9.0 vim-wakatime/1.0",
        "Vim",
        "Windows",
    ),
    (
        "wakatime/13.1.0 (macOS-14.1-arm64-arm-64bit) Python3.9.6.final.0 emacs-wakatime/1.0.2",
        "Emacs",
        "macOS",
    ),
    (
        "wakatime/13.0.4 (Darwin-22.1.0-x86_64-i386-64bit) Python3.7.6.final.0 emacs-wakatime/1.0.2",
        "Emacs",
        "macOS",
    ),
    (
        "wakatime/v1.106.1 (linux-5.15.167.4-microsoft-standard-WSL2-unknown) go1.23.3 cursor/1.93.1 vscode-wakatime/24.9.2",
        "Cursor",
        "WSL",
    ),
    (
        "wakatime/13.1.0 (Linux-5.15.90.1-microsoft-standard-WSL2-x86_64-with-glibc2.35) Python3.10.12.final.0 vim/8.2 vim-wakatime/9.0",
        "Vim",
        "WSL",
    ),
    (
        "wakatime/v1.90.0 (linux-4.4.0-19041-Microsoft-amd64) go1.21.5 vim/8.1 vim-wakatime/9.0",
        "Vim",
        "WSL",
    ),
    (
        "wakatime/v1.98.0 (darwin-23.5.0-arm64) go1.22.5 IntelliJ/2023.1 intellij-wakatime/14.1.0",
        "IntelliJ IDEA",
        "macOS",
    ),
    (
        "wakatime/v1.98.0 (linux-6.5.0-amd64) go1.22.5 intellij-wakatime/14.1.0",
        "IntelliJ IDEA",
        "Linux",
    ),
    (
        "wakatime/v1.102.0 (Windows-11-10.0.22631-SP0) Java21.0.2 IntelliJ/2024.3.1 IntelliJ-wakatime/15.1.0",
        "IntelliJ IDEA",
        "Windows",
    ),
    (
        "wakatime/v1.53.3 (windows-10.0.19041.1415-unknown) go1.18.3 Python/2022.2 Python-wakatime/14.0.6",
        "PyCharm",
        "Windows",
    ),
    (
        "wakatime/1.139.1 (linux-6.18.8-unknown) go1.25.5 helix/25.07.1 (74075bb5) wakatime-ls/0.2.2 helix-wakatime/0.2.2",
        "Helix",
        "Linux",
    ),
    (
        "wakatime/v1.130.1 (windows-10.0.19045.6093-x86_64) go1.24.4 Python/unknown windows-wakatime/2.1.7",
        None,
        "Windows",
    ),
    (
        "wakatime/v1.90.0 (freebsd-14.0-amd64) go1.21.5 windsurf/1.0 windsurf-wakatime/1.0",
        "Windsurf",
        "FreeBSD",
    ),
    ("wakatime/0.1.7 (web) web EasyEDAPro/2.2.34.6 easyeda-wakatime/0.1.7", "EasyEDAPro", None),
    (
        "wakatime/v1.90.0 (linux-6.5.0-amd64) go1.21.5 future-editor/1.0.0 vscode-wakatime/30.2.1",
        "Future-editor",
        "Linux",
    ),
    ("Chrome/129.0.0.0 mac_x86-64 chrome-wakatime/4.0.6", "Chrome", "macOS"),
    ("Chrome/131.0.0.0 cros_x86-64 chrome-wakatime/4.0.10", "Chrome", "ChromeOS"),
    ("Firefox/139.0 linux_x86-64 firefox-wakatime/4.1.0", "Firefox", "Linux"),
    ("Firefox/139.0 win_x86-64", "Firefox", "Windows"),
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/116.0.0.0 Safari/537.36 Edg/116.0.1938.62 win_x86-64 edge-wakatime/3.0.18",
        "Edge",
        "Windows",
    ),
    (
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
        "Chrome",
        "Linux",
    ),
    (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15",
        "Safari",
        "macOS",
    ),
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
        "Firefox",
        "Windows",
    ),
    (
        "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Mobile Safari/537.36",
        "Chrome",
        "Android",
    ),
    ("wakatime/13.0.6", None, None),
    ("curl/8.5.0", None, None),
    ("python-requests/2.31.0", None, None),
    ("", None, None),
    ("   ", None, None),
    (None, None, None),
]


@pytest.mark.parametrize(("user_agent", "editor", "os"), USER_AGENTS, ids=lambda v: str(v)[:50])
def test_editor_and_os(user_agent: str | None, editor: str | None, os: str | None) -> None:
    assert editor_and_os(user_agent) == (editor, os)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("linux", "Linux"),
        ("Linux", "Linux"),
        ("darwin", "macOS"),
        ("mac", "macOS"),
        ("win", "Windows"),
        ("Win11", "Windows"),
        ("win32", "Windows"),
        ("windows", "Windows"),
        ("windsurf", None),
        ("wine", None),
        ("wsl", "WSL"),
        ("freebsd", "FreeBSD"),
        ("blender", None),
    ],
)
def test_canonical_os(name: str, expected: str | None) -> None:
    assert canonical_os(name) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("vscode", "VS Code"),
        ("VSCode", "VS Code"),
        ("vim", "Vim"),
        ("neovim", "Neovim"),
        ("IntelliJ", "IntelliJ IDEA"),
        ("sublime_text", "Sublime Text"),
        ("KTextEditor", "Kate"),
        ("helix", "Helix"),
        ("myEditor", "MyEditor"),
    ],
)
def test_canonical_editor(name: str, expected: str) -> None:
    assert canonical_editor(name) == expected
