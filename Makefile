# Two commands do everything on a fresh machine (only the package registry is needed):
#   make run   - set up .venv, execute every notebook in place (offline smoke profile), print a table
#   make test  - set up .venv, run the unit tests and the nbval regression tests of the notebooks
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export SSL_KERAS_PROFILE ?= smoke
export PYTHONHASHSEED := 0
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: install run test unit quick nbval lint format clean

install: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	$(PY) -m pip install -q --no-deps -e .
	touch $(STAMP)

run: install
	$(PY) tools/run_notebooks.py notebooks/*.ipynb

test: install
	$(PY) -m pytest tests notebooks --nbval --sanitize-with tests/sanitize.cfg -p tests.nbval_hooks

unit: install
	$(PY) -m pytest tests

quick: install
	$(PY) -m pytest tests -m "not slow"

nbval: install
	$(PY) -m pytest notebooks --nbval --sanitize-with tests/sanitize.cfg -p tests.nbval_hooks

lint: install
	$(PY) -m ruff check ssl_keras tests bench tools notebooks
	$(PY) -m ruff format --check ssl_keras tests bench tools

format: install
	$(PY) -m ruff format ssl_keras tests bench tools
	$(PY) -m ruff check --fix ssl_keras tests bench tools

clean:
	rm -rf $(VENV) artifacts .pytest_cache
