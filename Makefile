# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
ifeq ($(OS),Windows_NT)
BIN := $(VENV)/Scripts
else
BIN := $(VENV)/bin
endif
STAMP := $(VENV)/.installed

.PHONY: run test lint screenshot bench self-check notices dist dist-check clean

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
	QT_QPA_PLATFORM=offscreen $(BIN)/python benchmarks/screenshots.py screenshots docs/images

bench: $(STAMP)
	$(BIN)/python benchmarks/check_quality.py
	$(BIN)/python benchmarks/check_speed.py
	QT_QPA_PLATFORM=offscreen $(BIN)/python benchmarks/gui_latency.py

# ---- the frozen app (PyInstaller): dist/CareLetter/ and an archive that keeps its symlinks -------------------
BUILD_STAMP := $(VENV)/.installed-build
VERSION = $(shell $(BIN)/python -c "import desktop_app; print(desktop_app.__version__)")
ARCHIVE = dist/CareLetter-$(VERSION)-$(shell uname -s | tr A-Z a-z)-$(shell uname -m).tar.gz

$(BUILD_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test,build]'
	@touch $(BUILD_STAMP)

# THIRD_PARTY_NOTICES.txt (resources/, not in git) from the installed distributions; build.spec writes it too.
# Run it before building a wheel, which carries resources/.
notices: $(BUILD_STAMP)
	$(BIN)/python packaging/third_party_notices.py

dist: notices
	QT_QPA_PLATFORM=offscreen $(BIN)/python packaging/make_icons.py build/icons
	$(BIN)/pyinstaller --noconfirm build.spec
	rm -f dist/CareLetter-*.tar.gz
	tar -C dist -czf $(ARCHIVE) CareLetter
	@du -sh dist/CareLetter $(ARCHIVE)

# the frozen program's own check (model, templates, check, export), with a throw-away data folder
dist-check:
	DESKTOP_APP_DATA_DIR=$$(mktemp -d) dist/CareLetter/careletter-cli self-check

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache
