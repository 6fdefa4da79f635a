# Two commands on a fresh machine: `make run` and `make test`. Everything else is set up here.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
PYTEST_ARGS ?=

.PHONY: run test lint typecheck unit bench bench-quick soak setup services clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	@rm -f $(VENV)/.installed-*; touch $@

# The embedded default: one process, in-memory broker, SQLite under data/.
run: setup
	$(VENV)/bin/townhall serve --host $${HOST:-127.0.0.1} --port $${PORT:-8000}

# Local Redis and PostgreSQL for the integration tests: start them if installed but stopped.
services:
	@bash scripts/ensure-services.sh

lint: setup
	$(VENV)/bin/ruff check .

typecheck: setup
	$(VENV)/bin/mypy

test: setup services lint typecheck
	$(VENV)/bin/pytest $(PYTEST_ARGS)

bench: setup services
	$(PY) -m loadtests.bench

bench-quick: setup services
	$(PY) -m loadtests.bench --quick

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache test-output
