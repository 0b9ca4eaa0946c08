# The two commands of the README: `make demo` and `make test`. Both set everything up first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint venv clean

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@

venv: $(VENV)/.installed

demo: venv
	bash .ci/ensure-spatialite.sh $(BIN)/python
	$(BIN)/landreg demo

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: venv
	bash .ci/ensure-spatialite.sh $(BIN)/python
	bash .ci/ensure-postgis.sh $(BIN)/python
	bash .ci/ensure-browser.sh $(BIN)/python
	$(MAKE) --no-print-directory lint
	$(BIN)/pytest -n auto --dist loadfile

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
