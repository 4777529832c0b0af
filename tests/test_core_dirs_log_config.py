from __future__ import annotations

import json
import logging
import logging.handlers
import os
import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from aw_core import dirs
from aw_core.config import ConfigError, load_config_toml
from aw_core.log import get_latest_log_file, get_log_file_path, setup_logging


def test_dirs_follow_xdg(isolated_dirs: dict[str, str]) -> None:
    data = dirs.get_data_dir("aw-server")
    assert data == str(Path(isolated_dirs["XDG_DATA_HOME"]) / "activitywatch" / "aw-server")
    assert Path(data).is_dir()
    assert dirs.get_config_dir("x").startswith(isolated_dirs["XDG_CONFIG_HOME"])
    assert dirs.get_cache_dir("x").startswith(isolated_dirs["XDG_CACHE_HOME"])
    assert not Path(dirs.get_log_dir("nolog", create=False)).exists()


def test_ensure_path_exists(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b"
    dirs.ensure_path_exists(target)
    dirs.ensure_path_exists(target)
    assert target.is_dir()


def test_log_dir_is_the_official_one_in_the_cache_dir(isolated_dirs: dict[str, str]) -> None:
    """aw-core writes logs to <cache>/activitywatch/log/<module> on Linux, not the state dir."""
    expected = Path(isolated_dirs["XDG_CACHE_HOME"]) / "activitywatch" / "log" / "aw-server"
    assert dirs.get_log_dir("aw-server") == str(expected)
    assert expected.is_dir()


def _flush_root_handlers() -> None:
    for handler in logging.getLogger().handlers:
        handler.flush()


def _log_files(name: str) -> list[str]:
    return sorted(p.name for p in Path(dirs.get_log_dir(name)).iterdir())


def test_logging_to_rotating_file_per_instance(isolated_dirs: dict[str, str]) -> None:
    assert get_latest_log_file("aw-test") is None
    setup_logging("aw-test", testing=True, log_stderr=False, log_file=True)
    try:
        logging.getLogger("some.module").info("hello file")
        path = get_latest_log_file("aw-test", testing=True)
        assert path is not None
        assert (
            Path(path).parent
            == Path(isolated_dirs["XDG_CACHE_HOME"]) / "activitywatch" / "log" / "aw-test"
        )
        # the official name plus this process's id
        assert re.fullmatch(
            rf"aw-test_testing_\d{{4}}-\d\d-\d\dT\d\d-\d\d-\d\d_{os.getpid()}\.log",
            Path(path).name,
        )
        _flush_root_handlers()
        assert "hello file" in Path(path).read_text()
        handlers = [
            h
            for h in logging.getLogger().handlers
            if isinstance(h, logging.handlers.RotatingFileHandler)
        ]
        assert handlers and handlers[0].maxBytes == 10 * 1024 * 1024
        assert handlers[0].backupCount == 3
        assert get_latest_log_file("aw-test", testing=False) is None
        with pytest.warns(DeprecationWarning):
            assert get_log_file_path() == path
    finally:
        setup_logging("aw-test", log_stderr=False, log_file=False)
    with pytest.warns(DeprecationWarning):
        assert get_log_file_path() is None


def test_json_lines_log_file() -> None:
    setup_logging("aw-json", log_stderr=False, log_file=True, log_file_json=True)
    try:
        logging.getLogger("some.module").warning("plain %s", "record")
        try:
            raise ValueError("bad value")
        except ValueError:
            logging.getLogger("other").exception("it failed")
        path = get_latest_log_file("aw-json")
        assert path is not None and path.endswith(".log.json")
        _flush_root_handlers()
        lines = [json.loads(line) for line in Path(path).read_text().splitlines()]
    finally:
        setup_logging("aw-json", log_stderr=False, log_file=False)
    first, second = lines
    assert set(first) == {"time", "level", "logger", "message"}
    assert first["level"] == "WARNING" and first["logger"] == "some.module"
    assert first["message"] == "plain record"
    assert datetime.fromisoformat(first["time"]).utcoffset() == timedelta(0)
    assert second["message"] == "it failed"
    assert "ValueError: bad value" in second["exception"]


def test_latest_log_file_is_the_newest_instance_of_the_mode() -> None:
    log_dir = Path(dirs.get_log_dir("aw-x"))
    for name in (
        "aw-x_2024-01-01T10-00-00.log",  # the official name, without a process id
        "aw-x_2024-01-02T10-00-00_17.log",
        "aw-x_2024-01-02T10-00-00_17.log.1",
        "aw-x_testing_2024-01-03T10-00-00_18.log",
        "aw-x-other_2024-01-04T10-00-00_19.log",
        "unrelated.txt",
    ):
        (log_dir / name).write_text("x")
    assert get_latest_log_file("aw-x") == str(log_dir / "aw-x_2024-01-02T10-00-00_17.log")
    assert get_latest_log_file("aw-x", testing=True) == str(
        log_dir / "aw-x_testing_2024-01-03T10-00-00_18.log"
    )


def test_old_instances_are_pruned() -> None:
    log_dir = Path(dirs.get_log_dir("aw-p"))
    old = [f"aw-p_2020-01-{day:02d}T00-00-00_{day}.log" for day in range(1, 26)]
    for name in old:
        (log_dir / name).write_text("old")
        (log_dir / f"{name}.1").write_text("old backup")
    (log_dir / "aw-p_testing_2019-01-01T00-00-00_1.log").write_text("other mode")
    setup_logging("aw-p", log_stderr=False, log_file=True)
    try:
        logging.getLogger("x").warning("the first record creates this instance's file")
        current = get_latest_log_file("aw-p")
    finally:
        setup_logging("aw-p", log_stderr=False, log_file=False)
    assert current is not None
    kept = _log_files("aw-p")
    # this instance and the 19 newest old ones, each with its backup; the other mode untouched
    assert Path(current).name in kept
    assert [n for n in old if n in kept] == old[-19:]
    assert all(f"{n}.1" in kept for n in old[-19:])
    assert "aw-p_testing_2019-01-01T00-00-00_1.log" in kept
    assert len(kept) == 1 + 19 * 2 + 1


def test_config_toml(isolated_dirs: dict[str, str]) -> None:
    assert load_config_toml("aw-server") == {}
    path = Path(isolated_dirs["XDG_CONFIG_HOME"]) / "activitywatch" / "aw-server" / "aw-server.toml"
    path.parent.mkdir(parents=True)
    path.write_text("[server]\nport = 1234\n")
    assert load_config_toml("aw-server") == {"server": {"port": 1234}}
    path.write_text("[server\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config_toml("aw-server")


def test_malloc_tuning_applies_on_glibc() -> None:
    import platform

    from aw_server.malloc import tune_malloc

    # one arena and a low trim threshold (see aw_server/malloc.py); elsewhere a harmless no-op
    assert tune_malloc() is (platform.libc_ver()[0] == "glibc")
