"""Tests for qa_tutorial.book.plots.windows: highlighted spans as HTML, window layouts read off encodings, the diagram."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

from html.parser import HTMLParser

import pytest

from qa_tutorial.book.plots.windows import context_windows, highlight_spans_html, window_diagram
from qa_tutorial.features import prepare_eval_features, tokenize_windows


class _Marks(HTMLParser):
    """Collect the text of the body (after the legend) and, per character, the titles of the marks covering it."""

    def __init__(self):
        super().__init__()
        self.depth, self.titles, self.text, self.covered = 0, [], [], []

    def handle_starttag(self, tag, attrs):
        if tag == "div":
            self.depth += 1
        if tag == "mark":
            self.titles.append(dict(attrs).get("title"))

    def handle_endtag(self, tag):
        if tag == "div":
            self.depth -= 1
        if tag == "mark":
            self.titles.pop()

    def handle_data(self, data):
        if self.depth == 1:  # the legend is a nested div
            for ch in data:
                self.text.append(ch)
                self.covered.append(self.titles[-1] if self.titles else None)


def _parse(markup: str) -> tuple[str, list]:
    parser = _Marks()
    parser.feed(markup)
    return "".join(parser.text), parser.covered


def test_text_is_escaped_and_comes_back_unchanged():
    text = 'if a < b && c > "d" then <mark>'
    markup = highlight_spans_html(text, [(0, 2, 'x "<&>"')], legend=False)
    assert markup.count("<mark") == 1 and "&lt;mark&gt;" in markup and "&quot;d&quot;" in markup
    assert 'title="x &quot;&lt;&amp;&gt;&quot;"' in markup
    assert "&amp;&amp;" in markup and "&lt; b" in markup
    shown, _ = _parse(markup)
    assert shown == text


def test_exactly_the_given_characters_are_marked():
    text = "The Normans gave their name to Normandy, a region in France."
    spans = [(4, 11, "answer"), (53, 59, "other")]
    shown, covered = _parse(highlight_spans_html(text, spans))
    assert shown == text
    marked = [i for i, c in enumerate(covered) if c]
    assert marked == list(range(4, 11)) + list(range(53, 59))
    assert {covered[i] for i in range(4, 11)} == {"answer"} and covered[55] == "other"


def test_overlapping_spans_share_a_striped_piece_and_adjacent_spans_stay_apart():
    text = "abcdefghij"
    markup = highlight_spans_html(text, [(0, 6, "window 0"), (4, 10, "window 1"), (6, 8, "answer")], legend=False)
    shown, covered = _parse(markup)
    assert shown == text
    assert covered == ["window 0"] * 4 + ["window 0, window 1"] * 2 + ["window 1, answer"] * 2 + ["window 1"] * 2
    assert markup.count("<mark") == 4 and "repeating-linear-gradient" in markup
    adjacent = highlight_spans_html("abcdef", [(0, 3, "a"), (3, 6, "a")], legend=False)
    assert adjacent.count("<mark") == 2 and _parse(adjacent)[0] == "abcdef"


def test_legend_colours_margin_and_bad_spans():
    text = "x" * 200 + "ANSWER" + "y" * 200
    markup = highlight_spans_html(text, [(200, 206, "gold <1>")], colors={"gold <1>": "#123456"}, margin=10)
    assert "gold &lt;1&gt;" in markup and "#123456" in markup
    shown, _ = _parse(markup)
    assert shown == "…" + "x" * 10 + "ANSWER" + "y" * 10 + "…"
    with pytest.raises(ValueError, match="not inside"):
        highlight_spans_html("abc", [(2, 5)])
    with pytest.raises(ValueError, match="start, end"):
        highlight_spans_html("abc", [(1,)])


def _long_example():
    context = " ".join(f"word{i}" for i in range(120)) + " the answer is Paris ."
    start = context.index("Paris")
    return {"id": ["e"], "question": ["Where is it?"], "context": [context],
            "answers": [{"text": ["Paris"], "answer_start": [start]}]}, start


def test_context_windows_follow_the_stride(wordpiece_tokenizer):
    example, start = _long_example()
    encoding = tokenize_windows(example, wordpiece_tokenizer, max_length=64, doc_stride=16)
    layout = context_windows(encoding)
    n_context = len(wordpiece_tokenizer(example["context"][0], add_special_tokens=False)["input_ids"])
    assert len(layout.tokens) == len(encoding["input_ids"]) > 2
    assert layout.tokens[0][0] == 0 and layout.tokens[-1][1] == layout.context_tokens == n_context
    for (s0, e0), (s1, _) in zip(layout.tokens, layout.tokens[1:]):
        assert e0 - s1 == 16  # consecutive windows share doc_stride tokens
    assert layout.other_tokens == 2 + len(wordpiece_tokenizer("Where is it?")["input_ids"]) - 1  # CLS q SEP + SEP
    assert all(e - s + layout.other_tokens == 64 for s, e in layout.tokens[:-1])
    context = example["context"][0]
    assert layout.chars[0][0] == 0 and layout.chars[-1][1] == len(context)
    first, end = layout.token_range(start, start + 5)
    assert end - first >= 1 and layout.tokens[-1][0] <= first
    # the eval features (offsets None outside the context) give the same layout
    features = prepare_eval_features(example, wordpiece_tokenizer, max_length=64, doc_stride=16)
    assert context_windows(features).tokens == layout.tokens
    assert context_windows(features).chars == layout.chars


def test_context_windows_with_context_first(wordpiece_tokenizer):
    import copy

    left = copy.deepcopy(wordpiece_tokenizer)
    left.padding_side = "left"
    example, _ = _long_example()
    encoding = tokenize_windows(example, left, max_length=64, doc_stride=16)
    right = context_windows(tokenize_windows(example, wordpiece_tokenizer, max_length=64, doc_stride=16))
    layout = context_windows(encoding, context_id=0)
    assert layout.tokens == right.tokens and layout.other_tokens == right.other_tokens
    with pytest.raises(ValueError, match="sample 3"):
        context_windows(encoding, sample=3)


def test_window_diagram_has_one_bar_per_window_with_its_extent():
    windows = [(0, 179), (115, 294), (230, 399)]
    fig = window_diagram(windows, question_tokens=13, answer=(300, 303))
    (ax,) = fig.axes
    bars = {c.get_label(): list(c) for c in ax.containers}
    context = bars["context part"]
    assert len(context) == 3
    assert [(p.get_x(), p.get_x() + p.get_width()) for p in context] == windows
    assert [(p.get_x(), p.get_width()) for p in bars["question + special tokens"]] == [(-13, 13)] * 3
    assert [(p.get_x(), p.get_width()) for p in bars["overlap with previous window"]] == [(115, 64), (230, 64)]
    assert [p.get_width() for p in bars["whole context"]] == [399]
    rows = [p.get_y() + p.get_height() / 2 for p in context]
    assert rows == [1, 2, 3]
    notes = [t.get_text() for t in ax.texts]
    assert notes == ["no answer (CLS)", "no answer (CLS)", "answer inside"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["context", "window 0", "window 1", "window 2"]
    assert ax.get_title() == "3 windows over a context of 399 tokens"


def test_window_diagram_without_overlap_or_answer():
    fig = window_diagram([(0, 50)], question_tokens=5, context_tokens=50, title="short")
    (ax,) = fig.axes
    assert [c.get_label() for c in ax.containers] == ["whole context", "question + special tokens", "context part"]
    assert len(ax.texts) == 0 and ax.get_title() == "short"
    with pytest.raises(ValueError):
        window_diagram([], question_tokens=5)


def test_outlined_labels_ring_their_characters_on_top_of_backgrounds():
    text = "abcdefghij"
    markup = highlight_spans_html(text, [(0, 8, "window 0"), (4, 10, "window 1"), (5, 7, "answer")],
                                  colors={"answer": "red"}, outline={"answer"})
    shown, covered = _parse(markup)
    assert shown == text
    assert covered[5] == covered[6] == "window 0, window 1, answer"
    answer_mark = markup.split('title="window 0, window 1, answer">')[0].rsplit("<mark", 1)[1]
    assert "box-shadow:0 0 0 2px red" in answer_mark and "repeating-linear-gradient" in answer_mark
    assert "red" not in answer_mark.split("box-shadow")[0]  # the ring, not the stripes, carries the colour
    legend = markup.split("</div>")[0]
    assert "background:transparent" in legend and "box-shadow:0 0 0 2px red" in legend
