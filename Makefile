# The README's commands. Each target creates .venv from requirements.txt when it is missing (or older than it).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NOTEBOOKS := $(sort $(wildcard book/*.ipynb))
# nbclient settings: no timing metadata, so a re-run only changes what the code prints
EXEC := $(BIN)/jupyter nbconvert --to notebook --execute --inplace \
	--ExecutePreprocessor.timeout=600 --ExecutePreprocessor.kernel_name=python3 \
	--ExecutePreprocessor.record_timing=False --ExecutePreprocessor.store_widget_state=True
JB := $(BIN)/jupyter-book build . --builder html -W -n --keep-going
export PYDEVD_DISABLE_FILE_VALIDATION := 1
export MPLBACKEND := Agg

.PHONY: venv book test unit nbval html lab bench bench-quick nb clean

venv: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -r requirements.txt
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 > /dev/null
	@touch $(STAMP)

## book: execute every notebook top to bottom (outputs stored in place), then build the HTML with warnings as errors
book: $(STAMP)
	@for nb in $(NOTEBOOKS); do echo "executing $$nb"; $(EXEC) $$nb || exit 1; done
	$(JB)
	@echo "open _build/html/index.html"

## nb: execute one notebook in place, e.g. make nb NB=book/sparsity_at_init.ipynb
nb: $(STAMP)
	$(EXEC) $(NB)

## test: unit tests, nbval on every notebook, and the book build (on the stored outputs nbval just checked)
test: unit nbval html

unit: $(STAMP)
	$(BIN)/python -m pytest tests -p no:cacheprovider

nbval: $(STAMP)
	$(BIN)/python -m pytest --nbval $(NOTEBOOKS) --nbval-sanitize-with nbval_sanitize.cfg --nbval-cell-timeout=300 -p no:cacheprovider

html: $(STAMP)
	rm -rf _build/.doctrees
	$(JB)

## lab: open the notebooks in JupyterLab to move the sliders live
lab: $(STAMP)
	$(BIN)/jupyter lab book/

## bench: the benchmark sweeps of Chapter 4 (writes book/data/; 14 GiB memory budget, for a 24 GiB machine); bench-quick: the small grid
bench: $(STAMP)
	$(BIN)/python -m firesets.bench --mem-gib 14

bench-quick: $(STAMP)
	$(BIN)/python -m firesets.bench --quick

clean:
	rm -rf _build
