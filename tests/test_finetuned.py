"""Tests for qa_tutorial.finetuned: the cached quick-profile model and the full-profile checkpoints."""

import dataclasses
import json
import os
from pathlib import Path

import pytest

from qa_tutorial.finetuned import CACHE_ENV, FINETUNED, finetuned_model
from qa_tutorial.models import load_qa_model
from qa_tutorial.profiles import FULL, QUICK

pytestmark = pytest.mark.realdata

SMALL = dataclasses.replace(QUICK, train_examples=24, eval_examples=12, num_train_epochs=1, tiny_hidden_size=32,
                            tiny_vocab_size=400, max_length=96, doc_stride=32, per_device_train_batch_size=8)


def test_full_profile_names_published_checkpoints():
    assert finetuned_model(FULL, "squad") == FINETUNED["english"]
    assert finetuned_model(FULL, "squad_v2") == "deepset/roberta-base-squad2"  # a model that can abstain
    assert finetuned_model(FULL, "faquad") == FINETUNED["portuguese"]
    assert finetuned_model(FULL, "covid_qa") == FINETUNED["long"]


def test_unknown_dataset_is_refused():
    with pytest.raises(ValueError, match="unknown dataset"):
        finetuned_model(QUICK, "trivia")


def test_quick_model_is_trained_once_and_reused(tmp_path, monkeypatch, data_dir):
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    first = finetuned_model(SMALL, "squad", data_dir=data_dir)
    assert first.startswith(str(tmp_path))
    weights = os.path.join(first, "model.safetensors")
    stamp = os.stat(weights).st_mtime_ns
    assert finetuned_model(SMALL, "squad", data_dir=data_dir) == first
    assert os.stat(weights).st_mtime_ns == stamp  # not trained again
    folder = Path(first)
    settings = json.loads((folder / "settings.json").read_text())
    assert settings["train_examples"] == 24 and settings["profile"] == "quick"
    assert "eval_f1" in json.loads((folder / "eval_results.json").read_text())
    split = json.loads((folder / "data_split.json").read_text())
    assert split["source"] == "squad" and split["train_titles"] and split["eval_titles"]
    assert not set(split["train_titles"]) & set(split["eval_titles"])  # held-out articles never seen
    assert "data_split.json" in (folder / "README.md").read_text()
    model, _, report = load_qa_model(first)
    assert model.config.hidden_size == 32 and not report.missing_keys
    other = finetuned_model(SMALL, "squad", data_dir=data_dir, seed=7)
    assert other != first  # another seed is another cache entry
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".training-")] == []  # work folders removed


def test_the_v2_model_continues_from_the_v1_model_on_the_same_held_out_articles(tmp_path, monkeypatch, data_dir):
    from qa_tutorial.pretrained import MINILM

    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    small = dataclasses.replace(QUICK, english_checkpoint=MINILM.hub_id, train_examples=16, eval_examples=8,
                                max_length=96, doc_stride=32, num_train_epochs=1, per_device_train_batch_size=8,
                                learning_rate=1e-4, sample_seed=0)
    v2 = Path(finetuned_model(small, "squad_v2", data_dir=data_dir))
    v1 = Path(finetuned_model(small, "squad", data_dir=data_dir))  # trained first, as v2's starting point
    settings = json.loads((v2 / "settings.json").read_text())
    assert settings["start"] == v1.name and settings["train_examples"] == 8  # half the budget
    assert settings["base"].startswith(f"{MINILM.hub_id}@sha256:")
    v1_split, v2_split = (json.loads((p / "data_split.json").read_text()) for p in (v1, v2))
    assert v2_split["source"] == "squad_v2"
    assert not set(v2_split["eval_titles"]) & set(v1_split["train_titles"])  # v1 never saw v2's test articles
    assert "Fine-tuned further from the quick squad model" in (v2 / "README.md").read_text()
    assert "eval_best_f1" in json.loads((v2 / "eval_results.json").read_text())
