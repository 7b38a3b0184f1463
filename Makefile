# The README's two commands are `make demo` and `make test`; everything else serves them.
SHELL := /bin/bash
PYTHON ?= python3
# Another Python gets a venv of its own: make test-fast PYTHON=python3.13 VENV=.venv-3.13
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export PATH := $(abspath $(BIN)):$(PATH)
export ANSIBLE_COLLECTIONS_PATH := $(abspath collections)

.PHONY: setup test test-fast lint unit twin-up twin-down twin-status demo bench clean

setup: $(STAMP)

# Re-installs only when the pins change, so a second `make setup` takes a second.
$(STAMP): pyproject.toml twin/pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e './twin[test]' -e '.[dev]'
	touch $(STAMP)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/yamllint --strict .
	$(BIN)/ansible-lint

# The product's tests, then the twin's own (a package of its own, with its own pytest settings in twin/), both with
# Sumo's published spec when it is beside the repository.
unit: setup
	$(BIN)/python -m pytest
	spec="$$($(BIN)/python -m tools.sumo_spec)" && cd twin && SUMO_OPENAPI_SPEC="$$spec" $(abspath $(BIN))/python -m pytest

test: lint unit

# Every test not marked slow: the Lambda, the automation engine, the twins' units, the modules. CI also runs these on
# the newest Python the machine has.
test-fast: setup
	$(BIN)/python -m pytest -m "not slow" -q
	spec="$$($(BIN)/python -m tools.sumo_spec)" && cd twin && SUMO_OPENAPI_SPEC="$$spec" $(abspath $(BIN))/python -m pytest -m "not slow" -q

twin-up: setup
	SUMO_OPENAPI_SPEC="$$($(BIN)/python -m tools.sumo_spec)" $(BIN)/python -m emulator up

twin-down: setup
	$(BIN)/python -m emulator down

twin-status: setup
	$(BIN)/python -m emulator status

demo: setup
	$(BIN)/python -m demo $(DEMO_ARGS)

bench: setup
	$(BIN)/python -m bench

clean:
	-$(BIN)/python -m emulator down
	rm -rf $(VENV) .venv-3.* .twin .pytest_cache .ruff_cache build
