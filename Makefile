# MoveRx: `make run` to try it, `make test` to check it. Needs only Python 3.11.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: install run test test-fast bench lint clean chromium

install: $(INSTALLED)

$(INSTALLED): requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

run: $(INSTALLED)
	$(BIN)/python manage.py serve

test: $(INSTALLED) chromium
	$(BIN)/ruff check .
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/pytest

# The inner loop: no real processes (workers, servers, browsers), the test database kept. `make test`
# stays the whole suite, and is what CI runs.
test-fast: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/pytest -m "not slow" --reuse-db

# The browser tests drive Debian's Chromium (never a downloaded browser). Installed when missing.
chromium:
	@command -v chromium >/dev/null || { echo "Installing Debian's chromium for the browser tests..."; \
	  { apt-get install -y -q chromium || { apt-get update -q && apt-get install -y -q chromium; }; } >/dev/null 2>&1 \
	  || echo "Could not install chromium: browser tests will skip (and fail when CI=true)."; }

N ?= 10000
bench: $(INSTALLED)
	DJANGO_SETTINGS_MODULE=config.settings.bench BENCH_PATIENTS=$(N) $(BIN)/python manage.py bench

lint: $(INSTALLED)
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) staticfiles
