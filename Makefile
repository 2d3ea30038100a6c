# MoveRx: `make run` to try it, `make test` to check it. Needs only Python 3.11.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: install run test bench lint clean

install: $(INSTALLED)

$(INSTALLED): requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

run: $(INSTALLED)
	$(BIN)/python manage.py serve

test: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/pytest

N ?= 10000
bench: $(INSTALLED)
	DJANGO_SETTINGS_MODULE=config.settings.bench BENCH_PATIENTS=$(N) $(BIN)/python manage.py bench

lint: $(INSTALLED)
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) staticfiles
