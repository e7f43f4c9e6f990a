"""The 0.1 import paths still work after the move, each with a DeprecationWarning that names the new path."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys

import pytest

from qa_tutorial._moved import MOVED_MODULES


@pytest.mark.slow
def test_every_old_module_path_is_the_new_module_with_a_warning():
    code = ("import importlib, json, warnings\n"
            "from qa_tutorial._moved import MOVED_MODULES\n"
            "result = {}\n"
            "for old, new in sorted(MOVED_MODULES.items()):\n"
            "    with warnings.catch_warnings(record=True) as caught:\n"
            "        warnings.simplefilter('always')\n"
            "        same = importlib.import_module(old) is importlib.import_module(new)\n"
            "    result[old] = [same, [str(w.message) for w in caught if w.category is DeprecationWarning]]\n"
            "print(json.dumps(result))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    result = json.loads(out)
    assert sorted(result) == sorted(MOVED_MODULES)
    for old, (same, messages) in result.items():
        assert same, old
        parent = old.rpartition(".")[0]  # a submodule of a moved package warns through its parent, imported first
        assert any(f"{old} moved to {MOVED_MODULES[old]}" in m or f"{parent} moved to" in m for m in messages), old


def test_a_submodule_of_a_moved_package_is_not_loaded_twice():
    with pytest.warns(DeprecationWarning):
        old = importlib.import_module("qa_tutorial.plots.windows")
    new = importlib.import_module("qa_tutorial.book.plots.windows")
    assert old is new and old.highlight_spans_html is new.highlight_spans_html


def test_names_models_no_longer_exports_come_from_their_one_module():
    import qa_tutorial.checkpoints
    import qa_tutorial.models
    import qa_tutorial.tokenizers_offline

    assert "load_qa_model" not in vars(qa_tutorial.models) and "load_qa_model" not in qa_tutorial.models.__all__
    with pytest.warns(DeprecationWarning, match="qa_tutorial.checkpoints.load_qa_model"):
        assert qa_tutorial.models.load_qa_model is qa_tutorial.checkpoints.load_qa_model
    with pytest.warns(DeprecationWarning, match="tokenizers_offline"):
        from qa_tutorial.models import train_wordpiece_tokenizer
    assert train_wordpiece_tokenizer is qa_tutorial.tokenizers_offline.train_wordpiece_tokenizer
    with pytest.raises(AttributeError):
        qa_tutorial.models.no_such_name  # noqa: B018


def test_longformer_measurements_moved_to_the_book():
    import qa_tutorial.book.long_documents
    import qa_tutorial.longformer

    with pytest.warns(DeprecationWarning, match="qa_tutorial.book.long_documents.count_windows"):
        assert qa_tutorial.longformer.count_windows is qa_tutorial.book.long_documents.count_windows
    assert "count_windows" not in vars(qa_tutorial.longformer)


@pytest.mark.slow
def test_the_pipeline_imports_no_book_scaffolding():
    """Importing every pipeline module loads nothing from qa_tutorial.book (the arrow points one way)."""
    pipeline = ["answering", "atomic_files", "checkpoints", "cleaning", "data", "decoding", "devices", "features",
                "inference", "longformer", "metrics", "models", "pretrained", "pytorch_loop", "sharing",
                "tokenizers_offline", "training"]
    code = ("import sys, importlib\n"
            f"for name in {pipeline!r}:\n    importlib.import_module('qa_tutorial.' + name)\n"
            "print(sorted(m for m in sys.modules if m.startswith('qa_tutorial.book')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
