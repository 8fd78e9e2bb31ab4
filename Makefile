# Two commands for a fresh machine with Python 3.11+: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
RUNTIME_STAMP := $(VENV)/.installed-runtime
# The date the README's sample output was taken on: `make demo` prints exactly that output.
DEMO_AS_OF := 2026-11-26

.PHONY: demo test lint typecheck unit bench golden parser fuzz clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# The runtime dependencies only (lark, pydantic, ruamel.yaml, click): what `make demo` needs.
$(RUNTIME_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e .
	touch $(RUNTIME_STAMP)

# Everything `make test` runs: the test extra (pytest, ruff, mypy, ...), over the runtime.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP) $(RUNTIME_STAMP)

# The README's first command: its exit code is 1 (the quickstart has a NO-GO), which is the demo's point.
demo: $(RUNTIME_STAMP)
	$(BIN)/decisionlang check examples/quickstart --as-of $(DEMO_AS_OF) || test $$? -eq 1

lint: $(STAMP)
	$(BIN)/ruff check decisionlang tests benchmarks
	$(BIN)/ruff format --check decisionlang tests benchmarks
	$(BIN)/lint-imports
	$(BIN)/decisionlang lint policies --fail-on warning
	$(BIN)/decisionlang fmt --check policies examples

typecheck: $(STAMP)
	$(BIN)/mypy

# The VS Code extension's node toolchain (editors/vscode/package-lock.json), for
# tests/test_vscode_extension.py; without npm those tests are skipped.
VSCODE := editors/vscode
$(VSCODE)/node_modules/.package-lock.json: $(VSCODE)/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		cd $(VSCODE) && npm ci --no-audit --no-fund --loglevel=error; \
	else echo "npm not found: the VS Code extension's tests will be skipped"; fi

unit: $(STAMP) $(VSCODE)/node_modules/.package-lock.json
	$(BIN)/python -m pytest -n auto

test: lint typecheck unit

# Every benchmark, then one table of the scale targets; fails only on a memory or size target
# (benchmarks/README.md). `make bench BENCH_ARGS="--only bench_scale"` runs one script.
bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py $(BENCH_ARGS)

# The long fuzz run (docs/security.md): 100,000 inputs by default, a random seed printed at the start.
# `make fuzz FUZZ_ARGS="--inputs 500000 --seed 7 --resume fuzz-progress.json"` to change it.
FUZZ_ARGS ?= --inputs 100000
fuzz: $(STAMP)
	$(BIN)/python -m tests.fuzz $(FUZZ_ARGS)

# Regenerate golden files after an intended change; review the diff before committing.
golden: $(STAMP)
	DECISIONLANG_UPDATE_GOLDEN=1 $(BIN)/python -m pytest -q tests

# Rewrite the prebuilt parser (grammar/decisionlang.lark-parser) after a change of the grammar.
parser: $(STAMP)
	$(BIN)/python -c "from decisionlang.language.parser import write_prebuilt_parser; print(write_prebuilt_parser())"

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache $(VSCODE)/node_modules $(VSCODE)/dist
