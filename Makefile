# The portal's everyday commands. `make run` serves it, `make test` checks it; both start from a
# fresh clone: they make `.venv`, install the pinned requirements and the system packages they need.
#
#   make run      migrate, load the demo data, print the demo logins, serve on http://127.0.0.1:8000
#                 (with the scheduled jobs running beside the server); HOST=… PORT=… serve elsewhere,
#                 and the links the portal sends follow (unless PORTAL_BASE_URL is set)
#   make test     lint, then the whole test suite (on DATABASE_URL / CELERY_BROKER_URL when set)
#   make lint     ruff check + ruff format --check + lint-imports (the layers contract) + mypy
#                 (types) + makemigrations --check (every model change has its migration)
#   make bench    every bench/*.py (not _helpers), with figures against their baselines
#   make audit    pip-audit on the pinned requirements: fails on a known vulnerability and on any
#                 package it could not check (needs the vulnerability service; not part of make test)
#   make migrate  apply migrations;  make demo  load the demo data (idempotent)
#   make clean    remove .venv and the local state under var/ (SQLite file, media, demo logins)

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
# The portal's own address in the links it sends (e-mails, certificates and their QR codes, the
# admin's verify links): where `make run` serves it, unless PORTAL_BASE_URL is set in the
# environment or on the command line. A server on every interface (HOST=0.0.0.0) is reached on
# this machine at 127.0.0.1.
PORTAL_BASE_URL ?= http://$(if $(filter 0.0.0.0,$(HOST)),127.0.0.1,$(HOST)):$(PORT)

# Development commands run the settings in development mode (DEBUG on: no secret needed, plain
# static files served by WhiteNoise from the finders, no HTTPS redirect). The same environment is
# used for the test suite: pytest-django still switches DEBUG off while the tests run, but the
# settings are built as for `make run` (see README, "Tests").
DEV_ENV := DEBUG=true DJANGO_SETTINGS_MODULE=kamusm_portal.settings PYTHONPATH=$(CURDIR)
# The demo and the served portal also know their address (the tests keep the settings' default).
RUN_ENV = $(DEV_ENV) PORTAL_BASE_URL='$(PORTAL_BASE_URL)'

# System packages: WeasyPrint needs Pango and HarfBuzz's subsetter (certificate PDFs); the browser
# tests drive Debian's Chromium. gettext is not needed: the compiled .mo files are committed.
RUNTIME_DEBS := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0
TEST_DEBS := $(RUNTIME_DEBS) chromium

.PHONY: help run test lint bench audit venv install system-deps system-deps-runtime migrate demo clean

help:
	@sed -n 's/^#   //p' $(firstword $(MAKEFILE_LIST))

# --- Python environment ---------------------------------------------------------------------

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { \
	  echo "Python 3.11 or newer is needed (found: $$($(PYTHON) --version 2>&1)). Set PYTHON=/path/to/python3.11."; exit 1; }
	@$(PYTHON) -m venv $(VENV) || { \
	  echo "Could not create $(VENV). On Debian/Ubuntu install the venv module: apt-get install python3-venv"; \
	  rm -rf $(VENV); exit 1; }

# Reinstall only when a requirements file changed (the stamp is newer than both otherwise).
$(STAMP): requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

venv: $(BIN)/python
install: $(STAMP)

# --- System packages ------------------------------------------------------------------------
# Checked with dpkg (or, on a machine without dpkg, the linker cache); installed with apt-get when
# we are root and have it, otherwise we stop and say exactly what to install.

define ensure_debs
	@missing=""; \
	for pkg in $(1); do \
	  if command -v dpkg >/dev/null 2>&1; then \
	    dpkg -s "$$pkg" 2>/dev/null | grep -q '^Status: install ok installed' || missing="$$missing $$pkg"; \
	  else \
	    case "$$pkg" in \
	      chromium) command -v chromium >/dev/null 2>&1 || missing="$$missing $$pkg" ;; \
	      libpango-1.0-0) ldconfig -p | grep -q 'libpango-1\.0\.so\.0' || missing="$$missing $$pkg" ;; \
	      libpangoft2-1.0-0) ldconfig -p | grep -q 'libpangoft2-1\.0\.so\.0' || missing="$$missing $$pkg" ;; \
	      libharfbuzz-subset0) ldconfig -p | grep -q 'libharfbuzz-subset\.so\.0' || missing="$$missing $$pkg" ;; \
	    esac; \
	  fi; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing system packages:$$missing"; \
	    DEBIAN_FRONTEND=noninteractive apt-get update -qq; \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	  else \
	    echo "Missing system packages:$$missing"; \
	    echo "Install them with:  sudo apt-get install --no-install-recommends$$missing"; \
	    exit 1; \
	  fi; \
	fi
endef

system-deps-runtime:
	$(call ensure_debs,$(RUNTIME_DEBS))

system-deps:
	$(call ensure_debs,$(TEST_DEBS))

# --- Running the portal ---------------------------------------------------------------------

migrate: install
	$(DEV_ENV) $(BIN)/python manage.py migrate --noinput

# The demo's certificates carry the served address; its logins table is the last thing it prints.
demo: migrate
	$(RUN_ENV) $(BIN)/python manage.py seed_demo

# The scheduled jobs (expiring waiting places, the certificate sweep, the e-mails to retry from the
# outbox) run beside the server, as Celery beat runs them in production; stopping the server stops
# them.
run: install system-deps-runtime demo
	@echo "Serving the portal on http://$(HOST):$(PORT)/  (admin: /admin/, API: /api/v1/, docs: /api/docs/)"
	@echo "Links in e-mails and on certificates: $(PORTAL_BASE_URL)"
	@$(RUN_ENV) $(BIN)/python manage.py run_scheduled & scheduled=$$!; \
	trap 'kill $$scheduled 2>/dev/null || true' EXIT INT TERM; \
	$(RUN_ENV) $(BIN)/python manage.py runserver $(HOST):$(PORT)

# --- Checks ---------------------------------------------------------------------------------

# ruff: the code's rules and its format; lint-imports: the layers contract; mypy: the types of
# kamusm_portal and of every app's services and selectors ([tool.mypy] in pyproject.toml; its Django
# plugin loads the settings, hence DEV_ENV); makemigrations --check: a model change committed
# without its migration fails (nothing is written).
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache
	$(DEV_ENV) $(BIN)/mypy
	$(DEV_ENV) $(BIN)/python manage.py makemigrations --check --dry-run

# pytest's exit code 5 means "no tests collected": say so and pass; any failing test fails.
test: install system-deps lint
	@echo "Test database: $${DATABASE_URL:-SQLite (embedded default)}; Celery broker: $${CELERY_BROKER_URL:-none, tasks run in-process}"
	@rc=0; $(DEV_ENV) $(BIN)/python -m pytest -p no:cacheprovider $(PYTEST_ARGS) || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests."; exit 0; fi; \
	exit $$rc

# Every bench/*.py but the helpers whose names start with an underscore.
bench: install
	@shopt -s nullglob; files=(bench/[!_]*.py); \
	if [ $${#files[@]} -eq 0 ]; then echo "No benchmarks in bench/."; exit 0; fi; \
	for f in "$${files[@]}"; do \
	  echo "=== $$f"; \
	  $(DEV_ENV) $(BIN)/python "$$f"; \
	done

# pip-audit resolves the pinned requirements in a throw-away environment and asks its vulnerability
# service (PyPI's JSON API; AUDIT_ARGS="-s osv" asks OSV) about each package. It says "No known
# vulnerabilities" even when the service knew nothing of them, so tools/audit.py reads its JSON
# report and fails on any vulnerability and on any package that could not be checked.
audit: install
	$(BIN)/python tools/audit.py requirements.txt requirements-dev.txt $(if $(AUDIT_ARGS),-- $(AUDIT_ARGS))

# var/ is git-ignored local state: the SQLite database, media, collected static files, demo logins.
clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .import_linter_cache .mypy_cache
	find . -path ./.git -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +
