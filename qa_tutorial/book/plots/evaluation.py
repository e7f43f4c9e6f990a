"""Evaluation figures: SQuAD v2.0 scores against the null threshold, and EM/F1 per group of questions."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

__all__ = ["scores_by_group_figure", "threshold_figure"]

_CURVES = (("f1", "F1", "tab:blue", "-"), ("exact", "Exact match", "tab:orange", "-"),
           ("HasAns_f1", "F1, answerable", "tab:green", "--"), ("NoAns_f1", "F1, unanswerable", "tab:red", "--"))


def threshold_figure(curve: pd.DataFrame, *, metric: str = "f1", default: float | None = 0.0,
                     title: str | None = None, figsize: tuple[float, float] = (7.5, 4)) -> Figure:
    """SQuAD v2.0 scores against the null-score threshold, with the best threshold of ``metric`` marked.

    The row with threshold -inf (every question "no answer") is drawn at the left edge, so the flat start of each
    line is the score of answering nothing; rows with threshold +inf are not drawn.

    Args:
        curve: the table of ``qa_tutorial.book.analysis.threshold_curve`` (columns ``threshold``, ``exact``, ``f1``,
            and optionally ``HasAns_f1``, ``NoAns_f1``) with at least one finite threshold.
        metric: the column whose best value is marked by a vertical line and a dot.
        default: a threshold to mark in grey (the decoder's default, 0), or None.
        title: the axes title (default: "SQuAD v2.0 scores against the null threshold").
        figsize: the figure size in inches.

    Returns:
        A `matplotlib.figure.Figure` with one axes: one step line per score column present, in percent.

    >>> curve = pd.DataFrame({"threshold": [-np.inf, -1.0, 2.0], "exact": [50.0, 100.0, 50.0],
    ...                       "f1": [50.0, 100.0, 50.0]})
    >>> fig = threshold_figure(curve)
    >>> fig.axes[0].get_legend_handles_labels()[1]
    ['F1', 'Exact match', 'best F1 100.0 at -1', 'default threshold 0']
    """
    thresholds = curve["threshold"].to_numpy(dtype=float)
    finite = np.isfinite(thresholds)
    if not finite.any():
        raise ValueError("the curve has no finite threshold to draw")
    low = min(thresholds[finite].min(), default if default is not None else np.inf)
    high = max(thresholds[finite].max(), default if default is not None else -np.inf)
    span = (high - low) or 1.0
    left = low - 0.06 * span  # where "answer nothing" (threshold -inf) is drawn
    x = np.where(np.isneginf(thresholds), left, thresholds)
    drawn = np.isfinite(x)
    fig = Figure(figsize=figsize, layout="constrained")
    ax = fig.subplots()
    for column, label, color, style in _CURVES:
        if column in curve:
            ax.step(x[drawn], curve[column].to_numpy()[drawn], where="post", label=label, color=color,
                    linestyle=style, linewidth=1.5)
    best = int(np.argmax(np.where(drawn, curve[metric].to_numpy(dtype=float), -np.inf)))
    name = {c: label for c, label, _, _ in _CURVES}.get(metric, metric)
    value = curve[metric].iloc[best]
    where = "answer nothing" if np.isneginf(thresholds[best]) else f"at {thresholds[best]:.3g}"
    ax.axvline(x[best], color="black", linestyle=":", linewidth=1, label=f"best {name} {value:.1f} {where}")
    ax.plot([x[best]], [value], "o", color="black")
    if default is not None:
        ax.axvline(default, color="gray", linestyle="-", linewidth=0.8, alpha=0.6,
                   label=f"default threshold {default:g}")
    ax.set_xlim(left - 0.03 * span, high + 0.05 * span)
    ax.set_xlabel("null threshold (null score minus best span score); left edge: every question abstains")
    ax.set_ylabel("score (%)")
    ax.set_ylim(0, 103)  # room for lines at 100
    ax.set_title(title or "SQuAD v2.0 scores against the null threshold")
    ax.legend(frameon=False, fontsize="small", loc="best")
    return fig


def scores_by_group_figure(tables: Mapping[str, pd.DataFrame], *, title: str | None = None,
                           figsize: tuple[float, float] = (8, 3.8)) -> Figure:
    """Exact match and F1 per group as side-by-side bars, one panel per grouping.

    Args:
        tables: panel title -> table of ``qa_tutorial.book.analysis.scores_by_group`` (index: group; columns
            ``count``, ``exact``, ``f1`` in percent), e.g. {"question word": ..., "answer length": ...}.
        title: a title over all panels.
        figsize: the figure size in inches.

    Returns:
        A `matplotlib.figure.Figure` with one axes per table; each axes has two bar containers (EM, F1) with one
        bar per group, and tick labels "group\\nn=count".

    >>> table = pd.DataFrame({"count": [2, 1], "exact": [50.0, 100.0], "f1": [75.0, 100.0]}, index=["who", "what"])
    >>> fig = scores_by_group_figure({"question word": table})
    >>> [[float(bar.get_height()) for bar in bars] for bars in fig.axes[0].containers]
    [[50.0, 100.0], [75.0, 100.0]]
    """
    if not tables:
        raise ValueError("scores_by_group_figure needs at least one table")
    fig = Figure(figsize=figsize, layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(tables), sharey=True))
    width = 0.4
    for ax, (name, table) in zip(axes, tables.items()):
        x = np.arange(len(table))
        ax.bar(x - width / 2, table["exact"], width, label="Exact match", color="tab:orange")
        ax.bar(x + width / 2, table["f1"], width, label="F1", color="tab:blue")
        ax.set_xticks(x, [f"{group}\nn={count}" for group, count in zip(table.index, table["count"])],
                      fontsize="small")
        ax.set_title(f"by {name}")
        ax.set_ylim(0, 100)
    axes[0].set_ylabel("score (%)")
    axes[0].legend(frameon=False, fontsize="small")
    if title:
        fig.suptitle(title)
    return fig
