# Länsanalys task runner. `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
WORKERS ?=
# Test processes: one per core (pytest-xdist); each test file runs whole in one process. Built
# worlds (the demo home, rendered reports, demo variants) are made once for all processes and
# kept in .cache/tests for the next run (tests/worlds.py).
TEST_WORKERS ?= auto
PYTEST_ARGS ?=
# Files in the order tests/conftest.py gives them (the demo home is built while the tests that
# need no demo run), not xdist's own order by number of tests.
PYTEST := $(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder

.DEFAULT_GOAL := help
.PHONY: help setup demo build reports test test-slow test-all lab lint format clean bench

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-9s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	$(BIN)/python -m lansanalys.analysis.whatif  # compile the road kernels once (numba cache)
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (Länsanalys)" >/dev/null
	@touch $(STAMP)

setup: $(STAMP) ## Create .venv and install the kit (idempotent)

demo: setup ## Write demo raw data for kinds that have no real file
	$(BIN)/lansanalys demo

build: demo ## Raw data -> validated tables in data/processed
	$(BIN)/lansanalys build

reports: build ## Render the index, all 21 län and all 290 kommun reports into reports/
	$(BIN)/lansanalys render --all --kommuner $(if $(WORKERS),--workers $(WORKERS),)

test: setup ## Run the tests but the slow tier (a few minutes on 2 cores)
	$(PYTEST) -m "not slow" $(PYTEST_ARGS)

test-slow: setup ## The slow tier: browser, render and demo-variant build tests (CI runs it)
	$(PYTEST) -m slow $(PYTEST_ARGS)

test-all: setup ## Every test in one run (make test + make test-slow)
	$(PYTEST) $(PYTEST_ARGS)

lab: setup ## Open JupyterLab on the project
	$(BIN)/jupyter lab --notebook-dir=.

lint: setup ## ruff lint and format check over lib, tests and notebooks
	$(BIN)/ruff check lib tests benchmarks notebooks
	$(BIN)/ruff format --check lib tests benchmarks notebooks

format: setup ## Apply ruff formatting and safe fixes
	$(BIN)/ruff check --fix lib tests benchmarks notebooks
	$(BIN)/ruff format lib tests benchmarks notebooks

bench: build ## Benchmarks: nearest service, road network, closure; rendering vs plain papermill
	$(BIN)/python -m pytest benchmarks --benchmark-enable --benchmark-only -p no:cacheprovider
	$(BIN)/python benchmarks/render_vs_papermill.py

clean: ## Remove rendered reports and processed data (raw data stays)
	rm -rf reports/* data/processed/*
	git checkout -- reports/.gitkeep data/processed/.gitkeep 2>/dev/null || true
