# Two commands from a fresh clone: `make demo` and `make test`. Both create .venv and
# install everything they need (Python 3.11+ and access to PyPI are the only prerequisites).
PYTHON ?= $(shell command -v python3.11 || command -v python3.12 || command -v python3.13 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install browser demo test test-fast test-all lint bench realdata clean

$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "learnmart needs Python 3.11+")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	# a throwaway DuckDB 1.4 (what BI tools bundle) to prove the built file opens there
	test -x $(VENV)/bi-duckdb14/bin/python || $(PYTHON) -m venv $(VENV)/bi-duckdb14
	$(VENV)/bi-duckdb14/bin/python -m pip install --quiet 'duckdb>=1.4,<1.5' 'duckdb-cli>=1.4,<1.5'
	touch $(STAMP)

install: $(STAMP) browser

# Headless Chromium opens `learnmart report`'s page in tests/integration/test_report.py, and a CJK font
# draws (and lets vl-convert measure) Chinese titles: apt-get installs both when missing and
# it can (CI runs as root on Debian); otherwise that test skips, or fails when CI is set.
browser:
	@if [ -x /usr/bin/chromium ] && fc-list :lang=zh family 2>/dev/null | grep -q .; then exit 0; fi; \
	if command -v apt-get >/dev/null 2>&1; then \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium fonts-noto-cjk \
		|| echo "could not install chromium and fonts-noto-cjk: tests/integration/test_report.py skips its browser test" >&2; \
	else \
		echo "no apt-get: install Chromium and a CJK font to run tests/integration/test_report.py's browser test" >&2; \
	fi

demo: install
	$(BIN)/learnmart demo
	$(BIN)/learnmart report --out report.html

# pytest exits 5 when it collected no tests: that is a failure here, not a pass.
# Test files run in parallel, one worker per core (at most 4), each file's fixtures (its
# builds) in one worker. A demo-sized build is mostly dbt's single-threaded Python, so
# two workers on two cores take far less wall time than one. Files go out in collection
# order, the heaviest first (tests/conftest.py HEAVIEST_FIRST).
PYTEST_PARALLEL := -n auto --maxprocesses 4 --dist loadscope --no-loadscope-reorder

test: install
	$(BIN)/python -m pytest -q $(PYTEST_PARALLEL); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests" >&2; exit 1; fi; exit $$rc

# the edit loop: tests/unit (numpy fits, item models, the scoring kernel, the build plan, the
# DAG's direction and names), no warehouse built; tests/integration builds warehouses
test-fast: install
	$(BIN)/python -m pytest -q tests/unit

# the long version: 20 killed builds, 50 fuzzed raw files, and the tests marked slow (evaluate
# run twice for reproducibility, EASE parity at a light penalty)
test-all: install
	LEARNMART_FAULT_RUNS=20 LEARNMART_FUZZ_EXAMPLES=50 $(BIN)/python -m pytest -q --runslow $(PYTEST_PARALLEL)

LINT_STAMP := $(VENV)/.lint-stamp

$(LINT_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,lint]'
	touch $(LINT_STAMP)

# Python with ruff; SQL with sqlfluff (rules in dbt_project/.sqlfluff). sqlfluff renders
# every model with dbt's templater, and the models read the raw files' columns while they
# render, so it lints against a 50-user generated folder, in a temp dir with dbt's target.
lint: $(LINT_STAMP)
	$(BIN)/ruff check cli udfs datagen learnmart tests bench dbt_project/models
	$(BIN)/ruff format --check cli udfs datagen learnmart tests bench dbt_project/models
	tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	$(BIN)/learnmart generate --out "$$tmp/data" --users 50 --days 60 && \
	cd dbt_project && LEARNMART_DATA_DIR="$$tmp/data" LEARNMART_DBT_PATH="$$tmp/lint.duckdb" \
		DBT_TARGET_PATH="$$tmp/target" DBT_LOG_PATH="$$tmp/logs" \
		../$(BIN)/sqlfluff lint models tests

# bench-only dependencies: scipy (the SAR-style reference), implicit where it installs
bench: install
	$(BIN)/python -m pip install --quiet 'scipy>=1.11'
	$(BIN)/python -m pip install --quiet 'implicit>=0.7' || echo "implicit did not install: its column is skipped"
	$(BIN)/python -m bench

# OULAD, a real public data set (CC BY 4.0, read in place, never copied here), through the raw
# contract into data/oulad (gitignored); bench.realdata builds it once, times it and writes
# what the build says to bench/results/realdata.md (docs/real_data.md).
OULAD_DIR ?= ../shared/data/oulad

realdata: install
	$(BIN)/python -m learnmart.datagen.oulad --src $(OULAD_DIR) --out data/oulad
	$(BIN)/python -m bench.realdata --data data/oulad --db data/oulad.duckdb
	$(BIN)/learnmart report --db data/oulad.duckdb --out data/oulad-report.html

clean:
	rm -rf $(VENV) dbt_project/target dbt_project/logs learnmart.duckdb .learnmart.duckdb.* data/demo
