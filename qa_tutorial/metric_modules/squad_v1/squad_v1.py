"""SQuAD v1.1 exact match and F1 as a local ``evaluate`` module; the scoring lives in ``qa_tutorial.metrics``.

Load it offline with ``evaluate.load(qa_tutorial.metrics.metric_path("squad_v1"))``; ``qa_tutorial`` must be
importable (installed, or on ``sys.path``), because ``evaluate`` runs a copy of this file from its cache.
"""

import datasets
import evaluate

from qa_tutorial.metrics import squad_v1

_DESCRIPTION = "SQuAD v1.1 exact match and F1 (percent), with the official evaluate-v1.1.py definitions."
_CITATION = """@inproceedings{rajpurkar-etal-2016-squad,
    title = "{SQ}u{AD}: 100,000+ Questions for Machine Comprehension of Text",
    author = "Rajpurkar, Pranav and Zhang, Jian and Lopyrev, Konstantin and Liang, Percy",
    booktitle = "Proceedings of EMNLP 2016",
    year = "2016",
}"""
_KWARGS_DESCRIPTION = """
Args:
    predictions: list of {"id": str, "prediction_text": str}.
    references: list of {"id": str, "answers": {"text": [str, ...], "answer_start": [int, ...]}}.
Returns:
    {"exact_match": float, "f1": float}, percentages; a reference without a prediction scores 0.
"""


class SquadV1(evaluate.Metric):
    """SQuAD v1.1 metric that delegates to ``qa_tutorial.metrics.squad_v1``.

    >>> import evaluate
    >>> from qa_tutorial.metrics import metric_path
    >>> metric = evaluate.load(metric_path("squad_v1"))
    >>> refs = [{"id": "q1", "answers": {"text": ["Denver Broncos"], "answer_start": [177]}}]
    >>> scores = metric.compute(predictions=[{"id": "q1", "prediction_text": "Broncos"}], references=refs)
    >>> {k: round(v, 2) for k, v in scores.items()}
    {'exact_match': 0.0, 'f1': 66.67}
    """

    def _info(self) -> evaluate.MetricInfo:
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features(
                {
                    "predictions": {"id": datasets.Value("string"), "prediction_text": datasets.Value("string")},
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

    def _compute(self, predictions, references):
        texts = {p["id"]: p["prediction_text"] for p in predictions}
        return squad_v1(texts, references)
