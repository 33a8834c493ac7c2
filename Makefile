# The venv is rebuilt only when the project's own dependency files change.
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed
BIN := $(VENV)/bin

.PHONY: demo test check clean report-screenshot

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/newsdesk demo

# The demo warehouse, its HTML report, and a headless Chromium screenshot of it (in report/).
report-screenshot: $(STAMP)
	$(BIN)/newsdesk demo
	$(BIN)/newsdesk report --db warehouse/demo.duckdb --out report/report.html
	$(BIN)/python -m tests.browser report/report.html report/report.png

test: $(STAMP)
	$(BIN)/python -m pytest

# Lint (ruff) and the layer rules (import-linter contracts in pyproject.toml).
check: $(STAMP)
	$(BIN)/ruff check flows warehouse tests bench
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) .state report warehouse/*.duckdb warehouse/*.duckdb.wal
