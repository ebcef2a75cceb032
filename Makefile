# The two commands: `make run` and `make test` bootstrap everything on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | sha256sum | cut -c1-16)
BENCHES := $(patsubst bench/%.py,%,$(filter-out bench/_%.py bench/__init__.py,$(wildcard bench/*.py)))

.PHONY: bootstrap system-deps python-deps kafka-jars run test lint typecheck unit bench chaos clean $(addprefix bench-,$(BENCHES))

bootstrap: system-deps python-deps kafka-jars

system-deps:
	@bash scripts/system-deps.sh

python-deps: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q -r requirements.lock
	$(BIN)/python -m pip install -q --no-deps -e .
	@rm -f $(VENV)/.installed-*
	@touch $@

kafka-jars: python-deps
	@$(BIN)/wastream stack fetch

run: bootstrap
	$(BIN)/wastream run

lint: python-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: python-deps
	$(BIN)/mypy

test: bootstrap lint typecheck
	$(BIN)/python -m pytest

# fault tests: they stop Kafka, wipe Redis and kill workers, so they run apart from `make test`
chaos: bootstrap
	$(BIN)/python -m pytest -m chaos tests/chaos

bench: $(addprefix bench-,$(BENCHES))

$(addprefix bench-,$(BENCHES)): bench-%: bootstrap
	$(BIN)/python -m bench.$*

clean:
	rm -rf $(VENV) .wastream .mypy_cache .ruff_cache .pytest_cache
