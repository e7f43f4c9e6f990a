"""Tests for qa_tutorial.book.plots.evaluation: the plotted lines, markers and bars are the data given."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from qa_tutorial.book.analysis import question_scores, scores_by_group, threshold_curve
from qa_tutorial.book.plots.evaluation import scores_by_group_figure, threshold_figure


@pytest.fixture()
def curve() -> pd.DataFrame:
    refs = [{"id": q, "answers": {"text": t}} for q, t in
            [("a", ["Paris"]), ("b", []), ("c", ["Rollo"]), ("d", []), ("e", ["1066"])]]
    spans = {"a": "Paris", "b": "Lyon", "c": "Rollo", "d": "Rome", "e": "1067"}
    odds = {"a": -2.0, "b": 1.5, "c": -0.5, "d": 0.25, "e": 3.0}
    return threshold_curve(spans, refs, odds)


def test_threshold_figure_draws_every_score_against_the_thresholds(curve):
    fig = threshold_figure(curve)
    assert isinstance(fig, Figure) and len(fig.axes) == 1
    ax = fig.axes[0]
    labels = ax.get_legend_handles_labels()[1]
    assert labels == ["F1", "Exact match", "F1, answerable", "F1, unanswerable", "best F1 80.0 at -0.5",
                      "default threshold 0"]
    assert list(curve["f1"]) == pytest.approx([40.0, 60.0, 80.0, 60.0, 40.0, 40.0])
    lines = [line for line in ax.get_lines() if line.get_label() in labels[:4]]
    left = lines[0].get_xdata()[0]
    assert ax.get_xlim()[0] < left < -2.0  # the "answer nothing" row (threshold -inf) is drawn at the left edge
    for line, column in zip(lines, ["f1", "exact", "HasAns_f1", "NoAns_f1"]):
        x, y = line.get_data()
        np.testing.assert_allclose(x, [left, *curve["threshold"].iloc[1:]])
        np.testing.assert_allclose(y, curve[column])
    marker = [line for line in ax.get_lines() if line.get_marker() == "o"]
    assert len(marker) == 1 and marker[0].get_xydata().tolist() == [[-0.5, 80.0]]
    vertical = {line.get_label(): line.get_xdata()[0] for line in ax.get_lines() if line.get_label() in labels[4:]}
    assert vertical == {"best F1 80.0 at -0.5": -0.5, "default threshold 0": 0}
    assert ax.get_ylim() == (0, 103) and "null threshold" in ax.get_xlabel()
    assert ax.get_title() == "SQuAD v2.0 scores against the null threshold"


def test_threshold_figure_marks_the_metric_asked_for(curve):
    fig = threshold_figure(curve.drop(columns=["HasAns_f1", "NoAns_f1"]), metric="exact", default=None,
                           title="quick model")
    ax = fig.axes[0]
    assert ax.get_legend_handles_labels()[1] == ["F1", "Exact match", "best Exact match 80.0 at -0.5"]
    assert ax.get_title() == "quick model"


def test_threshold_figure_when_answering_nothing_is_best():
    refs = [{"id": "a", "answers": {"text": ["Paris"]}}, {"id": "b", "answers": {"text": []}},
            {"id": "c", "answers": {"text": []}}]
    curve = threshold_curve({"a": "Lyon", "b": "x", "c": "y"}, refs, {"a": 1.5, "b": 2.0, "c": 3.0})
    fig = threshold_figure(curve)
    ax = fig.axes[0]
    left = ax.get_lines()[0].get_xdata()[0]
    assert ax.get_xlim()[0] < left < 0  # the default threshold 0 is drawn, and every null odds value is above it
    assert "best F1 66.7 answer nothing" in ax.get_legend_handles_labels()[1]
    marker = next(line for line in ax.get_lines() if line.get_marker() == "o")
    assert marker.get_xydata().tolist() == [[left, pytest.approx(200 / 3)]]


def test_threshold_figure_needs_a_finite_threshold():
    with pytest.raises(ValueError, match="no finite threshold"):
        threshold_figure(pd.DataFrame({"threshold": [-np.inf], "f1": [50.0], "exact": [50.0]}))


def test_scores_by_group_figure_bars_are_the_table():
    scores = question_scores({"a": "Paris", "b": "", "c": "the Rollo", "d": "x"},
                             [{"id": "a", "answers": {"text": ["Paris"]}}, {"id": "b", "answers": {"text": []}},
                              {"id": "c", "answers": {"text": ["Rollo"]}}, {"id": "d", "answers": {"text": ["y z"]}}])
    words = scores_by_group(scores, {"a": "what", "b": "who", "c": "who", "d": "what"}, order=["what", "who"])
    lengths = scores_by_group(scores, {"a": "1", "b": "no answer", "c": "1", "d": "2"},
                              order=["1", "2", "no answer"])
    fig = scores_by_group_figure({"question word": words, "answer length": lengths}, title="quick profile")
    assert len(fig.axes) == 2
    assert [ax.get_title() for ax in fig.axes] == ["by question word", "by answer length"]
    assert fig.get_suptitle() == "quick profile"
    for ax, table in zip(fig.axes, (words, lengths)):
        exact_bars, f1_bars = ax.containers
        assert [b.get_height() for b in exact_bars] == pytest.approx(list(table["exact"]))
        assert [b.get_height() for b in f1_bars] == pytest.approx(list(table["f1"]))
        ticks = [t.get_text() for t in ax.get_xticklabels()]
        assert ticks == [f"{g}\nn={n}" for g, n in zip(table.index, table["count"])]
    assert [b.get_height() for b in fig.axes[0].containers[0]] == pytest.approx([50.0, 100.0])
    assert fig.axes[0].get_legend_handles_labels()[1] == ["Exact match", "F1"]


def test_scores_by_group_figure_needs_a_table():
    with pytest.raises(ValueError, match="at least one table"):
        scores_by_group_figure({})
