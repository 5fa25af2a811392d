# One entry per job. `make demo` sets everything up and runs the main job; `make test` runs
# the whole suite (lint, types, layer rules, tests); `make bench` prints the benchmark.
VENV ?= .venv
BIN := $(VENV)/bin
PYTHON ?= python3

.PHONY: setup demo lint test bench clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

demo: setup
	$(BIN)/crmagent demo

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

test: lint
	$(BIN)/pytest

bench: setup
	$(BIN)/crmagent bench --json

clean:
	rm -rf $(VENV) .crmagent .pytest_cache .mypy_cache .ruff_cache
