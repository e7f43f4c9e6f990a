"""Figures for long documents: how long the articles are and where their answers lie, and one long Longformer pass
compared with short windows (tokens computed, time, peak memory)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

__all__ = ["long_vs_windows_figure", "token_positions_figure"]

LIMIT_COLORS = ("tab:red", "tab:green")


def _histogram(ax: Any, values: np.ndarray, title: str, xlabel: str, limits: Sequence[int], bins: int,
               color: str) -> None:
    ax.hist(values, bins=bins, color=color, edgecolor="white", linewidth=0.5)
    for limit, line_color in zip(limits, LIMIT_COLORS):
        beyond = int((values >= limit).sum())
        ax.axvline(limit, color=line_color, linewidth=1.5, label=f"{limit:,}: {beyond} at or beyond")
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("count")
    ax.legend(frameon=False, loc="upper right", fontsize="small")


def token_positions_figure(article_tokens: Iterable[int], answer_tokens: Iterable[int], *,
                           limits: Sequence[int] = (384, 4096), bins: int = 30,
                           figsize: tuple[float, float] = (8, 3.5)) -> Figure:
    """Two histograms: article lengths in tokens (left) and the token where each answer starts (right).

    Vertical lines mark ``limits`` (e.g. a 384-token window and Longformer's 4,096 tokens); each legend entry
    says how many values are at or beyond its line.

    Args:
        article_tokens: the length of every article, once per article.
        answer_tokens: the start token of every answer, counted from the article's first token.
        limits: at most two lengths to mark.
        bins: the number of bins of each histogram.
        figsize: the figure size in inches.

    Returns:
        A figure with two axes.

    >>> fig = token_positions_figure([500, 5000], [10, 400, 4500])
    >>> [ax.get_title() for ax in fig.axes]
    ['Articles (n=2)', 'Answer starts (n=3)']
    """
    articles, answers = np.asarray(list(article_tokens)), np.asarray(list(answer_tokens))
    if not len(articles) or not len(answers):
        raise ValueError("token_positions_figure needs at least one article and one answer")
    if len(limits) > len(LIMIT_COLORS):
        raise ValueError(f"at most {len(LIMIT_COLORS)} limits, got {len(limits)}")
    fig = Figure(figsize=figsize, layout="constrained")
    left, right = fig.subplots(1, 2)
    _histogram(left, articles, f"Articles (n={len(articles):,})", "length in tokens", limits, bins, "tab:blue")
    _histogram(right, answers, f"Answer starts (n={len(answers):,})", "token position in the article", limits, bins,
               "tab:orange")
    return fig


PANELS = (("padded_tokens", "tokens computed", 1.0), ("seconds", "time (s)", 1.0),
          ("peak_memory_bytes", "peak memory (MiB)", 2.0 ** -20))


def long_vs_windows_figure(rows: Iterable[Mapping[str, Any]], *, title: str | None = None, xlabel: str = "document",
                           figsize: tuple[float, float] = (8, 3.6)) -> Figure:
    """Grouped bars per document: tokens computed, time and peak memory, one bar per approach.

    Args:
        rows: one mapping per (document, approach) with "document", "approach", "windows", "padded_tokens",
            "seconds" and "peak_memory_bytes" (e.g. ``dataclasses.asdict`` of a
            `qa_tutorial.book.long_documents.PassMeasurement` plus a "document" label).
        title: a title over the three panels.
        xlabel: the label under each panel's documents (keep the document labels short: they share the axis).
        figsize: the figure size in inches.

    Returns:
        A figure with three axes; the bars of the first panel are labelled with the number of windows.

    >>> rows = [{"document": "a", "approach": "long", "windows": 1, "padded_tokens": 4096, "seconds": 0.5,
    ...          "peak_memory_bytes": 2 ** 20}, {"document": "a", "approach": "short", "windows": 17,
    ...          "padded_tokens": 8704, "seconds": 0.8, "peak_memory_bytes": 2 ** 19}]
    >>> [ax.get_ylabel() for ax in long_vs_windows_figure(rows).axes]
    ['tokens computed', 'time (s)', 'peak memory (MiB)']
    """
    rows = list(rows)
    if not rows:
        raise ValueError("long_vs_windows_figure needs at least one measurement")
    documents = list(dict.fromkeys(row["document"] for row in rows))
    approaches = list(dict.fromkeys(row["approach"] for row in rows))
    by_key = {(row["document"], row["approach"]): row for row in rows}
    width = 0.8 / len(approaches)
    x = np.arange(len(documents))
    fig = Figure(figsize=figsize, layout="constrained")
    axes = fig.subplots(1, len(PANELS))
    for ax, (field, label, scale) in zip(axes, PANELS):
        for k, approach in enumerate(approaches):
            present = [d for d in documents if (d, approach) in by_key]
            heights = [by_key[d, approach][field] * scale for d in present]
            positions = x[[documents.index(d) for d in present]] + (k - (len(approaches) - 1) / 2) * width
            bars = ax.bar(positions, heights, width, label=approach, color=f"C{k}")
            if field == "padded_tokens":
                ax.bar_label(bars, labels=[str(by_key[d, approach]["windows"]) for d in present], fontsize="x-small")
        ax.set_xticks(x, documents, fontsize="small")
        ax.set_xlabel(xlabel)
        ax.set_ylabel(label)
        ax.margins(y=0.12)
    axes[0].set_title("windows above the bars", fontsize="small")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=len(approaches), frameon=False)
    if title:
        fig.suptitle(title)
    return fig
