# docflow — the two set-up commands are `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app docflow
PORT   ?= 5000

.PHONY: run test setup system-deps system-deps-test translations extract-messages db demo lint \
        clean bench-intake bench-documents bench-reports bench-load bench-scale

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
	$(BIN)/pybabel extract -q -F babel.cfg -k _l -k lazy_gettext -o translations/messages.pot .
	$(BIN)/pybabel update -q -i translations/messages.pot -d translations --no-fuzzy-matching

db: setup
	$(FLASK) db upgrade

demo: setup
	$(FLASK) demo load

lint: setup
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) instance .pytest_cache
