# PrivacyDesk: `make run` and `make test` are all a fresh machine needs (Python 3.12).
SHELL := /bin/bash
PYTHON ?= python3.12
VENV := .venv
PY := $(VENV)/bin/python
SAM_VENV := .tools/sam
SAM := $(SAM_VENV)/bin/sam
STAMP := $(VENV)/.installed
FN ?= PublicApiFunction
EVENT ?= events/public_api/get_policy.json
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: help venv tools run test lint typecheck cfn-lint sam-validate unit integration e2e invoke tick build bench clean

help:
	@echo "make run     - run PrivacyDesk on its local AWS stand-in (127.0.0.1:3000, SMTP :2525)"
	@echo "make test    - lint, type-check, validate the template and run every test"
	@echo "make invoke FN=PublicApiFunction EVENT=events/public_api/get_policy.json"
	@echo "make tick    - fire every schedule on the running stand-in"
	@echo "make build   - sam build"
	@echo "make bench   - run every benchmark in bench/ (outside the test suite)"

$(STAMP): requirements-dev.txt layers/shared/requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	$(PY) -m pip install --quiet --no-deps -e .
	touch $@

venv: $(STAMP)

$(SAM_VENV)/.installed: tools/requirements-sam.txt
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(SAM_VENV)/bin/python -m pip install --quiet -r tools/requirements-sam.txt
	touch $@

tools: $(SAM_VENV)/.installed

run: venv
	$(PY) -m local.run

invoke: venv
	$(PY) -m local.invoke $(FN) $(EVENT)

tick: venv
	$(PY) -m local.tick

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: venv
	$(VENV)/bin/mypy layers/shared/privacydesk functions local

cfn-lint: venv
	$(VENV)/bin/cfn-lint template.yaml

sam-validate: tools
	$(SAM) validate --lint --region ap-southeast-1

unit: venv
	$(PY) -m pytest -m unit -q

integration: venv
	$(PY) -m pytest -m integration -q

e2e: venv
	$(PY) -m pytest -m e2e -q

test: lint typecheck cfn-lint sam-validate
	$(PY) -m pytest -q

build: tools
	$(SAM) build

# Every bench/*.py in turn; each prints its side-by-side measurements.
bench: venv
	@set -e; for script in bench/*.py; do echo "== $$script"; $(PY) $$script; done

clean:
	rm -rf $(VENV) .tools .aws-sam .local .pytest_cache .mypy_cache .ruff_cache
