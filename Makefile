# Two entry points: `make demo` and `make test`. Each creates or refreshes .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck unit install clean bench

$(STAMP): pyproject.toml Makefile
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,postgres]'
	@touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/spokesync demo

lint: $(STAMP)
	$(BIN)/ruff check src tests $(wildcard bench)
	$(BIN)/ruff format --check src tests $(wildcard bench)

# bench/ too: nothing else runs the benchmarks, so a changed engine signature shows here.
typecheck: $(STAMP)
	$(BIN)/mypy src $(wildcard bench)

unit: $(STAMP)
	# Six workers on two cores: the fault-injection scenarios mostly wait (retry backoff,
	# latency), so more workers than cores halves the wall time.
	$(BIN)/pytest -n 6

test: lint typecheck unit

# Benchmarks (bench/README.md): each also runs alone as `.venv/bin/python -m bench.<name>`.
# These sizes finish in about 16 minutes on 2 cores; the full sizes are in bench/README.md.
bench: $(STAMP)
	$(BIN)/python -m bench.initial_load --users 2000
	$(BIN)/python -m bench.unchanged_rerun --users 20000
	$(BIN)/python -m bench.churn --users 20000
	$(BIN)/python -m bench.planning --users 100000
	$(BIN)/python -m bench.workflows_baseline --users 500
	$(BIN)/python -m bench.live_latency --members 200 --samples 10 --burst 1000
	$(BIN)/python -m bench.dashboard --identities 100000 --days 365
	$(BIN)/python -m bench.failover --kills 10
	$(BIN)/python -m bench.organizations --organizations 200 --members 20000

clean:
	rm -rf $(VENV) build *.egg-info .mypy_cache .pytest_cache .ruff_cache
