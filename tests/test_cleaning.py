"""Tests for qa_tutorial.cleaning: every repair rule by hand, then the real defects of the data mirror."""

from __future__ import annotations

import functools
import html
from pathlib import Path

import datasets
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qa_tutorial.cleaning import CleaningReport, SquadFormatError, clean_squad, original_offsets, unescape_with_offsets
from qa_tutorial.data import SQUAD_FEATURES, read_squad_json


def columns(*rows: tuple) -> dict[str, list]:
    """Hub columns from (id, context, question, texts, starts) rows."""
    out: dict[str, list] = {"id": [], "title": [], "context": [], "question": [], "answers": []}
    for qid, context, question, texts, starts in rows:
        out["id"].append(qid)
        out["title"].append("T")
        out["context"].append(context)
        out["question"].append(question)
        out["answers"].append({"text": list(texts), "answer_start": list(starts)})
    return out


def spans_hold(cols: dict[str, list]) -> bool:
    return all(c[s : s + len(t)] == t for c, a in zip(cols["context"], cols["answers"])
               for t, s in zip(a["text"], a["answer_start"]))


# ---------- unescape with offsets ----------

def test_unescape_maps_every_character():
    text = "a &quot;b&quot; &amp; c&#39;s"
    new, offsets = unescape_with_offsets(text)
    assert new == "a \"b\" & c's"
    assert len(offsets) == len(text) + 1
    assert offsets[text.index("b")] == new.index("b")
    assert offsets[text.index("c")] == new.index("c")
    assert offsets[3] == offsets[7] == 2  # inside the first &quot; -> its replacement
    assert offsets[len(text)] == len(new)


@pytest.mark.parametrize("text", ["AT&T", "Texas A&M", "a & b", "&foo; is not an entity", "no entity"])
def test_unescape_leaves_non_entities(text):
    assert unescape_with_offsets(text) == (text, None)


# ---------- each rule by hand ----------

def test_duplicate_ids_keep_the_last_entry():
    cols = columns(("q1", "old context", "old?", ["old"], [0]),
                   ("q2", "other", "x?", ["other"], [0]),
                   ("q1", "new context", "new?", ["new"], [0]))
    cleaned, report = clean_squad(cols)
    assert cleaned["id"] == ["q2", "q1"]
    assert cleaned["question"] == ["x?", "new?"]
    assert cleaned["answers"][1] == {"text": ["new"], "answer_start": [0]}
    assert report.duplicate_ids_removed == 1 and report.examples_out == 2


def test_leading_whitespace_of_context_shifts_answer_start():
    cols = columns(("q", "   Paris is big.  ", " Where? ", ["big"], [12]))
    cleaned, report = clean_squad(cols)
    assert cleaned["context"] == ["Paris is big."]
    assert cleaned["question"] == ["Where?"]
    assert cleaned["answers"] == [{"text": ["big"], "answer_start": [9]}]
    assert (report.contexts_stripped, report.questions_stripped, report.answer_starts_moved) == (1, 1, 1)
    assert report.answer_starts_repaired == 0


def test_answer_with_leading_whitespace_moves_its_start_forward():
    cols = columns(("q", "It was in  1990 exactly.", "When?", ["  1990 "], [9]))
    cleaned, report = clean_squad(cols)
    assert cleaned["answers"] == [{"text": ["1990"], "answer_start": [11]}]
    assert report.answers_stripped == 1 and report.answer_starts_repaired == 0


def test_entity_before_answer_shifts_its_start():
    context = "He said &quot;no&quot; to Rome &amp; Paris."
    cols = columns(("q", context, "To whom?", ["Rome", "&quot;no&quot;"], [context.index("Rome"), 8]))
    cleaned, report = clean_squad(cols)
    assert cleaned["context"] == ['He said "no" to Rome & Paris.']
    assert cleaned["answers"] == [{"text": ["Rome", '"no"'], "answer_start": [16, 8]}]
    assert report.contexts_unescaped == 1 and report.answers_unescaped == 1
    assert report.answer_starts_moved == 1 and report.answer_starts_repaired == 0


def test_wrong_start_is_repaired_to_the_nearest_occurrence():
    context = "cat dog cat dog cat"  # "cat" at 0, 8 and 16
    cols = columns(("near", context, "?", ["cat"], [5]),  # 8 is 3 away, 0 is 5 away
                   ("tie", context, "?", ["cat"], [4]),  # 0 and 8 are both 4 away: the earlier wins
                   ("end", context, "?", ["cat"], [14]))
    cleaned, report = clean_squad(cols)
    assert [a["answer_start"] for a in cleaned["answers"]] == [[8], [0], [16]]
    assert report.answer_starts_repaired == 3
    assert report.repair_shifts == {3: 1, -4: 1, 2: 1}


def test_missing_empty_and_outside_answers_are_dropped_and_counted():
    cols = columns(("gone", "abc", "?", ["xyz"], [0]),
                   ("empty", "abc", "?", ["", "b"], [0, 1]),
                   ("minus", "abc.", "?", ["."], [-1]))
    cleaned, report = clean_squad(cols)
    assert cleaned["answers"] == [{"text": [], "answer_start": []}, {"text": ["b"], "answer_start": [1]},
                                  {"text": [], "answer_start": []}]
    dropped = (report.answers_dropped_not_found, report.answers_dropped_empty, report.answers_dropped_bad_start)
    assert dropped == (1, 1, 1)
    assert report.questions_left_without_answers == 2
    assert (report.answers_in, report.answers_out) == (4, 1)


def test_unanswerable_questions_are_not_counted_as_losing_answers():
    cleaned, report = clean_squad(columns(("v2", "abc", "?", [], [])))
    assert cleaned["answers"] == [{"text": [], "answer_start": []}]
    assert report.questions_left_without_answers == 0 and not report.changed


@pytest.mark.parametrize("texts, starts, words", [(["dog"], [0], "does not match"), ([""], [0], "empty"),
                                                  (["cat"], [-1], "outside")])
def test_strict_raises_naming_source_and_question(texts, starts, words):
    with pytest.raises(SquadFormatError, match=rf"my\.json: question id 'q7'.*{words}"):
        clean_squad(columns(("q7", "cat dog", "?", texts, starts)), source="my.json", strict=True)


def test_dataset_in_dataset_out_with_extra_columns():
    cols = columns(("a", " x y ", "?", ["y"], [3]))
    cols["is_impossible"] = [False]
    features = datasets.Features({**SQUAD_FEATURES, "is_impossible": datasets.Value("bool")})
    cleaned, report = clean_squad(datasets.Dataset.from_dict(cols, features=features))
    assert isinstance(cleaned, datasets.Dataset) and cleaned.features == features
    assert cleaned[0]["answers"] == {"text": ["y"], "answer_start": [2]} and cleaned[0]["is_impossible"] is False
    assert report.examples_out == 1


def test_answers_as_official_list_of_dicts_are_accepted_and_bad_types_named():
    cols = columns(("q", "abc", "?", [], []))
    cols["answers"] = [[{"text": "b", "answer_start": 1}]]
    cleaned, _ = clean_squad(cols)
    assert cleaned["answers"] == [{"text": ["b"], "answer_start": [1]}]
    cols["answers"] = [{"text": ["b"], "answer_start": ["1"]}]
    with pytest.raises(SquadFormatError, match=r"f\.json: question id 'q': answer texts must be strings"):
        clean_squad(cols, source="f.json")
    cols["answers"] = [{"text": ["b", "c"], "answer_start": [1]}]
    with pytest.raises(SquadFormatError, match="equally long"):
        clean_squad(cols)


def test_missing_columns_error_names_source():
    with pytest.raises(SquadFormatError, match=r"f\.json: missing column\(s\) \['answers'\]"):
        clean_squad({"id": [], "context": [], "question": []}, source="f.json")


def test_report_summary_is_readable():
    _, report = clean_squad(columns(("a", "cat cat", "?", ["cat"], [1])), source="s.json")
    text = str(report)
    assert text == report.summary() and text.startswith("Cleaning s.json: 1 examples in, 1 out")
    assert "answer starts repaired: 1" in text and "-1: 1" in text  # "cat" at 0 is nearer to 1 than at 4
    _, clean_report = clean_squad(columns(("a", "cat", "?", ["cat"], [0])))
    assert not clean_report.changed and "nothing to repair" in str(clean_report)
    assert isinstance(clean_report, CleaningReport)


_pieces = st.lists(st.sampled_from(["a", "b", " ", "\n", "&quot;", "&amp;", "&#39;", "&lt;", "x&y", "é"]),
                   min_size=1, max_size=30)


@settings(max_examples=200, deadline=None)
@given(pieces=_pieces, data=st.data())
def test_consistent_answers_survive_cleaning_unrepaired(pieces, data):
    """Any answer that matches its raw context still matches after unescape and strip, with the same text."""
    i = data.draw(st.integers(0, len(pieces) - 1))
    j = data.draw(st.integers(i + 1, len(pieces)))
    pad = data.draw(st.sampled_from(["", "Z"]))  # with "": the context itself may start with whitespace
    context, text = pad + "".join(pieces) + pad, "".join(pieces[i:j])
    start = len(pad + "".join(pieces[:i]))
    cleaned, report = clean_squad(columns(("q", context, "?", [text], [start])))
    assert spans_hold(cleaned)
    assert report.answer_starts_repaired == 0 and report.answers_dropped_not_found == 0
    expected = html.unescape(text).strip()
    assert cleaned["answers"][0]["text"] == ([expected] if expected else [])


# ---------- the real defects of the mirror (README counts) ----------

@functools.cache
def _read(path: Path) -> dict[str, list]:
    return read_squad_json(path)


def real(data_dir: Path, name: str) -> tuple[dict[str, list], dict[str, list], CleaningReport]:
    raw = _read(data_dir / name)
    cleaned, report = clean_squad(raw, source=name)
    return raw, cleaned, report


FILES = ["squad-v1.1/dev.json.gz", "squad-v2.0/dev.reconstructed.json.gz", "squad-pt-v1.1/train-sample.json.gz",
         "squad-pt-v2.0/dev.json.gz", "faquad-pt/train.json.gz", "faquad-pt/dev.json.gz",
         "covid-qa/covid-qa-200423.json.gz"]


@pytest.mark.realdata
@pytest.mark.parametrize("name", FILES)
def test_every_answer_matches_its_context_after_cleaning(data_dir, name):
    raw, cleaned, report = real(data_dir, name)
    assert spans_hold(cleaned)
    assert all(t and t == t.strip() for a in cleaned["answers"] for t in a["text"])
    assert all(c == c.strip() for c in cleaned["context"])
    assert report.duplicate_ids_removed == 0  # README: no staged file has duplicate ids
    for before, after in zip(raw["answers"], cleaned["answers"]):  # texts only unescaped and stripped
        assert set(after["text"]) <= {html.unescape(t).strip() for t in before["text"]}
    assert report.answers_out == sum(len(a["text"]) for a in cleaned["answers"])


@pytest.mark.realdata
def test_squad_v1_dev_needs_no_repair(data_dir):
    _, cleaned, report = real(data_dir, "squad-v1.1/dev.json.gz")
    assert (report.examples_out, report.answers_in, report.answers_out) == (10570, 34726, 34726)
    assert report.answer_starts_repaired == report.contexts_unescaped == 0
    assert report.answers_dropped_not_found == report.answers_dropped_empty == 0


@pytest.mark.realdata
def test_squad_v2_dev_keeps_its_unanswerable_questions(data_dir):
    _, cleaned, report = real(data_dir, "squad-v2.0/dev.reconstructed.json.gz")
    assert report.examples_out == 11873
    assert sum(not a["text"] for a in cleaned["answers"]) == 5945
    assert report.answer_starts_repaired == report.questions_left_without_answers == 0


@pytest.mark.realdata
def test_covid_qa_shifted_offsets_are_all_repaired(data_dir):
    raw, cleaned, report = real(data_dir, "covid-qa/covid-qa-200423.json.gz")
    assert report.answer_starts_repaired == 234
    assert dict(report.repair_shifts) == {-1: 196, 3: 28, 2: 10}  # measured on the raw answer text
    assert report.answers_out == report.answers_in == 1380
    assert report.contexts_unescaped == 2  # &rsquo; and &minus; in two articles
    # Why: the offsets were measured on the stripped context and stripped answer. After cleaning (which
    # strips both) 232 repaired answers land exactly on their given answer_start.
    # The other two follow three "&minus;" (7 characters each, 1 once unescaped): 18 characters earlier.
    moves = sorted(after["answer_start"][0] - s for c, before, after in zip(raw["context"], raw["answers"],
                                                                          cleaned["answers"])
                   for t, s in zip(before["text"], before["answer_start"]) if c[s : s + len(t)] != t)
    assert moves == [-18, -18] + [0] * 232


@pytest.mark.realdata
def test_covid_qa_strict_names_the_file_and_question(data_dir):
    with pytest.raises(SquadFormatError, match=r"covid-qa\.json\.gz: question id '\d+'"):
        clean_squad(_read(data_dir / "covid-qa/covid-qa-200423.json.gz"), source="covid-qa.json.gz", strict=True)


@pytest.mark.realdata
def test_portuguese_v2_dev_minus_one_starts(data_dir):
    """README: 163 mismatched answer_start. All are -1 on punctuation ('.' 153 times): dropped, not guessed."""
    raw, cleaned, report = real(data_dir, "squad-pt-v2.0/dev.json.gz")
    assert report.answers_dropped_bad_start == 163
    assert report.answers_dropped_empty == 113  # empty answer texts, not in the README's count
    assert report.answer_starts_repaired == 0
    assert report.questions_left_without_answers == 163 + 113
    assert sum(not a["text"] for a in raw["answers"]) == 5945  # no "answers" key: unanswerable


@pytest.mark.realdata
@pytest.mark.parametrize("name, repaired, dropped", [("faquad-pt/train.json.gz", 30, 0),
                                                     ("faquad-pt/dev.json.gz", 3, 1)])
def test_faquad_mismatched_starts(data_dir, name, repaired, dropped):
    """README: 30 (train) and 4 (dev) mismatches; one dev answer reads 'dirigindo- se', not in its context."""
    _, _, report = real(data_dir, name)
    assert (report.answer_starts_repaired, report.answers_dropped_not_found) == (repaired, dropped)


@pytest.mark.realdata
def test_squad_pt_sample_entities_and_missing_answers(data_dir):
    raw, cleaned, report = real(data_dir, "squad-pt-v1.1/train-sample.json.gz")
    assert (report.answers_in, report.answers_dropped_not_found, report.answers_out) == (3286, 1176, 2110)
    # README: 256 of 506 contexts hold &quot; or &#39;; three more hold only &amp; or &lt;.
    assert sum("&quot;" in c or "&#39;" in c for c in set(raw["context"])) == 256
    assert report.contexts_unescaped == 259
    assert not any("&quot;" in c for c in cleaned["context"])
    assert report.answer_starts_moved > 0  # answers after an entity moved left with the text


_PIECES = st.sampled_from(["Tom", " ", "  ", "\n", "&amp;", "&quot;", "&#39;", "Jerry", "&", "x;", "é", "&eacute;"])


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES, min_size=1, max_size=12), st.data())
def test_original_offsets_index_the_raw_context(pieces, data):
    raw = "".join(pieces)
    columns = {"id": ["q"], "title": ["T"], "context": [raw], "question": ["Q?"],
               "answers": [{"text": [], "answer_start": []}]}
    cleaned = clean_squad(columns)[0]["context"][0]
    start = data.draw(st.integers(0, len(cleaned)))
    end = data.draw(st.integers(start, len(cleaned)))
    [(raw_start, raw_end)] = original_offsets(raw, [(start, end)])
    assert 0 <= raw_start <= raw_end <= len(raw)
    # the raw span, cleaned the same way, gives back the cleaned span's text
    assert html.unescape(raw[raw_start:raw_end]) == cleaned[start:end]
