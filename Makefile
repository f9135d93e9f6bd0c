# docflow — the two set-up commands are `make run` and `make test` (see README.md).
# Debian's own python3 when there is one, not the first python3 on PATH: Debian builds it with
# profile-guided optimization, and the app's CPU per request is 15-25 % lower on it than on a
# Python compiled from source without that (pyenv's default build; make bench-intake, issue 5).
# PYTHON=... chooses another (3.11-3.13); after changing it, remove .venv.
PYTHON ?= $(firstword $(wildcard /usr/bin/python3) python3)
VENV   := .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app docflow
PORT   ?= 5000
# the suite runs on every core (pytest-xdist), a test file's tests together on one worker
# --durations: the 25 slowest tests at the end of every run (the suite must stay under 15 minutes)
PYTEST_ARGS ?= -n auto --dist loadfile --durations=25

.PHONY: run test setup system-deps system-deps-test translations extract-messages db demo lint \
        clean bench-intake bench-documents node-deps screenshots bench-reports bench-load bench-scale

run: system-deps setup translations db demo
	$(FLASK) serve --port $(PORT)

test: system-deps-test setup translations node-deps
	$(BIN)/python -m pytest $(PYTEST_ARGS)

system-deps:
	@scripts/system-deps.sh run

system-deps-test:
	@scripts/system-deps.sh test

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	touch $@

setup: $(VENV)/.installed

# .po files are committed; the compiled .mo files are built here.
translations: setup
	$(BIN)/pybabel compile -d translations >/dev/null

extract-messages: setup
	PYTHONPATH=. $(BIN)/pybabel extract --no-location -F babel.cfg -k _l -k lazy_gettext -k condition:2 -k N_ --no-wrap -o translations/messages.pot .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching --ignore-obsolete --no-wrap

db: setup
	$(FLASK) db upgrade

demo: setup
	$(FLASK) demo load

lint: setup
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) instance .pytest_cache

# Benchmarks (not part of `make test`): each prints its figures as one JSON object, last line.
bench-intake: system-deps-test setup translations
	@if [ "$$(id -u)" = 0 ]; then \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >/dev/null; \
	else echo "not root: wrk must already be installed (else the slower httpx client is used)"; fi
	$(BIN)/python -m bench.intake

bench-documents: setup translations
	@if [ "$$(id -u)" = 0 ]; then \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q libreoffice-writer-nogui python3-uno >/dev/null; \
	else echo "not root: LibreOffice must already be installed (libreoffice-writer-nogui python3-uno)"; fi
	$(BIN)/pip install -q 'docxtpl>=0.18,<1' 'python-docx>=1.1,<2' 'unoserver>=3.0,<4'
	$(BIN)/python -m bench.documents

# axe-core (the accessibility checks of tests/ui) from package-lock.json into node_modules/.
node-deps: node_modules/.installed

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	touch $@

# docs/screenshots/: each role's start page at phone and desktop widths (the test that makes them).
screenshots: system-deps-test setup translations node-deps
	DOCFLOW_SCREENSHOTS=1 $(BIN)/python -m pytest -q tests/ui/test_screenshots.py

# bench-reports (issue 9): one quarter's report over 1,000,000 appeals on PostgreSQL
# (BENCH_APPEALS=N to change); the last line is the JSON figures.
# Reuses bench-scale's cached cluster (BENCH_SCALE_CACHE; generated there when missing).
bench-reports: system-deps-test setup translations
	$(BIN)/python -m bench.reports

# Load (issue 10): 50 users for 60 s against gunicorn + PostgreSQL; locust comes from the bench extra.
bench-load: system-deps-test setup translations
	$(BIN)/pip install -q -e '.[test,bench]'
	$(BIN)/python -m bench.load

# 1,000,000 appeals on PostgreSQL; the generated database is cached in BENCH_SCALE_CACHE
# (default /var/tmp/docflow-bench-scale) and reused by later runs, which say so (issue 11).
bench-scale: system-deps-test setup translations
	$(BIN)/python -m bench.scale
