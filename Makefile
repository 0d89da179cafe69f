# One front door: `make run` starts the service, `make test` runs every test.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: venv run test test-containers bench train-ner clean

venv: $(STAMP)

# pip's own notices (this machine's pip configuration names find-links folders that may not
# exist) are dropped; pipefail keeps pip's exit status.
SHELL       := bash
.SHELLFLAGS := -o pipefail -c
PIP_QUIET   := sed -e '/^WARNING: Location .* is ignored/d' -e '/^WARNING: There was an error checking the latest version of pip/d'

$(STAMP): requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
	  { echo "Python 3.11 or newer is needed; $(PYTHON) is older (try: make PYTHON=python3.11 ...)"; exit 1; }
	@test -x $(PY) || { echo "creating $(VENV) ..."; $(PYTHON) -m venv $(VENV); }
	@echo "installing the pinned packages into $(VENV) (requirements-dev.txt) ..."
	@$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip 2>&1 | $(PIP_QUIET)
	@$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt 2>&1 | $(PIP_QUIET)
	@touch $(STAMP)
	@echo "$(VENV) is ready"

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
