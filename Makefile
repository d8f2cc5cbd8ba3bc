# Atrium: `make serve` (SQLite + demo data + GraphiQL) and `make test` (ruff, mypy, pytest).
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
PYTEST_WORKERS ?= 2

.PHONY: install serve test lint typecheck pytest bench schema clean

install: $(VENV)/.installed

$(VENV)/.installed: requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements.lock
	$(BIN)/pip install -q --no-deps -e .
	touch $@

serve: install
	$(BIN)/atrium migrate
	$(BIN)/atrium seed-demo
	$(BIN)/atrium serve

lint: install
	$(BIN)/ruff check atrium tests bench migrations
	$(BIN)/ruff format --check atrium tests bench

typecheck: install
	$(BIN)/mypy atrium

pytest: install
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadfile

test: lint typecheck pytest

bench: install
	$(BIN)/python -m bench

schema: install
	$(BIN)/atrium export-schema --output schema.graphql

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache atrium.db*
