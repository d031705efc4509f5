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
	$(PIP) install --quiet -e ".[dev,local]"
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

# Debian packages the tests need (chromium for the Playwright browser tests:
# `playwright install` cannot download here; redis-server for the Redis broker
# test); apt runs only when one is missing.
SYSTEM_PACKAGES := chromium redis-server
system-deps:
	@missing=""; for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; fi

lint: install
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports --no-cache

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
# Seeded files are kept under BENCH_DATA_DIR (default /tmp/memoryadmin-bench) and reused;
# BENCH_SECONDS (default 30) is the length of each API case. wrk loads the API from
# a second process (Debian package, installed here when missing).
bench: install
	@command -v wrk >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; }
	$(PY) -m bench.run

# Vector search variants (exact scan, libsql_vector_idx, in-memory) on real
# MiniLM vectors; slow (the 100k index build takes minutes), so run on demand.
bench-vectors: install
	$(PY) bench/vector_search.py --sizes 10000,100000 --index-max 10000

# Faults, load and fuzzing against real processes on loopback (about 10 min; not part
# of `make test`): prints a markdown table, also kept in test-output/reliability.md.
# `make reliability ONLY=sync-kill,load` runs some scenarios (see reliability/run.py).
.PHONY: reliability
reliability: install
	$(PY) -m reliability.run $(if $(ONLY),--only $(ONLY))
