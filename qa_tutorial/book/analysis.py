"""Error analysis of QA predictions: scores per question, per group of questions, and against the null threshold.

The official scorers (``qa_tutorial.metrics``) give one number for a whole dataset. To see *where* a model fails,
score every question on its own (`question_scores`), group the questions (by the question word with
`question_word`, by the length of the gold answer with `answer_length_group`) and average per group
(`scores_by_group`). For SQuAD v2.0, `threshold_curve` scores the answers at every null-score threshold at once,
which shows how the choice between "answer" and "no answer" trades answerable against unanswerable questions.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from qa_tutorial.metrics import compute_exact, compute_f1, gold_answers_v2

__all__ = ["LENGTH_GROUPS", "QUESTION_WORDS", "answer_length_group", "best_span_texts", "best_threshold",
           "question_scores", "question_word", "scores_by_group", "threshold_curve"]

# Question words, in the order the book shows them; "whom"/"whose" count as "who".
QUESTION_WORDS = ("what", "which", "who", "when", "where", "why", "how", "other")
_ALIASES = {"whom": "who", "whose": "who"}
_WORD = re.compile(r"[a-z]+")
# Groups of gold-answer length in words (upper bound of each group, its label).
_LENGTH_EDGES = ((1, "1"), (2, "2"), (3, "3"), (5, "4-5"), (10, "6-10"))
LENGTH_GROUPS = tuple(label for _, label in _LENGTH_EDGES) + ("11+", "no answer")


def question_word(question: str) -> str:
    """The first question word of an English question ("what", "who", ...), or "other" when it has none.

    The word may stand anywhere ("In which year ..."); "whom" and "whose" count as "who".

    Args:
        question: the question text.

    Returns:
        One of `QUESTION_WORDS`.

    >>> question_word("What is the capital of France?"), question_word("In which year did it open?")
    ('what', 'which')
    >>> question_word("Whose army won?"), question_word("Name the river.")
    ('who', 'other')
    """
    for word in _WORD.findall(question.lower()):
        word = _ALIASES.get(word, word)
        if word in QUESTION_WORDS:
            return word
    return "other"


def answer_length_group(answers: Mapping[str, Sequence[Any]]) -> str:
    """The length group of a question's first gold answer, in whitespace-separated words.

    Args:
        answers: ``{"text": [...], "answer_start": [...]}`` (empty ``text``: unanswerable).

    Returns:
        One of `LENGTH_GROUPS` ("1", "2", "3", "4-5", "6-10", "11+", or "no answer").

    >>> answer_length_group({"text": ["Denver Broncos"], "answer_start": [0]})
    '2'
    >>> answer_length_group({"text": ["one two three four"], "answer_start": [0]}), answer_length_group({"text": []})
    ('4-5', 'no answer')
    """
    texts = answers["text"]
    if not texts:
        return "no answer"
    n_words = len(texts[0].split())
    return next((label for edge, label in _LENGTH_EDGES if n_words <= edge), "11+")


def _gold(references: Iterable[Mapping[str, Any]]) -> dict[str, list[str]]:
    """id -> gold texts with the v2.0 rule: golds that normalise to nothing are dropped, none left means [""]."""
    gold = {}
    for ref in references:
        texts = ref["answers"]["text"]
        gold[str(ref["id"])] = gold_answers_v2(texts)
    return gold


def question_scores(predictions: Mapping[str, str], references: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """Exact match and F1 of every question (0 or 1, and in [0, 1]), with the SQuAD v2.0 rules.

    On answerable questions these are the v1.1 scores as well; the mean of each column times 100 is what
    ``qa_tutorial.metrics.squad_v2`` reports. A question missing from ``predictions`` scores 0.

    Args:
        predictions: id -> predicted text ("" for no answer).
        references: rows ``{"id", "answers": {"text": [...], ...}}``.

    Returns:
        A DataFrame indexed by id with columns ``exact``, ``f1`` and ``has_answer``.

    >>> refs = [{"id": "a", "answers": {"text": ["Denver Broncos"]}}, {"id": "b", "answers": {"text": []}}]
    >>> question_scores({"a": "the Broncos", "b": ""}, refs).round(3).to_dict("index")
    {'a': {'exact': 0.0, 'f1': 0.667, 'has_answer': True}, 'b': {'exact': 1.0, 'f1': 1.0, 'has_answer': False}}
    """
    rows = {}
    for qid, golds in _gold(references).items():
        if qid in predictions:
            pred = predictions[qid]
            rows[qid] = (float(max(compute_exact(g, pred) for g in golds)),
                         max(compute_f1(g, pred) for g in golds), golds != [""])
        else:
            rows[qid] = (0.0, 0.0, golds != [""])
    return pd.DataFrame.from_dict(rows, orient="index", columns=["exact", "f1", "has_answer"])


def scores_by_group(scores: pd.DataFrame, groups: Mapping[str, str] | Callable[[str], str], *,
                    order: Sequence[str] | None = None) -> pd.DataFrame:
    """Count, exact match and F1 (percent) per group of questions.

    Args:
        scores: per-question scores from `question_scores` (indexed by id).
        groups: id -> group label, as a mapping or a function of the id.
        order: the groups to show, in this order (groups without questions are left out); default: by label.

    Returns:
        A DataFrame indexed by group with columns ``count``, ``exact``, ``f1``.

    >>> scores = pd.DataFrame({"exact": [1.0, 0.0, 1.0], "f1": [1.0, 0.5, 1.0]}, index=["a", "b", "c"])
    >>> scores_by_group(scores, {"a": "who", "b": "who", "c": "what"}, order=["who", "what", "why"]).to_dict("index")
    {'who': {'count': 2, 'exact': 50.0, 'f1': 75.0}, 'what': {'count': 1, 'exact': 100.0, 'f1': 100.0}}
    """
    label = groups if callable(groups) else groups.__getitem__
    grouped = scores[["exact", "f1"]].groupby([label(qid) for qid in scores.index])
    table = grouped.mean() * 100.0
    table.insert(0, "count", grouped.size())
    if order is not None:
        table = table.reindex([g for g in order if g in table.index])
    return table


def best_span_texts(nbest: Mapping[str, Sequence[Mapping[str, Any]]]) -> dict[str, str]:
    """The best real span of every example from its n-best list, skipping the null entry ("" when there is none).

    Args:
        nbest: id -> n-best list, best first, as in ``DecodedPredictions.nbest`` (the null entry of a SQuAD v2.0
            list has ``start_logit`` None).

    Returns:
        id -> text of the highest-scoring span: the answer decoding gives when "no answer" is not allowed.

    >>> best_span_texts({"q1": [{"text": "", "start_logit": None}, {"text": "Paris", "start_logit": 2.0}],
    ...                  "q2": [{"text": "", "start_logit": None}]})
    {'q1': 'Paris', 'q2': ''}
    """
    return {qid: next((entry["text"] for entry in entries if entry["start_logit"] is not None), "")
            for qid, entries in nbest.items()}


def threshold_curve(span_predictions: Mapping[str, str], references: Iterable[Mapping[str, Any]],
                    null_odds: Mapping[str, float]) -> pd.DataFrame:
    """SQuAD v2.0 scores (percent) at every null-score threshold, from the best spans and their null odds.

    A question is answered "no answer" when its null odds (null score minus best span score, as
    ``qa_tutorial.decoding.decode_predictions`` returns them) are above the threshold, else with its best span;
    this is decoding with ``null_score_diff_threshold=threshold``. The thresholds are -inf (every question
    "no answer") and each distinct finite null-odds value; questions with infinite odds never answer.

    Args:
        span_predictions: id -> best non-empty span (decoding with ``version_2_with_negative=False``).
        references: rows ``{"id", "answers": {"text": [...], ...}}``; every id needs a prediction and odds.
        null_odds: id -> null odds.

    Returns:
        A DataFrame with columns ``threshold``, ``exact``, ``f1``, ``HasAns_f1``, ``NoAns_f1``, ``answered``
        (the fraction of questions answered), one row per threshold, thresholds increasing.

    >>> refs = [{"id": "a", "answers": {"text": ["Paris"]}}, {"id": "b", "answers": {"text": []}}]
    >>> curve = threshold_curve({"a": "Paris", "b": "Lyon"}, refs, {"a": -1.0, "b": 2.0})
    >>> curve[["threshold", "f1", "answered"]].to_dict("list")
    {'threshold': [-inf, -1.0, 2.0], 'f1': [50.0, 100.0, 50.0], 'answered': [0.0, 0.5, 1.0]}
    """
    scores = question_scores(span_predictions, references)
    missing = [qid for qid in scores.index if qid not in span_predictions or qid not in null_odds]
    if missing:
        raise ValueError(f"{len(missing)} questions have no span prediction or null odds, e.g. {missing[0]!r}")
    odds = np.array([null_odds[qid] for qid in scores.index], dtype=np.float64)
    order = np.argsort(odds, kind="stable")
    odds = odds[order]
    has = scores["has_answer"].to_numpy()[order]
    answered_exact = scores["exact"].to_numpy()[order]  # score of the span, when the question answers
    answered_f1 = scores["f1"].to_numpy()[order]
    null_right = (~has).astype(np.float64)  # score of "no answer": right exactly when there is no gold answer
    finite = np.isfinite(odds)
    last = np.flatnonzero(finite & np.append(odds[1:] != odds[:-1], True))  # last question of each distinct value
    n, n_has, n_no = len(odds), max(int(has.sum()), 1), max(int((~has).sum()), 1)

    def at_thresholds(answered: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
        keep = np.ones(n, dtype=bool) if mask is None else mask
        gain = np.cumsum((answered - null_right) * keep)  # change from "all null" as questions start answering
        return np.concatenate([[0.0], gain[last]]) + (null_right * keep).sum()

    curve = pd.DataFrame({
        "threshold": np.concatenate([[-np.inf], odds[last]]),
        "exact": 100.0 * at_thresholds(answered_exact) / n,
        "f1": 100.0 * at_thresholds(answered_f1) / n,
        "HasAns_f1": 100.0 * at_thresholds(answered_f1, has) / n_has,
        "NoAns_f1": 100.0 * at_thresholds(answered_f1, ~has) / n_no,
        "answered": np.concatenate([[0.0], (last + 1) / n]),
    })
    return curve


def best_threshold(curve: pd.DataFrame, metric: str = "f1") -> tuple[float, float]:
    """The threshold of `threshold_curve` with the highest ``metric`` (the lowest such threshold), and that score.

    >>> curve = pd.DataFrame({"threshold": [-np.inf, -1.0, 2.0], "f1": [50.0, 100.0, 50.0]})
    >>> best_threshold(curve)
    (-1.0, 100.0)
    """
    row = curve.loc[curve[metric].idxmax()]
    return float(row["threshold"]), float(row[metric])
