# The two commands: `make book` builds the site, `make test` runs everything CI runs.
# Both create .venv from the pinned requirements on first use (Python 3.11).

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
BOOK_STAMP := $(VENV)/.installed-book
DEV_STAMP := $(VENV)/.installed-dev
NPM_STAMP := node_modules/.package-lock.json
JB_FLAGS := -n --keep-going
# Each chapter writes its figures here when it runs (lab.prose.save_figure): the book and
# the tests start without them, so every figure shown comes from the run beside it.
FIGURES := book/figures
# The outputs of these runs become the site: the widgets add their static explorers
# (lab/static_explorer.py; a reader's kernel skips them).
SITE := OPTIMIZERS_BOOK_SITE=1

.PHONY: book pdf test lint format bench assignments grade clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(BOOK_STAMP): requirements.txt pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

# MathJax, require.js and the widget manager, served by the site itself (see book/_ext)
$(NPM_STAMP): package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error

$(DEV_STAMP): requirements-dev.txt binder/jupyterlab.txt $(BOOK_STAMP) $(NPM_STAMP)
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

book: $(BOOK_STAMP) $(NPM_STAMP)  ## build the site into _build/html, executing every notebook
	rm -rf $(FIGURES)
	$(SITE) $(BIN)/jupyter-book build . $(JB_FLAGS)
	@echo "Open the book: file://$(CURDIR)/_build/html/index.html"

pdf: $(BOOK_STAMP) $(NPM_STAMP)  ## the book as one PDF: the single-page edition printed by Chromium
	rm -rf $(FIGURES)
	$(SITE) $(BIN)/jupyter-book build . --builder singlehtml $(JB_FLAGS)
	$(BIN)/python scripts/print_pdf.py _build/singlehtml _build/optimizers-book.pdf

lint: $(DEV_STAMP)  ## ruff lint and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: lint  ## lint, package tests, every notebook through nbval, the site built with -W
	rm -rf $(FIGURES)
	$(BIN)/pytest book tests --nbval-lax --nbval-current-env --nbval-cell-timeout=300 \
		-n 2 --dist loadfile --no-loadscope-reorder --durations=15

bench: $(DEV_STAMP)  ## benchmarks: print figures measured in this run (not tests)
	nice $(BIN)/python benchmarks/run_all.py

assignments: $(BOOK_STAMP)  ## the student versions of book/assignments, into _build/assignments/student
	$(BIN)/python -m coursework student book/assignments _build/assignments/student

grade: $(BOOK_STAMP)  ## make grade ASSIGNMENT=book/assignments/<name>.ipynb SUBMISSIONS=<folder> OUT=<folder>
	@test -n "$(ASSIGNMENT)" -a -n "$(SUBMISSIONS)" -a -n "$(OUT)" || \
		{ echo "usage: make grade ASSIGNMENT=<instructor notebook> SUBMISSIONS=<folder> OUT=<folder>"; exit 2; }
	$(BIN)/python -m coursework grade "$(ASSIGNMENT)" "$(SUBMISSIONS)" "$(OUT)"

format: $(DEV_STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf _build node_modules $(FIGURES)
