"""Decoding figures: the span scores of one window, the null-answer decision, and loop vs vectorised timing.

`span_scores_figure` draws ``start_logit + end_logit`` for every (start, end) pair of a window's context tokens and
greys out the pairs decoding never considers; `null_decision_figure` puts each SQuAD v2.0 example's best span score
against its null score; `decoding_times_figure` compares two timings with the speed-up written on the chart.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib
import numpy as np
from matplotlib.figure import Figure

from qa_tutorial.decoding import top_k_indices

__all__ = ["allowed_spans", "decoding_times_figure", "null_decision_figure", "span_scores_figure"]


def allowed_spans(n_tokens: int, max_answer_length: int) -> np.ndarray:
    """Which (start, end) pairs of ``n_tokens`` context tokens are spans: ``end >= start``, at most
    ``max_answer_length`` tokens long. Shape (n_tokens, n_tokens), rows = start, columns = end.

    >>> allowed_spans(3, 2).astype(int)
    array([[1, 1, 0],
           [0, 1, 1],
           [0, 0, 1]])
    """
    start = np.arange(n_tokens)[:, None]
    end = np.arange(n_tokens)[None, :]
    return (end >= start) & (end - start + 1 <= max_answer_length)


def span_scores_figure(start_logits: Sequence[float], end_logits: Sequence[float], *, context_first: int,
                       context_last: int, max_answer_length: int = 30, n_best_size: int = 20,
                       title: str | None = None, figsize: tuple[float, float] = (7, 4.5)) -> Figure:
    """Heatmap of ``start_logit + end_logit`` over one window's context tokens, allowed spans only.

    Pairs with ``end < start`` or longer than ``max_answer_length`` are masked (drawn grey). White dots mark the
    allowed pairs that n-best decoding examines (both tokens among the window's ``n_best_size`` highest start
    and end logits); a star marks the best of them, the span decoding picks in this window.

    Args:
        start_logits, end_logits: the window's logits, shape (seq_len,).
        context_first, context_last: first and last context token of the window (inclusive).
        max_answer_length: longest span in tokens.
        n_best_size: top start and end tokens examined.
        title: the axes title (default says which span wins).
        figsize: the figure size in inches.

    Returns:
        A `matplotlib.figure.Figure` with the heatmap axes and a colour bar; ``fig.axes[0].images[0]`` holds
        the masked score array (rows: start tokens, columns: end tokens, both from ``context_first``).

    >>> fig = span_scores_figure([0, 1, 0, 2, 0], [0, 0, 2, 0, 1], context_first=1, context_last=3,
    ...                          max_answer_length=2)
    >>> fig.axes[0].images[0].get_array().mask.astype(int).tolist()
    [[0, 0, 1], [1, 0, 0], [1, 1, 0]]
    >>> fig.axes[0].get_title()
    'best span: tokens 1-2, score 3.00'
    """
    start = np.asarray(start_logits, dtype=np.float64)
    end = np.asarray(end_logits, dtype=np.float64)
    if start.shape != end.shape or start.ndim != 1:
        raise ValueError(f"start_logits and end_logits must be 1-D of equal length, got {start.shape}, {end.shape}")
    if not 0 <= context_first <= context_last < len(start):
        raise ValueError(f"context tokens {context_first}..{context_last} are not inside a window of {len(start)}")
    context = np.arange(context_first, context_last + 1)
    scores = start[context][:, None] + end[context][None, :]  # (n_context, n_context): start rows, end columns
    allowed = allowed_spans(len(context), max_answer_length)
    masked = np.ma.masked_array(scores, mask=~allowed)

    k = min(n_best_size, len(start))
    top_start = top_k_indices(start[None, :], k)[0]
    top_end = top_k_indices(end[None, :], k)[0]
    top_start = top_start[(top_start >= context_first) & (top_start <= context_last)] - context_first
    top_end = top_end[(top_end >= context_first) & (top_end <= context_last)] - context_first
    rows, cols = np.meshgrid(top_start, top_end, indexing="ij")
    examined = allowed[rows, cols]
    rows, cols = rows[examined], cols[examined]

    fig = Figure(figsize=figsize, layout="constrained")
    ax = fig.subplots()
    cmap = matplotlib.colormaps["viridis"].with_extremes(bad="#d9d9d9")  # masked pairs: grey
    extent = (context_first - 0.5, context_last + 0.5, context_last + 0.5, context_first - 0.5)
    image = ax.imshow(masked, cmap=cmap, extent=extent, interpolation="nearest", aspect="auto")
    fig.colorbar(image, ax=ax, label="start logit + end logit")
    if len(rows):
        ax.scatter(cols + context_first, rows + context_first, s=12, facecolors="white", edgecolors="black",
                   linewidths=0.5, label=f"examined pairs (top {n_best_size} starts x ends)")
        best = int(np.argmax(scores[rows, cols]))
        b_start, b_end = int(rows[best]) + context_first, int(cols[best]) + context_first
        ax.scatter([b_end], [b_start], marker="*", s=160, color="tab:red", edgecolors="white", label="best span")
        heading = f"best span: tokens {b_start}-{b_end}, score {scores[rows[best], cols[best]]:.2f}"
        ax.legend(loc="lower left", fontsize="small", framealpha=0.85)
    else:
        heading = "no allowed pair among the top starts and ends"
    ax.set_xlabel("end token")
    ax.set_ylabel("start token")
    ax.set_title(title or heading)
    return fig


def null_decision_figure(best_span_scores: Sequence[float], null_scores: Sequence[float], *,
                         threshold: float = 0.0, has_answer: Sequence[bool] | None = None,
                         title: str | None = None, figsize: tuple[float, float] = (7, 4.5)) -> Figure:
    """Each SQuAD v2.0 example as a dot: its best span score (x) against its null score (y).

    Above the line ``null = best span + threshold`` the decoder answers "" (no answer); below it, the span.
    With ``has_answer``, dots are coloured by the gold label, so the dots on the wrong side of the line are the
    mistakes of the null rule.

    Args:
        best_span_scores: per example, the score of its best span (finite values only are drawn).
        null_scores: per example, its null score (the minimum over its features).
        threshold: ``null_score_diff_threshold``.
        has_answer: per example, whether the gold data has an answer.
        title: the axes title.
        figsize: the figure size in inches.

    Returns:
        A `matplotlib.figure.Figure` with one axes: one scatter collection per group (labels "answerable" and
        "unanswerable", or "examples") and the decision line.

    >>> fig = null_decision_figure([1.0, 2.0, 3.0], [3.0, 1.0, 0.0], has_answer=[False, True, True])
    >>> [c.get_label() for c in fig.axes[0].collections]
    ['answerable (gold)', 'unanswerable (gold)']
    >>> fig.axes[0].get_lines()[0].get_label()
    'null = best span + 0: above, answer ""'
    """
    best = np.asarray(best_span_scores, dtype=np.float64)
    null = np.asarray(null_scores, dtype=np.float64)
    if best.shape != null.shape:
        raise ValueError(f"best_span_scores {best.shape} and null_scores {null.shape} differ")
    finite = np.isfinite(best) & np.isfinite(null)
    fig = Figure(figsize=figsize, layout="constrained")
    ax = fig.subplots()
    if has_answer is None:
        groups = [("examples", finite, "tab:blue")]
    else:
        gold = np.asarray(has_answer, dtype=bool)
        groups = [("answerable (gold)", finite & gold, "tab:green"),
                  ("unanswerable (gold)", finite & ~gold, "tab:red")]
    for label, mask, color in groups:
        ax.scatter(best[mask], null[mask], s=12, alpha=0.6, color=color, label=label)
    reach = np.concatenate([best[finite], null[finite] - threshold])  # x values the line must span
    low, high = (float(reach.min()), float(reach.max())) if reach.size else (0.0, 1.0)
    margin = 0.05 * (high - low) or 0.5
    xs = np.array([low - margin, high + margin])
    ax.plot(xs, xs + threshold, color="black", linestyle="--", linewidth=1,
            label=f'null = best span + {threshold:g}: above, answer ""')
    ax.set_xlabel("best span score (start + end logit)")
    ax.set_ylabel("null score (CLS start + end, minimum over windows)")
    ax.set_title(title or "SQuAD v2.0: answer or abstain?")
    ax.legend(frameon=False, fontsize="small", loc="best")
    return fig


def _seconds(value: float) -> str:
    """A duration for a bar label.

    >>> _seconds(0.0123), _seconds(2.5)
    ('12.3 ms', '2.50 s')
    """
    return f"{value * 1000:.1f} ms" if value < 1 else f"{value:.2f} s"


def decoding_times_figure(loop_seconds: float, vectorised_seconds: float, *,
                          labels: tuple[str, str] = ("Python loop", "vectorised (qa_tutorial)"),
                          title: str = "Decoding the same logits", note: str | None = None,
                          figsize: tuple[float, float] = (7, 3.5)) -> Figure:
    """Two bars, the loop's time and the vectorised decoder's, with the speed-up written on the chart.

    Args:
        loop_seconds, vectorised_seconds: wall-clock times of the two decoders on the same input.
        labels: the two bars' names.
        title: the axes title.
        note: a smaller line under the chart (where and on what the times were taken).
        figsize: the figure size in inches.

    Returns:
        A `matplotlib.figure.Figure` with one axes and one bar container (heights in seconds); the speed-up
        text is ``fig.axes[0].texts[-1]``.

    >>> fig = decoding_times_figure(2.0, 0.5)
    >>> [float(bar.get_height()) for bar in fig.axes[0].containers[0]], fig.axes[0].texts[-1].get_text()
    ([2.0, 0.5], '4.0x faster')
    """
    if loop_seconds <= 0 or vectorised_seconds <= 0:
        raise ValueError("times must be positive")
    fig = Figure(figsize=figsize, layout="constrained")
    ax = fig.subplots()
    heights = [float(loop_seconds), float(vectorised_seconds)]
    bars = ax.bar(list(labels), heights, color=["tab:gray", "tab:blue"], width=0.55)
    for bar, value in zip(bars, heights):
        ax.text(bar.get_x() + bar.get_width() / 2, value, _seconds(value), ha="center", va="bottom")
    ax.set_ylim(0, max(heights) * 1.3)
    ax.set_ylabel("seconds")
    ax.set_title(title)
    if note:
        fig.supxlabel(note, fontsize="small", color="dimgray")
    ratio = heights[0] / heights[1]
    ax.text(0.97, 0.9, f"{ratio:.1f}x faster", transform=ax.transAxes, ha="right", va="top", fontsize=14,
            fontweight="bold", color="tab:blue")
    return fig
