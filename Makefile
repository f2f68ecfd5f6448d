# csa-report: `make demo` and `make test` work on a fresh machine (Python >= 3.11 and network access to PyPI).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: install demo test lint bench clean fuzz

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
	$(BIN)/mypy

test: $(STAMP) lint
	$(BIN)/pytest

# The fuzzers of tests/reliability at ten times the CI size (about 125,000 cases), for maintainers.
fuzz: $(STAMP)
	CSA_FUZZ_SCALE=10 $(BIN)/pytest tests/reliability/test_fuzz.py -q -p no:cacheprovider

bench: $(STAMP)
	$(BIN)/python bench/bench_extract.py --out docs/benchmarks.md

clean:
	rm -rf $(VENV) demo-output bench-output .mypy_cache .ruff_cache .pytest_cache
