PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# The models' matrices are small: a multi-threaded BLAS only spins, and with several
# fitting processes on 2 cores it made M3 monthly fits ten times slower (BENCHMARKS.md).
export OPENBLAS_NUM_THREADS ?= 1
export OMP_NUM_THREADS ?= 1

.PHONY: install serve test lint format fit bench-accuracy bench-sparse bench-http bench-scale clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

serve: $(STAMP)
	$(BIN)/forecast serve

fit: $(STAMP)
	$(BIN)/forecast fit

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench-accuracy: $(STAMP)
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/python -m bench.accuracy --suite china-exports

bench-sparse: $(STAMP)
	$(BIN)/python -m bench.sparse_year

bench-http: $(STAMP)
	$(BIN)/python -m bench.http

# SCALE_ARGS='--sizes 100,1000 --fit-sizes 100': fitting 10,000 series takes hours on 2 cores (BENCHMARKS.md)
bench-scale: $(STAMP)
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/python -m bench.scale $(SCALE_ARGS)

clean:
	rm -rf $(VENV) forecast.sqlite3* .pytest_cache
