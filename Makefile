# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
ifeq ($(OS),Windows_NT)
BIN := $(VENV)/Scripts
else
BIN := $(VENV)/bin
endif
STAMP := $(VENV)/.installed

.PHONY: run test lint screenshot bench self-check clean

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test]'
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/desktop-app

test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check desktop_app tests benchmarks

self-check: $(STAMP)
	$(BIN)/desktop-app self-check

screenshot: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python benchmarks/screenshots.py screenshots

bench: $(STAMP)
	$(BIN)/python benchmarks/check_quality.py
	$(BIN)/python benchmarks/check_speed.py
	QT_QPA_PLATFORM=offscreen $(BIN)/python benchmarks/gui_latency.py

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache
