# `make run` serves the app on 127.0.0.1:8080; `make test` runs the test suite.
# Each creates (or refreshes) the virtual environment it needs first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
TIMER_SOURCES := python_worker_extension_timer/pyproject.toml $(wildcard python_worker_extension_timer/python_worker_extension_timer/*.py)

.PHONY: run test bench clean

run: $(VENV)/.run-installed
	PYTHON_ENABLE_WORKER_EXTENSIONS=$${PYTHON_ENABLE_WORKER_EXTENSIONS:-1} WEB_CONCURRENCY=$${WEB_CONCURRENCY:-1} $(BIN)/python -m container

test: $(VENV)/.test-installed
	$(BIN)/python -m pytest

bench: $(VENV)/.test-installed
	$(BIN)/python benchmarks/run_all.py

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.run-installed: $(BIN)/python requirements.txt container/requirements.txt $(TIMER_SOURCES)
	$(BIN)/python -m pip install --quiet -r requirements.txt -r container/requirements.txt
	touch $@

$(VENV)/.test-installed: $(VENV)/.run-installed requirements-dev.txt
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

clean:
	rm -rf $(VENV) build dist test-artifacts
