# `make run` serves the app on 127.0.0.1:8080; `make test` runs `make lock-check` and `make lint`, then the test
# suite's fast tier and, beside it, $(TESTS313) again under Python 3.13 (`make test-py313`); `make test-all` does the
# same with the full tier (`pytest --full`: full sizes and the tests marked heavy), then the same tests under 3.10 and
# 3.12 (`make test-py310`, `make test-py312`), one after the other, which CI runs. Each creates (or refreshes) the virtual environment it needs first. `make lock` refreshes requirements.lock
# and constraints.txt.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
TIMER_SOURCES := python_worker_extension_timer/pyproject.toml $(wildcard python_worker_extension_timer/python_worker_extension_timer/*.py) \
	$(wildcard python_worker_extension_timer/python_worker_extension_timer/*/*.py)

# Other Pythons: the extension's, the app's and the runner's tests run again under each Python the package claims
# besides $(VENV)'s: 3.13 (whose Azure worker runs no extension hooks and whose app gets azure-functions 2.x) in both
# tiers, 3.10 (the oldest) and 3.12 (what Azure's deployment runs) in the full tier. Each has its venv inside
# $(VENV), .venv/py3.X, so that whatever keeps $(VENV) out (git, .funcignore, the Docker build context, `make
# clean`) keeps it out as well. PYTHON3X=/path/to/python3.X chooses the interpreter (PYTHON313, PYTHON310,
# PYTHON312); by default pyenv's newest 3.X, else python3.X on PATH. TESTS3X changes what the pass runs.
TESTS313 ?= tests/extension tests/app tests/runner
TESTS310 ?= $(TESTS313)
TESTS312 ?= $(TESTS313)
OTHER_PYTHONS := 3.10 3.12 3.13
# Exits 0 only under Python $(1) with the GIL (a free-threaded build is another interpreter).
is_python = import sys, sysconfig; sys.exit('%d.%d' % sys.version_info[:2] != '$(1)' or bool(sysconfig.get_config_var('Py_GIL_DISABLED')))
find_python = $(shell for p in $$(ls -d "$$(pyenv root 2>/dev/null)"/versions/$(1).*/bin/python$(1) 2>/dev/null | sort -rV) \
                                 $$(command -v python$(1)); do \
                      "$$p" -c "$(call is_python,$(1))" >/dev/null 2>&1 && { echo "$$p"; break; }; done)

.PHONY: run test test-all test-suite test-py313 test-py310 test-py312 lint lock lock-check bench release publish clean

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

# The full tier (CI): the same tests at full size, plus the heavy ones, one pass after the other, each in one
# process, so the timing-sensitive tests at full size have the machine to themselves; then the passes under 3.10
# and 3.12 at the fast size over PYTEST_WORKERS processes (what differs between Pythons shows at any size, and
# CI stays within half an hour).
test-all: lock-check lint
	@$(MAKE) --no-print-directory test-suite test-py313 PYTEST_ARGS=--full
	@$(MAKE) --no-print-directory test-py310 test-py312 PYTEST_ARGS="-n $(PYTEST_WORKERS)"

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

# test-py3X: $(TESTS3X) under Python 3.X, in $(VENV)/py3.X. Without an interpreter it is skipped with a message on a
# workstation, and fails in CI.
define other_python
V$(1) := $(subst .,,$(1))
ifndef PYTHON$$(V$(1))
PYTHON$$(V$(1)) := $$(call find_python,$(1))
endif
VENV$$(V$(1)) ?= $$(VENV)/py$(1)
BIN$$(V$(1)) := $$(VENV$$(V$(1)))/bin

ifeq ($$(PYTHON$$(V$(1))),)
test-py$$(V$(1)):
	@case "$$$$(printf %s "$$$$CI" | tr A-Z a-z)" in ""|0|false|no) ;; *) \
	  echo "test-py$$(V$(1)): no Python $(1) interpreter found (pyenv's $(1).x, python$(1) on PATH or PYTHON$$(V$(1))=...); CI must run the Python $(1) tests." >&2; exit 1;; \
	esac
	@echo "test-py$$(V$(1)): SKIPPED: no Python $(1) interpreter found; install one (pyenv install $(1)) or set PYTHON$$(V$(1))=/path/to/python$(1) to run the Python $(1) tests."
else
test-py$$(V$(1)): $$(VENV$$(V$(1)))/.test-installed
	@echo "test-py$$(V$(1)): $$(TESTS$$(V$(1))) under $$$$($$(BIN$$(V$(1)))/python -VV)"
	$$(BIN$$(V$(1)))/python -m pytest $$(PYTEST_ARGS) $$(TESTS$$(V$(1)))
endif

$$(BIN$$(V$(1)))/python:
	$$(PYTHON$$(V$(1))) -m venv $$(VENV$$(V$(1)))
	$$(BIN$$(V$(1)))/python -m pip install --quiet --upgrade pip

# requirements-dev.txt includes requirements.txt (with the lock's pins) and container/requirements.txt.
$$(VENV$$(V$(1)))/.test-installed: $$(BIN$$(V$(1)))/python requirements.txt container/requirements.txt constraints.txt requirements-dev.txt $$(TIMER_SOURCES)
	$$(BIN$$(V$(1)))/python -m pip install --quiet -r requirements-dev.txt
	touch $$@
endef
$(foreach version,$(OTHER_PYTHONS),$(eval $(call other_python,$(version))))

# The timer extension's release: `make release` builds its sdist and wheel into $(TIMER_DIST) (emptied first; with
# the venv's setuptools, no download) and checks them with `twine check --strict`; `make publish` builds, checks and
# uploads them with twine to the repository twine's own settings name: TWINE_REPOSITORY (testpypi, pypi, or a
# section of ~/.pypirc) or TWINE_REPOSITORY_URL, credentials in TWINE_USERNAME / TWINE_PASSWORD or ~/.pypirc.
TIMER_DIST := python_worker_extension_timer/dist
release: $(VENV)/.test-installed
	rm -rf $(TIMER_DIST)
	$(BIN)/python -m build --sdist --wheel --no-isolation --outdir $(TIMER_DIST) python_worker_extension_timer
	rm -rf python_worker_extension_timer/build python_worker_extension_timer/*.egg-info
	$(BIN)/python -m twine check --strict $(TIMER_DIST)/*

publish: release
	$(BIN)/python -m twine upload --non-interactive $(TIMER_DIST)/*

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

# Every output of a build, a test run or a benchmark; the sources stay.
clean:
	rm -rf $(VENV) build dist *.egg-info test-artifacts benchmarks/results .pytest_cache .hypothesis .mypy_cache \
	  .ruff_cache python_worker_extension_timer/build python_worker_extension_timer/dist \
	  python_worker_extension_timer/*.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
