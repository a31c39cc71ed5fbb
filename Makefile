# Two commands on a fresh machine (python3 and make are all they need):
#   make report   build the environment if needed, run every notebook on the data, write reports/
#   make test     run the whole test suite, notebooks included
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)
DATA ?= data/sample
OUT ?= reports

.PHONY: env report test test-slow bench docs clean

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	rm -f $(VENV)/.installed-*; touch $(STAMP)

env: $(STAMP)

report: env
	$(BIN)/recruitstats run --data $(DATA) --out $(OUT)

test: env
	$(BIN)/python -m pytest

test-slow: env
	$(BIN)/python -m pytest -m slow

bench: env
	for b in benchmarks/bench_*.py; do $(BIN)/python $$b || exit 1; done

docs: env
	$(BIN)/recruitstats dictionary --out docs/data_dictionary.md

clean:
	rm -rf $(OUT) .pytest_cache
