"""Tests for qa_tutorial.book.plots.longformer: what the long-document figures count and show."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pytest

from qa_tutorial.book.plots.longformer import long_vs_windows_figure, token_positions_figure


def _heights(ax) -> list[float]:
    return [patch.get_height() for patch in ax.patches]


def test_token_positions_histograms_count_everything_and_mark_the_limits():
    articles = [300, 900, 2500, 4100, 5000, 9000]
    answers = [5, 100, 383, 384, 700, 4095, 4096, 8000]
    fig = token_positions_figure(articles, answers, limits=(384, 4096), bins=10)
    left, right = fig.axes
    assert len(fig.axes) == 2
    assert sum(_heights(left)) == len(articles) and sum(_heights(right)) == len(answers)
    assert left.get_title() == "Articles (n=6)" and right.get_title() == "Answer starts (n=8)"
    assert [line.get_xdata()[0] for line in left.get_lines()] == [384, 4096]
    assert [t.get_text() for t in left.get_legend().get_texts()] == ["384: 5 at or beyond", "4,096: 3 at or beyond"]
    assert [t.get_text() for t in right.get_legend().get_texts()] == ["384: 5 at or beyond", "4,096: 2 at or beyond"]
    assert right.get_xlabel() == "token position in the article"


def test_token_positions_rejects_empty_input_and_too_many_limits():
    with pytest.raises(ValueError, match="at least one"):
        token_positions_figure([], [1])
    with pytest.raises(ValueError, match="at most"):
        token_positions_figure([1], [1], limits=(1, 2, 3))


ROWS = [
    {"document": "1,200 tokens", "approach": "4096 tokens at once", "windows": 1, "padded_tokens": 1280,
     "seconds": 0.2, "peak_memory_bytes": 40 * 2 ** 20},
    {"document": "1,200 tokens", "approach": "384-token windows", "windows": 5, "padded_tokens": 2560,
     "seconds": 0.3, "peak_memory_bytes": 20 * 2 ** 20},
    {"document": "3,900 tokens", "approach": "4096 tokens at once", "windows": 1, "padded_tokens": 4096,
     "seconds": 0.6, "peak_memory_bytes": 120 * 2 ** 20},
    {"document": "3,900 tokens", "approach": "384-token windows", "windows": 17, "padded_tokens": 8704,
     "seconds": 0.9, "peak_memory_bytes": 60 * 2 ** 20},
]


def test_long_vs_windows_bars_per_panel_and_document():
    fig = long_vs_windows_figure(ROWS, title="tiny Longformer, CPU", xlabel="article")
    tokens, seconds, memory = fig.axes
    assert len(fig.axes) == 3
    assert [ax.get_ylabel() for ax in fig.axes] == ["tokens computed", "time (s)", "peak memory (MiB)"]
    assert {ax.get_xlabel() for ax in fig.axes} == {"article"}
    # bars are drawn approach by approach: long for both documents, then windows for both
    assert _heights(tokens) == [1280, 4096, 2560, 8704]
    assert _heights(seconds) == [0.2, 0.6, 0.3, 0.9]
    assert _heights(memory) == [40, 120, 20, 60]
    labels = [t.get_text() for t in tokens.texts]
    assert labels == ["1", "1", "5", "17"]  # windows above the token bars
    assert [t.get_text() for t in tokens.get_xticklabels()] == ["1,200 tokens", "3,900 tokens"]
    assert fig.get_suptitle() == "tiny Longformer, CPU"
    (legend,) = fig.legends
    assert [t.get_text() for t in legend.get_texts()] == ["4096 tokens at once", "384-token windows"]
    long_x = [p.get_x() for p in tokens.patches[:2]]
    short_x = [p.get_x() for p in tokens.patches[2:]]
    assert all(a < b for a, b in zip(long_x, short_x))  # side by side, long on the left


def test_long_vs_windows_missing_bar_and_empty_input():
    fig = long_vs_windows_figure(ROWS[:3])  # the second document has no windows measurement
    assert _heights(fig.axes[0]) == [1280, 4096, 2560]
    with pytest.raises(ValueError, match="at least one"):
        long_vs_windows_figure([])
