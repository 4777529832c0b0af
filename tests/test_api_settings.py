from __future__ import annotations

import pytest

from tests.conftest import JSON, Api


def test_settings_empty_object(api: Api) -> None:
    r = api.get("settings")
    assert r.status_code == 200 and r.json() == {}
    assert api.get("settings/").json() == {}


@pytest.mark.parametrize(
    "value",
    [
        False,
        True,
        0,
        1.5,
        "",
        "text",
        None,
        [],
        {},
        [1, {"a": None}],
        {"classes": [{"name": ["Work"]}]},
    ],
)
def test_any_json_value_round_trips(api: Api, value: object) -> None:
    """Peer bug 4: the Python server deletes the key when the value is falsy."""
    r = api.post("settings/key", value)
    assert r.status_code == 200 and r.json() == value
    assert api.get("settings/key").json() == value
    assert "key" in api.get("settings").json()
    assert api.get("settings").json()["key"] == value


def test_missing_key_is_null_and_delete(api: Api) -> None:
    assert api.get("settings/missing").json() is None
    api.post("settings/theme", "dark")
    assert api.delete("settings/theme").status_code == 200
    assert api.get("settings/theme").json() is None
    assert api.delete("settings/theme").status_code == 200
    assert api.get("settings").json() == {}


def test_settings_errors(api: Api) -> None:
    r = api.session.post(api.url("settings/k"), data=b"", headers=JSON, timeout=10)
    assert r.status_code == 400
    r = api.session.post(api.url("settings/k"), data=b"{bad", headers=JSON, timeout=10)
    assert r.status_code == 400
    assert api.post("settings/" + "k" * 200, 1).status_code == 400
    r = api.post("settings", 1)
    assert r.status_code == 400 and "key" in r.json()["message"]
    assert api.get("settings/k").json() is None


def test_settings_persist_in_database(api: Api, app: object) -> None:
    api.post("settings/startOfDay", "04:00")
    storage = app.extensions["aw"].storage  # type: ignore[attr-defined]
    assert storage.get_setting("startOfDay") == '"04:00"'
