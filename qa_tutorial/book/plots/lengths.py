"""Histograms of context and answer lengths (characters, words or tokens), side by side."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from statistics import median

import numpy as np
from matplotlib.figure import Figure

__all__ = ["length_histograms", "lengths"]

Measure = str | Callable[[str], int]


def lengths(items: Iterable[str | int], measure: Measure = "words") -> list[int]:
    """The length of every item: characters, whitespace-separated words, or ``measure(item)``.

    Args:
        items: strings, or integers that already are lengths (kept as they are).
        measure: "characters", "words" or a function from a string to a length (e.g. a token count).

    Returns:
        One integer per item.

    >>> lengths(["Super Bowl 50", "Denver"], "words"), lengths(["Super Bowl 50", 7], "characters")
    ([3, 1], [13, 7])
    """
    if measure == "characters":
        count: Callable[[str], int] = len
    elif measure == "words":
        count = lambda text: len(text.split())
    elif callable(measure):
        count = measure
    else:
        raise ValueError(f"measure must be 'characters', 'words' or a function, got {measure!r}")
    return [int(item) if isinstance(item, (int, np.integer)) else int(count(item)) for item in items]


def _bins(values: list[int], bins: int) -> np.ndarray | int:
    """One bin per integer when the values span fewer integers than ``bins``, else ``bins`` equal bins."""
    low, high = min(values), max(values)
    if high - low + 1 <= bins:
        return np.arange(low - 0.5, high + 1.5)
    return bins


def _panel(ax, values: list[int], what: str, unit: str, bins: int, color: str,
           limit: tuple[float, str] | None = None) -> None:
    ax.hist(values, bins=_bins(values, bins), color=color, edgecolor="white", linewidth=0.5)
    middle = median(values)
    ax.axvline(middle, color="black", linestyle="--", linewidth=1, label=f"median {middle:g} {unit}")
    if limit is not None:
        ax.axvline(limit[0], color="tab:red", linewidth=1.5, label=limit[1])
    ax.set_title(f"{what} (n={len(values):,})")
    ax.set_xlabel(f"length in {unit}")
    ax.set_ylabel("count")
    ax.legend(frameon=False, loc="upper right")


def length_histograms(contexts: Iterable[str | int], answers: Iterable[str | int], *, measure: Measure = "words",
                      unit: str | None = None, bins: int = 30, title: str | None = None,
                      context_limit: float | None = None, limit_label: str = "limit",
                      figsize: tuple[float, float] = (8, 3.5)) -> Figure:
    """Two histograms side by side: context lengths (left) and answer lengths (right), each with its median.

    Args:
        contexts: context strings (pass each distinct context once to count paragraphs, not questions),
            or their lengths as integers.
        answers: answer strings (one per question, e.g. the first gold answer), or their lengths.
        measure: "characters", "words", or a function from a string to a length (e.g. a token counter).
        unit: the axis label's unit; default: the measure's name, "tokens" for a function.
        bins: the number of bins (values that span fewer integers get one bin per integer).
        title: a title over both panels.
        context_limit: draw a vertical line at this context length (e.g. the room a window leaves for the
            context), labelled ``limit_label``.
        limit_label: the legend entry of that line.
        figsize: the figure size in inches.

    Returns:
        A `matplotlib.figure.Figure` with two axes; the bars of each count every item once.

    >>> fig = length_histograms(["a b c", "a b"], ["a", "a b"])
    >>> [ax.get_title() for ax in fig.axes]
    ['Contexts (n=2)', 'Answers (n=2)']
    """
    unit = unit or (measure if isinstance(measure, str) else "tokens")
    context_lengths, answer_lengths = lengths(contexts, measure), lengths(answers, measure)
    if not context_lengths or not answer_lengths:
        raise ValueError("length_histograms needs at least one context and one answer")
    fig = Figure(figsize=figsize, layout="constrained")
    left, right = fig.subplots(1, 2)
    _panel(left, context_lengths, "Contexts", unit, bins, "tab:blue",
           None if context_limit is None else (context_limit, limit_label))
    _panel(right, answer_lengths, "Answers", unit, bins, "tab:orange")
    if title:
        fig.suptitle(title)
    return fig
