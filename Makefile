# smsflows — every command a user or CI needs. `make test` is exactly what CI runs.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LAYER := layers/deps/build
STAGE ?= dev
export TZ := UTC
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export CDK_DISABLE_CLI_TELEMETRY := true
export PIP_DISABLE_PIP_VERSION_CHECK := 1
# pip on some machines lists local mirrors that may be absent; keep its output readable.
QUIET_PIP := 2>&1 | { grep -v "is ignored: it is neither a file nor a directory" || true; }

.DEFAULT_GOAL := help
.PHONY: help install layer fmt lint test demo local synth bench mutate mutate-fast deploy diff clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): requirements/dev.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "installing pinned dependencies (requirements/dev.lock) into $(VENV)…"
	@set -o pipefail; $(BIN)/python -m pip install -q --require-hashes -r requirements/dev.lock $(QUIET_PIP)
	@set -o pipefail; $(BIN)/python -m pip install -q --no-deps --no-build-isolation -e . $(QUIET_PIP)
	@touch $(STAMP)

install: $(STAMP) ## create .venv with the locked dependencies and the smsflows CLI

$(LAYER)/.built: requirements/runtime.lock | $(STAMP)
	@rm -rf $(LAYER) && mkdir -p $(LAYER)/python
	@echo "building the Lambda deps layer (arm64, Python 3.12) from requirements/runtime.lock…"
	@set -o pipefail; $(BIN)/python -m pip install -q --require-hashes --platform manylinux2014_aarch64 \
		--platform manylinux_2_28_aarch64 --only-binary=:all: --python-version 3.12 --implementation cp \
		--target $(LAYER)/python -r requirements/runtime.lock $(QUIET_PIP)
	@touch $@

layer: $(LAYER)/.built ## build the third-party Lambda layer without Docker

fmt: $(STAMP) ## format the code
	$(BIN)/ruff format layers/core functions infra tests bench
	$(BIN)/ruff check --fix layers/core functions infra tests bench

lint: $(STAMP) ## ruff and mypy
	$(BIN)/ruff check layers/core functions infra tests bench
	$(BIN)/mypy

# pytest-xdist: one worker per core, each test file on one worker (its module fixtures, e.g. a local cloud or
# the synthesized template, are built once). `make test TEST_JOBS=0` runs the suite in one process.
TEST_JOBS ?= auto
test: $(STAMP) $(LAYER)/.built ## install what is needed and run the whole suite (what CI runs)
	@set +e; calls=$$(mktemp -d); SMSFLOWS_LEAST_PRIVILEGE_DIR=$$calls $(BIN)/python -m pytest -n $(TEST_JOBS) --dist loadfile; rc=$$?; rm -rf $$calls; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests"; fi; exit $$rc

demo: $(STAMP) ## a scripted store week on the local cloud (virtual time), printed as one timeline
	$(BIN)/smsflows demo

local: $(STAMP) ## run the local cloud on :8787 (PORT=…; VIRTUAL=1 for virtual time, else TIME_SCALE=…)
	$(BIN)/smsflows local --port $${PORT:-8787} $(if $(VIRTUAL),--virtual,--time-scale $${TIME_SCALE:-1})

node_modules/.bin/cdk: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

synth: $(STAMP) $(LAYER)/.built node_modules/.bin/cdk ## synthesize the CloudFormation template offline (STAGE=dev|prod)
	npx cdk synth --quiet -c stage=$(STAGE) $(CDK_ARGS)

diff: $(STAMP) $(LAYER)/.built node_modules/.bin/cdk ## cdk diff against the deployed stage
	npx cdk diff -c stage=$(STAGE) $(CDK_ARGS)

deploy: $(STAMP) $(LAYER)/.built node_modules/.bin/cdk ## deploy a stage: make deploy STAGE=prod
	npx cdk deploy -c stage=$(STAGE) $(CDK_ARGS) --require-approval broadening

bench: $(STAMP) $(LAYER)/.built ## run the benchmarks (figures, never pass/fail)
	@for b in bench/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

# What tests read next to their own folder (mutmut runs them from <dir>/mutants/tests).
MUTATE_LINKS = examples shopify infra docs functions bench requirements README.md Makefile

mutate: $(STAMP) ## mutation testing of the modules behind the README's claims (slow, not in CI): score per module
	@$(MAKE) --no-print-directory _mutate DIR=.mutate SELECTION=

mutate-fast: $(STAMP) ## the same mutants against the unit and contract tests alone (under an hour): a lower bound of `make mutate`
	@$(MAKE) --no-print-directory _mutate DIR=.mutate-fast SELECTION='["tests/unit", "tests/contracts"]'

# FROM=.mutate-fast (make mutate only): run just that finished run's survivors against the whole selection and
# score every other mutant by its verdict there (killed by the unit and contract tests, so killed by all).
SEED = $(if $(FROM),--seed ../$(FROM))
# RETEST=1: then run the last run's survivors again (mutmut keeps a verdict until its function changes, so
# a survivor that a test written since would kill still counts as one until it runs again).
_mutate:  # (the recipe behind mutate and mutate-fast)
	@set -o pipefail; $(BIN)/python -m pip install -q --require-hashes -r requirements/mutate.lock $(QUIET_PIP)
	@# the tests are copied, not linked: editing the tree during a run must not change the tests it runs
	@mkdir -p $(DIR)/mutants && ln -sfn ../layers/core/python $(DIR)/src && rm -rf $(DIR)/tests \
		&& cp -r tests $(DIR)/tests && for f in $(MUTATE_LINKS); do ln -sfn ../../$$f $(DIR)/mutants/$$f; done
	@if [ -n '$(SELECTION)' ]; then sed 's|^pytest_add_cli_args_test_selection = .*|pytest_add_cli_args_test_selection = $(SELECTION)|' \
		pyproject.toml > $(DIR)/pyproject.toml; else ln -sfn ../pyproject.toml $(DIR)/pyproject.toml; fi
	@if [ -z '$(FROM)' ]; then cd $(DIR) && ../$(BIN)/mutmut run --max-children $${JOBS:-2} || true; \
	elif [ ! -d '$(FROM)/mutants' ]; then echo "no mutation results in $(FROM): run make mutate-fast first"; exit 2; \
	else names=$$(cd $(FROM) && ../$(BIN)/python ../tests/mutation/score.py --survivors) || exit 2; \
		echo "the $$(echo $$names | wc -w) survivors of $(FROM) against the whole selection; its kills stand"; \
		if [ -n "$$names" ]; then cd $(DIR) && ../$(BIN)/mutmut run --max-children $${JOBS:-2} $$names || true; fi; fi
	@if [ -n '$(RETEST)' ]; then cd $(DIR) && names=$$(../$(BIN)/python ../tests/mutation/score.py --survivors $(SEED)) \
		&& if [ -n "$$names" ]; then ../$(BIN)/mutmut run --max-children $${JOBS:-2} $$names || true; fi; fi
	cd $(DIR) && ../$(BIN)/python ../tests/mutation/score.py $(SEED)

clean: ## remove build output (keeps .venv)
	rm -rf cdk.out $(LAYER) .pytest_cache .mypy_cache .ruff_cache .mutate .mutate-fast
