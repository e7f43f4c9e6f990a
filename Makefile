# Two entry points for a fresh machine (see README.md):
#   make book  - set up the environment and build the executed book into _build/html
#   make test  - set up the environments and run every test: package tests, every chapter under nbval,
#                the book rendered from that same execution and checked in headless Chromium, and the
#                package tests again on transformers 4.57
PYTHON ?= python3
VENV := .venv
COMPAT := .venv-457
export HF_HUB_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false
export QA_TUTORIAL_DATA_DIR ?= $(abspath ../shared/data)
export QA_TUTORIAL_CACHE ?= $(abspath _build/cache)
EXECUTED := _build/executed
TESTED_BOOK := _build/tested-book
NBVAL := --nbval-lax --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg --nbval-cell-timeout 300
# Not repeated on 4.57: figures, analysis and padding are numpy/matplotlib only, and the cached model is
# train_qa, which tests/test_training.py covers there. The benchmark scripts record the current versions only.
COMPAT_SKIP := --ignore-glob='tests/test_plots_*' --ignore-glob='qa_tutorial/plots/*' --ignore=tests/test_analysis.py \
  --ignore=tests/test_padding.py --ignore=tests/test_finetuned.py --ignore=tests/test_benchmarks.py
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: setup setup-compat chromium test test-main test-notebooks test-browser test-compat book clean

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

# Debian's Chromium for the rendered-book test.
chromium:
	@command -v chromium >/dev/null || { $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium fonts-dejavu-core >/dev/null; }
	@chromium --version

test-main: setup
	$(VENV)/bin/python -m pytest

# Each chapter is executed once, under nbval; tests/nbcapture.py keeps the outputs for the book build.
test-notebooks: setup
	rm -rf $(EXECUTED)
	QA_TUTORIAL_BOOK_BUILD=1 $(VENV)/bin/python -m pytest -p tests.nbcapture --nb-capture $(EXECUTED) \
	  $(NBVAL) -o addopts="-ra" book

test-browser: setup chromium
	$(VENV)/bin/python tests/build_book.py $(EXECUTED) $(TESTED_BOOK)
	$(VENV)/bin/python -m pytest -m book tests/test_book_html.py

test-compat: setup-compat
	$(COMPAT)/bin/python -c "import transformers; assert transformers.__version__.startswith('4.57'), transformers.__version__; print('compat env: transformers', transformers.__version__)"
	$(COMPAT)/bin/python -m pytest tests qa_tutorial $(COMPAT_SKIP)

test: test-main test-notebooks test-browser test-compat

book: setup
	QA_TUTORIAL_BOOK_BUILD=1 $(VENV)/bin/jupyter-book build . -W -n --keep-going

clean:
	rm -rf _build .pytest_cache
