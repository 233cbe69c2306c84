# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

LOCK_ARGS := --universal --python-version 3.11 -q

.PHONY: demo test fuzz bench lint format typecheck lock image clean

# Installs exactly the lock file (requirements/dev.txt), then the project itself without
# resolving anything again: every machine and CI run the same versions.
$(STAMP): pyproject.toml requirements/dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements/dev.txt
	$(BIN)/pip install -q --no-deps -e .
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/leadrouter demo

test: $(STAMP)
	$(BIN)/pytest -q -p no:cacheprovider

# tests/fuzz/ at length: 20x the examples `make test` runs, new random inputs each time (a
# failure prints a @reproduce_failure line and is retried first next run), no timeout.
fuzz: $(STAMP)
	HYPOTHESIS_PROFILE=fuzz $(BIN)/pytest -q -p no:cacheprovider --timeout=0 \
		--hypothesis-show-statistics tests/fuzz

# The project's modules byte-compiled first, as `pip install` (not -e) does for a user:
# with PYTHONDONTWRITEBYTECODE set, every `leadrouter` a benchmark starts would otherwise
# compile ~100 modules from source (about 0.25 s of simulate's 0.8 s).
bench: $(STAMP)
	$(BIN)/python -m compileall -q bot routing lifecycle storage slack_emulator benchmarks
	$(BIN)/python -m benchmarks

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy routing lifecycle storage bot slack_emulator

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Refresh the lock files to the newest versions pyproject.toml allows (commit the result).
lock: $(STAMP)
	$(BIN)/uv pip compile pyproject.toml $(LOCK_ARGS) --upgrade -o requirements/runtime.txt
	$(BIN)/uv pip compile pyproject.toml --extra dev -c requirements/runtime.txt \
		$(LOCK_ARGS) --upgrade -o requirements/dev.txt

# The container (needs a Docker daemon that can pull python:3.11-slim).
image:
	docker build -t lead-router .

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
