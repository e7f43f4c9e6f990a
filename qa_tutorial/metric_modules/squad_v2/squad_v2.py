"""SQuAD v2.0 scores as a local ``evaluate`` module; the scoring lives in ``qa_tutorial.metrics``.

Load it offline with ``evaluate.load(qa_tutorial.metrics.metric_path("squad_v2"))``; ``qa_tutorial`` must be
importable (installed, or on ``sys.path``), because ``evaluate`` runs a copy of this file from its cache.
"""

import datasets
import evaluate

from qa_tutorial.metrics import squad_v2

_DESCRIPTION = "SQuAD v2.0 exact match, F1, HasAns/NoAns groups and best no-answer thresholds (evaluate-v2.0.py)."
_CITATION = """@inproceedings{rajpurkar-etal-2018-know,
    title = "Know What You Don{'}t Know: Unanswerable Questions for {SQ}u{AD}",
    author = "Rajpurkar, Pranav and Jia, Robin and Liang, Percy",
    booktitle = "Proceedings of ACL 2018",
    year = "2018",
}"""
_KWARGS_DESCRIPTION = """
Args:
    predictions: list of {"id": str, "prediction_text": str, "no_answer_probability": float}
        ("" is the no-answer prediction).
    references: list of {"id": str, "answers": {"text": [str, ...], "answer_start": [int, ...]}}
        (empty lists for an unanswerable question).
    no_answer_threshold: a question whose no_answer_probability is above it counts as "no answer" (default 1.0).
Returns:
    exact, f1, total, HasAns_*/NoAns_* groups, best_exact, best_exact_thresh, best_f1, best_f1_thresh.
"""


class SquadV2(evaluate.Metric):
    """SQuAD v2.0 metric that delegates to ``qa_tutorial.metrics.squad_v2`` (na_probs = no_answer_probability).

    >>> import evaluate
    >>> from qa_tutorial.metrics import metric_path
    >>> metric = evaluate.load(metric_path("squad_v2"))
    >>> preds = [{"id": "q1", "prediction_text": "", "no_answer_probability": 0.9}]
    >>> refs = [{"id": "q1", "answers": {"text": [], "answer_start": []}}]
    >>> metric.compute(predictions=preds, references=refs)["NoAns_exact"]
    100.0
    """

    def _info(self) -> evaluate.MetricInfo:
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features(
                {
                    "predictions": {
                        "id": datasets.Value("string"),
                        "prediction_text": datasets.Value("string"),
                        "no_answer_probability": datasets.Value("float64"),
                    },
                    "references": {
                        "id": datasets.Value("string"),
                        "answers": datasets.Sequence(
                            {"text": datasets.Value("string"), "answer_start": datasets.Value("int32")}
                        ),
                    },
                }
            ),
            reference_urls=["https://rajpurkar.github.io/SQuAD-explorer/"],
        )

    def _compute(self, predictions, references, no_answer_threshold=1.0):
        texts = {p["id"]: p["prediction_text"] for p in predictions}
        na_probs = {p["id"]: p["no_answer_probability"] for p in predictions}
        return squad_v2(texts, references, na_probs=na_probs, na_prob_thresh=no_answer_threshold)
