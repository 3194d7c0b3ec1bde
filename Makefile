# Cadreflow: `make run` serves the demo, `make test` runs the whole suite.
# Needs only Python >= 3.11 and make; everything else goes into .venv and .data.

PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' && { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint migrations-check deploy-check clean-data help

help:
	@echo "make run    serve Cadreflow with demo data at http://127.0.0.1:8000/"
	@echo "make test   run the whole test suite (browser tests need Chromium)"
	@echo "make lint   ruff + migrations check"

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "Python >= 3.11 is required (none found on PATH)"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

run: $(STAMP)
	@$(BIN)/python -m config.launch run

test: $(STAMP)
	@$(BIN)/python -m config.launch test $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python manage.py makemigrations --check --dry-run

clean-data:
	rm -rf .data
