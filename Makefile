# COO Portal. The two set-up commands: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
STAMP := $(VENV)/.installed
# The embedded default: SQLite, eager Celery, files and the outbox under var/.
DEV_ENV := DEBUG=1
# `make run PORT=8001`: runserver listens there and SITE_URL (links, QR codes) follows unless set.
PORT ?= 8000

.PHONY: help install lock run serve demo test lint format messages mutation worker beat worker-beat prod-smoke prod-cluster runbook-smoke upgrade-smoke clean

help:
	@echo "make run     create .venv, install, migrate, load reference + demo data, serve :8000 (PORT=8001 for another)"
	@echo "make test    create .venv if needed, run ruff and the whole test suite"
	@echo "make worker  run a Celery worker (needs REDIS_URL)"
	@echo "make beat    run celery beat, once per installation (outbox drain, issuance sweep)"
	@echo "make worker-beat  a worker with beat embedded (development: one process for both)"
	@echo "make format  apply ruff's formatting and safe fixes"
	@echo "make prod-smoke  the whole journey in Chromium against gunicorn + Celery, DEBUG=0,"
	@echo "             on PostgreSQL and Redis at 127.0.0.1 (database coo_smoke, Redis db 3)"
	@echo "make prod-cluster  the journey through nginx, two gunicorn nodes, two workers and S3"
	@echo "             (moto) on loopback (database coo_prod_cluster, Redis db 4)"
	@echo "make runbook-smoke  docs/operations.md's host commands run in order, without Docker"
	@echo "             (systemd units, moto's S3), then the journey (database coo_runbook_smoke, Redis db 5)"
	@echo "make upgrade-smoke  the previous release's journey while and after this release's"
	@echo "             migrations run on its database (test_coo_upgrade)"

# The installer: uv (pinned; a wheel from PyPI, installed into .venv by pip) installs the lock
# in seconds; if uv cannot be installed, pip installs the same lock, hashes checked.
UV_VERSION := 0.13.8
LOCK := requirements.lock

$(STAMP): pyproject.toml $(LOCK)
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) is required (Python 3.11)"; exit 1; }
	@echo "== [1/3] Python environment $(VENV)"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "== [2/3] The installer: uv $(UV_VERSION)"
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check 'uv==$(UV_VERSION)' \
	  || echo "   uv could not be installed: pip installs the lock instead (a few minutes)"
	@echo "== [3/3] The dependencies in $(LOCK) ($$(grep -c '^[a-z0-9]' $(LOCK)) packages, hashes checked)"
	@if test -x $(BIN)/uv; then \
	  $(BIN)/uv pip install --python $(BIN)/python --require-hashes -r $(LOCK); \
	else \
	  $(BIN)/python -m pip install --disable-pip-version-check --progress-bar on --require-hashes -r $(LOCK); \
	fi
	@touch $(STAMP)
	@echo "== Installed."

# After changing a pin in pyproject.toml: resolve again, with every file's hash.
lock: $(STAMP)
	@{ sed -n '1,3p' $(LOCK); $(BIN)/uv pip compile pyproject.toml --extra dev --generate-hashes \
	  --python-version 3.11 --python-platform x86_64-manylinux_2_28 --no-header --quiet; } > $(LOCK).new
	mv $(LOCK).new $(LOCK)

install: $(STAMP)

demo: $(STAMP)
	mkdir -p "$${VAR_DIR:-var}"
	@# One process for the four set-up commands (migrate, seed_reference, init_signing_keys,
	@# seed_demo): Django starts once, not four times (coo_portal demo_setup).
	$(DEV_ENV) PYTHONUNBUFFERED=1 $(MANAGE) demo_setup

run: demo
	@echo
	@echo "  COO Portal is starting on http://127.0.0.1:$(PORT)"
	@echo "  Emails and SMS: http://127.0.0.1:$(PORT)/dev/outbox/"
	@echo
	$(DEV_ENV) PORT=$(PORT) $(MANAGE) runserver 127.0.0.1:$(PORT)

# mypy's Django plugin loads the settings, which need DEBUG=1 (or a SECRET_KEY).
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache
	$(DEV_ENV) $(BIN)/mypy .

# Mutation testing (issue 25): `make mutation MODULE=workflow` runs mutmut over one area
# (workflow, firms, permissions, payments, wallet, numbering) against the tests that exercise it
# (tests/mutation.py); without MODULE it runs the six one after another. Survivors:
# `.venv/bin/python -m tests.mutation workflow results`. Slow: by hand, not in `make test`.
MUTATION_MODULES := workflow permissions wallet payments firms numbering
MODULE ?=
mutation: $(STAMP)
	for m in $(or $(MODULE),$(MUTATION_MODULES)); do \
	  env -u DATABASE_URL -u REDIS_URL $(BIN)/python -m tests.mutation $$m || exit 1; \
	  $(BIN)/python -m tests.mutation $$m results; \
	done

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: lint
	$(BIN)/pytest

worker: $(STAMP)
	@test -n "$$REDIS_URL" || { echo "Set REDIS_URL (e.g. redis://127.0.0.1:6379/0): without it tasks run in-process"; exit 1; }
	$(BIN)/celery -A coo_portal worker --loglevel=INFO --queues=$${CELERY_QUEUE:-coo}

beat: $(STAMP)
	@test -n "$$REDIS_URL" || { echo "Set REDIS_URL: without it there is no broker to send to"; exit 1; }
	mkdir -p "$${VAR_DIR:-var}"
	$(BIN)/celery -A coo_portal beat --loglevel=INFO --schedule="$${VAR_DIR:-var}/celerybeat-schedule"

worker-beat: $(STAMP)
	@test -n "$$REDIS_URL" || { echo "Set REDIS_URL (e.g. redis://127.0.0.1:6379/0): without it tasks run in-process"; exit 1; }
	mkdir -p "$${VAR_DIR:-var}"
	$(BIN)/celery -A coo_portal worker -B --loglevel=INFO --queues=$${CELERY_QUEUE:-coo} --schedule="$${VAR_DIR:-var}/celerybeat-schedule"

# gunicorn (2 workers) and a Celery worker with DEBUG=0 on PostgreSQL + Redis, then the
# end-to-end journey over HTTP in Chromium; logs are kept and printed when it fails.
prod-smoke: $(STAMP)
	$(BIN)/python -m tests.e2e.prod_smoke

# nginx in front of two gunicorn nodes, two Celery workers and an S3 server (moto), DEBUG=0;
# the journey through nginx, both nodes and workers used, every stored object in the bucket.
prod-cluster: $(STAMP)
	$(BIN)/python -m tests.e2e.prod_cluster

# The runbook (docs/operations.md) followed on this machine without Docker: every block marked
# `run`, in order, the units of deploy/systemd started as systemd would, the journey in Chromium
# where the runbook says to walk it, to a certificate issued and verified.
runbook-smoke: $(STAMP)
	$(BIN)/python -m tests.e2e.runbook_smoke

# The previous release (tests/e2e/PREVIOUS_RELEASE) serves its journey while this checkout's
# migrations run on its database, then again after them (database test_coo_upgrade).
upgrade-smoke: $(STAMP)
	$(BIN)/python -m tests.e2e.upgrade_smoke

clean:
	rm -rf $(VENV)

# The Hindi catalogue (accounts/language.py CATALOGUE_IGNORE: what it leaves out): extract the
# strings into locale/hi/LC_MESSAGES/django.po, translate the new ones, then compile the .mo
# that is committed beside it (tests/i18n checks both). Needs gettext (apt-get install gettext).
messages: $(STAMP)
	$(DEV_ENV) $(MANAGE) makemessages -l hi --no-location $$(DJANGO_SETTINGS_MODULE=coo_portal.settings $(DEV_ENV) $(BIN)/python -c "import django; django.setup(); from accounts.language import CATALOGUE_IGNORE as i; print(' '.join('--ignore=' + p for p in i))")
	msgfmt --check --statistics -o locale/hi/LC_MESSAGES/django.mo locale/hi/LC_MESSAGES/django.po
