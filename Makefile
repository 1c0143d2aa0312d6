# Kaktus CRM — `make run` serves the app with demo data, `make test` runs the whole suite.
# Only the package registries are used: Python packages from PyPI, bun from the npm registry,
# Chromium from Debian.

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
BUN := $(CURDIR)/.tools/node_modules/bun/bin/bun.exe
CHROMIUM := /usr/bin/chromium
BUN_ARCH := $(shell uname -m | sed -e 's/x86_64/x64/' -e 's/arm64/aarch64/')

export REFLEX_BUN_PATH := $(BUN)
export REFLEX_TELEMETRY_ENABLED := false
export REFLEX_CHECK_LATEST_VERSION := 0
export REFLEX_HTTP_CLIENT_BIND_ADDRESS := 0.0.0.0
export NPM_CONFIG_REGISTRY ?= $(shell npm config get registry 2>/dev/null)
export PYTHONDONTWRITEBYTECODE := 1
# The database and test files change while the app runs: they must not trigger a backend reload.
export REFLEX_HOT_RELOAD_EXCLUDE_PATHS := $(CURDIR)/data:$(CURDIR)/tests:$(CURDIR)/bench:$(CURDIR)/scripts

.PHONY: run install bun chromium migrate demo test unit e2e bench lint clean-data migration

run: install bun migrate demo
	@echo ""
	@echo "Kaktus CRM: http://localhost:3000  (backend :8000)"
	@$(BIN)/python -m kaktus_app.demo --print-users
	$(BIN)/reflex run --frontend-port 3000 --backend-port 8000

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

bun: $(BUN)

$(BUN):
	npm install --no-fund --no-audit --prefix .tools bun@1.4.4
	@# If npm skipped bun's postinstall, take the binary from its platform package.
	@$(BUN) --version >/dev/null 2>&1 || cp .tools/node_modules/@oven/bun-linux-$(BUN_ARCH)/bin/bun $(BUN)
	@$(BUN) --version >/dev/null

chromium:
	@test -x $(CHROMIUM) || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core)

migrate: install
	$(BIN)/alembic upgrade head

demo: install
	$(BIN)/python -m kaktus_app.demo --if-empty

unit: install
	$(BIN)/pytest tests/unit -q -p no:cacheprovider

e2e: install bun chromium
	$(BIN)/pytest tests/e2e -q -p no:cacheprovider

test: install bun chromium
	$(BIN)/pytest tests -q -p no:cacheprovider

bench: install bun
	$(BIN)/python -m bench.run_all

lint: install
	$(BIN)/ruff check kaktus_app tests bench

migration: install  ## make migration m="what changed": a new Alembic revision from the models
	.venv/bin/alembic revision --autogenerate -m "$(m)"

clean-data:
	rm -f data/kaktus.db data/kaktus.db-wal data/kaktus.db-shm
