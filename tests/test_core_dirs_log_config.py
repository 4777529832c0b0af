from __future__ import annotations

import logging
from pathlib import Path

import pytest

from aw_core import dirs
from aw_core.config import ConfigError, load_config_toml
from aw_core.log import get_latest_log_file, setup_logging


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


def test_logging_to_rotating_file() -> None:
    assert get_latest_log_file("aw-test") is None
    setup_logging("aw-test", testing=True, log_stderr=False, log_file=True)
    try:
        logging.getLogger("some.module").info("hello file")
        path = get_latest_log_file("aw-test", testing=True)
        assert path is not None and path.endswith("aw-test-testing.log")
        for handler in logging.getLogger().handlers:
            handler.flush()
        assert "hello file" in Path(path).read_text()
        handlers = [
            h
            for h in logging.getLogger().handlers
            if isinstance(h, logging.handlers.RotatingFileHandler)
        ]
        assert handlers and handlers[0].maxBytes > 0
    finally:
        setup_logging("aw-test", log_stderr=False, log_file=False)


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
