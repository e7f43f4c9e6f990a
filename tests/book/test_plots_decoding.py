"""Decoding figures: span-score heatmap, null decision scatter, loop vs vectorised timing bars."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

from qa_tutorial.book.plots.decoding import (
    allowed_spans,
    decoding_times_figure,
    null_decision_figure,
    span_scores_figure,
)
from qa_tutorial.decoding import decode_predictions


def test_allowed_spans_band():
    allowed = allowed_spans(6, 3)
    start, end = np.nonzero(allowed)
    assert np.all(end >= start) and np.all(end - start + 1 <= 3)
    assert allowed.sum() == 6 + 5 + 4  # lengths 1, 2 and 3
    assert allowed_spans(4, 100).sum() == 10  # upper triangle with the diagonal


def _window(seed: int = 0, seq_len: int = 40, first: int = 8, last: int = 36):
    rng = np.random.default_rng(seed)
    start, end = rng.normal(size=(2, seq_len))
    return start, end, first, last


def test_span_scores_heatmap_masks_disallowed_pairs_and_scores_the_rest():
    start, end, first, last = _window()
    fig = span_scores_figure(start, end, context_first=first, context_last=last, max_answer_length=5)
    ax = fig.axes[0]
    assert len(fig.axes) == 2  # heatmap + colour bar
    array = ax.images[0].get_array()
    n = last - first + 1
    assert array.shape == (n, n)
    np.testing.assert_array_equal(~array.mask, allowed_spans(n, 5))
    i, j = 2, 4  # an allowed pair: start token first+2, end token first+4
    assert array[i, j] == pytest.approx(start[first + i] + end[first + j])
    assert ax.get_xlabel() == "end token" and ax.get_ylabel() == "start token"
    assert ax.images[0].get_extent() == [first - 0.5, last + 0.5, last + 0.5, first - 0.5]


def test_span_scores_best_star_is_the_package_decoders_span():
    start, end, first, last = _window(seed=3, seq_len=50, first=10, last=45)
    fig = span_scores_figure(start, end, context_first=first, context_last=last, max_answer_length=8, n_best_size=6)
    ax = fig.axes[0]
    examined, star = ax.collections[0].get_offsets(), ax.collections[1].get_offsets()
    assert len(star) == 1
    best_end, best_start = (int(v) for v in star[0])
    # the same window through the package decoder: characters = token positions, so offsets name the tokens
    offsets = [None] * first + [[t, t + 1] for t in range(first, last + 1)] + [None] * (len(start) - last - 1)
    decoded = decode_predictions({"id": ["x"], "context": ["c" * len(start)]},
                                 {"example_id": ["x"], "offset_mapping": [offsets]}, start[None], end[None],
                                 n_best_size=6, max_answer_length=8)
    assert decoded.nbest["x"][0]["offsets"] == (best_start, best_end + 1)
    assert ax.get_title() == f"best span: tokens {best_start}-{best_end}, score {decoded.nbest['x'][0]['score']:.2f}"
    # every examined pair is an allowed pair of the top-6 starts and ends, and there are as many as n-best has
    top_start = set(np.argsort(start)[::-1][:6].tolist())
    top_end = set(np.argsort(end)[::-1][:6].tolist())
    pairs = {(int(y), int(x)) for x, y in examined}
    assert all(s in top_start and e in top_end and 0 <= e - s < 8 for s, e in pairs)
    assert len(pairs) == len(decoded.nbest["x"])


def test_span_scores_without_candidates_says_so():
    start = np.array([9.0, 0.0, 0.0, 0.0, 9.0])  # top start/end tokens lie outside the context (1..3)
    end = np.array([9.0, 0.0, 0.0, 0.0, 9.0])
    fig = span_scores_figure(start, end, context_first=1, context_last=3, n_best_size=2)
    assert fig.axes[0].get_title() == "no allowed pair among the top starts and ends"
    assert len(fig.axes[0].collections) == 0


def test_span_scores_rejects_bad_input():
    with pytest.raises(ValueError, match="equal length"):
        span_scores_figure([0.0, 1.0], [0.0], context_first=0, context_last=0)
    with pytest.raises(ValueError, match="not inside"):
        span_scores_figure([0.0, 1.0], [0.0, 1.0], context_first=1, context_last=2)


def test_null_decision_groups_points_and_draws_the_threshold_line():
    best = np.array([1.0, 2.0, 3.0, -np.inf])
    null = np.array([3.0, 1.0, 0.0, 5.0])
    gold = [False, True, True, False]
    fig = null_decision_figure(best, null, threshold=1.5, has_answer=gold)
    ax = fig.axes[0]
    answerable, unanswerable = ax.collections
    assert answerable.get_label() == "answerable (gold)" and unanswerable.get_label() == "unanswerable (gold)"
    np.testing.assert_array_equal(answerable.get_offsets(), [[2.0, 1.0], [3.0, 0.0]])
    np.testing.assert_array_equal(unanswerable.get_offsets(), [[1.0, 3.0]])  # the -inf example is not drawn
    line = ax.get_lines()[0]
    x, y = line.get_data()
    np.testing.assert_allclose(np.asarray(y) - np.asarray(x), 1.5)
    assert line.get_label() == 'null = best span + 1.5: above, answer ""'


def test_null_decision_single_group_and_shape_check():
    fig = null_decision_figure([0.5, 1.0], [0.0, 2.0])
    assert [c.get_label() for c in fig.axes[0].collections] == ["examples"]
    with pytest.raises(ValueError, match="differ"):
        null_decision_figure([0.5], [0.0, 2.0])


def test_decoding_times_bars_labels_and_speedup():
    fig = decoding_times_figure(0.8, 0.025, note="quick profile, this machine")
    ax = fig.axes[0]
    bars = ax.containers[0]
    assert [bar.get_height() for bar in bars] == pytest.approx([0.8, 0.025])
    assert [t.get_text() for t in ax.get_xticklabels()] == ["Python loop", "vectorised (qa_tutorial)"]
    texts = [t.get_text() for t in ax.texts]
    assert texts[:2] == ["800.0 ms", "25.0 ms"]
    assert texts[-1] == "32.0x faster"
    assert fig.get_supxlabel() == "quick profile, this machine"
    assert ax.get_ylim()[1] >= 0.8


def test_decoding_times_custom_labels_and_errors():
    fig = decoding_times_figure(8.05, 0.247, labels=("loop over a Dataset", "package"))
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["loop over a Dataset", "package"]
    assert ax.texts[0].get_text() == "8.05 s"
    assert ax.texts[-1].get_text() == "32.6x faster"
    with pytest.raises(ValueError):
        decoding_times_figure(1.0, 0.0)


def test_null_decision_line_spans_the_points_only():
    fig = null_decision_figure([7.0, 9.0], [10.0, 10.5], threshold=0.5)
    x, _ = fig.axes[0].get_lines()[0].get_data()
    assert 6.0 < x[0] < 7.0 and 10.0 < x[1] < 11.0  # from the smallest to the largest x a point needs, no 0
