# `make bench` and `make test` set up .venv on first use (and again when pyproject.toml
# changes), so a fresh clone needs nothing but Python 3.10+ and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Benchmarks run without the OpenBLAS overrides this environment sets (they slow a current
# numpy); tests and CI keep the environment exactly as it is.
BENCH_ENV := env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE

.PHONY: test lint bench

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# The code-host workflows: valid against the GitHub-workflow schema, and clean under zizmor
# (a workflow linter and security auditor; actionlint has no installable package here).
WORKFLOWS := .github/workflows/ci.yml .github/workflows/benchmarks.yml

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/check-jsonschema --builtin-schema vendor.github-workflows $(WORKFLOWS)
	$(BIN)/zizmor --offline --no-progress --persona=auditor $(WORKFLOWS)

test: lint
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BENCH_ENV) $(BIN)/rbmperf bench $(ARGS)

# Backends side by side at each data size (pytest-benchmark), one BLAS thread; the table is
# printed and the run saved (bounded: min/max time per benchmark) to $(COMPARE_JSON).
# Timed in process CPU time, which other processes' load barely moves; for wall time:
# make compare ARGS=--benchmark-timer=time.perf_counter
COMPARE_JSON ?= reports/compare.json
COMPARE_LIMITS := --benchmark-min-time=0.0005 --benchmark-max-time=1.0 \
	--benchmark-timer=time.process_time

.PHONY: compare

compare: $(STAMP)
	@mkdir -p $(dir $(COMPARE_JSON))
	$(BENCH_ENV) $(BIN)/python -m pytest -p no:cacheprovider tests/benchmarks/test_compare_backends.py \
		--benchmark-only \
		$(COMPARE_LIMITS) --benchmark-json=$(COMPARE_JSON) \
		--benchmark-columns=min,median,max,rounds --benchmark-sort=name $(ARGS)
