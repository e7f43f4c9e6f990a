"""Tests for qa_tutorial.inference: batched logits with dynamic padding, and the whole scoring chain."""

from __future__ import annotations

import numpy as np
import pytest

from qa_tutorial.data import first_n, load_squad
from qa_tutorial.decoding import postprocess_qa_predictions
from qa_tutorial.features import prepare_eval_features
from qa_tutorial.inference import evaluate_qa, predict_logits
from qa_tutorial.metrics import squad_v1, squad_v2
from qa_tutorial.models import build_tiny_bert_qa


@pytest.fixture(scope="module")
def tiny_model(squad_tokenizer):
    return build_tiny_bert_qa(squad_tokenizer, hidden_size=32, seed=3)


@pytest.mark.realdata
@pytest.mark.parametrize("sort_by_length", [True, False])
def test_batching_and_padding_do_not_change_logits(data_dir, squad_tokenizer, tiny_model, sort_by_length):
    examples = first_n(load_squad("squad", data_dir=data_dir), 12).to_dict()
    features = prepare_eval_features(examples, squad_tokenizer, max_length=96, doc_stride=32, padding=False)
    assert len(set(map(len, features["input_ids"]))) > 3  # lengths differ: sorting reorders the batches
    one_by_one = predict_logits(tiny_model, features, batch_size=1, progress=False)
    batched = predict_logits(tiny_model, features, batch_size=7, progress=False, sort_by_length=sort_by_length)
    for a, b in zip(one_by_one, batched):
        np.testing.assert_allclose(a, b, atol=1e-5)
    lengths = [len(ids) for ids in features["input_ids"]]
    assert one_by_one[0].shape == (len(lengths), max(lengths))
    assert all((one_by_one[0][k, n:] == -100).all() for k, n in enumerate(lengths))


@pytest.mark.realdata
@pytest.mark.parametrize("version_2", [False, True])
def test_evaluate_chains_the_stages(data_dir, squad_tokenizer, tiny_model, version_2):
    name = "squad_v2" if version_2 else "squad"
    examples = first_n(load_squad(name, data_dir=data_dir), 40)
    metrics, decoded = evaluate_qa(tiny_model, squad_tokenizer, examples, version_2_with_negative=version_2,
                                   max_length=128, doc_stride=32, progress=False)
    assert set(decoded.predictions) == set(examples["id"])
    # the same numbers by hand, stage by stage
    columns = examples.to_dict()
    features = prepare_eval_features(columns, squad_tokenizer, max_length=128, doc_stride=32, padding=False)
    start, end = predict_logits(tiny_model, features, progress=False)
    answers = postprocess_qa_predictions(columns, features, start, end, version_2_with_negative=version_2)
    assert answers == decoded.predictions
    references = [{"id": i, "answers": a} for i, a in zip(columns["id"], columns["answers"])]
    expected = squad_v2(answers, references) if version_2 else squad_v1(answers, references)
    for key in ("exact", "f1") if version_2 else ("exact_match", "f1"):
        assert metrics[key] == pytest.approx(expected[key])
    if version_2:
        assert "best_f1" in metrics and metrics["best_f1"] >= metrics["f1"] - 1e-9


def test_forward_columns_keep_what_the_model_accepts(tiny_model):
    from transformers import DistilBertConfig, DistilBertForQuestionAnswering

    from qa_tutorial.inference import forward_columns

    names = ["example_id", "input_ids", "token_type_ids", "attention_mask", "offset_mapping", "start_positions"]
    assert forward_columns(tiny_model, names) == ["input_ids", "token_type_ids", "attention_mask", "start_positions"]
    distil = DistilBertForQuestionAnswering(DistilBertConfig(dim=8, n_layers=1, n_heads=1, hidden_dim=8))
    assert forward_columns(distil, names) == ["input_ids", "attention_mask", "start_positions"]


def test_pad_batch_rounds_up_to_a_multiple_on_either_side():
    from qa_tutorial.inference import pad_batch

    rows = {"input_ids": [[5, 6, 7, 8, 9], [5]], "attention_mask": [[1] * 5, [1]]}
    right = pad_batch(rows, pad_token_id=0, pad_to_multiple_of=4)
    assert right["input_ids"].tolist() == [[5, 6, 7, 8, 9, 0, 0, 0], [5, 0, 0, 0, 0, 0, 0, 0]]
    left = pad_batch(rows, pad_token_id=0, padding_side="left", pad_to_multiple_of=4)
    assert left["attention_mask"].tolist()[1] == [0] * 7 + [1]


@pytest.mark.realdata
def test_decode_and_score_is_what_evaluation_and_training_compute(data_dir, squad_tokenizer, tiny_model):
    from qa_tutorial.inference import decode_and_score
    from qa_tutorial.training import qa_scores

    examples = first_n(load_squad("squad_v2", data_dir=data_dir), 40).to_dict()
    features = prepare_eval_features(examples, squad_tokenizer, max_length=128, doc_stride=48, padding=False)
    start, end = predict_logits(tiny_model, features, progress=False)
    metrics, decoded = decode_and_score(examples, features, start, end, version_2_with_negative=True)
    whole, by_chain = evaluate_qa(tiny_model, squad_tokenizer, examples, version_2_with_negative=True,
                                  max_length=128, doc_stride=48, progress=False)
    assert metrics == whole and decoded.predictions == by_chain.predictions
    assert qa_scores(examples, features, start, end, version_2_with_negative=True, prefix="test") == {
        f"test_{k}": float(v) for k, v in metrics.items()}
