"""Tests for qa_tutorial.book.plots.lengths: what the histograms count and show."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pytest

from qa_tutorial.book.plots.lengths import length_histograms, lengths


def _heights(ax) -> list[float]:
    return [patch.get_height() for patch in ax.patches]


def test_lengths_by_characters_words_and_function():
    texts = ["Super Bowl 50", "  Denver  Broncos ", "é"]
    assert lengths(texts, "characters") == [13, 18, 1]
    assert lengths(texts, "words") == [3, 2, 1]
    assert lengths(texts, lambda t: t.count("o")) == [1, 2, 0]
    assert lengths([4, 7], "words") == [4, 7]  # integers are lengths already
    with pytest.raises(ValueError, match="measure"):
        lengths(texts, "sentences")


def test_two_panels_whose_bars_count_every_item_once():
    contexts = [" ".join(["w"] * n) for n in (30, 45, 45, 120, 160, 161, 300)]
    answers = ["a", "a b", "a b", "a b c", "one two three four five six", "x", "y", "z z"]
    fig = length_histograms(contexts, answers, measure="words")
    left, right = fig.axes
    assert len(fig.axes) == 2
    assert sum(_heights(left)) == len(contexts)
    assert sum(_heights(right)) == len(answers)
    assert left.get_title() == "Contexts (n=7)" and right.get_title() == "Answers (n=8)"
    assert left.get_xlabel() == right.get_xlabel() == "length in words"


def test_small_integer_lengths_get_one_bin_per_integer_and_a_median_line():
    answers = ["a", "a b", "a b", "a b c", "a b c d e f"]
    fig = length_histograms(["c d e"], answers, bins=30)
    right = fig.axes[1]
    bars = {round(p.get_x() + p.get_width() / 2): p.get_height() for p in right.patches}
    assert bars == {1: 1, 2: 2, 3: 1, 4: 0, 5: 0, 6: 1}
    (median_line,) = right.get_lines()
    assert list(median_line.get_xdata()) == [2, 2]
    assert right.get_legend().get_texts()[0].get_text() == "median 2 words"


def test_wide_ranges_use_the_requested_number_of_bins_and_token_units():
    contexts = list(range(10, 1010, 10))  # 100 precomputed lengths
    fig = length_histograms(contexts, [1, 2], measure=len, bins=20, title="SQuAD")
    left = fig.axes[0]
    assert len(left.patches) == 20 and sum(_heights(left)) == 100
    assert left.get_xlabel() == "length in tokens"
    assert fig.get_suptitle() == "SQuAD"


def test_empty_input_is_refused():
    with pytest.raises(ValueError, match="at least one"):
        length_histograms([], ["a"])


def test_context_limit_line():
    fig = length_histograms([100, 200, 300], [1], measure="words", context_limit=180, limit_label="window room")
    left, right = fig.axes
    _, limit_line = left.get_lines()
    assert list(limit_line.get_xdata()) == [180, 180]
    assert [t.get_text() for t in left.get_legend().get_texts()] == ["median 200 words", "window room"]
    assert len(right.get_lines()) == 1
