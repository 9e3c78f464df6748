# Fresh machine: `make run` (the main job) and `make test`. Both create .venv first.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

# A Python >= 3.12: pyenv's (via .python-version), python3.12, or python3 if new enough.
PYTHON ?= $(shell for p in python3.12 python3 $$HOME/.pyenv/versions/3.12*/bin/python3; do \
  command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null \
  && { command -v $$p; break; }; done)

.PHONY: install run test bench calibrate lint clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@if [ -z "$(PYTHON)" ]; then \
	  echo "error: egovsim needs Python >= 3.12; install it (e.g. 'pyenv install 3.12') or run 'make PYTHON=/path/to/python3.12'" >&2; exit 2; fi
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

run: install
	$(VENV)/bin/egovsim run scenarios/jember.toml scenarios/kediri.toml \
	  --replications 10 --seed 20240101 --years 2018:2030 --out results/baseline --overwrite

test: install
	$(VENV)/bin/ruff check model tests benchmarks scripts docs
	$(PY) -m pytest -q

bench: install
	$(PY) benchmarks/bench.py --out results/bench

calibrate: install
	$(VENV)/bin/egovsim calibrate experiments/calibration.toml --out results/calibration --workers 2

lint: install
	$(VENV)/bin/ruff check model tests benchmarks scripts docs

clean:
	rm -rf $(VENV) .pytest_cache
