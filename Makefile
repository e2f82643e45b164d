# ConvScope developer commands. GNU make.
#   make run    serve the visualizer on http://$(HOST):$(PORT)
#   make test   ruff, mypy, the README's examples and the whole pytest suite (browser tests
#               in Debian's Chromium)
# Override any variable on the command line: make run PORT=8080, make test VENV=/tmp/venv.

PYTHON ?= python3
VENV ?= .venv
HOST ?= 127.0.0.1
PORT ?= 8000
# Extra arguments for `convscope serve`, e.g. SERVE_ARGS=--reload
SERVE_ARGS ?=
# Extra arguments for pytest, e.g. PYTEST_ARGS="-k geometry -x"
PYTEST_ARGS ?=
# pytest-xdist processes for `make test`; 0 runs the suite in this one process (for -x, pdb)
PYTEST_WORKERS ?= 2

BIN := $(VENV)/bin
PY := $(BIN)/python
# Stamps record that the venv holds what pyproject.toml asks for; a newer pyproject.toml
# re-installs, anything else does not touch the network.
RUN_STAMP := $(VENV)/.convscope-run.stamp
TEST_STAMP := $(VENV)/.convscope-test.stamp

# Only the folders that exist: ruff refuses a missing path.
LINT_PATHS := $(wildcard engine app tests benchmarks scripts)
TYPED_PATHS := $(wildcard engine app)
BENCHMARKS := $(filter-out benchmarks/__init__.py benchmarks/conftest.py benchmarks/_%,$(wildcard benchmarks/*.py))

.DEFAULT_GOAL := help
.PHONY: help run test lint bench chromium container-check clean distclean

help:
	@echo "make run        serve on http://$(HOST):$(PORT) (creates $(VENV) if missing)"
	@echo "make test       ruff + mypy + README examples + pytest, browser tests included (needs chromium)"
	@echo "make lint       ruff + mypy only"
	@echo "make bench      run the scripts in benchmarks/"
	@echo "make container-check  build the Docker image, run it, check it from inside, stop it"
	@echo "make clean      remove caches and build output (keeps $(VENV))"
	@echo "make distclean  clean, and remove $(VENV) too"
	@echo "Variables: PYTHON=$(PYTHON) VENV=$(VENV) HOST=$(HOST) PORT=$(PORT) PYTEST_WORKERS=$(PYTEST_WORKERS) SERVE_ARGS PYTEST_ARGS"

$(PY):
	$(PYTHON) -m venv $(VENV)

$(RUN_STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install -e .
	@touch $@

# The test install holds the run install, so it stamps both.
$(TEST_STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install -e '.[test]'
	@touch $@ $(RUN_STAMP)

run: $(RUN_STAMP)
	$(BIN)/convscope serve --host $(HOST) --port $(PORT) $(SERVE_ARGS)

# Browser tests drive Debian's Chromium, its headless shell where installed (tests/chromium.py):
# Playwright's own browser download is not available everywhere, the distribution package is.
chromium:
	@if command -v chromium-headless-shell >/dev/null 2>&1; then \
		echo "chromium: $$(command -v chromium-headless-shell)"; \
	elif [ "$$(id -u)" = 0 ]; then \
		echo "chromium-headless-shell is missing: installing Debian's package"; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get install -y chromium-headless-shell \
			|| { apt-get update && apt-get install -y chromium-headless-shell; }; \
	elif command -v chromium >/dev/null 2>&1; then \
		echo "chromium: $$(command -v chromium) (chromium-headless-shell, which the browser" \
			"tests prefer for its lower CPU cost, is not installed)"; \
	else \
		echo "*** Chromium is not installed and this is not root, so it cannot be installed" >&2; \
		echo "*** here. The browser tests need it: run 'sudo apt-get install" >&2; \
		echo "*** chromium-headless-shell' (or 'chromium', or put either name on PATH)." >&2; \
	fi

test: $(TEST_STAMP) chromium
	@status=0; \
	echo "== ruff check $(LINT_PATHS)"; $(BIN)/ruff check $(LINT_PATHS) || status=1; \
	echo "== mypy $(TYPED_PATHS)"; $(BIN)/mypy $(TYPED_PATHS) || status=1; \
	echo "== README examples against a live server"; $(PY) scripts/check_readme.py || status=1; \
	echo "== pytest"; $(PY) -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS) || status=1; \
	exit $$status

lint: $(TEST_STAMP)
	@status=0; \
	$(BIN)/ruff check $(LINT_PATHS) || status=1; \
	$(BIN)/mypy $(TYPED_PATHS) || status=1; \
	exit $$status

bench: $(RUN_STAMP)
	@if [ -z "$(BENCHMARKS)" ]; then echo "no benchmark scripts in benchmarks/"; exit 1; fi
	@status=0; for script in $(BENCHMARKS); do \
		echo "== $$script"; $(PY) $$script || { echo "*** $$script failed" >&2; status=1; }; \
	done; exit $$status

# Docker if a daemon answers, else podman (installed from apt as root, base image built with
# debootstrap when no registry answers). Needs no venv; uses .venv to compare answers if there.
container-check:
	VENV=$(VENV) bash scripts/container-check.sh

clean:
	rm -rf build dist test-artifacts .mypy_cache .ruff_cache .pytest_cache *.egg-info
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
