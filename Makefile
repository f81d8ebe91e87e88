# The two commands of the README:
#   make book   create the environment (.venv, node_modules) and build the book → _build/html/index.html
#   make test   run the tests (unit tests, nbval on book/, papermill on notebooks/)
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: env browser book test clean

env: $(VENV)/.installed node_modules/.installed browser

$(VENV)/.installed: requirements.txt constraints.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -r requirements.txt -c constraints.txt
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

# The browser check (tests/test_rendered.py) loads every page in Debian's headless Chromium.
browser:
	@command -v chromium >/dev/null || { if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  apt-get update -qq && apt-get install -y -qq chromium; \
	else echo "chromium not found: install Debian's chromium for the browser check (tests/test_rendered.py)"; fi; }

# -W: warnings are errors; -n: every cross-reference must resolve; notebooks execute on every build,
# with outgoing network connections blocked (tests/offline/sitecustomize.py).
book: env
	PYTHONPATH=$(CURDIR)/tests/offline $(BIN)/jupyter-book build . --builder html -W -n --keep-going
	@echo "The book: _build/html/index.html"

test: env
	$(BIN)/python -m pytest

clean:
	rm -rf _build
