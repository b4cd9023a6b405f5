# commsim: `make run` and `make test` do all the set-up on a fresh machine.
# They build .venv with a Python 3.12+ found on PATH or, failing that, among pyenv's versions.
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

PYTHON_FOR_VENV := $(shell for c in python3.13 python3.12 python3 python; do \
	p=$$(command -v $$c 2>/dev/null) && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { echo $$p; exit 0; }; done; \
	root=$$(pyenv root 2>/dev/null || echo $$HOME/.pyenv); \
	for p in $$(ls -d $$root/versions/3.1[2-9]*/bin/python3 2>/dev/null | sort -rV); do \
	$$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { echo $$p; exit 0; }; done)

.PHONY: run test lint venv browser clean

$(STAMP): pyproject.toml
	@if [ -z "$(PYTHON_FOR_VENV)" ]; then \
		echo "commsim needs Python 3.12 or newer: none found on PATH or in pyenv's versions. Install one (e.g. 'pyenv install 3.12') and run make again." >&2; exit 2; fi
	@test -x $(PY) || $(PYTHON_FOR_VENV) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	$(VENV)/bin/commsim run scenarios/baseline.toml

test: $(STAMP) browser
	$(PY) -m pytest -q -n 2

lint: $(STAMP)
	$(VENV)/bin/ruff check sim tests benchmarks
	$(VENV)/bin/ruff format --check sim tests benchmarks

# The dashboard's page tests need Debian's Chromium (playwright's own browser download fails offline).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >/dev/null; \
		else echo "Chromium is missing: install Debian's 'chromium' package for the dashboard page tests (they are skipped without it)."; fi; }

# Also the compiled rules' caches (numba keeps them in __pycache__ beside each module).
clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
	find sim -name __pycache__ -type d -prune -exec rm -rf {} +
