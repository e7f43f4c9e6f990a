"""Tests for qa_tutorial.book.plots.training: the plotted data are the history's and the padding shares given."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from matplotlib.figure import Figure

from qa_tutorial.book.plots.training import learning_curves, padding_shares_figure
from qa_tutorial.training import history_frame

LOG = [{"step": 10, "epoch": 0.5, "loss": 5.0}, {"step": 20, "epoch": 1.0, "loss": 4.0},
       {"step": 20, "epoch": 1.0, "eval_exact_match": 2.0, "eval_f1": 6.0}, {"step": 30, "epoch": 1.5, "loss": 3.5},
       {"step": 40, "epoch": 2.0, "loss": 3.0}, {"step": 40, "epoch": 2.0, "eval_exact_match": 5.0, "eval_f1": 11.0}]


def _xy(line):
    return np.asarray(line.get_xdata(), dtype=float).tolist(), np.asarray(line.get_ydata(), dtype=float).tolist()


def test_learning_curves_plot_the_loss_and_the_scores_of_the_history():
    fig = learning_curves(history_frame(LOG), title="quick run")
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    loss_ax, score_ax = fig.axes
    assert loss_ax.get_title() == "training loss" and score_ax.get_title() == "evaluation"
    assert fig._suptitle.get_text() == "quick run"
    assert [_xy(line) for line in loss_ax.lines] == [([10, 20, 30, 40], [5.0, 4.0, 3.5, 3.0])]
    scores = {line.get_label(): _xy(line) for line in score_ax.lines}
    assert scores == {"EM": ([20, 40], [2.0, 5.0]), "F1": ([20, 40], [6.0, 11.0])}


def test_learning_curves_overlay_several_runs_with_labels():
    loop = history_frame([{"step": 5, "loss": 4.5}, {"step": 10, "loss": 4.1},
                          {"step": 10, "eval_exact_match": 1.0, "eval_f1": 3.0}])
    fig = learning_curves({"Trainer": history_frame(LOG), "plain loop": loop})
    loss_ax, score_ax = fig.axes
    assert [line.get_label() for line in loss_ax.lines] == ["Trainer", "plain loop"]
    assert _xy(loss_ax.lines[1]) == ([5, 10], [4.5, 4.1])
    assert loss_ax.lines[0].get_color() != loss_ax.lines[1].get_color()
    assert sorted(line.get_label() for line in score_ax.lines) == ["Trainer EM", "Trainer F1", "plain loop EM",
                                                                   "plain loop F1"]


def test_learning_curves_without_evaluation_say_so():
    fig = learning_curves(history_frame([{"step": 1, "loss": 5.2}, {"step": 2, "loss": 5.1}]))
    assert not fig.axes[1].lines
    assert [t.get_text() for t in fig.axes[1].texts] == ["no evaluation logged"]
    assert _xy(fig.axes[0].lines[0]) == ([1, 2], [5.2, 5.1])


def test_padding_figure_draws_each_batch_and_the_epoch_share():
    per_batch = {"max_length": [0.5, 0.4, 0.45], "dynamic": [0.2, 0.1, 0.3], "group_by_length": [0.02, 0.05, 0.0]}
    overall = {"max_length": 0.45, "dynamic": 0.21, "group_by_length": 0.03}
    fig = padding_shares_figure(per_batch, overall=overall, title="padding")
    line_ax, bar_ax = fig.axes
    assert [line.get_label() for line in line_ax.lines] == list(per_batch)
    assert _xy(line_ax.lines[1]) == ([1, 2, 3], pytest.approx([20.0, 10.0, 30.0]))
    assert line_ax.lines[0].get_linewidth() > line_ax.lines[1].get_linewidth()  # visible under lines on top of it
    assert [bar.get_height() for bar in bar_ax.patches] == pytest.approx([45.0, 21.0, 3.0])
    assert [t.get_text() for t in bar_ax.get_xticklabels()] == list(per_batch)
    assert [t.get_text() for t in bar_ax.texts] == ["45.0%", "21.0%", "3.0%"]


def test_padding_figure_defaults_to_the_mean_share_and_refuses_nothing():
    fig = padding_shares_figure({"dynamic": [0.2, 0.4]})
    assert [bar.get_height() for bar in fig.axes[1].patches] == pytest.approx([30.0])
    with pytest.raises(ValueError, match="empty"):
        padding_shares_figure({})
