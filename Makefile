# docflow — the two set-up commands are `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app docflow
PORT   ?= 5000

.PHONY: run test setup system-deps system-deps-test translations extract-messages db demo lint \
        clean bench-intake bench-documents bench-scale

run: system-deps setup translations db demo
	$(FLASK) serve --port $(PORT)

test: system-deps-test setup translations
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
	$(BIN)/python -m bench.intake

bench-documents: setup translations
	@if [ "$$(id -u)" = 0 ]; then \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q libreoffice-writer-nogui python3-uno >/dev/null; \
	else echo "not root: LibreOffice must already be installed (libreoffice-writer-nogui python3-uno)"; fi
	$(BIN)/pip install -q 'docxtpl>=0.18,<1' 'python-docx>=1.1,<2' 'unoserver>=3.0,<4'
	$(BIN)/python -m bench.documents

# 1,000,000 appeals on PostgreSQL; the generated database is cached in BENCH_SCALE_CACHE
# (default /var/tmp/docflow-bench-scale) and reused by later runs, which say so (issue 11).
bench-scale: system-deps-test setup translations
	$(BIN)/python -m bench.scale
