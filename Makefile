# csa-report: `make demo` and `make test` work on a fresh machine (Python >= 3.11 and network access to PyPI).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: test-fast install demo test lint bench clean docs docs-ref infra-check lock fuzz

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/csa-report demo --out demo-output

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

# Everything, on TEST_WORKERS pytest-xdist workers: most of the slow tests wait on servers and subprocesses, so two
# workers halve the wall time on two cores (each worker has its own services, ports and PREFECT_HOME).
# --dist loadgroup: the tests marked xdist_group("spark") run on one worker, so one local Spark serves them all.
TEST_WORKERS ?= 2
test: $(STAMP) lint docs infra-check
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadgroup --durations=25

# The fast lane (under two minutes on two idle cores): every module's unit and service tests, on FAST_WORKERS
# pytest-xdist workers; not the browser tests (ui) nor the slow ones: a Prefect server, kill -9, fuzzing, … (slow,
# set in tests/conftest.py). `make test` runs everything.
FAST_WORKERS ?= 3  # measured on 2 idle cores: 2 workers 114 s, 3 workers 96 s, 4 workers 120 s
test-fast: $(STAMP) lint
	$(BIN)/pytest -m "not ui and not slow" -q -p no:cacheprovider -n $(FAST_WORKERS)

# The fuzzers of tests/reliability at ten times the CI size (about 125,000 cases), for maintainers.
fuzz: $(STAMP)
	CSA_FUZZ_SCALE=10 $(BIN)/pytest tests/reliability/test_fuzz.py tests/checks/test_service_names_property.py -q -p no:cacheprovider

bench: $(STAMP)
	$(BIN)/python bench/bench_extract.py --out docs/benchmarks.md

clean:
	rm -rf $(VENV) $(INFRA_VENV) demo-output bench-output site .mypy_cache .ruff_cache .pytest_cache

# Documentation: the reference tables are generated from the code (indicators, rules, settings, CLI);
# tests/docs/ fails when the committed ones are stale. The site is built with --strict: a broken link fails.
docs-ref: $(STAMP)
	$(BIN)/python -m csa_report.commands.docs_reference

docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet

# cfn-lint and checkov have their own virtualenv: checkov pins versions of common packages (boto3, pydantic,
# …) that would otherwise fight with the project's.
INFRA_VENV  := .venv-infra
INFRA_STAMP := $(INFRA_VENV)/.installed-stamp
$(INFRA_STAMP):
	$(PYTHON) -m venv $(INFRA_VENV)
	$(INFRA_VENV)/bin/python -m pip install --quiet 'checkov==3.3.30' 'cfn-lint==1.58.0'
	touch $(INFRA_STAMP)

infra-check: $(INFRA_STAMP)
	$(INFRA_VENV)/bin/cfn-lint infra/aws/*.yaml
	$(INFRA_VENV)/bin/checkov --quiet --compact --skip-download --framework cloudformation -d infra/aws

# The container image's pinned dependencies: a clean virtualenv with the runtime dependencies only.
lock:
	rm -rf build/lock-venv && $(PYTHON) -m venv build/lock-venv
	build/lock-venv/bin/python -m pip install --quiet .
	{ echo '# Pinned runtime dependencies of csa-report for the container image (infra/Dockerfile), installed with --no-deps.'; \
	  echo '# Regenerate with `make lock` (a clean virtualenv holding `pip install .` only); tests/infra/test_container.py checks it.'; \
	  build/lock-venv/bin/python -m pip freeze | grep -vi '^csa[-_]report'; } > infra/requirements.lock
	rm -rf build/lock-venv
