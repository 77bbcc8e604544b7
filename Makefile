# plan-monitor: the two commands of the README, and a few helpers.
#   make report   set up (or refresh) .venv, then run the whole suite -> reports/index.html
#   make test     set up (or refresh) .venv, then lint and run every test
# Nothing else needs installing: the environment, the notebook kernel and the CJK font all
# come from here, and the one system library of the PDF engine (Pango) from tools/system-libraries.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: report test lab lint clean-outputs

# the environment is rebuilt when the declared dependencies change
$(STAMP): pyproject.toml
	@tools/system-libraries
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -c "from analysis.pipeline import suite; suite.ensure_kernel()"
	@touch $(STAMP)

report: $(STAMP)
	$(BIN)/plan-monitor run

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/pytest

# JupyterLab on the notebooks; as root (containers, servers) it needs --allow-root; it prints the
# address to open (with its token); LAB_OPTIONS adds any other option, e.g. --ip=0.0.0.0 --no-browser
LAB_OPTIONS ?=
lab: $(STAMP)
	$(BIN)/jupyter lab --notebook-dir=notebooks $(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_OPTIONS)

lint: $(STAMP)
	$(BIN)/ruff check .

clean-outputs:
	rm -rf reports outputs
