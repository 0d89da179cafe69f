# One front door: `make run` starts the service, `make test` runs every test.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: venv run test test-containers bench train-ner clean

venv: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
	  { echo "Python 3.11 or newer is needed; $(PYTHON) is older (try: make PYTHON=python3.11 ...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

run: venv
	$(PY) -m tools.run_local

test: venv
	$(PY) -m pytest -q

# The image built and the compose stack run with podman (root, Debian; not part of `test`).
test-containers: venv
	$(PY) -m tools.test_containers

bench: venv
	$(PY) -m bench.all

train-ner: venv
	$(PY) -m tools.train_ner

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis run
