# 信用淮安区 service backend. Two commands: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := wsgi:app
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c
# Some machines' pip configuration names package folders that do not exist; pip says so for
# every package. Keep its real errors, drop that noise.
PIP_NOISE := grep -v "is ignored: it is neither a file nor a directory" || true

.PHONY: run test install migrate seed lint bench-load bench-records bench-recompute bench-card bench-intercept clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (set PYTHON=python3.11)")'
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/python requirements.txt requirements-dev.txt
	$(BIN)/python -m pip install -q --upgrade pip 2>&1 | { $(PIP_NOISE); }
	$(BIN)/python -m pip install -q -r requirements-dev.txt 2>&1 | { $(PIP_NOISE); }
	touch $@

install: $(VENV)/.installed

instance:
	mkdir -p instance

migrate: install instance
	$(BIN)/flask db upgrade

seed: migrate
	$(BIN)/flask demo seed

## Serve the embedded default (SQLite file, in-process cache and jobs) on 127.0.0.1:5000.
run: seed
	$(BIN)/flask run --host 127.0.0.1 --port 5000

## The whole suite, on SQLite and, where they answer, on PostgreSQL + Redis.
test: install
	@$(BIN)/python scripts/run_tests.py

## Benchmarks (PostgreSQL on 127.0.0.1; each prints its figures, see README "Benchmarks").
bench-load: install
	$(BIN)/python bench/load_scale.py

bench-records: install
	$(BIN)/python bench/records_batch.py

bench-recompute: install
	$(BIN)/python bench/recompute.py

bench-card: install
	$(BIN)/python bench/card.py

bench-intercept: install
	$(BIN)/python bench/intercept.py

lint: install
	$(BIN)/ruff check backend miniapp_api bots tests bench scripts

clean:
	rm -rf $(VENV) instance .pytest_cache
