# Everything installs into .venv from nothing but python3 (and, for the browser
# tests, Debian's chromium when no Chromium is present).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 5000
ARGS   ?=

.PHONY: run test test-py test-js bench lint chromium clean

$(VENV)/.run-stamp: pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e .
	@touch $@

$(VENV)/.test-stamp: $(VENV)/.run-stamp
	$(BIN)/python -m pip install -q -e '.[test,bench,dev]'
	@touch $@

run: $(VENV)/.run-stamp
	$(BIN)/python -m server --port $(PORT) $(ARGS)

chromium: $(VENV)/.test-stamp
	@bash tools/ensure-chromium.sh $(BIN)/python

test: $(VENV)/.test-stamp chromium
	$(BIN)/python -m pytest $(PYTEST_ARGS)
	@if command -v node >/dev/null 2>&1; then node --test tests/js/; \
	 else echo "node not found: skipping the JS unit tests"; fi

bench: $(VENV)/.test-stamp
	$(BIN)/python bench/engine.py
	$(BIN)/python bench/robustness.py
	$(BIN)/python bench/streaming.py

lint: $(VENV)/.test-stamp
	$(BIN)/ruff check server tests bench

clean:
	rm -rf $(VENV) .pytest_cache data/cache
