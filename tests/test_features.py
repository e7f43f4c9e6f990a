"""Tests for qa_tutorial.features: windows, offsets, labels; property tests and real SQuAD v1.1 dev."""

from __future__ import annotations

import copy
import gzip
import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reference_qa import reference_train_labels

from qa_tutorial.features import prepare_eval_features, prepare_train_features, tokenize_windows

WORDS = ["the", "river", "Normandy", "1981", "Beyoncé", "São", "Paulo", "(NFL)", "km2", "60%", "answer",
         "question", "zebra-crossing", "naïve", "x", "é", "—", "Q&A", "rainforest", "championship"]


def _example(context: str, start: int, end: int, question: str = "What is it?", example_id: str = "e0") -> dict:
    return {"id": [example_id], "question": [question], "context": [context],
            "answers": [{"text": [context[start:end]], "answer_start": [start]}]}


def _left_padded(tokenizer):
    left = copy.deepcopy(tokenizer)
    left.padding_side = "left"
    return left


@st.composite
def context_and_answer(draw, word_aligned: bool):
    words = draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=120))
    # punctuation right after a word can merge with it into one byte-level token, so exact mapping is only
    # promised where answer boundaries are token boundaries: white space separators in the word-aligned case
    separators = [" ", "  ", "\n"] if word_aligned else [" ", "  ", ", ", ". ", "\n"]
    seps = draw(st.lists(st.sampled_from(separators), min_size=len(words), max_size=len(words)))
    context = "".join(w + s for w, s in zip(words, seps)).rstrip()
    if word_aligned:
        bounds, pos = [], 0
        for w, s in zip(words, seps):
            bounds.append((pos, pos + len(w)))
            pos += len(w) + len(s)
        i = draw(st.integers(0, len(words) - 1))
        j = draw(st.integers(i, min(len(words) - 1, i + 5)))
        return context, bounds[i][0], bounds[j][1]
    start = draw(st.integers(0, len(context) - 1))
    end = draw(st.integers(start + 1, min(len(context), start + 40)))
    if not context[start:end].strip():
        start, end = 0, len(context)
    # answers are stripped (qa_tutorial.cleaning does it to real data): white space is in no token
    start += len(context[start:end]) - len(context[start:end].lstrip())
    end -= len(context[start:end]) - len(context[start:end].rstrip())
    return context, start, end


def _check_labels(tokenizer, context, start, end, exact, max_length=48, doc_stride=16):
    example = _example(context, start, end)
    train = prepare_train_features(example, tokenizer, max_length=max_length, doc_stride=doc_stride, padding=False)
    evals = prepare_eval_features(example, tokenizer, max_length=max_length, doc_stride=doc_stride, padding=False)
    assert len(train["input_ids"]) == len(evals["input_ids"]) >= 1
    labelled = 0
    for k, offsets in enumerate(evals["offset_mapping"]):
        s, e, cls = train["start_positions"][k], train["end_positions"][k], evals["cls_index"][k]
        context_tokens = [o for o in offsets if o is not None]
        inside = context_tokens[0][0] <= start and context_tokens[-1][1] >= end
        if not inside:
            assert (s, e) == (cls, cls)
            continue
        labelled += 1
        assert offsets[s] is not None and offsets[e] is not None and s <= e
        assert offsets[s][0] <= start and offsets[e][1] >= end  # covers the answer
        if exact:
            assert context[offsets[s][0]:offsets[e][1]] == context[start:end]
        # tightest: no shorter token span covers the answer
        assert offsets[s][1] > start and offsets[e][0] < end
    answer_tokens = len(tokenizer(context[start:end], add_special_tokens=False)["input_ids"])
    if answer_tokens + 2 <= doc_stride:
        assert labelled >= 1, "an answer shorter than the stride lies wholly inside some window"


@pytest.mark.parametrize("side", ["right", "left"])
@pytest.mark.parametrize("kind", ["wordpiece", "bpe"])
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=context_and_answer(word_aligned=True))
def test_word_answers_map_back_exactly(request, kind, side, data):
    tokenizer = request.getfixturevalue(f"{kind}_tokenizer")
    _check_labels(tokenizer if side == "right" else _left_padded(tokenizer), *data, exact=True)


@pytest.mark.parametrize("kind", ["wordpiece", "bpe"])
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=context_and_answer(word_aligned=False))
def test_any_answer_span_is_covered_tightly(request, kind, data):
    _check_labels(request.getfixturevalue(f"{kind}_tokenizer"), *data, exact=False)


def test_unanswerable_examples_get_cls(wordpiece_tokenizer):
    example = {"id": ["u"], "question": ["Why?"], "context": ["the river " * 40],
               "answers": [{"text": [], "answer_start": []}]}
    train = prepare_train_features(example, wordpiece_tokenizer, max_length=32, doc_stride=8)
    assert len(train["input_ids"]) > 1
    assert set(train["start_positions"]) == set(train["end_positions"]) == {0}


def test_left_padding_puts_context_first_and_finds_cls(wordpiece_tokenizer):
    left = _left_padded(wordpiece_tokenizer)
    context = "the river Normandy " * 3
    example = _example(context, 10, 18)
    train = prepare_train_features(example, left, max_length=40, doc_stride=8)
    evals = prepare_eval_features(example, left, max_length=40, doc_stride=8)
    ids = train["input_ids"][0]
    assert ids[0] == left.pad_token_id  # padding on the left
    cls = evals["cls_index"][0]
    assert ids[cls] == left.cls_token_id and cls > 0
    s, e = train["start_positions"][0], train["end_positions"][0]
    offsets = evals["offset_mapping"][0]
    assert context[offsets[s][0]:offsets[e][1]] == "Normandy"
    assert s < ids.index(left.sep_token_id)  # the context comes before the question


def test_eval_features_mark_non_context_tokens(bpe_tokenizer):
    context = " ".join(WORDS * 4)
    example = _example(context, 0, 3, example_id="abc")
    evals = prepare_eval_features(example, bpe_tokenizer, max_length=64, doc_stride=16)
    assert len(evals["input_ids"]) > 1 and all(len(x) == 64 for x in evals["input_ids"])
    assert evals["example_id"] == ["abc"] * len(evals["input_ids"])
    for k, offsets in enumerate(evals["offset_mapping"]):
        sequence = tokenize_windows(example, bpe_tokenizer, max_length=64, doc_stride=16).sequence_ids(k)
        assert [o is not None for o in offsets] == [s == 1 for s in sequence]


def test_consecutive_windows_overlap_by_stride(wordpiece_tokenizer):
    context = " ".join(WORDS * 6)
    evals = prepare_eval_features(_example(context, 0, 3), wordpiece_tokenizer, max_length=48, doc_stride=12,
                                  padding=False)
    spans = [[tuple(o) for o in offsets if o is not None] for offsets in evals["offset_mapping"]]
    for previous, current in zip(spans, spans[1:]):
        assert previous[-12:] == current[:12]
    assert spans[0][0][0] == 0 and spans[-1][-1][1] == len(context)


def test_works_in_dataset_map(wordpiece_tokenizer):
    datasets = pytest.importorskip("datasets")
    context = " ".join(WORDS * 5)
    rows = _example(context, 4, 9)
    ds = datasets.Dataset.from_dict({k: v * 3 for k, v in rows.items()})
    ds = ds.map(lambda b, i: {"id": [f"e{j}" for j in i]}, batched=True, with_indices=True)
    train = ds.map(prepare_train_features, batched=True, remove_columns=ds.column_names,
                   fn_kwargs={"tokenizer": wordpiece_tokenizer, "max_length": 48, "doc_stride": 12})
    evals = ds.map(prepare_eval_features, batched=True, remove_columns=ds.column_names,
                   fn_kwargs={"tokenizer": wordpiece_tokenizer, "max_length": 48, "doc_stride": 12})
    assert len(train) == len(evals) > 3
    assert {"input_ids", "attention_mask", "start_positions", "end_positions"} <= set(train.column_names)
    assert evals[0]["offset_mapping"][0] is None and evals[0]["example_id"] == "e0"


def test_slow_tokenizer_is_rejected(wordpiece_tokenizer):
    class Slow:
        is_fast = False
        padding_side = "right"

    with pytest.raises(TypeError, match="slow"):
        prepare_train_features(_example("some context", 0, 4), Slow())


def test_question_too_long_names_the_example(wordpiece_tokenizer):
    example = _example("the river " * 50, 0, 3, question="the river " * 40, example_id="long-q")
    with pytest.raises(ValueError, match="long-q"):
        prepare_train_features(example, wordpiece_tokenizer, max_length=64, doc_stride=16)


def test_question_leaving_less_than_stride(wordpiece_tokenizer):
    # 30 question tokens leave 64 - 3 - 30 = 31 context tokens, fewer than doc_stride=40: no clean window
    example = _example("the river " * 50, 0, 3, question="river " * 30, example_id="q-stride")
    with pytest.raises(ValueError, match="q-stride.*doc_stride=40"):
        prepare_eval_features(example, wordpiece_tokenizer, max_length=64, doc_stride=40)


def test_stride_larger_than_window(wordpiece_tokenizer):
    with pytest.raises(ValueError, match="doc_stride"):
        prepare_train_features(_example("the river", 0, 3), wordpiece_tokenizer, max_length=32, doc_stride=30)


def test_empty_context(wordpiece_tokenizer):
    example = _example("   ", 0, 1, example_id="blank")
    with pytest.raises(ValueError, match="blank.*empty context"):
        prepare_eval_features(example, wordpiece_tokenizer)


# ---------------------------------------------------------------------------------------- real data: SQuAD v1.1 dev
@pytest.fixture(scope="module")
def squad_dev(data_dir):
    document = json.load(gzip.open(data_dir / "squad-v1.1" / "dev.json.gz", "rt", encoding="utf-8"))
    columns = {"id": [], "question": [], "context": [], "answers": []}
    for article in document["data"]:
        for paragraph in article["paragraphs"]:
            for qa in paragraph["qas"]:
                columns["id"].append(qa["id"])
                columns["question"].append(qa["question"])
                columns["context"].append(paragraph["context"])
                columns["answers"].append({"text": [a["text"] for a in qa["answers"]],
                                           "answer_start": [a["answer_start"] for a in qa["answers"]]})
    return columns


@pytest.mark.slow
@pytest.mark.realdata
def test_squad_dev_labels_round_trip(squad_dev, squad_tokenizer):
    train = prepare_train_features(squad_dev, squad_tokenizer)
    evals = prepare_eval_features(squad_dev, squad_tokenizer)
    row = {example_id: k for k, example_id in enumerate(squad_dev["id"])}
    exact = set()
    for k, example_id in enumerate(evals["example_id"]):
        s, e = train["start_positions"][k], train["end_positions"][k]
        if s == evals["cls_index"][k]:
            continue
        e_row = row[example_id]
        offsets = evals["offset_mapping"][k]
        text = squad_dev["context"][e_row][offsets[s][0]:offsets[e][1]]
        if text == squad_dev["answers"][e_row]["text"][0]:
            exact.add(example_id)
    share = len(exact) / len(squad_dev["id"])
    print(f"SQuAD v1.1 dev: {len(train['input_ids'])} features; labels map back exactly for "
          f"{len(exact)}/{len(squad_dev['id'])} answers = {share:.2%}")
    assert share >= 0.99


@pytest.mark.slow
@pytest.mark.realdata
def test_squad_dev_feature_count_matches_plain_tokenizer_windows(squad_dev, squad_tokenizer):
    """The seeds' recipe: tokenizer(question.lstrip(), context, only_second, 384, stride 128, overflow)."""
    plain = squad_tokenizer([q.lstrip() for q in squad_dev["question"]], squad_dev["context"],
                            truncation="only_second", max_length=384, stride=128, return_overflowing_tokens=True)
    ours = prepare_eval_features(squad_dev, squad_tokenizer, padding=False)
    assert len(ours["input_ids"]) == len(plain["input_ids"]) > len(squad_dev["id"])
    assert ours["input_ids"] == plain["input_ids"]


@pytest.mark.realdata
@pytest.mark.parametrize("padding", ["max_length", False])
@pytest.mark.parametrize("side", ["right", "left"])
def test_squad_labels_match_token_scan(squad_dev, squad_tokenizer, padding, side):
    tokenizer = squad_tokenizer if side == "right" else _left_padded(squad_tokenizer)
    subset = {k: v[:600] for k, v in squad_dev.items()}
    train = prepare_train_features(subset, tokenizer, max_length=128, doc_stride=32, padding=padding)
    encoding = tokenize_windows(subset, tokenizer, max_length=128, doc_stride=32, padding=padding)
    mapping = encoding["overflow_to_sample_mapping"]
    context_id = 1 if side == "right" else 0
    cls = [ids.index(tokenizer.cls_token_id) for ids in encoding["input_ids"]]
    expected = [reference_train_labels({"answers": subset["answers"][mapping[k]]}, encoding["offset_mapping"][k],
                                       encoding.sequence_ids(k), context_id, cls[k])
                for k in range(len(mapping))]
    assert list(zip(train["start_positions"], train["end_positions"])) == expected
    assert np.mean([s != c for (s, _), c in zip(expected, cls)]) > 0.3  # a real share of windows hold the answer


@pytest.mark.realdata
@pytest.mark.parametrize("side", ["right", "left"])
def test_eval_offsets_match_a_per_token_sequence_id_test(squad_dev, squad_tokenizer, side):
    """transformers' run_qa.py rule: a token keeps its offsets exactly when its sequence id is the context's."""
    tokenizer = squad_tokenizer if side == "right" else _left_padded(squad_tokenizer)
    subset = {k: v[:600] for k, v in squad_dev.items()}
    evals = prepare_eval_features(subset, tokenizer, max_length=128, doc_stride=32)
    encoding = tokenize_windows(subset, tokenizer, max_length=128, doc_stride=32)
    context_id = 1 if side == "right" else 0
    expected = [[tuple(o) if seq == context_id else None for o, seq in zip(offs, encoding.sequence_ids(k))]
                for k, offs in enumerate(encoding["offset_mapping"])]
    assert [[None if o is None else tuple(o) for o in offs] for offs in evals["offset_mapping"]] == expected
    assert evals["example_id"] == [subset["id"][s] for s in encoding["overflow_to_sample_mapping"]]
    assert len(expected) > len(subset["id"])  # some contexts span several windows



@pytest.mark.parametrize("side", ["right", "left"])
def test_context_helpers_agree_with_sequence_ids(wordpiece_tokenizer, side):
    """context_sequence_id / context_token_bounds / cls_positions: the one place each is worked out."""
    from qa_tutorial.features import cls_positions, context_sequence_id, context_token_bounds

    tokenizer = wordpiece_tokenizer if side == "right" else _left_padded(wordpiece_tokenizer)
    example = _example("the river Normandy flows north " * 6, 10, 18)
    encoding = tokenize_windows(example, tokenizer, max_length=40, doc_stride=8)
    context = context_sequence_id(tokenizer)
    assert context == (1 if side == "right" else 0)
    starts, ends = context_token_bounds(encoding, tokenizer)
    cls = cls_positions(encoding["input_ids"], tokenizer)
    assert len(starts) == len(encoding["input_ids"]) > 1
    for w in range(len(starts)):
        inside = [t for t, s in enumerate(encoding.sequence_ids(w)) if s == context]
        assert (starts[w], ends[w]) == (inside[0], inside[-1])
        assert encoding["input_ids"][w][cls[w]] == tokenizer.cls_token_id
    assert cls.tolist() == prepare_eval_features(example, tokenizer, max_length=40, doc_stride=8)["cls_index"]
