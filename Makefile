# Every target creates and uses its own virtual environment in .venv; nothing else is assumed.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TORCH_STAMP := $(VENV)/.torch

.PHONY: install train docs test test-torch torch lint bench clean data ci

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test,sweep,export]'
	$(BIN)/python -m compileall -q lddl_cli
	touch $@

install: $(STAMP)

# Trains the tutorial's sine example (configs/sin.yaml) into runs/sin/, replacing the run of the
# previous `make train` (so it can be repeated); it changes no tracked file.
train: install
	$(BIN)/lddl train configs/sin.yaml --out runs/sin --overwrite

# Refreshes the README's picture (docs/fit.png) from the fit plot of `make train`.
docs: train
	mkdir -p docs && cp runs/sin/fit.png docs/fit.png

# Regenerates the committed sine data set: 200 noisy points and the 500-point noise-free validation grid.
data: install
	$(BIN)/lddl data sin --n 200 --noise 0.05 --seed 0 --out data
	$(BIN)/lddl data sin --grid --n 500 --noise 0 --out data

# What CI runs: the tests, the tests with live PyTorch comparisons, lint, and a smoke run of the command.
ci:
	.ci/run

test: install
	$(BIN)/python -m pytest

# PyTorch is only the reference the tests compare against; pinned, because an unpinned
# `pip install torch` pulls gigabytes of CUDA packages.
$(TORCH_STAMP): | $(STAMP)
	$(BIN)/python -m pip install --quiet 'torch==2.13.0'
	touch $@

torch: $(TORCH_STAMP)

# The live PyTorch comparisons (the tests that `make test` skips without torch), required to run:
# without torch they fail instead of skipping.
test-torch: torch
	LDDL_REQUIRE_TORCH=1 $(BIN)/python -m pytest -m torch

lint: install
	$(BIN)/ruff check lddl_cli tests benchmarks
	$(BIN)/ruff format --check lddl_cli tests benchmarks

# The speed report: `make bench BENCH_ARGS="--quick --only sine"`. OpenBLAS's kernel
# overrides are dropped for this command only (the header shows the kernel OpenBLAS then picks).
# lddl's modules are byte-compiled first, as a regular (non-editable) install would have them:
# where PYTHONDONTWRITEBYTECODE is set, every `lddl` run would otherwise compile its sources
# (about 50 ms of its start-up).
bench: torch
	$(BIN)/python -m compileall -q lddl_cli
	env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE $(BIN)/python -m benchmarks $(BENCH_ARGS)

# Removes what the Makefile made (the venv, build and tool caches), never runs/: users' trained models.
clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache .hypothesis
