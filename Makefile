# Two commands on a fresh Debian/Ubuntu machine (as root, or with sudo):
#   make demo   installs what is missing and runs the demo pipeline
#   make test   installs what is missing (plus test dependencies) and runs the tests
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
APT_PACKAGES := libreoffice-writer-nogui python3-uno fonts-liberation2 fonts-liberation fonts-dejavu-core \
	fonts-noto-cjk poppler-utils qpdf softhsm2 graphviz python3-venv

.PHONY: demo test system-deps venv test-deps lock clean bench bench-quick bench-deps

demo: venv
	$(VENV)/bin/naskah demo

test: test-deps
	$(PY) -m pytest -q

# Benchmarks, side by side with their peers (not part of `make test`): bench/README.md.
#   make bench        full run (~8-10 min; the first run also builds a 1,000,000-letter archive, 10-17 min,
#                     cached in bench/.cache), writes bench/RESULTS.md and bench/results.json
#   make bench-quick  smaller sizes, under 3 minutes, writes bench/out/RESULTS-quick.md
bench: bench-deps
	$(PY) -m bench.run

bench-quick: bench-deps
	$(PY) -m bench.run --quick

system-deps:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing system packages:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q --no-install-recommends $$missing; \
	fi

$(VENV)/.runtime: requirements.lock pyproject.toml | system-deps
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements.lock
	$(PY) -m pip install -q --disable-pip-version-check --no-deps -e .
	touch $@

$(VENV)/.test: requirements-test.lock $(VENV)/.runtime
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-test.lock
	touch $@

venv: system-deps $(VENV)/.runtime
test-deps: system-deps $(VENV)/.test
bench-deps: test-deps $(VENV)/.bench

$(VENV)/.bench: bench/requirements.txt $(VENV)/.test
	$(PY) -m pip install -q --disable-pip-version-check -r bench/requirements.txt
	touch $@

# Regenerate the pinned lock files after changing dependencies in pyproject.toml.
lock:
	$(PY) -m pip install -q uv
	$(PY) -m uv pip compile pyproject.toml --python-version 3.11 -o requirements.lock
	$(PY) -m uv pip compile pyproject.toml --extra test --python-version 3.11 -o requirements-test.lock

clean:
	rm -rf $(VENV) *.egg-info
