# The README's two commands: `make app` serves the page (`python -m search serve`: Streamlit with the
# page's fixes, over the saved index), `make test` runs every test.
# Both set up .venv from pyproject.toml on a fresh machine (Python 3.11+).

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
PORT ?= 8501

.PHONY: install test app index bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $@

index: install
	$(BIN)/python -m search build --if-changed

test: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest

app: index
	$(BIN)/python -m search serve --index corpus/.index --processes 1 --port $(PORT)

clean:
	rm -rf $(VENV) corpus/.index .pytest_cache
