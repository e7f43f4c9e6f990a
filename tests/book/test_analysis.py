"""Tests for qa_tutorial.book.analysis: question words, answer-length groups, per-group scores, the threshold curve."""

from __future__ import annotations

import random

import numpy as np
import pandas as pd
import pytest
from conftest import squad_reference as ref

from qa_tutorial.book.analysis import (
    LENGTH_GROUPS,
    QUESTION_WORDS,
    answer_length_group,
    best_threshold,
    question_scores,
    question_word,
    scores_by_group,
    threshold_curve,
)
from qa_tutorial.metrics import squad_v1, squad_v2


@pytest.fixture(scope="module")
def v2_dev(data_dir):
    from qa_tutorial.data import load_squad

    dev = load_squad("squad_v2", data_dir=data_dir).select_columns(["id", "question", "context", "answers"])
    return dev.select(range(0, len(dev), 7)).to_dict()  # every 7th question: ~1,700 rows, both kinds


def references(columns: dict) -> list[dict]:
    return [{"id": i, "answers": a} for i, a in zip(columns["id"], columns["answers"])]


@pytest.mark.parametrize(("question", "word"), [
    ("What is the capital of France?", "what"),
    ("  WHO founded the city?", "who"),
    ("In which year did it open?", "which"),
    ("To whom was it given?", "who"),
    ("Whose idea was it?", "who"),
    ("How many people live there?", "how"),
    ("The river flows where?", "where"),
    ("Somewhat unclear: whatever happened?", "other"),  # words, not substrings
    ("Name the largest city.", "other"),
    ("", "other"),
])
def test_question_word(question, word):
    assert question_word(question) == word


@pytest.mark.parametrize(("text", "group"), [
    ("Paris", "1"), ("Denver Broncos", "2"), ("a b c", "3"), ("a b c d", "4-5"), ("a b c d e", "4-5"),
    ("a b c d e f", "6-10"), (" ".join("x" * 10), "6-10"), (" ".join("x" * 11), "11+"),
])
def test_answer_length_group(text, group):
    assert answer_length_group({"text": [text, "other answer of another length here"], "answer_start": [0, 0]}) \
        == group
    assert answer_length_group({"text": [], "answer_start": []}) == "no answer"
    assert group in LENGTH_GROUPS


def test_question_word_on_real_questions(v2_dev):
    words = pd.Series([question_word(q) for q in v2_dev["question"]])
    counts = words.value_counts()
    assert set(counts.index) <= set(QUESTION_WORDS)
    assert counts.index[0] == "what" and counts["what"] > 0.5 * len(words)  # SQuAD is mostly "what" questions
    assert counts.get("other", 0) < 0.05 * len(words)


def test_question_scores_by_hand():
    refs = [ref("a", "Denver Broncos", "Broncos"), ref("b"), ref("c", "Santa Clara"), ref("d", "the")]
    scores = question_scores({"a": "the Broncos", "b": "Paris", "d": ""}, refs)
    assert scores.loc["a", "exact"] == 1.0 and scores.loc["a", "f1"] == 1.0  # max over gold answers
    assert scores.loc["b", "exact"] == 0.0 and not scores.loc["b", "has_answer"]  # answered an impossible one
    assert scores.loc["c", "f1"] == 0.0  # missing prediction
    assert scores.loc["d", "exact"] == 1.0 and not scores.loc["d", "has_answer"]  # gold "the" normalises to ""


def test_question_scores_average_to_the_official_scores(v2_dev):
    rng = random.Random(0)
    refs = references(v2_dev)
    predictions = {}
    for qid, context, answers in zip(v2_dev["id"], v2_dev["context"], v2_dev["answers"]):
        choice = rng.random()
        if choice < 0.3:
            predictions[qid] = ""
        elif choice < 0.6 and answers["text"]:
            predictions[qid] = rng.choice(answers["text"])
        elif choice < 0.95:
            words = context.split()
            start = rng.randrange(len(words))
            predictions[qid] = " ".join(words[start:start + rng.randint(1, 6)])
    scores = question_scores(predictions, refs)
    official = squad_v2(predictions, refs)
    assert 100 * scores["exact"].mean() == pytest.approx(official["exact"])
    assert 100 * scores["f1"].mean() == pytest.approx(official["f1"])
    has = scores["has_answer"]
    assert 100 * scores.loc[has, "f1"].mean() == pytest.approx(official["HasAns_f1"])
    answerable = [r for r in refs if r["answers"]["text"]]
    v1 = squad_v1(predictions, answerable)  # v1.1 rules agree on answerable questions
    assert 100 * scores.loc[has, "exact"].mean() == pytest.approx(v1["exact_match"])
    assert 100 * scores.loc[has, "f1"].mean() == pytest.approx(v1["f1"])


def test_scores_by_group_counts_and_means(v2_dev):
    refs = references(v2_dev)
    predictions = {qid: (a["text"][0] if a["text"] and k % 3 else "") for k, (qid, a) in
                   enumerate(zip(v2_dev["id"], v2_dev["answers"]))}
    scores = question_scores(predictions, refs)
    words = dict(zip(v2_dev["id"], map(question_word, v2_dev["question"])))
    table = scores_by_group(scores, words, order=QUESTION_WORDS)
    assert list(table.columns) == ["count", "exact", "f1"]
    assert table["count"].sum() == len(refs)
    assert list(table.index) == [w for w in QUESTION_WORDS if w in set(words.values())]
    weighted = (table["f1"] * table["count"]).sum() / table["count"].sum()
    assert weighted == pytest.approx(squad_v2(predictions, refs)["f1"])
    lengths = dict(zip(v2_dev["id"], map(answer_length_group, v2_dev["answers"])))
    by_length = scores_by_group(scores, lengths.get, order=LENGTH_GROUPS)
    assert by_length.loc["no answer", "exact"] == 100.0  # "" is right for every unanswerable question
    assert by_length.loc["no answer", "count"] == sum(not a["text"] for a in v2_dev["answers"])


def test_threshold_curve_matches_the_official_scores_at_every_threshold(v2_dev):
    rng = np.random.default_rng(0)
    refs = references(v2_dev)
    spans = {qid: (a["text"][0] if a["text"] and rng.random() < 0.6 else c.split()[0])
             for qid, a, c in zip(v2_dev["id"], v2_dev["answers"], v2_dev["context"])}
    odds = {qid: float(x) for qid, x in zip(v2_dev["id"], rng.normal(size=len(refs)).round(2))}  # many ties
    odds[v2_dev["id"][0]] = float("inf")  # no candidate span: never answers
    curve = threshold_curve(spans, refs, odds)
    assert curve["threshold"].is_monotonic_increasing and curve["threshold"].iloc[0] == -np.inf
    assert curve["threshold"].iloc[1:].is_unique
    for _, row in curve.iloc[[0, 1, len(curve) // 3, len(curve) // 2, -1]].iterrows():
        predictions = {q: "" if odds[q] > row["threshold"] else text for q, text in spans.items()}
        official = squad_v2(predictions, refs)
        assert row["exact"] == pytest.approx(official["exact"])
        assert row["f1"] == pytest.approx(official["f1"])
        assert row["HasAns_f1"] == pytest.approx(official["HasAns_f1"])
        assert row["NoAns_f1"] == pytest.approx(official["NoAns_f1"])
        assert row["answered"] == pytest.approx(sum(p != "" for p in predictions.values()) / len(refs))
    assert curve["exact"].iloc[0] == pytest.approx(squad_v2(dict.fromkeys(spans, ""), refs)["exact"])


def test_best_threshold_agrees_with_the_official_sweep(v2_dev):
    rng = np.random.default_rng(1)
    refs = references(v2_dev)
    spans = {qid: (a["text"][0] if a["text"] and rng.random() < 0.7 else "nothing")
             for qid, a in zip(v2_dev["id"], v2_dev["answers"])}
    # answerable questions tend to have lower null odds, as with a trained model; no ties
    odds = {qid: float(rng.normal(-1.0 if a["text"] else 1.0)) for qid, a in zip(v2_dev["id"], v2_dev["answers"])}
    curve = threshold_curve(spans, refs, odds)
    official = squad_v2(spans, refs, na_probs=odds, na_prob_thresh=float("inf"))
    threshold, best = best_threshold(curve, "f1")
    assert best == pytest.approx(official["best_f1"])
    assert np.isfinite(threshold) and curve["f1"].iloc[0] < best < 100
    assert threshold == pytest.approx(official["best_f1_thresh"])
    assert best_threshold(curve, "exact")[1] == pytest.approx(official["best_exact"])


def test_threshold_curve_needs_every_prediction():
    with pytest.raises(ValueError, match="no span prediction or null odds"):
        threshold_curve({"a": "x"}, [ref("a", "x"), ref("b")], {"a": 0.0, "b": 1.0})


def test_best_span_texts_skips_the_null_entry():
    from qa_tutorial.book.analysis import best_span_texts
    from qa_tutorial.decoding import decode_predictions

    examples = {"id": ["q1", "q2"], "context": ["Paris is in France", "Rome"]}
    features = {"example_id": ["q1", "q2"],
                "offset_mapping": [[None, [0, 5], [6, 8], [9, 11], [12, 18], None], [None, [0, 4], None]]}
    start = np.array([[9.0, 1.0, 0.0, 0.0, 5.0, 0.0], [9.0, 1.0, 0.0, 0.0, 0.0, 0.0]])  # CLS wins in both
    end = np.array([[9.0, 0.0, 0.0, 0.0, 5.0, 0.0], [9.0, 1.0, 0.0, 0.0, 0.0, 0.0]])
    decoded = decode_predictions(examples, features, start, end, version_2_with_negative=True)
    assert decoded.predictions == {"q1": "", "q2": ""}
    assert best_span_texts(decoded.nbest) == {"q1": "France", "q2": "Rome"}
    as_v1 = decode_predictions(examples, features, start, end, version_2_with_negative=False)
    assert best_span_texts(decoded.nbest) == as_v1.predictions
