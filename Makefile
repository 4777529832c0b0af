# The two commands a new user needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run run-testing test check lint typecheck format official-venv fuzz soak bench bench-quick clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)  ## serve on 127.0.0.1:5600 with SQLite in the user data dir
	$(VENV)/bin/aw-server $(ARGS)

run-testing: $(STAMP)  ## serve on 127.0.0.1:5666 with the testing database
	$(VENV)/bin/aw-server --testing $(ARGS)

test: $(STAMP)  ## the whole test suite
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check aw_core aw_server aw_client tests bench
	$(VENV)/bin/ruff format --check aw_core aw_server aw_client tests bench

format: $(STAMP)
	$(VENV)/bin/ruff check --fix aw_core aw_server aw_client tests bench
	$(VENV)/bin/ruff format aw_core aw_server aw_client tests bench

typecheck: $(STAMP)
	$(VENV)/bin/mypy

check: lint typecheck test  ## lint + types + tests

official-venv:  ## the official aw-client in its own venv (its package names clash with ours)
	$(PY) tests/official_client/make_venv.py

fuzz: $(STAMP)  ## the long property-based fuzzing run (200 examples per operation and mode)
	FUZZ_EXAMPLES=200 $(PY) -m pytest -q -s --timeout=1800 tests/test_fuzz_api.py

soak: $(STAMP)  ## 50 clients for two minutes (the short version runs in make test)
	LOAD_SECONDS=120 $(PY) -m pytest -q -s --timeout=900 tests/test_load.py

bench: $(STAMP)  ## side by side with the official server (installs it into bench/.venv-official)
	$(PY) -m bench.run

bench-quick: $(STAMP)  ## a small version, under a minute
	$(PY) -m bench.run --quick

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .cache
