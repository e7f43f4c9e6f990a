# Two entry points for a fresh machine (see README.md):
#   make book  - set up the environment and build the executed book
#   make test  - set up the environments and run every test
PYTHON ?= python3
VENV := .venv
COMPAT := .venv-457
export HF_HUB_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false
export QA_TUTORIAL_DATA_DIR ?= $(abspath ../shared/data)

.PHONY: setup setup-compat test test-main test-compat book clean

# torch==2.13.0 goes in first: it is the CPU wheel; anything looser pulls CUDA packages.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q torch==2.13.0
	$(VENV)/bin/pip install -q -e ".[dev,book]"
	touch $@

# A second environment with transformers 4.57.x for the package's unit tests.
$(COMPAT)/.installed: pyproject.toml
	$(PYTHON) -m venv $(COMPAT)
	$(COMPAT)/bin/pip install -q --upgrade pip
	$(COMPAT)/bin/pip install -q torch==2.13.0
	$(COMPAT)/bin/pip install -q -e ".[dev]" "transformers>=4.57,<4.58"
	touch $@

setup: $(VENV)/.installed
setup-compat: $(COMPAT)/.installed

test-main: setup
	$(VENV)/bin/python -m pytest

test-compat: setup-compat
	$(COMPAT)/bin/python -c "import transformers; assert transformers.__version__.startswith('4.57'), transformers.__version__; print('compat env: transformers', transformers.__version__)"
	$(COMPAT)/bin/python -m pytest tests qa_tutorial

test: test-main test-compat

book: setup
	$(VENV)/bin/jupyter-book build . -W -n --keep-going

clean:
	rm -rf _build .pytest_cache
