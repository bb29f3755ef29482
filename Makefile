# Targets are what CI runs: `make test` is the whole check, `make demo` the embedded default.
VENV ?= .venv
PY := $(VENV)/bin/python
PYTHON ?= python3

.PHONY: install translations demo run test lint format bench clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

translations: install
	$(VENV)/bin/pybabel compile --statistics -d service/translations

demo: install translations
	$(VENV)/bin/convier db upgrade
	$(VENV)/bin/convier demo
	$(VENV)/bin/convier run

run: install translations
	$(VENV)/bin/convier db upgrade
	$(VENV)/bin/convier run

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

test: install translations lint
	scripts/test

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .coverage*
