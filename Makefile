# The venv is rebuilt only when the project's own dependency files change.
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed
BIN := $(VENV)/bin

.PHONY: demo test test-fast check clean report-screenshot chromium postgres

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,dask,postgres]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/newsdesk demo

# The demo warehouse, its HTML report, and a headless Chromium screenshot of it (in report/).
report-screenshot: $(STAMP) chromium
	$(BIN)/newsdesk demo
	$(BIN)/newsdesk report --db warehouse/demo --out report/report.html
	$(BIN)/python -m tests.support.browser report/report.html report/report.png

# Headless Chromium for the browser test and the screenshot: Debian's package, installed when
# none is on PATH (as root, or through passwordless sudo). Tests never install it; CI runs this.
CHROMIUM_NAMES := chromium chromium-browser google-chrome google-chrome-stable
chromium:
	@for name in $(CHROMIUM_NAMES); do command -v $$name >/dev/null && exit 0; done; \
	sudo=$$( [ "$$(id -u)" = 0 ] || echo "sudo -n" ); \
	echo "installing chromium (apt-get)"; \
	$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium \
	  || { $$sudo apt-get update && $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; }

# PostgreSQL for the shared-warehouse test (it starts a throwaway server): Debian's package,
# installed when there is no initdb. Tests never install it; CI runs this.
postgres:
	@command -v initdb >/dev/null || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && exit 0; \
	sudo=$$( [ "$$(id -u)" = 0 ] || echo "sudo -n" ); \
	echo "installing postgresql (apt-get)"; \
	$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql \
	  || { $$sudo apt-get update && $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql; }

# Everything: the pure lane and the slow, Prefect and browser tests (a browser test skips, saying
# why, when there is no Chromium: `make chromium`).
test: $(STAMP)
	$(BIN)/python -m pytest

# The pure lane, under a minute: no real Prefect flow or server, no Chromium, nothing slow.
test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not slow and not prefect and not browser"

# Lint and format (ruff), types (mypy, strict on flows/ and warehouse/) and the layer rules
# (import-linter contracts in pyproject.toml).
check: $(STAMP)
	$(BIN)/ruff check flows warehouse tests bench
	$(BIN)/ruff format --check flows warehouse tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) .state report warehouse/demo warehouse/newsdesk
