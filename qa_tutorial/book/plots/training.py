"""Training figures: learning curves from a training history, and the padding share of each batch."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

__all__ = ["learning_curves", "padding_shares_figure"]

METRICS = (("eval_exact_match", "EM", "-"), ("eval_f1", "F1", "--"))


def _histories(history: pd.DataFrame | Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    if isinstance(history, pd.DataFrame):
        return {"": history}
    return dict(history)


def _column(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """Rows of ``frame`` where ``name`` has a value, as (step, value) sorted by step."""
    if name not in frame.columns:
        return pd.DataFrame(columns=["step", name])
    return frame.loc[frame[name].notna(), ["step", name]].sort_values("step")


def learning_curves(history: pd.DataFrame | Mapping[str, pd.DataFrame], *, title: str | None = None,
                    figsize: tuple[float, float] = (8, 3.5)) -> Figure:
    """Two panels against the optimisation step: training loss (left), evaluation EM and F1 (right).

    Args:
        history: the ``history`` DataFrame of a `qa_tutorial.training.TrainingResult` (columns "step", "loss",
            "eval_exact_match", "eval_f1"; rows without a value are skipped), or a mapping label -> history to
            draw several runs on the same axes.
        title: a title over both panels.
        figsize: the figure size in inches.

    Returns:
        The figure (axes 0: loss, axes 1: EM/F1 in percent).
    """
    runs = _histories(history)
    fig = Figure(figsize=figsize, layout="constrained")
    loss_ax, score_ax = fig.subplots(1, 2)
    for index, (label, frame) in enumerate(runs.items()):
        color = f"C{index}"
        prefix = f"{label} " if label else ""
        losses = _column(frame, "loss")
        loss_ax.plot(losses["step"], losses["loss"], marker=".", color=color, label=label or None)
        for column, name, style in METRICS:
            scores = _column(frame, column)
            if len(scores):
                score_ax.plot(scores["step"], scores[column], linestyle=style, marker="o", markersize=4,
                              color=color, label=f"{prefix}{name}")
    loss_ax.set_title("training loss")
    loss_ax.set_xlabel("step")
    loss_ax.set_ylabel("loss (start + end cross-entropy) / 2")
    score_ax.set_title("evaluation")
    score_ax.set_xlabel("step")
    score_ax.set_ylabel("score (%)")
    if score_ax.lines:
        score_ax.legend(frameon=False)
    else:
        score_ax.text(0.5, 0.5, "no evaluation logged", ha="center", va="center", transform=score_ax.transAxes)
    if len(runs) > 1:
        loss_ax.legend(frameon=False)
    if title:
        fig.suptitle(title)
    return fig


def padding_shares_figure(per_batch: Mapping[str, Sequence[float]], *, overall: Mapping[str, float] | None = None,
                          title: str | None = None, figsize: tuple[float, float] = (8, 3.5)) -> Figure:
    """The share of pad tokens in every batch of an epoch (left) and over the whole epoch (right), per strategy.

    Args:
        per_batch: strategy -> pad share of each batch, in batch order (0..1, e.g. from
            `qa_tutorial.book.padding_costs.padded_shares`).
        overall: strategy -> pad share of the whole epoch (pad tokens / computed tokens, e.g. the "pad_share"
            column of `qa_tutorial.book.padding_costs.padding_summary`); default: the mean of ``per_batch``.
        title: a title over both panels.
        figsize: the figure size in inches.

    Returns:
        The figure (axes 0: one line per strategy, in percent; axes 1: one bar per strategy, in percent).
    """
    if not per_batch:
        raise ValueError("per_batch is empty: give at least one strategy")
    fig = Figure(figsize=figsize, layout="constrained")
    line_ax, bar_ax = fig.subplots(1, 2, gridspec_kw={"width_ratios": [2, 1]})
    names = list(per_batch)
    for index, name in enumerate(names):
        shares = 100 * np.asarray(per_batch[name], dtype=float)
        wide = index == 0 and len(names) > 1  # the first line drawn wide underneath, visible where others meet it
        line_ax.plot(np.arange(1, len(shares) + 1), shares, drawstyle="steps-mid", color=f"C{index}", label=name,
                     linewidth=4 if wide else 1.5, alpha=0.5 if wide else 1.0)
    line_ax.set_title("pad tokens in each batch")
    line_ax.set_xlabel("batch")
    line_ax.set_ylabel("pad tokens (%)")
    highest = max((100 * float(np.max(per_batch[name])) for name in names if len(per_batch[name])), default=1.0)
    line_ax.set_ylim(0, max(highest, 1.0) * 1.3)  # room for the legend above the lines
    line_ax.legend(frameon=False, loc="upper center", ncol=len(names), fontsize="small")
    totals = [100 * (overall[name] if overall is not None else float(np.mean(per_batch[name]))) for name in names]
    bars = bar_ax.bar(names, totals, color=[f"C{i}" for i in range(len(names))])
    bar_ax.bar_label(bars, fmt="%.1f%%")
    bar_ax.set_title("whole epoch")
    bar_ax.set_ylabel("pad tokens (%)")
    bar_ax.set_ylim(0, max(max(totals) * 1.2, 1))
    bar_ax.tick_params(axis="x", labelrotation=20)
    if title:
        fig.suptitle(title)
    return fig
