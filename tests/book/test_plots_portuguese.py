"""Tests for qa_tutorial.book.plots.portuguese: defect counts from real cleaning reports, and the bars drawn."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pytest

from qa_tutorial.book.plots.portuguese import DEFECTS, defect_counts, plot_defects
from qa_tutorial.cleaning import CleaningReport, clean_squad


def _one_of_each() -> dict[str, list]:
    """Seven questions: one clean, then one of each defect that `clean_squad` counts."""
    context = "A ação é pública. O rei é de Portugal."
    rows = [
        ("q1", context, {"text": ["Portugal"], "answer_start": [29]}),  # clean (replaced by its duplicate below)
        ("q2", context, {"text": ["pública"], "answer_start": [-1]}),  # answer_start -1
        ("q3", context, {"text": ["Espanha"], "answer_start": [0]}),  # not in the context
        ("q4", "Disse &quot;sim&quot; ao rei.", {"text": ["sim"], "answer_start": [12]}),  # an HTML entity
        ("q5", context, {"text": ["rei"], "answer_start": [18]}),  # shifted start: "rei" is at 20
        ("q6", context, {"text": [""], "answer_start": [-1]}),  # empty answer text
        ("q1", context, {"text": ["Portugal"], "answer_start": [29]}),  # duplicate id: this one is kept
    ]
    return {"id": [r[0] for r in rows], "title": ["T"] * len(rows), "context": [r[1] for r in rows],
            "question": ["?"] * len(rows), "answers": [r[2] for r in rows]}


def test_defect_counts_of_a_real_cleaning_report():
    _, report = clean_squad(_one_of_each())
    assert defect_counts(report) == dict.fromkeys(DEFECTS, 1)
    assert list(defect_counts(report)) == list(DEFECTS)


def test_html_entities_add_contexts_questions_and_answers():
    report = CleaningReport(contexts_unescaped=259, questions_unescaped=153, answers_unescaped=41)
    assert defect_counts(report)["HTML entities (texts)"] == 453
    assert sum(defect_counts(report).values()) == 453


def test_bars_have_the_counts_of_each_file_in_order():
    _, report = clean_squad(_one_of_each())
    counts = {"duplicate ids": 0, "answer not in context": 1176, "HTML entities (texts)": 453}
    fig = plot_defects({"built": report, "sample": counts})
    (ax,) = fig.axes
    assert ax.get_title() == "Defects found and repaired or dropped, per file"
    assert [t.get_text() for t in ax.get_yticklabels()] == list(DEFECTS)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["built", "sample"]
    assert len(ax.containers) == 2
    assert [bar.get_width() for bar in ax.containers[0]] == [1] * 6
    assert [bar.get_width() for bar in ax.containers[1]] == [0, 0, 1176, 453, 0, 0]
    written = [t.get_text() for t in ax.texts if t.get_text()]  # non-zero counts only
    assert sorted(written) == sorted(["1"] * 6 + ["1176", "453"])
    # bars of the same defect sit in the same group: the file's bars are offset, never interleaved
    centers = [[bar.get_y() + bar.get_height() / 2 for bar in c] for c in ax.containers]
    assert all(a < b < a + 1 for a, b in zip(*centers))
    assert ax.get_xlim()[1] > 1176


def test_log_scale_and_errors():
    fig = plot_defects({"FaQuAD dev": {"answer not in context": 1, "shifted start repaired": 3}}, log=True,
                       title="FaQuAD")
    (ax,) = fig.axes
    assert ax.get_xscale() == "log" and ax.get_title() == "FaQuAD"
    assert [bar.get_width() for bar in ax.containers[0]] == [0, 0, 1, 0, 3, 0]
    with pytest.raises(ValueError, match="unknown defect"):
        plot_defects({"x": {"typo": 1}})
    with pytest.raises(ValueError, match="at least one"):
        plot_defects({})


def test_vocabulary_fit_counts_splits_unknowns_and_stripped_accents():
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    from qa_tutorial.book.plots.portuguese import vocabulary_fit

    vocab = {"[UNK]": 0, "a": 1, "##cao": 2, "e": 3, "A": 4, "ação": 5, "é": 6, "É": 7}

    def tokenizer(uncased):
        raw = Tokenizer(models.WordPiece(vocab, unk_token="[UNK]"))
        raw.normalizer = normalizers.BertNormalizer(lowercase=uncased, strip_accents=uncased)
        raw.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
        return PreTrainedTokenizerFast(tokenizer_object=raw, unk_token="[UNK]")

    text = ["A ação é boa. É 3 vezes 3"]  # digits are not words
    uncased, cased = vocabulary_fit(text, tokenizer(True)), vocabulary_fit(text, tokenizer(False))
    assert uncased["words"] == cased["words"] == 6  # A, ação, é, boa, É, vezes
    assert uncased["% accents lost"] == pytest.approx(100 * 3 / 6)  # ação, é, É
    assert cased["% accents lost"] == 0  # case kept is not an accent lost
    assert uncased["% split"] == pytest.approx(100 / 6) and cased["% split"] == 0  # a ##cao
    assert uncased["% unknown"] == cased["% unknown"] == pytest.approx(200 / 6)  # boa, vezes
    assert uncased["pieces per word"] == pytest.approx(7 / 6)
    with pytest.raises(ValueError, match="no words"):
        vocabulary_fit(["3 4"], tokenizer(True))
