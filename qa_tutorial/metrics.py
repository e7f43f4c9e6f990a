"""SQuAD v1.1 and v2.0 scores, with the official scorers' definitions (evaluate-v1.1.py, evaluate-v2.0.py).

Helpers keep the official names (v1.1: ``exact_match_score``, ``f1_score``; v2.0: ``compute_exact``,
``compute_f1``). ``squad_v1``/``squad_v2`` take predictions id -> text and Hub-layout references;
``metric_path`` points ``evaluate.load`` at local modules, since ``evaluate.load("squad")`` needs the Hub.
"""

from __future__ import annotations

import math
import numbers
import re
import string
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

_DROP_PUNCTUATION = str.maketrans("", "", string.punctuation)
_ARTICLES = re.compile(r"\b(a|an|the)\b", re.UNICODE)
METRIC_NAMES = ("squad_v1", "squad_v2")


def normalize_answer(s: str) -> str:
    """Lower-case, drop punctuation and the articles a/an/the, and collapse whitespace (official rule).

    Args:
        s: an answer text.

    Returns:
        The normalised text.

    >>> normalize_answer("  The Eiffel-Tower, in PARIS! ")
    'eiffeltower in paris'
    >>> normalize_answer("an apple a day")
    'apple day'
    """
    s = s.lower().translate(_DROP_PUNCTUATION)
    return " ".join(_ARTICLES.sub(" ", s).split())


def get_tokens(s: str) -> list[str]:
    """Split the normalised text into whitespace tokens (v2.0); empty text gives no tokens.

    >>> get_tokens("The cat, the hat.")
    ['cat', 'hat']
    >>> get_tokens("")
    []
    """
    return normalize_answer(s).split() if s else []


def exact_match_score(prediction: str, ground_truth: str) -> bool:
    """Whether prediction and gold answer are equal after normalisation (v1.1).

    >>> exact_match_score("the Broncos", "Broncos!")
    True
    """
    return normalize_answer(prediction) == normalize_answer(ground_truth)


def compute_exact(a_gold: str, a_pred: str) -> int:
    """1 if gold and prediction are equal after normalisation, else 0 (v2.0; note the gold-first order).

    >>> compute_exact("Denver Broncos", "denver broncos."), compute_exact("Denver", "Broncos")
    (1, 0)
    """
    return int(normalize_answer(a_gold) == normalize_answer(a_pred))


def _token_f1(pred_tokens: list[str], gold_tokens: list[str]) -> float:
    num_same = sum((Counter(pred_tokens) & Counter(gold_tokens)).values())
    if num_same == 0:
        return 0.0
    precision = num_same / len(pred_tokens)
    recall = num_same / len(gold_tokens)
    return 2 * precision * recall / (precision + recall)


def f1_score(prediction: str, ground_truth: str) -> float:
    """Token-overlap F1 between prediction and gold answer (v1.1: no overlap, empty sides included, gives 0).

    >>> f1_score("Denver Broncos team", "the Denver Broncos")  # P = 2/3, R = 2/2
    0.8
    >>> f1_score("", "")
    0.0
    """
    return _token_f1(normalize_answer(prediction).split(), normalize_answer(ground_truth).split())


def compute_f1(a_gold: str, a_pred: str) -> float:
    """Token-overlap F1 (v2.0): if either side has no tokens, 1.0 when both are empty, else 0.0.

    >>> compute_f1("the Denver Broncos", "Denver Broncos team")
    0.8
    >>> compute_f1("", "the"), compute_f1("", "Denver")
    (1.0, 0.0)
    """
    gold_toks, pred_toks = get_tokens(a_gold), get_tokens(a_pred)
    if not gold_toks or not pred_toks:
        return float(gold_toks == pred_toks)
    return _token_f1(pred_toks, gold_toks)


def metric_max_over_ground_truths(
    metric_fn: Callable[[str, str], float], prediction: str, ground_truths: Iterable[str]
) -> float:
    """The best score of ``metric_fn(prediction, gold)`` over all gold answers.

    >>> metric_max_over_ground_truths(f1_score, "Broncos", ["Denver Broncos", "Broncos"])
    1.0
    """
    return max(metric_fn(prediction, gold) for gold in ground_truths)


def _check_predictions(predictions: Any) -> None:
    if not isinstance(predictions, Mapping):
        raise TypeError(f"predictions must be a mapping id -> answer text, got {type(predictions).__name__}")
    for qid, text in predictions.items():
        if not isinstance(qid, str) or not isinstance(text, str):
            raise TypeError(f"predictions must map str ids to str texts, got {qid!r}: {text!r}")


def _gold_texts(references: Iterable[Mapping[str, Any]]) -> dict[str, list[str]]:
    """id -> gold answer texts, checking the Hub layout (official ``[{"text": ...}]`` lists are accepted too)."""
    if isinstance(references, (str, bytes, Mapping)):
        raise TypeError("references must be an iterable of {'id', 'answers'} rows, not a single row or string")
    gold: dict[str, list[str]] = {}
    for i, ref in enumerate(references):
        if not isinstance(ref, Mapping) or "id" not in ref or "answers" not in ref:
            raise ValueError(f"reference {i} must be a mapping with 'id' and 'answers', got {ref!r:.200}")
        qid, answers = ref["id"], ref["answers"]
        if not isinstance(qid, str):
            raise TypeError(f"reference {i}: 'id' must be a str like the prediction keys, got {qid!r}")
        if isinstance(answers, Mapping) and "text" in answers:
            texts = answers["text"]
        elif isinstance(answers, list) and all(isinstance(a, Mapping) and "text" in a for a in answers):
            texts = [a["text"] for a in answers]
        else:
            raise ValueError(f"reference {qid!r}: 'answers' must be {{'text': [...], 'answer_start': [...]}}")
        if isinstance(texts, str) or not all(isinstance(t, str) for t in texts):
            raise ValueError(f"reference {qid!r}: answers['text'] must be a list of str, got {texts!r:.200}")
        if qid in gold:
            raise ValueError(f"duplicate reference id {qid!r}: deduplicate the references first")
        gold[qid] = list(texts)
    if not gold:
        raise ValueError("references is empty")
    return gold


def references_from_examples(examples: Any) -> list[dict[str, Any]]:
    """The ``references`` that `squad_v1` and `squad_v2` take, from SQuAD-layout examples.

    Args:
        examples: a ``datasets.Dataset`` or a dict of lists with "id" and "answers".

    Returns:
        ``[{"id": str, "answers": {"text": [...], "answer_start": [...]}}, ...]`` in the examples' order.

    >>> references_from_examples({"id": [7], "answers": [{"text": ["Paris"], "answer_start": [0]}]})
    [{'id': '7', 'answers': {'text': ['Paris'], 'answer_start': [0]}}]
    """
    columns = examples.select_columns(["id", "answers"]).to_dict() if hasattr(examples, "select_columns") \
        else {"id": examples["id"], "answers": examples["answers"]}
    return [{"id": str(qid), "answers": answers} for qid, answers in zip(columns["id"], columns["answers"])]


def gold_answers_v2(texts: Iterable[str]) -> list[str]:
    """The gold answers SQuAD v2.0 scores against: those that normalise to nothing are dropped; none left is ``[""]``.

    >>> gold_answers_v2(["the", "Paris"]), gold_answers_v2([])
    (['Paris'], [''])
    """
    return [t for t in texts if normalize_answer(t)] or [""]


def squad_v1(predictions: Mapping[str, str], references: Iterable[Mapping[str, Any]]) -> dict[str, float]:
    """SQuAD v1.1 exact match and F1 in percent, as evaluate-v1.1.py prints them.

    Each question scores its best value over the gold answers. A question whose id is missing from
    ``predictions`` scores 0; the average is over all references. Extra prediction ids are ignored.

    Args:
        predictions: id -> predicted answer text.
        references: rows ``{"id", "answers": {"text": [...], "answer_start": [...]}}``; every row needs at
            least one gold answer (use ``squad_v2`` for unanswerable questions).

    Returns:
        ``{"exact_match": ..., "f1": ...}``, each in [0, 100].

    >>> refs = [{"id": "q1", "answers": {"text": ["Denver Broncos"], "answer_start": [0]}},
    ...         {"id": "q2", "answers": {"text": ["Santa Clara"], "answer_start": [0]}}]
    >>> squad_v1({"q1": "the Denver Broncos", "q2": "Clara"}, refs)
    {'exact_match': 50.0, 'f1': 83.33333333333333}
    """
    _check_predictions(predictions)
    gold = _gold_texts(references)
    exact = f1 = 0.0
    for qid, texts in gold.items():
        if not texts:
            raise ValueError(f"reference {qid!r} has no gold answer; SQuAD v1.1 needs one (use squad_v2)")
        if qid in predictions:
            exact += metric_max_over_ground_truths(exact_match_score, predictions[qid], texts)
            f1 += metric_max_over_ground_truths(f1_score, predictions[qid], texts)
    return {"exact_match": 100.0 * exact / len(gold), "f1": 100.0 * f1 / len(gold)}


def find_best_thresh(
    preds: Mapping[str, str],
    scores: Mapping[str, float],
    na_probs: Mapping[str, float],
    qid_to_has_ans: Mapping[str, bool],
) -> tuple[float, float]:
    """Best score (percent) over no-answer thresholds, and the threshold reaching it (official sweep).

    Questions are taken in increasing ``na_probs`` order; a threshold at a question's value means every
    question up to it answers and the rest say "no answer". ``scores`` holds raw scores of answered ids.
    Ids in ``qid_to_has_ans`` without a score (missing predictions) score 0 at every threshold.

    >>> has_ans = {"a": True, "b": False}
    >>> find_best_thresh({"a": "x", "b": "y"}, {"a": 1.0, "b": 0.0}, {"a": 0.2, "b": 0.7}, has_ans)
    (100.0, 0.2)
    """
    cur_score = best_score = sum(1 for qid in scores if not qid_to_has_ans[qid])
    best_thresh = 0.0
    for qid in sorted(na_probs, key=lambda k: na_probs[k]):
        if qid not in scores:
            continue
        if qid_to_has_ans[qid]:
            cur_score += scores[qid]
        elif preds[qid]:
            cur_score -= 1
        if cur_score > best_score:
            best_score, best_thresh = cur_score, na_probs[qid]
    return 100.0 * best_score / len(qid_to_has_ans), best_thresh


def squad_v2(
    predictions: Mapping[str, str],
    references: Iterable[Mapping[str, Any]],
    na_probs: Mapping[str, float] | None = None,
    na_prob_thresh: float = 1.0,
) -> dict[str, float]:
    """SQuAD v2.0 scores with the official keys and rules (evaluate-v2.0.py).

    Gold answers whose normalised text is empty are dropped; a question left with none has gold ``[""]``,
    so ``""`` is the right prediction for an unanswerable question. With ``na_probs``, a question whose
    no-answer score is strictly above ``na_prob_thresh`` counts as answered "no answer", and the best
    thresholds are added. A question missing from ``predictions`` scores 0 (EM and F1) whether or not it is
    answerable, at every threshold, and counts in every total. Extra prediction ids are ignored.

    Args:
        predictions: id -> predicted answer text (``""`` for no answer).
        references: rows ``{"id", "answers": {"text": [...], "answer_start": [...]}}``; empty
            ``text`` marks an unanswerable question.
        na_probs: id -> no-answer probability (or any score, higher meaning "no answer") for every
            predicted id; ``None`` means 0.0 for every id (as the official script) and no best-threshold keys.
        na_prob_thresh: the threshold applied to ``na_probs``.

    Returns:
        ``exact``, ``f1`` (percent), ``total``; ``HasAns_*`` and ``NoAns_*`` groups for the groups that
        have questions; with ``na_probs`` also ``best_exact``, ``best_exact_thresh``, ``best_f1``,
        ``best_f1_thresh``.

    >>> refs = [{"id": "q1", "answers": {"text": ["Denver Broncos"], "answer_start": [0]}},
    ...         {"id": "q2", "answers": {"text": [], "answer_start": []}}]
    >>> scores = squad_v2({"q1": "Broncos", "q2": ""}, refs)
    >>> {k: round(v, 2) for k, v in scores.items() if k in ("exact", "f1", "HasAns_f1", "NoAns_exact", "total")}
    {'exact': 50.0, 'f1': 83.33, 'total': 2, 'HasAns_f1': 66.67, 'NoAns_exact': 100.0}
    """
    _check_predictions(predictions)
    raw_gold = _gold_texts(references)
    probs = dict.fromkeys(predictions, 0.0) if na_probs is None else na_probs  # official default: all 0.0
    if not isinstance(probs, Mapping):
        raise TypeError(f"na_probs must be a mapping id -> float, got {type(probs).__name__}")
    lacking = [qid for qid in raw_gold if qid in predictions and qid not in probs]
    if lacking:
        raise ValueError(f"na_probs has no value for {len(lacking)} predicted ids, e.g. {lacking[0]!r}")
    for qid in raw_gold:
        value = probs.get(qid, 0.0)
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(f"na_probs[{qid!r}] must be a number, got {value!r} ({type(value).__name__})")
        if math.isnan(value):
            raise ValueError(f"na_probs[{qid!r}] is NaN: a no-answer score must be a number (inf is allowed)")
    if isinstance(na_prob_thresh, bool) or not isinstance(na_prob_thresh, numbers.Real) or math.isnan(na_prob_thresh):
        raise TypeError(f"na_prob_thresh must be a number, got {na_prob_thresh!r}")
    qid_to_has_ans = {qid: bool(texts) for qid, texts in raw_gold.items()}
    exact_raw: dict[str, float] = {}  # raw scores of the predicted ids, before any threshold
    f1_raw: dict[str, float] = {}
    for qid, texts in raw_gold.items():
        if qid not in predictions:
            continue
        golds = gold_answers_v2(texts)
        exact_raw[qid] = max(compute_exact(g, predictions[qid]) for g in golds)
        f1_raw[qid] = max(compute_f1(g, predictions[qid]) for g in golds)

    def thresholded(raw: Mapping[str, float]) -> dict[str, float]:  # official apply_no_ans_threshold
        return {q: float(not qid_to_has_ans[q]) if probs[q] > na_prob_thresh else s for q, s in raw.items()}

    exact_scores, f1_scores = thresholded(exact_raw), thresholded(f1_raw)
    out: dict[str, float] = {}
    groups = [("", list(raw_gold)), ("HasAns_", [q for q, v in qid_to_has_ans.items() if v]),
              ("NoAns_", [q for q, v in qid_to_has_ans.items() if not v])]
    for prefix, qids in groups:
        if qids:
            out[prefix + "exact"] = 100.0 * sum(exact_scores.get(q, 0.0) for q in qids) / len(qids)
            out[prefix + "f1"] = 100.0 * sum(f1_scores.get(q, 0.0) for q in qids) / len(qids)
            out[prefix + "total"] = len(qids)
    if na_probs is not None:
        for key, raw in (("exact", exact_raw), ("f1", f1_raw)):
            best = find_best_thresh(predictions, raw, na_probs, qid_to_has_ans)
            out[f"best_{key}"], out[f"best_{key}_thresh"] = best
    return out


def metric_path(name: str) -> str:
    """The local folder of an ``evaluate`` metric module shipped in this package, for ``evaluate.load``.

    Args:
        name: ``"squad_v1"`` or ``"squad_v2"``.

    Returns:
        The folder's absolute path (it holds ``<name>.py``, which imports ``qa_tutorial``).

    >>> Path(metric_path("squad_v2")).name
    'squad_v2'
    """
    if name not in METRIC_NAMES:
        raise ValueError(f"unknown metric {name!r}; choose one of {METRIC_NAMES}")
    return str(Path(__file__).resolve().parent / "metric_modules" / name)
