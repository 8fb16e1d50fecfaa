# Two entry points (see README): `make check` sets everything up and runs the main job;
# `make test` runs the whole test suite (lint, types, tests).
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PYTHON ?= python3

.PHONY: check test lint typecheck pytest system-deps clean

$(STAMP): pyproject.toml setup.py scripts/parts.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Graphviz (dot) renders the SVG/PNG diagrams; SPIN cross-checks the model.
system-deps:
	@sh scripts/install-system-deps.sh

check: $(STAMP) system-deps
	$(BIN)/mapi-submission check

test: lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check .

# mypy cannot follow setuptools' editable import hooks, so it reads a tree of links that
# mirrors the installed package layout, built from pyproject.toml's list of mapped folders.
typecheck: $(STAMP)
	@rm -rf .typecheck
	@$(BIN)/python scripts/parts.py link-tree .typecheck
	cd .typecheck && ../$(BIN)/mypy --config-file ../pyproject.toml -p mapi_submission

pytest: $(STAMP) system-deps
	$(BIN)/pytest -n auto

clean:
	rm -rf $(VENV) .typecheck build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache
