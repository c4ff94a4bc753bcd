# The two set-up commands: `make run` (serve the seeded ledger) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install lint bench bench-smoke clean

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(INSTALLED)

install: $(INSTALLED)

run: $(INSTALLED)
	$(BIN)/ledger db upgrade
	$(BIN)/ledger seed
	$(BIN)/ledger serve --host $(HOST) --port $(PORT)

test: $(INSTALLED)
	$(BIN)/pytest

clean:
	rm -rf $(VENV) var/*.db var/*.db-*
