"""Tests of qa_tutorial.answering: output format, ordering, offsets, batching, errors, and parity with the
transformers 4.57 question-answering pipeline (run where that pipeline exists, skipped elsewhere)."""

from __future__ import annotations

import gzip
import json

import numpy as np
import pytest
import torch

from qa_tutorial.answering import QuestionAnswerer, window_span_candidates
from qa_tutorial.models import build_tiny_bert_qa, build_tiny_longformer_qa


@pytest.fixture(scope="module")
def squad_items(data_dir):
    """Real SQuAD v1.1 dev (question, context) pairs: first question of the first two paragraphs of three articles."""
    with gzip.open(data_dir / "squad-v1.1" / "dev.json.gz", "rt", encoding="utf-8") as f:
        document = json.load(f)
    items = [(p["qas"][0]["question"], p["context"]) for a in document["data"][:3] for p in a["paragraphs"][:2]]
    return [q for q, _ in items], [c for _, c in items]


@pytest.fixture(scope="module")
def bert(squad_tokenizer):
    return build_tiny_bert_qa(squad_tokenizer, seed=1).eval(), squad_tokenizer


@pytest.fixture(scope="module")
def small_bert(wordpiece_tokenizer):
    return build_tiny_bert_qa(wordpiece_tokenizer, seed=2).eval(), wordpiece_tokenizer


CONTEXT = "The Normans gave their name to Normandy, a region in France, in the 10th and 11th centuries."


def test_window_span_candidates_by_hand():
    # CLS, two question tokens, then context tokens of probabilities 1/8, 1/8, 2/8, 4/8 (CLS takes no share here)
    logits = np.log(np.array([[1e-30, 1.0, 1.0, 1.0, 1.0, 2.0, 4.0]], dtype=np.float32))
    allowed = np.array([[True, False, False, True, True, True, True]])
    s, e, p, null = window_span_candidates(logits, logits, allowed, np.array([0]), n_candidates=3, max_answer_length=2)
    assert s.tolist() == [[6, 5, 5]] and e.tolist() == [[6, 6, 5]]  # 1/4, 1/8, 1/16
    np.testing.assert_allclose(p, [[0.25, 0.125, 0.0625]], rtol=1e-6)
    assert null[0] < 1e-20
    # max_answer_length=1: only single tokens; a span 5..6 is no longer a candidate
    s, e, _, _ = window_span_candidates(logits, logits, allowed, np.array([0]), n_candidates=3, max_answer_length=1)
    assert s.tolist() == e.tolist()


def test_one_input_gives_a_dict_that_slices_the_context(small_bert):
    model, tok = small_bert
    qa = QuestionAnswerer(model, tok, top_k=1)
    out = qa(question="Who gave their name to Normandy?", context=CONTEXT)
    assert set(out) == {"score", "start", "end", "answer"}
    assert CONTEXT[out["start"]:out["end"]] == out["answer"] and out["answer"]
    assert 0.0 < out["score"] <= 1.0


def test_top_k_ordering_and_offsets(small_bert):
    model, tok = small_bert
    qa = QuestionAnswerer(model, tok)
    out = qa(question="Where is Normandy?", context=CONTEXT, top_k=5, max_answer_len=4)
    assert isinstance(out, list) and len(out) == 5
    scores = [a["score"] for a in out]
    assert scores == sorted(scores, reverse=True)
    assert len({a["answer"].lower() for a in out}) == 5  # equal texts are merged
    enc = tok(CONTEXT, add_special_tokens=False, return_offsets_mapping=True)
    for a in out:
        assert CONTEXT[a["start"]:a["end"]] == a["answer"]
        covered = [(w, s, e) for w, (s, e) in zip(enc.word_ids(), enc["offset_mapping"])
                   if s < a["end"] and e > a["start"]]  # context tokens in the answer, with their word
        words = {w for w, _, _ in covered}
        assert 1 <= len(words) <= 4  # at most 4 tokens, each widened to its whole word
        assert covered[0][1] == a["start"] and covered[-1][2] == a["end"]
        assert all(w in words for w, s, e in covered) and len(covered) == sum(w in words for w in enc.word_ids())
    best = qa(question="Where is Normandy?", context=CONTEXT, max_answer_len=4)
    # the same best span; top_k=5 looks at more token spans, and those widened to the same words add up
    assert {k: best[k] for k in ("answer", "start", "end")} == {k: out[0][k] for k in ("answer", "start", "end")}
    assert 0 < best["score"] <= out[0]["score"] + 1e-7


def test_impossible_answer_and_list_forms(small_bert):
    model, tok = small_bert
    qa = QuestionAnswerer(model, tok, top_k=10_000, handle_impossible_answer=True)
    out = qa(question="Where is Normandy?", context=CONTEXT)  # every candidate
    nulls = [a for a in out if a["answer"] == ""]
    assert len(nulls) == 1 and nulls[0]["start"] == nulls[0]["end"] == 0 and nulls[0]["score"] > 0
    assert all(a["start"] < a["end"] for a in out if a["answer"])
    assert "" not in [a["answer"] for a in qa(question="Where is Normandy?", context=CONTEXT,
                                              handle_impossible_answer=False)]
    many = qa(question=["Where is Normandy?", "Who?"], context=CONTEXT, top_k=1)
    assert isinstance(many, list) and len(many) == 2 and all(isinstance(a, dict) for a in many)
    broadcast = qa(question="Who?", context=[CONTEXT, CONTEXT[:40]], top_k=1)
    assert broadcast[0] == many[1] and broadcast[1]["end"] <= 40


def test_long_context_uses_windows_and_batching_changes_nothing(bert, squad_items):
    model, tok = bert
    questions, contexts = squad_items
    n_tokens = [len(tok(c)["input_ids"]) for c in contexts]
    assert max(n_tokens) > 96  # several windows
    kwargs = {"max_seq_len": 96, "doc_stride": 32, "top_k": 3, "handle_impossible_answer": True}
    one = QuestionAnswerer(model, tok, batch_size=1, **kwargs)(question=questions, context=contexts)
    eight = QuestionAnswerer(model, tok, batch_size=8, **kwargs)(question=questions, context=contexts)
    for a, b, context in zip(one, eight, contexts):
        assert [x["answer"] for x in a] == [x["answer"] for x in b]
        np.testing.assert_allclose([x["score"] for x in a], [x["score"] for x in b], rtol=1e-4, atol=1e-7)
        for x in a:
            assert context[x["start"]:x["end"]] == x["answer"]
    # answers come from the whole context, not only from the first window
    assert any(x["start"] > 200 for a in one for x in a)


def test_longformer_answers(bpe_tokenizer):
    model = build_tiny_longformer_qa(bpe_tokenizer, attention_window=16, max_length=256).eval()
    qa = QuestionAnswerer(model, bpe_tokenizer, max_seq_len=64, doc_stride=16, top_k=2, batch_size=4)
    context = " ".join([CONTEXT] * 4)
    out = qa(question="Where is Normandy?", context=context)
    assert len(out) == 2 and out[0]["score"] >= out[1]["score"]
    assert all(context[a["start"]:a["end"]] == a["answer"] for a in out)


@pytest.mark.parametrize("kwargs, error", [
    ({"question": "", "context": CONTEXT}, ValueError),
    ({"question": "Who?", "context": "   "}, ValueError),
    ({"question": ["a?", "b?"], "context": [CONTEXT] * 3}, ValueError),
    ({"question": "Who?", "context": CONTEXT, "top_k": 0}, ValueError),
    ({"question": "Who?", "context": CONTEXT, "max_answer_len": 0}, ValueError),
    ({"question": "Who?", "context": CONTEXT, "stride": 3}, TypeError),
    ({"question": " ".join(["Normandy"] * 80) + "?", "context": CONTEXT, "max_seq_len": 64}, ValueError),
])
def test_errors(small_bert, kwargs, error):
    model, tok = small_bert
    with pytest.raises(error):
        QuestionAnswerer(model, tok)(**kwargs)


def test_slow_tokenizer_is_refused(small_bert):
    model, _ = small_bert

    class Slow:
        is_fast = False

    with pytest.raises(TypeError, match="slow"):
        QuestionAnswerer(model, Slow())


def _pipeline_or_skip():
    transformers = pytest.importorskip("transformers")
    if not hasattr(transformers, "QuestionAnsweringPipeline"):
        pytest.skip(f"transformers {transformers.__version__} has no question-answering pipeline (removed in 5.3)")
    return transformers.pipeline


def _assert_same(got, expected, top_k):
    """Compare one QuestionAnswerer result with one pipeline result (which is a bare dict when one answer is left)."""
    expected = expected if isinstance(expected, list) or top_k == 1 else [expected]
    got, expected = (got, expected) if top_k > 1 else ([got], [expected])
    assert [(a["answer"], a["start"], a["end"]) for a in got] == [(a["answer"], a["start"], a["end"]) for a in expected]
    np.testing.assert_allclose([a["score"] for a in got], [a["score"] for a in expected], rtol=0, atol=1e-5)


@pytest.mark.parametrize("settings", [
    {"top_k": 1},
    {"top_k": 3, "handle_impossible_answer": True},
    {"top_k": 1, "handle_impossible_answer": True, "max_seq_len": 64, "doc_stride": 16},
    {"top_k": 3, "max_seq_len": 96, "doc_stride": 32, "max_answer_len": 5},
    {"top_k": 3, "handle_impossible_answer": True, "max_seq_len": 128, "doc_stride": 32, "max_answer_len": 30},
])
def test_parity_with_the_457_pipeline(bert, squad_items, settings):
    pipeline = _pipeline_or_skip()
    model, tok = bert
    pipe = pipeline("question-answering", model=model, tokenizer=tok, device=torch.device("cpu"))
    questions, contexts = squad_items
    assert max(len(tok(q, c)["input_ids"]) for q, c in zip(questions, contexts)) > 128  # several windows
    mine = QuestionAnswerer(model, tok, batch_size=4)(question=questions, context=contexts, **settings)
    for question, context, got in zip(questions, contexts, mine):
        _assert_same(got, pipe(question=question, context=context, **settings), settings["top_k"])


@pytest.mark.parametrize("settings", [{"top_k": 3, "max_seq_len": 64, "doc_stride": 16},
                                      {"top_k": 1, "handle_impossible_answer": True, "max_seq_len": 96, "doc_stride": 32}])
def test_longformer_parity_with_the_457_pipeline(bpe_tokenizer, settings):
    pipeline = _pipeline_or_skip()
    from conftest import CORPUS

    model = build_tiny_longformer_qa(bpe_tokenizer, attention_window=16, max_length=256).eval()
    pipe = pipeline("question-answering", model=model, tokenizer=bpe_tokenizer, device=torch.device("cpu"))
    context = " ".join(CORPUS)
    got = QuestionAnswerer(model, bpe_tokenizer, batch_size=4)(question="Where is Normandy?", context=context,
                                                               **settings)
    _assert_same(got, pipe(question="Where is Normandy?", context=context, **settings), settings["top_k"])
