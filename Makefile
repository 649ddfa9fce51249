# `make run` serves the app on 127.0.0.1:8080; `make test` runs `make lock-check` and `make lint`, then the test
# suite's fast tier and, beside it, $(TESTS313) again under Python 3.13 (`make test-py313`); `make test-all` does the
# same with the full tier (`pytest --full`: full sizes and the tests marked heavy), one after the other, which CI
# runs. Each creates (or refreshes) the virtual environment it needs first. `make lock` refreshes requirements.lock
# and constraints.txt.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
TIMER_SOURCES := python_worker_extension_timer/pyproject.toml $(wildcard python_worker_extension_timer/python_worker_extension_timer/*.py) \
	$(wildcard python_worker_extension_timer/python_worker_extension_timer/*/*.py)

# Python 3.13: Azure's worker there runs no extension hooks and the app gets azure-functions 2.x, so the
# extension's and the app's tests run under it too. Its venv lives inside $(VENV), so that whatever keeps
# $(VENV) out (git, .funcignore, the Docker build context, `make clean`) keeps it out as well.
# PYTHON313=/path/to/python3.13 chooses the interpreter; by default pyenv's newest 3.13, else python3.13 on PATH.
VENV313 ?= $(VENV)/py3.13
BIN313 := $(VENV313)/bin
TESTS313 ?= tests/extension tests/app tests/runner
IS_PY313 := import sys, sysconfig; sys.exit(sys.version_info[:2] != (3, 13) or bool(sysconfig.get_config_var('Py_GIL_DISABLED')))
ifndef PYTHON313
PYTHON313 := $(shell for p in $$(ls -d "$$(pyenv root 2>/dev/null)"/versions/3.13*/bin/python3.13 2>/dev/null | sort -rV) \
                                  $$(command -v python3.13); do \
                       "$$p" -c "$(IS_PY313)" >/dev/null 2>&1 && { echo "$$p"; break; }; done)
endif

.PHONY: run test test-all test-suite test-py313 lint lock lock-check bench clean

run: $(VENV)/.run-installed
	PYTHON_ENABLE_WORKER_EXTENSIONS=$${PYTHON_ENABLE_WORKER_EXTENSIONS:-1} WEB_CONCURRENCY=$${WEB_CONCURRENCY:-1} $(BIN)/python -m container

# Lint, format and types (configuration in pyproject.toml); `make test` fails on any finding before testing.
lint: $(VENV)/.test-installed
	$(BIN)/python -m ruff check .
	$(BIN)/python -m ruff format --check .
	$(BIN)/python -m mypy

# The fast tier: what to run after a change. The suite and the 3.13 pass run side by side, each spread over
# PYTEST_WORKERS processes (pytest-xdist; their time is mostly spent waiting on servers), each pass's output
# printed whole when it ends.
PYTEST_WORKERS ?= 2
test: lock-check lint
	@$(MAKE) --no-print-directory -j2 --output-sync=target test-suite test-py313 PYTEST_ARGS="-n $(PYTEST_WORKERS)"

# The full tier (CI): the same tests at full size, plus the heavy ones; one pass after the other, each in one
# process, so the timing-sensitive tests at full size have the machine to themselves.
test-all: lock-check lint
	@$(MAKE) --no-print-directory test-suite test-py313 PYTEST_ARGS=--full

# The suite under $(VENV)'s Python, with PYTEST_ARGS (the tier: empty for fast, --full; workers: -n N).
test-suite: $(VENV)/.test-installed
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The lock: uv resolves requirements.txt and container/requirements.txt once for every Python from 3.10 on
# (environment markers where versions differ) with the hashes of every file, keeping the versions the lock
# already has unless an input no longer allows them. UPGRADE=name moves that package to its newest allowed
# version, UPGRADE=all every package. constraints.txt (the pins, without hashes, which requirements.txt names)
# is emptied first so that uv reads no old pin as a constraint, then written again from the new lock.
UV_COMPILE := $(BIN)/uv pip compile --quiet --universal --python-version 3.10 --generate-hashes \
	--no-emit-package python-worker-extension-timer --custom-compile-command "make lock"
lock: $(VENV)/.test-installed
	: > constraints.txt
	$(UV_COMPILE) $(if $(filter all,$(UPGRADE)),--upgrade,$(if $(UPGRADE),--upgrade-package $(UPGRADE))) \
		--output-file requirements.lock requirements.txt container/requirements.txt
	$(BIN)/python tools/requirements_lock.py stamp

# Fails when a requirements file (or the extension's dependencies) changed without `make lock`: no network needed.
lock-check:
	$(PYTHON) tools/requirements_lock.py check

ifeq ($(PYTHON313),)
test-py313:
	@case "$$(printf %s "$$CI" | tr A-Z a-z)" in ""|0|false|no) ;; *) \
	  echo "test-py313: no Python 3.13 interpreter found (pyenv's 3.13.x, python3.13 on PATH or PYTHON313=...); CI must run the Python 3.13 tests." >&2; exit 1;; \
	esac
	@echo "test-py313: SKIPPED: no Python 3.13 interpreter found; install one (pyenv install 3.13) or set PYTHON313=/path/to/python3.13 to run the Python 3.13 tests."
else
test-py313: $(VENV313)/.test-installed
	@echo "test-py313: $(TESTS313) under $$($(BIN313)/python -VV)"
	$(BIN313)/python -m pytest $(PYTEST_ARGS) $(TESTS313)
endif

# Every benchmark, or those named: `make bench BENCH=http_load.py`. SIGTERM (kill, timeout) stops it as Ctrl-C does.
bench: $(VENV)/.test-installed
	$(BIN)/python benchmarks/run_all.py $(BENCH)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.run-installed: $(BIN)/python requirements.txt container/requirements.txt constraints.txt $(TIMER_SOURCES)
	$(BIN)/python -m pip install --quiet -r requirements.txt -r container/requirements.txt
	touch $@

$(VENV)/.test-installed: $(VENV)/.run-installed requirements-dev.txt
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

$(BIN313)/python:
	$(PYTHON313) -m venv $(VENV313)
	$(BIN313)/python -m pip install --quiet --upgrade pip

# requirements-dev.txt includes requirements.txt (with the lock's pins) and container/requirements.txt.
$(VENV313)/.test-installed: $(BIN313)/python requirements.txt container/requirements.txt constraints.txt requirements-dev.txt $(TIMER_SOURCES)
	$(BIN313)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

# Every output of a build, a test run or a benchmark; the sources stay.
clean:
	rm -rf $(VENV) build dist *.egg-info test-artifacts benchmarks/results .pytest_cache .hypothesis .mypy_cache \
	  .ruff_cache python_worker_extension_timer/build python_worker_extension_timer/dist \
	  python_worker_extension_timer/*.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
