# Two commands matter: `make run` (the demo on http://127.0.0.1:$PORT) and `make test` (the whole suite).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
UV_VERSION := 0.13.9
export UV_NATIVE_TLS := 1

.PHONY: install run test lint format lock chromium pdf-libs bench-sync

# Installs the locked dependencies; reruns only when the lock file changes.
$(VENV)/.installed: requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || { \
		SUDO=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); rm -rf $(VENV); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq python3-venv >/dev/null && $(PYTHON) -m venv $(VENV); }
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(BIN)/uv pip sync --quiet --python $(BIN)/python requirements.lock
	touch $@

install: $(VENV)/.installed

# Debian's Chromium for the browser tests (never a browser download by Playwright).
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
		echo "Installing Debian's chromium for the browser tests…"; \
		SUDO=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; \
	fi

# WeasyPrint (the declarations' PDF) needs Pango and a font from Debian.
pdf-libs:
	@if ! ldconfig -p | grep -q libpangoft2-1.0 || ! fc-list | grep -q .; then \
		echo "Installing Pango and fonts for the PDF documents…"; \
		SUDO=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq \
			libpango-1.0-0 libpangoft2-1.0-0 fontconfig fonts-dejavu-core >/dev/null; \
	fi

run: install pdf-libs
	PORT=$(PORT) $(BIN)/python scripts/run_demo.py

test: install chromium pdf-libs
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run --settings=config.settings.test
	$(BIN)/pytest

# Sync benchmark over real HTTP on loopback (figures to read; SIZE=small, large or all).
SIZE ?= small
bench-sync: install
	$(BIN)/python manage.py bench_sync --size $(SIZE)

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format:
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Regenerates requirements.lock from pyproject.toml (after changing a dependency).
lock: install
	$(BIN)/uv pip compile pyproject.toml --group dev --generate-hashes --python-version 3.11 --quiet -o requirements.lock
