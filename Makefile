# Two commands on a fresh machine: `make run` and `make test`. Everything else is set up here.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# The exact versions to install: requirements.lock, compiled from pyproject.toml (`make lock`).
LOCK := requirements.lock
# setup.py and the C fan-out are in it too: the editable install compiles server/live/_fanout.c.
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml $(LOCK) setup.py $(wildcard server/live/*.c) | cksum | cut -d' ' -f1)
PYTEST_ARGS ?=

.PHONY: run test lint typecheck unit bench bench-quick soak setup services clean vendor chromium deploy-tools messages lock

setup: $(STAMP) vendor

# Front-end packages from the npm registry, versions pinned in package.json + package-lock.json.
# `npm ci` installs exactly the lock file; the files the pages serve are copied to static/vendor/
# (git-ignored), so nothing vendored is ever hand-copied or committed.
# What the pages serve, as paths under node_modules/. The stamp hashes this list with the lock
# file, so adding a file here copies it on the next `make setup` even if no package changed.
VENDOR_FILES := htmx.org/dist/htmx.min.js axe-core/axe.min.js idiomorph/dist/idiomorph.esm.js \
	idiomorph/dist/idiomorph.min.js idiomorph/dist/idiomorph-ext.min.js
VENDOR_STAMP := static/vendor/.installed-$(shell (cat package-lock.json; echo $(VENDOR_FILES)) | cksum | cut -d' ' -f1)

vendor: $(VENDOR_STAMP)

$(VENDOR_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@mkdir -p static/vendor
	@for file in $(VENDOR_FILES); do cp -v node_modules/$$file static/vendor/; done
	@rm -f static/vendor/.installed-*; touch $@

# The browser tests drive Debian's Chromium; never a downloaded browser. With it, fonts for
# Chinese, Japanese, Korean and emoji, so that screenshots of such text show it, not boxes.
# Only what is missing is installed: a machine that has them all installs nothing.
BROWSER_FONTS := fonts-noto-cjk fonts-noto-color-emoji
chromium:
	@missing="$$(command -v chromium >/dev/null || echo chromium; \
		for p in $(BROWSER_FONTS); do \
			test "$$(dpkg-query -W -f='$${Status}' $$p 2>/dev/null)" = "install ok installed" || echo $$p; \
		done)"; \
	test -z "$$missing" || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; }

# tests/deploy checks DEPLOY.md's systemd unit and nginx configuration with their own tools:
# installed here only when missing (nginx-light: nginx -t; systemd: systemd-analyze).
deploy-tools:
	@command -v nginx >/dev/null || test -x /usr/sbin/nginx || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light; }
	@command -v systemd-analyze >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq systemd; }
	@command -v openssl >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssl; }

# Interface strings: extract them all (babel.cfg) into messages.pot, then bring every
# catalog in step (pybabel update). tests/server/test_catalogs.py names what is untranslated.
messages: setup
	$(PY) -m server.edge.i18n_extract

$(STAMP): pyproject.toml $(LOCK)
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r $(LOCK)
	$(PY) -m pip install -q --no-deps -e .
	@rm -f $(VENV)/.installed-*; touch $@

# After changing a dependency in pyproject.toml: pin every package again (the newest versions
# its ranges allow), then `make setup`. tests/test_lock.py fails when the two disagree.
lock:
	@test -x $(VENV)/bin/pip-compile || $(MAKE) setup
	$(VENV)/bin/pip-compile -q --extra dev --allow-unsafe --strip-extras --no-emit-index-url \
		--no-emit-find-links -o $(LOCK) pyproject.toml

# The embedded default: one process, in-memory broker, SQLite under data/.
run: setup
	TOWNHALL_DATA_DIR=$${TOWNHALL_DATA_DIR:-data} $(VENV)/bin/townhall serve --host $${HOST:-127.0.0.1} --port $${PORT:-8000}

# Local Redis and PostgreSQL for the integration tests: start them if installed but stopped.
services:
	@bash scripts/ensure-services.sh

lint: setup
	$(VENV)/bin/ruff check .

typecheck: setup
	$(VENV)/bin/mypy

test: setup services chromium deploy-tools lint typecheck
	$(VENV)/bin/pytest $(PYTEST_ARGS)

bench: setup services
	$(PY) -m loadtests.bench

bench-quick: setup services
	$(PY) -m loadtests.bench --quick

# A bounded soak (not in `make test`): reconnect churn for SOAK_MINUTES (default 10), server
# RSS sampled, slope reported; fails on any error, traceback or memory growth.
SOAK_MINUTES ?= 10
soak: setup
	$(PY) -m tests.security.soak --minutes $(SOAK_MINUTES)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache test-output node_modules static/vendor
