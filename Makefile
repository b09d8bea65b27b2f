# `make run` and `make test` set up everything they need themselves.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
MODEL := build/model.tar.gz

.PHONY: run test lint bench model clean

$(INSTALLED): requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(MODEL): $(INSTALLED)
	$(PY) -m scripts.train_model

model: $(MODEL)

run: $(INSTALLED) $(MODEL)
	$(PY) -m scripts.run_local

lint: $(INSTALLED)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

test: $(INSTALLED) lint
	$(PY) -m pytest

# The proxy against the bare tutorial Lambda; writes docs/benchmarks.md's table.
bench: $(INSTALLED) $(MODEL)
	$(PY) -m bench --write build/benchmarks-latest.md

clean:
	rm -rf $(VENV) build .pytest_cache .mypy_cache .ruff_cache
