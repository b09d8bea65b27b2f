# `make run` and `make test` set up everything they need themselves.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
MODEL := build/model.tar.gz
# newman, for the Postman collection's test run.
NODE_TOOLS := node_modules/.installed
# SAM's translator and checkov, in an environment of their own: their pins clash with ours.
TOOLS := .venv-tools/.installed
# mkdocs-material, in its own too: its watchdog would change how `chalice local` reloads.
DOCS_TOOLS := .venv-docs/.installed

.PHONY: run setup docs test test-unit test-timed test-unit-then-own lint bench deploy model clean

# pip byte-compiles what it installs (26 s of the 39 s here), and no --no-compile: where
# PYTHONDONTWRITEBYTECODE is set, as on this project's machines, nothing else would, and every
# test process would compile what it imports again (+96 s of end-to-end tests, seen).
$(INSTALLED): requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade 'pip<26.3'  # chalice 1.34 packages with pip below 26.3
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(NODE_TOOLS): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(TOOLS): requirements-tools.txt
	$(PYTHON) -m venv .venv-tools
	.venv-tools/bin/python -m pip install --quiet --upgrade pip
	.venv-tools/bin/python -m pip install --quiet -r requirements-tools.txt
	touch $@

$(DOCS_TOOLS): requirements-docs.txt
	$(PYTHON) -m venv .venv-docs
	.venv-docs/bin/python -m pip install --quiet -r requirements-docs.txt
	touch $@

$(MODEL): $(INSTALLED)
	$(PY) -m scripts.train_model

model: $(MODEL)

# SIGN_IN=1: the proxy accepts only tokens of a local issuer, and the demo page signs in there.
# PORT, ENDPOINT_PORT, DEMO_PORT, ISSUER_PORT move the proxy (8000), the SageMaker stand-in
# (8080), the demo page (8001) and the issuer (8090); the allowed origins follow the demo page.
SIGN_IN ?=
PORT ?=
ENDPOINT_PORT ?=
DEMO_PORT ?=
ISSUER_PORT ?=
# CAPTURE=build/capture: the stand-in captures every invocation there, for scripts.drift_report.
CAPTURE ?=
run: $(INSTALLED) $(MODEL)
	$(PY) -m scripts.run_local $(if $(SIGN_IN),--sign-in) $(if $(PORT),--port $(PORT)) \
	  $(if $(ENDPOINT_PORT),--endpoint-port $(ENDPOINT_PORT)) $(if $(DEMO_PORT),--demo-port $(DEMO_PORT)) \
	  $(if $(ISSUER_PORT),--issuer-port $(ISSUER_PORT)) $(if $(CAPTURE),--capture-dir $(CAPTURE))

# Everything `make run` and `make test` need, installed, without starting anything: after it,
# every command in the docs runs as `.venv/bin/python -m scripts.<command>`.
# The four side by side (48 s instead of 92 s from a clean clone); only here, so that
# `make clean test` still cleans first.
setup:
	@$(MAKE) --no-print-directory --jobs=4 $(INSTALLED) $(NODE_TOOLS) $(TOOLS) $(DOCS_TOOLS)

lint: $(INSTALLED)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

# The documentation site, into build/site: the reference pages generated from the code first
# (every command's argparse, the OpenAPI document), then mkdocs with every warning an error.
docs: $(INSTALLED) $(DOCS_TOOLS)
	$(PY) -m scripts.docs_reference --quiet
	NO_MKDOCS_2_WARNING=1 .venv-docs/bin/mkdocs build --strict

# The tests in two steps, the first two lanes side by side:
# 1. the tests that time an answer against a deadline (marked timed: one process, mostly waiting,
#    and unmoved by the other lane, measured) beside the unit tests (in process, one core), then
#    the tests that need a pytest of their own (marked own_pytest: schemathesis expands its
#    operations inside one item, which pytest-xdist cannot share out);
# 2. everything else, which starts processes, serves HTTP, packages or scans: in parallel, a file
#    to a worker (pytest-xdist). Never beside the timed tests: its load would stretch them.
TEST_WORKERS ?= 3
# (lint and docs in the recipe, not as prerequisites: under `make -j` they would install the
# environments beside setup's own installs.)
test: setup
	$(MAKE) --no-print-directory lint docs
	$(MAKE) --no-print-directory --jobs=2 --output-sync=target test-timed test-unit-then-own
	$(PY) -m pytest tests/e2e -m "not timed and not own_pytest" -n $(TEST_WORKERS) --dist loadfile

test-unit: $(INSTALLED)
	$(PY) -m pytest tests/unit

test-timed: $(INSTALLED)
	$(PY) -m pytest tests/e2e -m timed

test-unit-then-own: test-unit
	$(PY) -m pytest tests/e2e -m own_pytest

# API Gateway + Lambda for a stage, with API key, usage plan and CORS on gateway errors,
# in the region scripts.deploy_endpoint recorded for the stage's endpoint (REGION=... to say it).
# ALARM_EMAIL=you@example.com: the stage's alarms also mail you (an SNS topic, confirm the mail).
STAGE ?= dev
REGION ?=
# A production stage whose only gate is the API key is refused unless ALLOW_API_KEY_ONLY=1.
ALLOW_API_KEY_ONLY ?=
ALARM_EMAIL ?=
deploy: $(INSTALLED)
	ALARM_EMAIL=$(ALARM_EMAIL) $(PY) -m scripts.deploy_api --stage $(STAGE) $(if $(REGION),--region $(REGION)) $(if $(ALLOW_API_KEY_ONLY),--api-key-only)

# The proxy against the bare tutorial Lambda (writes docs/benchmarks.md's table), then
# train_job --local against xgboost.train on the same arrays, then a day's capture (1,000,000
# records) read into a drift report.
bench: $(INSTALLED) $(MODEL)
	$(PY) -m bench --write build/benchmarks-latest.md
	$(PY) -m bench.training
	$(PY) -m bench.batch_speed
	$(PY) -m bench.drift

clean:
	rm -rf $(VENV) .venv-tools .venv-docs node_modules build .pytest_cache .mypy_cache .ruff_cache
