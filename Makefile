# Two commands do all the set-up on a fresh machine:
#   make demo   installs, then runs the main job on the embedded default (SQLite, bundled recordings served locally)
#   make test   installs, starts PostgreSQL/Redis if needed, then runs ruff, mypy and the whole pytest suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install services demo test lint typecheck pytest bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

services:
	bash scripts/services.sh

demo: install services
	$(BIN)/creditwatch demo --out out/demo

lint: install
	$(BIN)/ruff check .

typecheck: install
	$(BIN)/mypy

pytest: install services
	$(BIN)/pytest -q

test: lint typecheck pytest

bench: install services
	for b in bench/bench_*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) var out .mypy_cache .ruff_cache .pytest_cache
