# PrivacyDesk: `make run` and `make test` are all a fresh machine needs (Python 3.12).
SHELL := /bin/bash
PYTHON ?= python3.12
VENV := .venv
PY := $(VENV)/bin/python
SAM_VENV := .tools/sam
SAM := $(SAM_VENV)/bin/sam
# Scanners whose pins clash with ours (checkov: boto3==1.35.49; cfn-lint-serverless: cfn-lint>=1.57)
# each get a venv under .tools/, built from a pinned requirements file under tools/.
CHECKOV_VENV := .tools/checkov
SERVERLESS_VENV := .tools/cfn-serverless
AUDIT_VENV := .tools/audit
# pip-audit asks PyPI's per-release JSON API for advisories; where it cannot be reached, it says so.
PIP_AUDIT_PROBE := https://pypi.org/pypi/pip/24.0/json
STAMP := $(VENV)/.installed
FN ?= PublicApiFunction
EVENT ?= events/public_api/get_policy.json
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: help venv tools template run test fast browser-check lint typecheck contracts cfn-lint sam-validate unit integration e2e security invoke tick build bench clean \
	audit checkov cfn-lint-serverless bandit pip-audit fuzz sam-image sam-env sam-ready datamap-wiring

help:
	@echo "make run     - run PrivacyDesk on its local AWS stand-in (127.0.0.1:3000, SMTP :2525)"
	@echo "make test    - lint, type-check, validate the template and run every test (pytest on $(TEST_WORKERS) workers)"
	@echo "make fast    - the core flows on in-memory fakes (tests/fast), in about a second"
	@echo "make invoke FN=PublicApiFunction EVENT=events/public_api/get_policy.json"
	@echo "make tick    - fire every schedule on the running stand-in"
	@echo "make template - rewrite template.yaml's generated block (log groups, alarms) from tools/template_gen.py"
	@echo "make build   - sam build (ARCH=x86_64 for sam local invoke on an x86_64 machine)"
	@echo "make sam-image - Docker engine + the Lambda python3.12 base image, built locally"
	@echo "make sam-env - .local/sam-env.json: sam local invoke against the running stand-in"
	@echo "make datamap-wiring - rewrite template.yaml's data-map blocks (variables, parameters, grants, TTL streams)"
	@echo "make bench   - run bench/ and write BENCHMARKS.md (+ BENCHMARKS.png)"
	@echo "make audit   - checkov, cfn-lint serverless rules, bandit, pip-audit, schemathesis (make fuzz)"

$(STAMP): requirements-dev.txt layers/shared/requirements.txt pyproject.toml
	@echo "==> Setting up $(VENV) (first run, or the requirements changed): this takes a few minutes."
	@echo "==> [1/4] creating $(VENV) with $(PYTHON)"
	$(PYTHON) -m venv $(VENV)
	@echo "==> [2/4] upgrading pip"
	$(PY) -m pip install --quiet --upgrade pip
	@echo "==> [3/4] installing requirements-dev.txt (boto3, moto, Powertools, PynamoDB, pytest, ...); the longest step"
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@echo "==> [4/4] installing PrivacyDesk itself (editable)"
	$(PY) -m pip install --quiet --no-deps -e .
	@touch $@
	@echo "==> $(VENV) is ready."

venv: $(STAMP)

$(SAM_VENV)/.installed: tools/requirements-sam.txt
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(SAM_VENV)/bin/python -m pip install --quiet -r tools/requirements-sam.txt
	touch $@

tools: $(SAM_VENV)/.installed

.tools/%/.installed: tools/requirements-%.txt
	$(PYTHON) -m venv .tools/$*
	.tools/$*/bin/python -m pip install --quiet --upgrade pip
	.tools/$*/bin/python -m pip install --quiet -r $<
	touch $@

# Each function's log group and alarms, and each DLQ's alarm, are rendered from tools/template_gen.py's
# lists into template.yaml (between its markers); tests/unit/test_template_generated.py checks it.
template: venv
	$(PY) -m tools.template_gen

# PARAMETERS: template parameters, as `sam deploy --parameter-overrides` takes them, e.g.
# make run PARAMETERS="DataMapFile=datamap.services.yaml BillingServiceUrl=http://127.0.0.1:8080"
PARAMETERS ?=
run: venv
	$(PY) -m local.run $(if $(PARAMETERS),--parameter-overrides $(PARAMETERS))

invoke: venv
	$(PY) -m local.invoke $(FN) $(EVENT)

tick: venv
	$(PY) -m local.tick

# After a change to data/datamap.yaml: the template's variables, parameters, IAM grants and TTL streams per store.
datamap-wiring: venv
	$(PY) -m tools.datamap_wiring

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: venv
	$(VENV)/bin/mypy layers/shared/privacydesk functions local bench

# The layering rules (ARCHITECTURE.md), as import-linter contracts in .importlinter.
contracts: venv
	$(VENV)/bin/lint-imports

cfn-lint: venv
	$(VENV)/bin/cfn-lint template.yaml

sam-validate: tools
	$(SAM) validate --lint --region ap-southeast-1

fast: venv
	$(PY) -m pytest -m fast -q tests/fast

unit: venv
	$(PY) -m pytest -m unit -q

integration: venv
	$(PY) -m pytest -m integration -q

e2e: venv
	$(PY) -m pytest -m e2e -q

security: venv
	$(PY) -m pytest -m security -q

# Browser tests need Debian's chromium; without it they are skipped, and that is said loudly (before and after).
BROWSER_SKIPPED_NOTICE := if [ ! -x /usr/bin/chromium ]; then \
	echo "************************************************************************"; \
	echo "* BROWSER TESTS SKIPPED: /usr/bin/chromium is not installed.            *"; \
	echo "* To run them: sudo apt-get install -y chromium                        *"; \
	echo "*              then: .venv/bin/python -m pytest -m browser -q          *"; \
	echo "************************************************************************"; \
	fi

browser-check:
	@$(BROWSER_SKIPPED_NOTICE)

# pytest on TEST_WORKERS processes (pytest-xdist). --dist loadgroup hands out the units of
# tests/conftest.py (worker_group): every file whole, all tests on the shared stand-in together, the
# longest first; the unexercised-grant check last, reading the calls every worker's in-process tests
# made. TEST_WORKERS=0 runs everything in this process, as before. PYTEST_ARGS: more options
# (e.g. PYTEST_ARGS="--durations=50" to see where the time goes).
TEST_WORKERS ?= 2
PYTEST_ARGS ?=
PYTEST_WORKERS := $(if $(filter 0,$(TEST_WORKERS)),,-n $(TEST_WORKERS) --dist loadgroup) $(PYTEST_ARGS)

test: lint typecheck contracts cfn-lint sam-validate sam-ready browser-check
	@echo "$(PY) -m pytest -q $(PYTEST_WORKERS)"; $(PY) -m pytest -q $(PYTEST_WORKERS); status=$$?; $(BROWSER_SKIPPED_NOTICE); exit $$status

audit: checkov cfn-lint-serverless bandit pip-audit fuzz

# Skips are justified on the resource (Metadata: checkov: skip: - id, comment); see SECURITY.md.
checkov: $(CHECKOV_VENV)/.installed
	$(CHECKOV_VENV)/bin/checkov -f template.yaml --framework cloudformation --skip-download --quiet --compact

# Ignores are justified in the template's Metadata (cfn-lint: config: ignore_checks).
cfn-lint-serverless: $(SERVERLESS_VENV)/.installed
	$(SERVERLESS_VENV)/bin/cfn-lint -t template.yaml -a cfn_lint_serverless.rules

bandit: $(AUDIT_VENV)/.installed
	$(AUDIT_VENV)/bin/bandit -q -r layers functions local

pip-audit: $(AUDIT_VENV)/.installed
	@if $(AUDIT_VENV)/bin/python -c "import urllib.request; urllib.request.urlopen('$(PIP_AUDIT_PROBE)', timeout=30)" 2>/dev/null; then \
		$(AUDIT_VENV)/bin/pip-audit --strict --progress-spinner off -r layers/shared/requirements.txt -r requirements-dev.txt; \
	else \
		echo "pip-audit SKIPPED: PyPI's vulnerability API ($(PIP_AUDIT_PROBE)) cannot be reached from this machine,"; \
		echo "  so no requirement could be checked against advisories. Run 'make pip-audit' where it can."; \
	fi

fuzz: venv
	$(PY) -m pytest -m fuzz -q

# The layer's Makefile runs in SAM's scratch folder, outside this repo's .python-version: hand it
# the project's Python 3.12 (plain `sam build` uses python3.12 from PATH).
# ARCH: the functions' architecture. arm64 (the default) is what deploys; x86_64 is for
# `sam local invoke` on an x86_64 machine, where arm64 would need emulation (see README).
ARCH = arm64
build: tools venv
	PYTHON="$(abspath $(PY))" FUNCTION_ARCHITECTURE=$(ARCH) $(SAM) build --parameter-overrides FunctionArchitecture=$(ARCH)

# `sam local invoke` on this machine (README, "sam local invoke"): a Docker engine, the Lambda base
# image no registry here serves (built from this machine's Python), and a build for this machine's
# architecture (arm64 on x86_64 would need emulation, untested).
SAM_LOCAL_ARCH := $(if $(filter aarch64 arm64,$(shell uname -m)),arm64,x86_64)

sam-image:
	tools/sam_local/docker_engine.sh
	PYTHON=$(PYTHON) tools/sam_local/build_image.sh

# Needs the running stand-in (make run); leaves a forwarder to its moto on the Docker bridge.
sam-env: venv
	$(PY) -m tools.sam_local.sam_env write

# What tests/sam needs. Its own build and cache folders, so `make build` stays the arm64 deploy build.
# Where no engine can start: fails in CI (CI=true); elsewhere says so and the sam tests skip, loudly.
sam-ready: tools venv
	@if tools/sam_local/docker_engine.sh; then \
		PYTHON=$(PYTHON) tools/sam_local/build_image.sh && \
		PYTHON="$(abspath $(PY))" FUNCTION_ARCHITECTURE=$(SAM_LOCAL_ARCH) $(SAM) build --cached \
			--build-dir .aws-sam/sam-local --cache-dir .aws-sam/cache-$(SAM_LOCAL_ARCH) \
			--parameter-overrides FunctionArchitecture=$(SAM_LOCAL_ARCH); \
	elif [ "$$CI" = true ]; then \
		echo "sam-ready: FAILED: no Docker engine, so sam local invoke cannot be tested (CI=true)" >&2; exit 1; \
	else \
		echo "!!!!!!!! sam-ready: NO DOCKER ENGINE: the sam local invoke tests (tests/sam) will be SKIPPED !!!!!!!!"; \
	fi

bench: venv
	$(PY) -m bench.run_all

clean:
	rm -rf $(VENV) .tools .aws-sam .local .pytest_cache .mypy_cache .ruff_cache
