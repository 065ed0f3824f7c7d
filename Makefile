# Everything installs into .venv from nothing but python3 (and, for the browser
# tests, Debian's chromium when no Chromium is present).
SHELL  := /bin/bash
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 5000
ARGS   ?=

.PHONY: run test test-py test-js bench bench-engine lint chromium clean mutate mutate-js

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

# Each script prints markdown; the whole run is also kept in bench/out/ (git-ignored)
# for pasting into docs/benchmarks.md.
bench: $(VENV)/.test-stamp
	@mkdir -p bench/out
	set -o pipefail; for s in engine steps accuracy robustness streaming; do \
	  $(BIN)/python bench/$$s.py | tee bench/out/$$s.md || exit 1; done

# Issue 14's figures alone (a few minutes on a quiet machine): 5000x400->25->10 against
# the floor, the post and scikit-learn, then the per-step table and the default TNC run.
bench-engine: $(VENV)/.test-stamp
	@mkdir -p bench/out
	set -o pipefail; $(BIN)/python bench/engine.py --small | tee bench/out/engine-small.md
	set -o pipefail; $(BIN)/python bench/steps.py | tee bench/out/steps.md

# Mutation testing (docs/testing.md), not part of `make test`: mutmut over the core, the
# protocol, the drawing pipeline and the data sets; writes docs/mutation-summary.md.
# MUTATE_ARGS=--resume goes on from an interrupted run instead of starting afresh.
$(VENV)/.mutate-stamp: $(VENV)/.test-stamp
	$(BIN)/python -m pip install -q -e '.[test,mutation]'
	@touch $@

mutate: $(VENV)/.mutate-stamp
	$(BIN)/python tools/mutation_summary.py --run $(MUTATE_ARGS)

# The same for the page's pure modules: Stryker (npm, into a git-ignored node_modules)
# runs tests/js under node --test; the report is reports/mutation-js.json.
mutate-js:
	@test -x node_modules/.bin/stryker || npm ci --no-audit --no-fund
	node_modules/.bin/stryker run

lint: $(VENV)/.test-stamp
	$(BIN)/ruff check server tests bench

clean:
	rm -rf $(VENV) .pytest_cache data/cache dist mutants reports .stryker-tmp
