# Dealflow: `make run` serves the app with demo data, `make test` lints and runs every test.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
export PORT
LOCALSTRIPE_PORT ?= 8420
export FLASK_APP := wsgi
CATALOGS := dealflow/translations

.PHONY: help run test test-dates lint format pytest translations translations-update chromium clean bench wrk localstripe

help:
	@echo "make run      create .venv, install, migrate, load demo data on first run, serve on 127.0.0.1:$(PORT) with the job worker"
	@echo "make test     lint (ruff, ruff format --check, mypy), then pytest on SQLite and, with TEST_DATABASE_URL, PostgreSQL"
	@echo "make test-dates   the date-sensitive tests again with the clock at month and year ends (UTC and Almaty)"
	@echo "make lint     the linters only"
	@echo "make format   apply ruff's fixes and formatting"
	@echo "make translations-update   extract new strings and merge them into the catalogs"
	@echo "make localstripe   a local Stripe server on 127.0.0.1:$(LOCALSTRIPE_PORT) for billing without a Stripe account"

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "Dealflow needs Python 3.11: install python3.11 and try again." >&2; exit 1; }
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Dealflow needs Python 3.11, found " + sys.version.split()[0]'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	@$(BIN)/python -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else ".venv has Python " + sys.version.split()[0] + ": run make clean, then make again with Python 3.11")'
	$(BIN)/pip install --quiet -r requirements.txt
	@touch $@

$(VENV)/.dev: requirements-dev.txt requirements.txt $(VENV)/.runtime
	$(BIN)/pip install --quiet -r requirements-dev.txt
	@touch $@

translations: $(VENV)/.runtime
	@$(BIN)/pybabel -q compile -d $(CATALOGS) -D messages

translations-update: $(VENV)/.runtime
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k ngettext:1,2 --no-location --sort-output \
		--project Dealflow --copyright-holder Dealflow -o $(CATALOGS)/messages.pot .
	$(BIN)/pybabel update -i $(CATALOGS)/messages.pot -d $(CATALOGS) --no-wrap --ignore-obsolete

run: $(VENV)/.runtime translations
	@new_db=0; [ -n "$$DATABASE_URL" ] || [ -f instance/dealflow.db ] || new_db=1; \
	$(BIN)/flask db upgrade && \
	if [ $$new_db = 1 ]; then $(BIN)/flask seed-demo; else $(BIN)/flask seed-demo --if-empty; fi
	@# The job worker (mail, retries, periodic jobs) runs beside the dev server on a SQLite queue under
	@# instance/, or on Redis when REDIS_URL is set; it stops with the server.
	@$(BIN)/flask worker --workers 1 & worker=$$!; trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT; \
	$(BIN)/flask run --host 127.0.0.1 --port $(PORT)

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(VENV)/.dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

chromium:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "Installing Debian's Chromium for the browser tests"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

pytest: $(VENV)/.dev translations chromium
	@echo "== pytest on SQLite =="
	DEALFLOW_TEST_DB=sqlite $(BIN)/pytest $(PYTEST_ARGS)
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
		echo "== pytest on PostgreSQL =="; \
		DEALFLOW_TEST_DB="$$TEST_DATABASE_URL" $(BIN)/pytest $(PYTEST_ARGS); \
	else \
		echo "TEST_DATABASE_URL is not set: the PostgreSQL run is not part of this make test."; \
	fi

test: lint pytest

# Moments where UTC and Asia/Almaty (UTC+5) disagree on the day, the month or the year: 1 March in Almaty
# (28 February in UTC), 31 January in UTC (1 February in Almaty), 31 December late evening in Almaty, and
# New Year in Almaty (31 December in UTC). The date-sensitive tests run with the clock stopped at each.
TEST_MOMENTS ?= 2027-03-01T00:30:00+05:00 2027-01-31T21:30:00+00:00 2027-12-31T23:30:00+05:00 2027-12-31T19:30:00+00:00

test-dates: $(VENV)/.dev translations
	@set -e; for moment in $(TEST_MOMENTS); do \
		echo "== date-sensitive tests at $$moment on SQLite =="; \
		DEALFLOW_TEST_NOW=$$moment DEALFLOW_TEST_DB=sqlite $(BIN)/pytest -m date_sensitive -q $(PYTEST_ARGS); \
		if [ -n "$$TEST_DATABASE_URL" ]; then \
			echo "== date-sensitive tests at $$moment on PostgreSQL =="; \
			DEALFLOW_TEST_NOW=$$moment DEALFLOW_TEST_DB="$$TEST_DATABASE_URL" $(BIN)/pytest -m date_sensitive -q $(PYTEST_ARGS); \
		fi; \
	done

wrk:
	@command -v wrk >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq wrk >/dev/null; }

bench: $(VENV)/.runtime translations wrk
	$(BIN)/python bench/run.py
	$(BIN)/python bench/dashboard.py

localstripe: $(VENV)/.dev
	$(BIN)/python -m tests.localstripe_server $(LOCALSTRIPE_PORT)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
