"""Tests for qa_tutorial.sharing: a publishable folder with a model card, and a push that fails fast offline."""

from __future__ import annotations

import time

import pytest
import torch
from huggingface_hub import ModelCard
from transformers import AutoModelForQuestionAnswering, AutoTokenizer

from qa_tutorial.models import build_tiny_bert_qa
from qa_tutorial.sharing import HubUnavailableError, hub_reachable, push_to_hub, save_for_sharing

METRICS = {"exact_match": 12.345, "f1": 20.5, "total": 300}


@pytest.fixture(scope="module")
def shared_folder(tmp_path_factory, wordpiece_tokenizer):
    model = build_tiny_bert_qa(wordpiece_tokenizer, seed=1)
    folder = save_for_sharing(model, wordpiece_tokenizer, tmp_path_factory.mktemp("share") / "tiny-qa",
                              model_name="tiny-qa", metrics=METRICS, dataset_type="squad", dataset_name="SQuAD v1.1",
                              settings={"learning_rate": 3e-4, "epochs": 2}, notes="A tiny model for the tutorial.")
    return folder, model


def test_folder_has_everything_to_publish(shared_folder, wordpiece_tokenizer):
    folder, model = shared_folder
    names = {p.name for p in folder.iterdir()}
    assert {"README.md", "config.json", "model.safetensors", "tokenizer.json"} <= names
    assert not any(name.endswith(".bin") for name in names)
    reloaded = AutoModelForQuestionAnswering.from_pretrained(folder)
    inputs = AutoTokenizer.from_pretrained(folder)("Who?", "The Normans were people.", return_tensors="pt")
    with torch.inference_mode():
        assert torch.equal(model.eval()(**inputs).start_logits, reloaded.eval()(**inputs).start_logits)


def test_model_card_metadata_round_trips(shared_folder):
    folder, _ = shared_folder
    card = ModelCard.load(folder / "README.md")
    assert card.data.model_name == "tiny-qa" and card.data.pipeline_tag == "question-answering"
    results = {(r.metric_type, r.dataset_type): r.metric_value for r in card.data.eval_results}
    assert results == {("exact_match", "squad"): 12.35, ("f1", "squad"): 20.5}  # "total" is not a card metric
    assert "model-index" in (folder / "README.md").read_text()
    assert "| learning_rate | 0.0003 |" in card.text and "A tiny model for the tutorial." in card.text


def test_push_fails_fast_in_offline_mode(shared_folder, monkeypatch):
    folder, _ = shared_folder
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)  # what HF_HUB_OFFLINE=1 sets when the library loads
    with pytest.raises(HubUnavailableError, match="HF_HUB_OFFLINE"):
        push_to_hub(folder, "someone/tiny-qa")


def test_push_fails_fast_without_network(shared_folder, monkeypatch):
    folder, _ = shared_folder
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(constants, "ENDPOINT", "http://127.0.0.1:9")  # the discard port: nothing listens
    assert not hub_reachable()
    started = time.monotonic()
    with pytest.raises(HubUnavailableError, match="did not answer"):
        push_to_hub(folder, "someone/tiny-qa", timeout=1.0)
    assert time.monotonic() - started < 5


def test_push_refuses_an_incomplete_folder(tmp_path):
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(FileNotFoundError, match="safetensors"):
        push_to_hub(tmp_path, "someone/x")
