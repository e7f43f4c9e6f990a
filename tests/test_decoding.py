"""Tests for qa_tutorial.decoding: hand cases, the v2 null rule, and parity with a plain loop on real features."""

from __future__ import annotations

import numpy as np
import pytest
from reference_qa import reference_postprocess

from qa_tutorial.decoding import decode_predictions, postprocess_qa_predictions
from qa_tutorial.features import prepare_eval_features

CONTEXT = "Paris is in France"
OFFSETS = [None, None, None, [0, 5], [6, 8], [9, 11], [12, 18], None]  # CLS, q, SEP, Paris, is, in, France, SEP


def _one(start, end, **kwargs):
    examples = {"id": ["q"], "context": [CONTEXT]}
    features = {"example_id": ["q"], "offset_mapping": [OFFSETS]}
    return decode_predictions(examples, features, np.array([start], float), np.array([end], float), **kwargs)


def test_best_valid_span_wins_over_question_tokens():
    start = [0, 9, 0, 1, 0, 0, 3, 0]  # the highest start logit sits on a question token
    end = [0, 0, 9, 0, 0, 0, 2, 0]
    assert _one(start, end).predictions == {"q": "France"}


def test_end_before_start_and_length_limit():
    start = [0, 0, 0, 1, 0, 0, 6, 0]
    end = [0, 0, 0, 5, 0, 0, 1, 0]  # best end (Paris) lies before best start (France)
    assert _one(start, end).predictions == {"q": "France"}
    start = [0, 0, 0, 6, 0, 0, 0, 0]
    end = [0, 0, 0, 1, 0, 0, 6, 0]  # Paris..France is 4 tokens
    assert _one(start, end).predictions == {"q": "Paris is in France"}
    assert _one(start, end, max_answer_length=3).predictions == {"q": "Paris"}


def test_nbest_lists_probabilities_and_null_odds():
    start = [1, 0, 0, 2, 0, 0, 3, 0]
    end = [1, 0, 0, 2, 0, 0, 3, 0]
    result = _one(start, end, n_best_size=3, version_2_with_negative=True)
    texts = [entry["text"] for entry in result.nbest["q"]]
    assert texts[0] == "France" and "" in texts
    assert sum(entry["probability"] for entry in result.nbest["q"]) == pytest.approx(1.0)
    scores = [entry["score"] for entry in result.nbest["q"]]
    assert scores == sorted(scores, reverse=True)
    assert result.null_odds["q"] == pytest.approx(2.0 - 6.0)


def test_null_score_is_the_minimum_over_features():
    """Two windows of one example: the one sure of an answer (low null score) decides, not the unsure one."""
    examples = {"id": ["q"], "context": [CONTEXT]}
    features = {"example_id": ["q", "q"], "offset_mapping": [OFFSETS, OFFSETS]}
    start = np.array([[5, 0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 3, 0, 0, 0, 0]], float)
    end = np.array([[5, 0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 3, 0, 0, 0, 0]], float)
    # null scores: 10 (window 1), 0 (window 2); best span: Paris, 6 (window 2). min(10, 0) = 0 < 6: answer.
    answers = postprocess_qa_predictions(examples, features, start, end, version_2_with_negative=True)
    assert answers == {"q": "Paris"}  # the seeds' maximum (10 > 6) would have answered ""
    assert postprocess_qa_predictions(examples, features, start, end, version_2_with_negative=True,
                                      null_score_diff_threshold=-7.0) == {"q": ""}


def test_v1_always_answers():
    start = [9, 0, 0, 1, 0, 0, 0, 0]
    end = [9, 0, 0, 1, 0, 0, 0, 0]
    assert _one(start, end).predictions == {"q": "Paris"}
    assert _one(start, end, version_2_with_negative=True).predictions == {"q": ""}


def test_cls_index_column_is_used_for_null_score():
    examples = {"id": ["q"], "context": [CONTEXT]}
    offsets = [None, [0, 5], [6, 8], None, None, None, None, None]  # left padded: context first, CLS at 5
    features = {"example_id": ["q"], "offset_mapping": [offsets], "cls_index": [5]}
    start = np.array([[0, 1, 0, 0, 0, 9, 0, 0]], float)
    end = np.array([[0, 1, 0, 0, 0, 9, 0, 0]], float)
    assert postprocess_qa_predictions(examples, features, start, end, version_2_with_negative=True) == {"q": ""}


def test_bad_inputs_are_named():
    examples = {"id": ["q", "r"], "context": [CONTEXT, CONTEXT]}
    features = {"example_id": ["q"], "offset_mapping": [OFFSETS]}
    logits = np.zeros((1, 8))
    with pytest.raises(ValueError, match="no features.*'r'"):
        postprocess_qa_predictions(examples, features, logits, logits)
    with pytest.raises(ValueError, match="shape"):
        postprocess_qa_predictions({"id": ["q"], "context": [CONTEXT]}, features, np.zeros((2, 8)), np.zeros((2, 8)))
    with pytest.raises(ValueError, match="'z'"):
        postprocess_qa_predictions({"id": ["q"], "context": [CONTEXT]}, {"example_id": ["z"],
                                   "offset_mapping": [OFFSETS]}, logits, logits)



def test_a_span_without_characters_is_no_candidate():
    # a zero-width token (a lone space of a byte-level BPE) holds the best logits; the null score lost to it
    offsets = [None, None, None, [0, 5], [6, 8], [9, 11], [12, 18], [18, 18], None]
    examples = {"id": ["q"], "context": [CONTEXT]}
    features = {"example_id": ["q"], "offset_mapping": [offsets]}
    start = np.array([[1, 0, 0, 0, 0, 0, 3, 9, 0]], float)  # (7, 7) scores 18 and has no text
    end = np.array([[1, 0, 0, 0, 0, 0, 0, 9, 0]], float)  # (6, 7) scores 12: "France"
    for version_2 in (False, True):
        decoded = decode_predictions(examples, features, start, end, version_2_with_negative=version_2)
        assert decoded.predictions == {"q": "France"}
        assert all(entry["text"] for entry in decoded.nbest["q"] if entry["start_logit"] is not None)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_logits_are_an_error(bad):
    start = np.zeros((1, 8))
    start[0, 6] = bad
    with pytest.raises(ValueError, match="start_logits holds NaN or infinite values.*feature 0"):
        _one(start[0], np.zeros(8), version_2_with_negative=True)

# ------------------------------------------------------------------------------ parity with the loop on real features
def _real_features(data_dir, relative, n_examples, tokenizer):
    from qa_tutorial.data import read_squad_json

    columns = read_squad_json(data_dir / relative)
    examples = {k: v[:n_examples] for k, v in columns.items()}
    features = prepare_eval_features(examples, tokenizer, max_length=96, doc_stride=32, padding=False)
    return examples, features


def _random_logits(features, seed, width):
    rng = np.random.default_rng(seed)
    start = rng.normal(size=(len(features["input_ids"]), width))
    end = rng.normal(size=(len(features["input_ids"]), width))
    for k, ids in enumerate(features["input_ids"]):  # padding positions, as a Trainer pads the logits
        start[k, len(ids):] = end[k, len(ids):] = -100.0
    # make the null (CLS) score compete with the best spans, so that both v2 outcomes occur
    boost = rng.uniform(0.0, 4.0, size=len(start))
    start[:, 0] += boost
    end[:, 0] += boost
    return start, end


@pytest.mark.realdata
@pytest.mark.parametrize("version_2, relative, threshold", [
    (False, "squad-v1.1/dev.json.gz", 0.0),
    (True, "squad-v2.0/dev.reconstructed.json.gz", 0.0),
    (True, "squad-v2.0/dev.reconstructed.json.gz", 1.5),
    (True, "squad-v2.0/dev.reconstructed.json.gz", -1.5),
])
@pytest.mark.parametrize("n_best_size, max_answer_length", [(20, 30), (5, 4)])
def test_parity_with_reference_loop(data_dir, squad_tokenizer, version_2, relative, threshold, n_best_size,
                                    max_answer_length):
    examples, features = _real_features(data_dir, relative, 400, squad_tokenizer)
    assert len(features["input_ids"]) > len(examples["id"])  # several windows per example
    start, end = _random_logits(features, seed=7, width=100)
    kwargs = dict(n_best_size=n_best_size, max_answer_length=max_answer_length,
                  version_2_with_negative=version_2, null_score_diff_threshold=threshold)
    expected, expected_nbest = reference_postprocess(examples, features, start, end, **kwargs)
    result = decode_predictions(examples, features, start, end, **kwargs)
    assert result.predictions == expected
    for example_id, entries in expected_nbest.items():
        ours = [entry for entry in result.nbest[example_id] if entry["start_logit"] is not None]
        assert [entry["text"] for entry in ours] == [entry["text"] for entry in entries]
        assert [entry["score"] for entry in ours] == pytest.approx([entry["score"] for entry in entries])
    if version_2:
        share_null = np.mean([answer == "" for answer in expected.values()])
        assert 0.0 < share_null < 1.0  # the null rule really decides both ways


@pytest.mark.realdata
def test_dataset_input_gives_the_same_answers(data_dir, squad_tokenizer):
    datasets = pytest.importorskip("datasets")
    examples, features = _real_features(data_dir, "squad-v2.0/dev.reconstructed.json.gz", 200, squad_tokenizer)
    start, end = _random_logits(features, seed=3, width=96)
    from_dicts = postprocess_qa_predictions(examples, features, start, end, version_2_with_negative=True)
    example_ds = datasets.Dataset.from_dict(examples)
    feature_ds = datasets.Dataset.from_dict(features)
    assert postprocess_qa_predictions(example_ds, feature_ds, start, end, version_2_with_negative=True) == from_dicts
    # a selection (indices mapping) of the features must be respected too
    keep = [k for k, e in enumerate(features["example_id"]) if e in set(examples["id"][:50])]
    subset = {k: v[:50] for k, v in examples.items()}
    selected = postprocess_qa_predictions(subset, feature_ds.select(keep), start[keep], end[keep],
                                          version_2_with_negative=True)
    assert selected == {k: from_dicts[k] for k in subset["id"]}
