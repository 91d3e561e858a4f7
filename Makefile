# The two commands: `make run` and `make test`. See README.md.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# A change to pyproject.toml (a new or bumped dependency) reinstalls.
HASH := $(shell cksum < pyproject.toml | cut -d' ' -f1)
RUN_STAMP := $(VENV)/.installed-run-$(HASH)
DEV_STAMP := $(VENV)/.installed-dev-$(HASH)

# Tests always run on PostgreSQL and Redis (override to point elsewhere).
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/brokerage
TEST_BROKER_URL ?= redis://127.0.0.1:6379/0
CHROMIUM ?= /usr/bin/chromium
export CHROMIUM

.PHONY: run test lint format bench install install-dev assets clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || \
		{ echo "Python 3.11 or newer is needed: make PYTHON=/path/to/python3.11 ..." >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)

# Running needs only the package; tests and lint add the dev extra.
$(RUN_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -qq --disable-pip-version-check -e .
	touch $@

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -qq --disable-pip-version-check -e '.[dev]'
	touch $@ $(RUN_STAMP)

install: $(RUN_STAMP)
install-dev: $(DEV_STAMP)

# Migrates and loads the demo (a line each), then starts the web server and the worker.
run: $(RUN_STAMP)
	@$(BIN)/python manage.py run_everything --setup

test: $(DEV_STAMP)
	@test -x "$(CHROMIUM)" || \
		{ echo "The browser tests need Chromium at $(CHROMIUM): apt-get install -y chromium" >&2; exit 1; }
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} \
	CELERY_BROKER_URL=$${CELERY_BROKER_URL:-$(TEST_BROKER_URL)} \
	$(BIN)/pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py check
	$(BIN)/python manage.py makemigrations --check --dry-run

format: $(DEV_STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(DEV_STAMP)
	@command -v wrk >/dev/null || \
		{ echo "The load benchmark needs wrk: apt-get install -y wrk" >&2; exit 1; }
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} \
	CELERY_BROKER_URL=$${CELERY_BROKER_URL:-$(TEST_BROKER_URL)} \
	$(BIN)/python -m bench

# Rebuild the committed GOV.UK Frontend assets (needs npm; running the app does not).
assets:
	npm install --no-audit --no-fund
	npm run build

clean:
	rm -rf $(VENV) var
