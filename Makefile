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

.PHONY: run test install fonts migrate seed lint bench-load bench-records bench-recompute bench-card bench-commitments bench-intercept clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (set PYTHON=python3.11)")'
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/python requirements.txt requirements-dev.txt
	$(BIN)/python -m pip install -q --upgrade pip 2>&1 | { $(PIP_NOISE); }
	$(BIN)/python -m pip install -q -r requirements-dev.txt 2>&1 | { $(PIP_NOISE); }
	touch $@

install: $(VENV)/.installed

## The CJK TrueType font the commitment letter PDF embeds (Debian fonts-wqy-microhei). Installed only
## when the file is missing; without root it says what to run (LETTER_FONT_PATH may name another font).
WQY_FONT := /usr/share/fonts/truetype/wqy/wqy-microhei.ttc
fonts:
	@if [ -n "$$LETTER_FONT_PATH" ] && [ -f "$$LETTER_FONT_PATH" ]; then exit 0; fi; \
	if [ ! -f $(WQY_FONT) ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then apt-get install -y -q fonts-wqy-microhei >/dev/null || echo "fonts: apt-get install fonts-wqy-microhei failed; letter PDFs answer 503 until a CJK font is installed"; \
	  else echo "fonts: $(WQY_FONT) is missing; as root run: apt-get install -y fonts-wqy-microhei" \
	    "(or set LETTER_FONT_PATH to a TrueType CJK font). Letter PDFs answer 503 letter_font_missing until then."; fi; \
	fi

instance:
	mkdir -p instance

migrate: install fonts instance
	$(BIN)/flask db upgrade

seed: migrate
	$(BIN)/flask demo seed

## Serve the embedded default (SQLite file, in-process cache and jobs) on 127.0.0.1:5000.
run: seed
	$(BIN)/flask run --host 127.0.0.1 --port 5000

## The whole suite, on SQLite and, where they answer, on PostgreSQL + Redis.
test: install fonts
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

bench-commitments: install
	$(BIN)/python bench/commitments_report.py

bench-intercept: install
	$(BIN)/python bench/intercept.py

lint: install
	$(BIN)/ruff check backend miniapp_api bots tests bench scripts

clean:
	rm -rf $(VENV) instance .pytest_cache
