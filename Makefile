# Two commands on a fresh Debian/Ubuntu machine (as root, or with sudo):
#   make demo   installs what is missing and runs the demo pipeline
#   make test   installs what is missing (plus test dependencies) and runs the tests
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
APT_PACKAGES := libreoffice-writer-nogui python3-uno fonts-liberation2 fonts-liberation fonts-dejavu-core \
	poppler-utils qpdf softhsm2 graphviz python3-venv

.PHONY: demo test system-deps venv test-deps lock clean

demo: venv
	$(VENV)/bin/naskah demo

test: test-deps
	$(PY) -m pytest -q

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

# Regenerate the pinned lock files after changing dependencies in pyproject.toml.
lock:
	$(PY) -m pip install -q uv
	$(PY) -m uv pip compile pyproject.toml --python-version 3.11 -o requirements.lock
	$(PY) -m uv pip compile pyproject.toml --extra test --python-version 3.11 -o requirements-test.lock

clean:
	rm -rf $(VENV) *.egg-info
