"""Tests for qa_tutorial.metrics: hand-computed cases, real SQuAD dev files, official-logic parity, evaluate.load."""

from __future__ import annotations

import collections
import gzip
import json
import random
import re
import string

import pytest
from conftest import squad_reference as ref

from qa_tutorial.metrics import (
    compute_exact,
    compute_f1,
    exact_match_score,
    f1_score,
    find_best_thresh,
    get_tokens,
    metric_max_over_ground_truths,
    metric_path,
    normalize_answer,
    squad_v1,
    squad_v2,
)

# ---------------------------------------------------------------- helpers, by hand


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The Cat", "cat"),  # case and article
        ("An apple a day", "apple day"),  # all three articles
        ("theatre and anthem", "theatre and anthem"),  # articles only as whole words
        ("U.S. Army!", "us army"),  # punctuation dropped, not replaced by a space
        ("the-end", "theend"),  # punctuation goes before articles, so "the" is no longer a word
        ("the, end", "end"),
        ("  New\t\nYork  ", "new york"),  # whitespace collapsed
        ("A", ""),
        ("1,000 – 2,000", "1000 – 2000"),  # the en dash is not ASCII punctuation: it stays
        ("Café", "café"),
    ],
)
def test_normalize_answer(text, expected):
    assert normalize_answer(text) == expected


def test_tokens_and_exact():
    assert get_tokens("The  quick, brown fox.") == ["quick", "brown", "fox"]
    assert get_tokens("") == [] and get_tokens("the") == []
    assert exact_match_score("the Eiffel Tower.", "eiffel tower") is True
    assert exact_match_score("Eiffel", "eiffel tower") is False
    assert compute_exact("eiffel tower", "The Eiffel Tower!") == 1
    assert compute_exact("", "a") == 1  # "a" normalises to ""


def test_f1_partial_overlap_by_hand():
    # pred tokens quick brown fox jumps (4), gold quick fox (2), 2 shared: P = 1/2, R = 1, F1 = 2/3.
    assert f1_score("the quick brown fox jumps", "a quick fox") == pytest.approx(2 / 3)
    assert compute_f1("a quick fox", "the quick brown fox jumps") == pytest.approx(2 / 3)
    # shared counts are clipped: pred new york new york, gold new york: 2 shared, P = 2/4, R = 1.
    assert f1_score("New York, New York", "new york") == pytest.approx(2 / 3)
    # pred denver broncos (2), gold denver broncos team super bowl (5): P = 1, R = 2/5, F1 = 4/7.
    assert f1_score("Denver Broncos", "Denver Broncos team Super Bowl") == pytest.approx(4 / 7)
    assert f1_score("Agriculture industry", "Agroindustry") == 0.0


def test_f1_empty_sides_v1_versus_v2():
    assert f1_score("", "") == 0.0  # v1.1: no shared token means 0, even for two empty answers
    assert compute_f1("", "") == 1.0 and compute_f1("", "The.") == 1.0  # v2.0: both empty means 1
    assert compute_f1("", "Paris") == 0.0 and compute_f1("Paris", "") == 0.0


def test_max_over_several_gold_answers():
    golds = ["Denver Broncos", "Broncos", "the Denver Broncos team"]
    assert metric_max_over_ground_truths(exact_match_score, "denver broncos", golds) is True
    # F1 against each gold: 2/3, 1, 4/5 (pred denver broncos vs denver broncos team: P = 1, R = 2/3).
    assert metric_max_over_ground_truths(f1_score, "Broncos", golds) == 1.0
    assert metric_max_over_ground_truths(f1_score, "the Broncos team", golds) == pytest.approx(0.8)
    refs = [ref("q1", *golds)]
    assert squad_v1({"q1": "Broncos"}, refs) == {"exact_match": 100.0, "f1": 100.0}
    assert squad_v1({"q1": "Denver"}, refs)["f1"] == pytest.approx(100 * 2 / 3)


# ---------------------------------------------------------------- squad_v1 / squad_v2, by hand


def test_squad_v1_strawberry_example():
    refs = [ref("1", "Strawberry"), ref("2", "Agroindustry"), ref("3", "Red")]
    preds = {"1": "Strawberry", "2": "Agriculture industry", "3": "Red"}
    # EM: 2 of 3; F1: 1 + 0 + 1 (no shared token in question 2) over 3.
    scores = squad_v1(preds, refs)
    assert scores == {"exact_match": pytest.approx(66.6667, abs=1e-4), "f1": pytest.approx(66.6667, abs=1e-4)}


def test_squad_v1_missing_prediction_counts_zero():
    refs = [ref("a", "Paris"), ref("b", "Denver Broncos"), ref("c", "1905")]
    scores = squad_v1({"a": "Paris", "b": "Broncos", "zzz": "ignored"}, refs)
    assert scores["exact_match"] == pytest.approx(100 / 3)
    assert scores["f1"] == pytest.approx(100 * (1 + 2 / 3 + 0) / 3)
    assert squad_v1({}, refs) == {"exact_match": 0.0, "f1": 0.0}


def test_squad_v1_accepts_official_answer_lists():
    hub = [ref("a", "Paris", "the city of Paris")]
    official = [{"id": "a", "answers": [{"text": "Paris", "answer_start": 0}, {"text": "the city of Paris"}]}]
    assert squad_v1({"a": "city Paris"}, hub) == squad_v1({"a": "city Paris"}, official)


def test_squad_v2_groups_and_dropped_gold():
    refs = [
        ref("h1", "The", "Paris"),  # "The" normalises to "": dropped, so gold is ["Paris"]
        ref("h2", "."),  # nothing left: gold [""], but still a HasAns question (it has answers)
        ref("n1"),
        ref("n2"),
    ]
    scores = squad_v2({"h1": "", "h2": "", "n1": "", "n2": "London"}, refs)
    # exact per question: h1 0 (compute_exact("The", "") would have been 1), h2 1, n1 1, n2 0.
    assert scores == {
        "exact": 50.0, "f1": 50.0, "total": 4,
        "HasAns_exact": 50.0, "HasAns_f1": 50.0, "HasAns_total": 2,
        "NoAns_exact": 50.0, "NoAns_f1": 50.0, "NoAns_total": 2,
    }
    only_answerable = squad_v2({"h1": "Paris"}, [ref("h1", "Paris")])
    assert set(only_answerable) == {"exact", "f1", "total", "HasAns_exact", "HasAns_f1", "HasAns_total"}
    only_unanswerable = squad_v2({"n1": ""}, [ref("n1")])
    assert set(only_unanswerable) == {"exact", "f1", "total", "NoAns_exact", "NoAns_f1", "NoAns_total"}


def _threshold_case():
    refs = [ref("q1", "Paris"), ref("q2", "Denver Broncos"), ref("q3"), ref("q4")]
    preds = {"q1": "Paris", "q2": "Denver Broncos team", "q3": "London", "q4": ""}
    na_probs = {"q1": 0.1, "q2": 0.4, "q3": 0.5, "q4": 0.9}
    return refs, preds, na_probs


def test_squad_v2_na_prob_thresh_by_hand():
    refs, preds, na_probs = _threshold_case()
    # raw exact 1, 0, 0, 1; raw F1 1, 0.8 (P = 2/3, R = 1), 0, 1.
    plain = squad_v2(preds, refs)
    assert (plain["exact"], plain["f1"]) == (50.0, pytest.approx(70.0))
    assert (plain["HasAns_f1"], plain["NoAns_exact"]) == (pytest.approx(90.0), 50.0)
    # thresh 0.45: q3 (0.5) and q4 (0.9) say "no answer" and are right; q1, q2 keep their scores.
    cut = squad_v2(preds, refs, na_probs=na_probs, na_prob_thresh=0.45)
    assert (cut["exact"], cut["f1"], cut["NoAns_exact"]) == (75.0, pytest.approx(95.0), 100.0)
    # thresh 0.05: everything says "no answer": answerable questions score 0, unanswerable 1.
    assert squad_v2(preds, refs, na_probs=na_probs, na_prob_thresh=0.05)["exact"] == 50.0
    # the comparison is strict: a probability equal to the threshold keeps the prediction.
    assert squad_v2(preds, refs, na_probs=na_probs, na_prob_thresh=0.5)["NoAns_exact"] == 50.0


def test_best_threshold_by_hand():
    refs, preds, na_probs = _threshold_case()
    scores = squad_v2(preds, refs, na_probs=na_probs)
    # Sweep from "all no answer" (q3, q4 right: 2) in na_prob order q1, q2, q3, q4:
    #   exact: +1 (3, best at 0.1), +0, -1 (q3 answers London), +0  -> 3/4 at 0.1
    #   F1:    +1 (3, at 0.1), +0.8 (3.8, best at 0.4), -1, +0     -> 3.8/4 at 0.4
    assert scores["best_exact"] == 75.0 and scores["best_exact_thresh"] == 0.1
    assert scores["best_f1"] == pytest.approx(95.0) and scores["best_f1_thresh"] == 0.4
    # the default threshold 1.0 applies nothing: the main scores equal the raw ones.
    assert (scores["exact"], scores["f1"]) == (50.0, pytest.approx(70.0))
    # no gain over answering nothing: the threshold stays at 0.0.
    assert find_best_thresh({"a": "x"}, {"a": 0.0}, {"a": 0.3}, {"a": False}) == (100.0, 0.0)


def test_squad_v2_missing_predictions_score_zero():
    refs = [ref("h", "Paris"), ref("n")]
    scores = squad_v2({}, refs)
    assert scores["exact"] == scores["NoAns_exact"] == scores["HasAns_f1"] == 0.0  # not 100 for "n"
    assert scores["total"] == 2
    best = squad_v2({"h": "Paris"}, refs, na_probs={"h": 0.2})
    # "n" is missing: it scores 0 at every threshold; answering "h" gains 1 of 2.
    assert (best["exact"], best["best_exact"], best["best_exact_thresh"]) == (50.0, 50.0, 0.2)


@pytest.mark.parametrize(
    ("predictions", "references", "error", "match"),
    [
        ([("a", "x")], [ref("a", "x")], TypeError, "mapping id -> answer text"),
        ({"a": None}, [ref("a", "x")], TypeError, "str ids to str texts"),
        ({1: "x"}, [ref("a", "x")], TypeError, "str ids to str texts"),
        ({"a": "x"}, [{"answers": {"text": ["x"]}}], ValueError, "'id' and 'answers'"),
        ({"a": "x"}, [{"id": "a"}], ValueError, "'id' and 'answers'"),
        ({"a": "x"}, [{"id": "a", "answers": "x"}], ValueError, "'answers' must be"),
        ({"a": "x"}, [{"id": "a", "answers": {"text": "x"}}], ValueError, "list of str"),
        ({"a": "x"}, [{"id": 7, "answers": {"text": ["x"]}}], TypeError, "'id' must be a str"),
        ({"a": "x"}, [ref("a", "x"), ref("a", "y")], ValueError, "duplicate reference id"),
        ({"a": "x"}, [], ValueError, "empty"),
        ({"a": "x"}, ref("a", "x"), TypeError, "iterable of"),
    ],
)
def test_bad_inputs_raise_clear_errors(predictions, references, error, match):
    for fn in (squad_v1, squad_v2):
        with pytest.raises(error, match=match):
            fn(predictions, references)


def test_v1_needs_gold_and_v2_needs_na_probs_for_every_prediction():
    with pytest.raises(ValueError, match="no gold answer"):
        squad_v1({"a": ""}, [ref("a")])
    with pytest.raises(ValueError, match="na_probs has no value for 1 predicted ids"):
        squad_v2({"a": "", "b": ""}, [ref("a"), ref("b")], na_probs={"a": 0.5})
    with pytest.raises(ValueError, match="unknown metric"):
        metric_path("squad")


# ---------------------------------------------------------------- real SQuAD dev files


def flatten(path) -> list[dict]:
    """Official nested JSON -> Hub-layout rows (written here: the data module is tested on its own)."""
    with gzip.open(path, "rt", encoding="utf-8") as f:
        articles = json.load(f)["data"]
    return [
        {"id": qa["id"], "context": par["context"], "answers": {
            "text": [a["text"] for a in qa["answers"]], "answer_start": [a["answer_start"] for a in qa["answers"]]}}
        for article in articles for par in article["paragraphs"] for qa in par["qas"]
    ]


@pytest.fixture(scope="module")
def v1_rows(data_dir):
    return flatten(data_dir / "squad-v1.1" / "dev.json.gz")


@pytest.fixture(scope="module")
def v2_path(data_dir):
    return data_dir / "squad-v2.0" / "dev.reconstructed.json.gz"


@pytest.fixture(scope="module")
def v2_rows(v2_path):
    return flatten(v2_path)


@pytest.mark.realdata
def test_v2_dev_all_empty_scores_the_no_answer_share(v2_rows):
    scores = squad_v2({r["id"]: "" for r in v2_rows}, v2_rows)
    assert (scores["total"], scores["HasAns_total"], scores["NoAns_total"]) == (11873, 5928, 5945)
    assert scores["exact"] == scores["f1"] == pytest.approx(100 * 5945 / 11873)
    assert round(scores["exact"], 2) == 50.07  # the seed's "all no answer" number
    assert (scores["HasAns_exact"], scores["NoAns_exact"], scores["NoAns_f1"]) == (0.0, 100.0, 100.0)


@pytest.mark.realdata
def test_v2_dev_gold_predictions_score_100(v2_rows):
    preds = {r["id"]: (r["answers"]["text"] or [""])[0] for r in v2_rows}
    scores = squad_v2(preds, v2_rows)
    assert all(scores[k] == 100.0 for k in ("exact", "f1", "HasAns_exact", "HasAns_f1", "NoAns_exact", "NoAns_f1"))


@pytest.mark.realdata
def test_v1_dev_gold_and_missing_predictions(v1_rows):
    assert len(v1_rows) == 10570
    first = {r["id"]: r["answers"]["text"][0] for r in v1_rows}
    last = {r["id"]: r["answers"]["text"][-1] for r in v1_rows}
    assert squad_v1(first, v1_rows) == {"exact_match": 100.0, "f1": 100.0}
    # One last gold answer is "." (question 57340d124776f419006617bf): it normalises to "", so predicting it
    # matches exactly but has v1.1 F1 0 (no shared token), and no other gold answer is empty.
    assert squad_v1(last, v1_rows) == {"exact_match": 100.0, "f1": pytest.approx(100 * 10569 / 10570)}
    assert squad_v1({"57340d124776f419006617bf": "."}, [r for r in v1_rows if r["id"] == "57340d124776f419006617bf"]) \
        == {"exact_match": 100.0, "f1": 0.0}
    kept = {qid: text for i, (qid, text) in enumerate(first.items()) if i % 3 == 0}
    assert squad_v1(kept, v1_rows) == pytest.approx({"exact_match": 100 * 3524 / 10570, "f1": 100 * 3524 / 10570})
    assert len(kept) == 3524


# ---------------------------------------------------------------- independent transcriptions of the official logic

_ART = re.compile(r"\b(a|an|the)\b", re.UNICODE)


_PUNC = set(string.punctuation)


def _off_norm(s):
    s = "".join(c for c in s.lower() if c not in _PUNC)
    return " ".join(_ART.sub(" ", s).split())


def _off_f1_v2(gold, pred):
    g = _off_norm(gold).split() if gold else []
    p = _off_norm(pred).split() if pred else []
    same = sum((collections.Counter(g) & collections.Counter(p)).values())
    if not g or not p:
        return int(g == p)
    if same == 0:
        return 0
    prec, rec = same / len(p), same / len(g)
    return 2 * prec * rec / (prec + rec)


def official_v2(dataset, preds, na_probs=None, thresh=1.0):
    """evaluate-v2.0.py's main(), on the nested JSON, condensed; needs a prediction for every question."""
    has_ans = {qa["id"]: bool(qa["answers"]) for a in dataset for p in a["paragraphs"] for qa in p["qas"]}
    exact_raw, f1_raw = {}, {}
    for article in dataset:
        for par in article["paragraphs"]:
            for qa in par["qas"]:
                golds = [a["text"] for a in qa["answers"] if _off_norm(a["text"])] or [""]
                exact_raw[qa["id"]] = max(int(_off_norm(g) == _off_norm(preds[qa["id"]])) for g in golds)
                f1_raw[qa["id"]] = max(_off_f1_v2(g, preds[qa["id"]]) for g in golds)
    probs = na_probs if na_probs is not None else {k: 0.0 for k in preds}

    def cut(raw):
        return {k: float(not has_ans[k]) if probs[k] > thresh else v for k, v in raw.items()}

    ex, f1 = cut(exact_raw), cut(f1_raw)
    out = {"exact": 100.0 * sum(ex.values()) / len(ex), "f1": 100.0 * sum(f1.values()) / len(f1), "total": len(ex)}
    for name, qids in (("HasAns", [k for k, v in has_ans.items() if v]), ("NoAns", [k for k, v in has_ans.items() if not v])):
        if qids:
            out[name + "_exact"] = 100.0 * sum(ex[k] for k in qids) / len(qids)
            out[name + "_f1"] = 100.0 * sum(f1[k] for k in qids) / len(qids)
            out[name + "_total"] = len(qids)
    if na_probs is not None:
        for key, raw in (("exact", exact_raw), ("f1", f1_raw)):
            cur = best = sum(1 for k in has_ans if not has_ans[k])
            best_t = 0.0
            for k in sorted(na_probs, key=lambda q: na_probs[q]):
                if k not in raw:
                    continue
                cur += raw[k] if has_ans[k] else (-1 if preds[k] else 0)
                if cur > best:
                    best, best_t = cur, na_probs[k]
            out["best_" + key], out["best_" + key + "_thresh"] = 100.0 * best / len(raw), best_t
    return out


def _random_predictions(rows, seed):
    """Seeded predictions mixing gold answers, perturbed answers, random context spans and empties."""
    rng = random.Random(seed)
    preds, na_probs = {}, {}
    for r in rows:
        golds, words = r["answers"]["text"], r["context"].split()
        kind = rng.random() if golds else rng.choice([0.5, 0.9, 0.9])  # unanswerable: perturbed or empty
        if kind < 0.45:
            pred = rng.choice(golds)
        elif kind < 0.75:
            base = (rng.choice(golds) if golds else " ".join(rng.sample(words, 2))).split()
            edit = rng.randrange(3)
            if edit == 0 and len(base) > 1:
                base = base[1:]  # drop the first word
            elif edit == 1:
                base = base + [rng.choice(words)]  # add a context word
            else:
                base = ["The"] + base + ["."]  # article and punctuation only
            pred = " ".join(base)
        elif kind < 0.85:
            start = rng.randrange(len(words))
            pred = " ".join(words[start : start + rng.randint(1, 6)])
        else:
            pred = ""
        preds[r["id"]] = pred
        # informative but noisy: wrong or empty predictions tend to have higher no-answer probabilities
        na_probs[r["id"]] = 0.6 * rng.random() + (0.4 if pred == "" or not golds else 0.0)
    return preds, na_probs


@pytest.mark.realdata
@pytest.mark.parametrize("thresh", [1.0, 0.5])
def test_v2_parity_with_official_logic_on_real_dev(v2_path, v2_rows, thresh):
    with gzip.open(v2_path, "rt", encoding="utf-8") as f:
        dataset = json.load(f)["data"]
    preds, na_probs = _random_predictions(v2_rows, seed=int(thresh * 10))
    expected = official_v2(dataset, preds, na_probs, thresh)
    got = squad_v2(preds, v2_rows, na_probs=na_probs, na_prob_thresh=thresh)
    assert list(got) == list(expected) and len(got) == 13
    assert got == pytest.approx(expected, rel=1e-12, abs=0)
    assert 20 < got["exact"] < got["f1"] < 80 and got["best_f1"] > got["f1"]  # a mixed, non-trivial case
    assert 0.1 < got["best_exact_thresh"] < 0.9 and 0.1 < got["best_f1_thresh"] < 0.9
    assert squad_v2(preds, v2_rows) == pytest.approx(official_v2(dataset, preds), rel=1e-12, abs=0)


@pytest.mark.realdata
def test_v1_parity_with_official_logic_on_real_dev(v1_rows):
    preds, _ = _random_predictions(v1_rows, seed=1)
    em = f1 = 0.0
    for r in v1_rows:  # evaluate-v1.1.py's loop, condensed
        p = _off_norm(preds[r["id"]]).split()
        em += max(_off_norm(preds[r["id"]]) == _off_norm(g) for g in r["answers"]["text"])
        f1s = []
        for g in r["answers"]["text"]:
            gt = _off_norm(g).split()
            same = sum((collections.Counter(p) & collections.Counter(gt)).values())
            f1s.append(0 if same == 0 else 2 * same / len(p) * same / len(gt) / (same / len(p) + same / len(gt)))
        f1 += max(f1s)
    expected = {"exact_match": 100.0 * em / len(v1_rows), "f1": 100.0 * f1 / len(v1_rows)}
    assert squad_v1(preds, v1_rows) == pytest.approx(expected, rel=1e-12, abs=0)
    assert 20 < expected["exact_match"] < expected["f1"] < 80


# ---------------------------------------------------------------- evaluate.load, offline


@pytest.mark.realdata
def test_evaluate_load_v1_matches_function(v1_rows):
    evaluate = pytest.importorskip("evaluate")
    rows = v1_rows[:3000]
    preds, _ = _random_predictions(rows, seed=2)
    metric = evaluate.load(metric_path("squad_v1"))
    refs = [{"id": r["id"], "answers": r["answers"]} for r in rows]
    got = metric.compute(predictions=[{"id": k, "prediction_text": v} for k, v in preds.items()], references=refs)
    assert got == squad_v1(preds, rows)


@pytest.mark.realdata
def test_evaluate_load_v2_matches_function(v2_rows):
    evaluate = pytest.importorskip("evaluate")
    rows = v2_rows[:3000]
    preds, na_probs = _random_predictions(rows, seed=3)
    metric = evaluate.load(metric_path("squad_v2"))
    refs = [{"id": r["id"], "answers": r["answers"]} for r in rows]
    inputs = [{"id": k, "prediction_text": v, "no_answer_probability": na_probs[k]} for k, v in preds.items()]
    got = metric.compute(predictions=inputs, references=refs, no_answer_threshold=0.6)
    assert got == squad_v2(preds, rows, na_probs=na_probs, na_prob_thresh=0.6)
    assert {"HasAns_total", "NoAns_total", "best_f1_thresh"} <= set(got)


def test_squad_v2_without_na_probs_uses_the_official_default_of_zero():
    refs, preds, _ = _threshold_case()
    # The official script sets every no-answer probability to 0.0 without a file: only a negative
    # threshold changes anything, and then every question counts as "no answer".
    everything_no_answer = squad_v2(preds, refs, na_prob_thresh=-1.0)
    assert (everything_no_answer["HasAns_f1"], everything_no_answer["NoAns_exact"]) == (0.0, 100.0)
    assert squad_v2(preds, refs, na_prob_thresh=0.0) == squad_v2(preds, refs)
    assert "best_exact" not in squad_v2(preds, refs)


def test_references_from_examples_and_the_v2_gold_rule():
    from qa_tutorial.metrics import gold_answers_v2, references_from_examples

    columns = {"id": [1, "q2"], "answers": [{"text": ["Paris"], "answer_start": [3]}, {"text": [], "answer_start": []}]}
    references = references_from_examples(columns)
    assert references == [{"id": "1", "answers": columns["answers"][0]}, {"id": "q2", "answers": columns["answers"][1]}]
    import datasets

    assert references_from_examples(datasets.Dataset.from_dict(columns | {"id": ["1", "q2"]})) == references
    assert gold_answers_v2(["a", "the", " . "]) == [""] and gold_answers_v2(["the", "Paris"]) == ["Paris"]
    # the rule squad_v2 scores with: a gold answer that normalises to nothing is dropped
    scores = squad_v2({"1": "", "q2": ""}, [{"id": "1", "answers": {"text": ["the"], "answer_start": [0]}},
                                             references[1]])
    assert scores["exact"] == 100.0 and scores["HasAns_total"] == 1


@pytest.mark.parametrize("value, error, message", [
    ("0.3", TypeError, r"na_probs\['q1'\] must be a number, got '0.3'"),
    (None, TypeError, r"na_probs\['q1'\] must be a number, got None"),
    (float("nan"), ValueError, r"na_probs\['q1'\] is NaN"),
])
def test_na_probs_that_are_not_numbers_are_named(value, error, message):
    refs = [{"id": "q1", "answers": {"text": ["Denver"], "answer_start": [0]}},
            {"id": "q2", "answers": {"text": [], "answer_start": []}}]
    with pytest.raises(error, match=message):
        squad_v2({"q1": "Denver", "q2": ""}, refs, na_probs={"q1": value, "q2": 1.0})


def test_infinite_na_probs_are_numbers():
    refs = [{"id": "q1", "answers": {"text": ["Denver"], "answer_start": [0]}}]
    assert squad_v2({"q1": "Denver"}, refs, na_probs={"q1": float("inf")}, na_prob_thresh=float("inf"))["exact"] == 100
