# leadrouter — two commands: `make run` and `make test`.
# Both create .venv, install the pinned requirements, migrate the default database,
# then start the app (run) or the whole suite (test). Second runs reuse what exists.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
RUNTIME_STAMP := $(VENV)/.runtime-installed
DEV_STAMP     := $(VENV)/.dev-installed
PYTEST_ARGS ?=

.PHONY: run test venv deps dev-deps migrate clean bench help
.DEFAULT_GOAL := help

help:
	@echo "make run    set up (venv, deps, migrations) and start leadrouter on http://127.0.0.1:8000"
	@echo "make test   set up and run the whole test suite"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUNTIME_STAMP): requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	@touch $@

$(DEV_STAMP): requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	@touch $(RUNTIME_STAMP) $@

venv: $(BIN)/python
deps: $(RUNTIME_STAMP)
dev-deps: $(DEV_STAMP)

migrate: deps
	$(BIN)/python app.py db upgrade

run: migrate
	$(BIN)/python app.py run

test: dev-deps
	$(BIN)/python app.py db upgrade
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: deps
	$(BIN)/python app.py bench all

clean:
	rm -rf $(VENV) .pytest_cache
