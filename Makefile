# make demo: set up, crawl the bundled sample outlets, serve the dashboard on http://127.0.0.1:8001
# make test: set up (venv, packages, Debian's chromium and redis-server), run the whole test suite
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: demo test install chromium redis clean

install: $(INSTALLED)

$(INSTALLED): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(INSTALLED)

demo: $(INSTALLED)
	$(BIN)/csto-monitor demo --db data/monitor.db --port 8001

# The browser tests open the dashboard in Debian's chromium; Playwright drives it (no browser download).
chromium:
	@command -v chromium >/dev/null || { \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium; }

# The scale-out test starts its own redis-server (Debian's package) on a free port.
redis:
	@command -v redis-server >/dev/null || { \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq --no-install-recommends redis-server; }

test: $(INSTALLED) chromium redis
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) data/monitor.db*
