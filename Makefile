# The two commands: `make run` (the product) and `make test` (the whole suite).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
CRATE := crates/redb_cache
CRATE_SOURCES := $(shell find $(CRATE)/src $(CRATE)/python -type f 2>/dev/null) $(CRATE)/Cargo.toml $(CRATE)/Cargo.lock $(CRATE)/pyproject.toml

.PHONY: install run test lint typecheck pytest cargo-test bench clean system-deps

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.deps-installed: pyproject.toml | $(PY)
	$(PIP) install --quiet -e ".[dev]"
	touch $@

# The redb binding is rebuilt only when its sources change.
$(VENV)/.redb-cache-installed: $(CRATE_SOURCES) | $(PY)
	$(PIP) install --quiet ./$(CRATE)
	touch $@

install: $(VENV)/.deps-installed $(VENV)/.redb-cache-installed

run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py ensure_admin
	$(PY) manage.py collectstatic --noinput --verbosity 0
	$(PY) manage.py serve

# Debian packages the tests need (none yet beyond the base image); apt runs
# only when something is missing.
SYSTEM_PACKAGES :=
system-deps:
	@missing=""; for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; fi

lint: install
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .

typecheck: install
	$(VENV)/bin/mypy .

cargo-test:
	cargo test --quiet --manifest-path $(CRATE)/Cargo.toml

pytest: install system-deps
	$(VENV)/bin/pytest

test: lint typecheck cargo-test pytest

clean:
	rm -rf $(VENV) $(CRATE)/target

# Benchmarks are not tests: they print a markdown table (also bench/results/latest.md).
bench: install
	$(PY) -m bench.run
