# theranostix developer commands. Every target creates .venv when it is missing.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint typecheck unit bench bench-radiomics lock clean

# One resolver pass: the project, its extras and every pin in constraints.txt together.
$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/thx demo --out demo-output

test: lint typecheck unit

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

# theranostix radiomics vs PyRadiomics 3.0.1. PyRadiomics lives only in its own git-ignored
# venv: its C extension is built against numpy < 2 with the build tools installed first.
PYRAD_VENV  := benchmarks/.venv-pyradiomics
PYRAD_STAMP := $(PYRAD_VENV)/.installed
PYRAD_REQS  := benchmarks/pyradiomics-requirements.txt

$(PYRAD_STAMP): $(PYRAD_REQS)
	test -x $(PYRAD_VENV)/bin/python || $(PYTHON) -m venv $(PYRAD_VENV)
	$(PYRAD_VENV)/bin/python -m pip install --quiet --upgrade "pip>=24"
	$(PYRAD_VENV)/bin/python -m pip install --quiet -c $(PYRAD_REQS) numpy setuptools wheel versioneer
	$(PYRAD_VENV)/bin/python -m pip install --quiet --no-build-isolation -r $(PYRAD_REQS)
	touch $(PYRAD_STAMP)

bench-radiomics: $(STAMP) $(PYRAD_STAMP)
	$(BIN)/python benchmarks/radiomics_vs_pyradiomics.py $(ARGS)

# Re-resolve every pin (runtime and dev) in one pass into the single constraints file.
lock: $(STAMP)
	$(BIN)/pip-compile --quiet --strip-extras --extra dev --no-header --annotation-style line \
		--no-emit-index-url --no-emit-find-links -o constraints.txt pyproject.toml

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache build src/*.egg-info
