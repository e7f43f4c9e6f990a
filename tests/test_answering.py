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


def _softmax_over(logits, positions):
    """{position: probability}, a softmax over ``logits[positions]`` only."""
    values = np.exp(logits[positions] - logits[positions].max())
    return dict(zip(positions, values / values.sum()))


@pytest.fixture(scope="module")
def longformer(bpe_tokenizer):
    return build_tiny_longformer_qa(bpe_tokenizer, attention_window=16, max_length=256).eval()


def _direct_answers(model, tokenizer, question, context, *, max_length, doc_stride, max_answer_length, top_k,
                    handle_impossible_answer=False):
    """The documented rule, computed plainly: each window forwarded alone with ``model(...)``; in each window a
    softmax over the context tokens and CLS; span score p_start * p_end (CLS excluded, at most max_answer_length
    tokens); the best 2 * top_k + 10 spans of each window (as QuestionAnswerer keeps them) widened to whole words;
    equal texts (ignoring case) of all windows add their scores; the empty answer scores the minimum CLS score."""
    encoding = tokenizer(question.lstrip(), context, truncation="only_second", max_length=max_length,
                         stride=doc_stride, return_overflowing_tokens=True, return_offsets_mapping=True)
    found, null = {}, float("inf")
    for w, ids in enumerate(encoding["input_ids"]):
        with torch.no_grad():
            out = model(input_ids=torch.tensor([ids]), attention_mask=torch.ones(1, len(ids), dtype=torch.long))
        context_tokens = [t for t, s in enumerate(encoding.sequence_ids(w)) if s == 1]
        cls = ids.index(tokenizer.cls_token_id)
        allowed = [cls, *context_tokens]

        p_start, p_end = (_softmax_over(logits[0].double().numpy(), allowed)
                          for logits in (out.start_logits, out.end_logits))
        null = min(null, p_start[cls] * p_end[cls])
        spans = sorted(((p_start[a] * p_end[b], a, b) for a in context_tokens for b in context_tokens
                        if 0 <= b - a < max_answer_length), key=lambda span: -span[0])[:2 * top_k + 10]
        words, offsets = encoding.word_ids(w), encoding["offset_mapping"][w]
        for score, a, b in spans:
            while a > 0 and words[a - 1] == words[a]:
                a -= 1
            while b + 1 < len(words) and words[b + 1] == words[b]:
                b += 1
            begin, end = offsets[a][0], offsets[b][1]
            text = context[begin:end]
            if text.lower() in found:
                found[text.lower()]["score"] += score
            else:
                found[text.lower()] = {"score": score, "start": begin, "end": end, "answer": text}
    answers = list(found.values())
    if handle_impossible_answer:
        answers.append({"score": null, "start": 0, "end": 0, "answer": ""})
    return sorted(answers, key=lambda a: a["score"], reverse=True)[:top_k], len(encoding["input_ids"])


@pytest.mark.slow
@pytest.mark.parametrize("context, settings", [
    (" ".join([CONTEXT] * 4), {"top_k": 2, "max_length": 64, "doc_stride": 16, "max_answer_length": 15}),
    (" ".join([CONTEXT] * 4), {"top_k": 1, "max_seq_len": 48, "doc_stride": 16, "max_answer_len": 6}),
    ("corpus", {"top_k": 5, "max_length": 64, "doc_stride": 24, "max_answer_length": 4,
                "handle_impossible_answer": True}),
], ids=["repeated-top2", "repeated-top1-aliases", "corpus-top5-null"])
def test_longformer_answers_equal_a_direct_computation(bpe_tokenizer, longformer, context, settings):
    from conftest import CORPUS

    context = " ".join(CORPUS) if context == "corpus" else context
    question = "Where is Normandy?"
    model = longformer
    got = QuestionAnswerer(model, bpe_tokenizer, batch_size=4, **settings)(question=question, context=context)
    got = [got] if isinstance(got, dict) else got
    plain = {"max_seq_len": "max_length", "max_answer_len": "max_answer_length"}
    expected, n_windows = _direct_answers(model, bpe_tokenizer, question, context,
                                          **{plain.get(k, k): v for k, v in settings.items()})
    assert n_windows > 1  # the context is longer than one window
    assert len(got) == settings["top_k"]
    assert [(a["answer"], a["start"], a["end"]) for a in got] == [(a["answer"], a["start"], a["end"])
                                                                for a in expected]
    np.testing.assert_allclose([a["score"] for a in got], [a["score"] for a in expected], rtol=0, atol=1e-5)
    assert all(context[a["start"]:a["end"]] == a["answer"] for a in got)
    assert [a["score"] for a in got] == sorted((a["score"] for a in got), reverse=True)


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


@pytest.mark.parametrize("kwargs, error, message", [
    ({"question": "Who?", "context": None}, TypeError, "context must be a string or a list of strings, got NoneType"),
    ({"question": 5, "context": CONTEXT}, TypeError, "question must be a string or a list of strings, got int"),
    ({"question": ["Who?", 5], "context": CONTEXT}, TypeError, "item 1: question must be a string, got int"),
    ({"question": "Who?", "context": CONTEXT, "top_k": 2.5}, TypeError, "top_k must be a whole number, got 2.5"),
    ({"question": "Who?", "context": CONTEXT, "max_seq_len": -10}, ValueError, "max_length must be >= 1, got -10"),
    ({"question": "Who?", "context": CONTEXT, "doc_stride": -1}, ValueError, "doc_stride must be >= 0, got -1"),
    ({"question": "Who?", "context": CONTEXT, "handle_impossible_answer": "yes"}, TypeError,
     "handle_impossible_answer must be True or False"),
])
def test_bad_inputs_name_the_argument(small_bert, kwargs, error, message):
    model, tok = small_bert
    with pytest.raises(error, match=message):
        QuestionAnswerer(model, tok)(**kwargs)


def test_bad_constructor_options_fail_at_once(small_bert):
    model, tok = small_bert
    with pytest.raises(TypeError, match="top_k must be a whole number"):
        QuestionAnswerer(model, tok, top_k=2.5)


def test_a_window_longer_than_the_position_embeddings_is_refused_before_the_forward_pass(small_bert):
    _, tok = small_bert  # its tokenizer allows 512 tokens; this model reads 128
    model = build_tiny_bert_qa(tok, max_position_embeddings=128, seed=2).eval()
    long_context = " ".join(["Normandy is in France."] * 100)
    with pytest.raises(ValueError, match="max_length=192 is longer than the 128 positions"):
        QuestionAnswerer(model, tok, max_length=192)(question="Where?", context=long_context)


def test_nan_logits_are_an_error_naming_the_model(small_bert):
    model, tok = small_bert
    broken = build_tiny_bert_qa(tok, seed=2).eval()
    with torch.no_grad():
        broken.qa_outputs.weight.fill_(float("nan"))
    with pytest.raises(ValueError, match="model BertForQuestionAnswering gives NaN or infinite logits"):
        QuestionAnswerer(broken, tok)(question="Who?", context=CONTEXT)


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


# The pipeline's names max_seq_len / max_answer_len are aliases of max_length / max_answer_length


LONG = " ".join([CONTEXT] * 3)  # several windows of 48 tokens


def test_pipeline_aliases_mean_the_package_names(small_bert):
    model, tok = small_bert
    question = "Where is Normandy?"
    named = QuestionAnswerer(model, tok, max_length=48, doc_stride=16, max_answer_length=2, top_k=5)
    alias = QuestionAnswerer(model, tok, max_seq_len=48, doc_stride=16, max_answer_len=2, top_k=5)
    default = QuestionAnswerer(model, tok, doc_stride=16, top_k=5)
    assert named(question=question, context=LONG) == alias(question=question, context=LONG)
    assert named(question=question, context=LONG) != default(question=question, context=LONG)  # the setting counts
    per_call = default(question=question, context=LONG, max_seq_len=48, max_answer_len=2)
    assert per_call == default(question=question, context=LONG, max_length=48, max_answer_length=2)
    assert per_call == named(question=question, context=LONG)
    # an alias given per call overrides the constructor's name
    assert named(question=question, context=LONG, max_answer_len=15) == named(question=question, context=LONG,
                                                                                max_answer_length=15)


@pytest.mark.parametrize("both", [{"max_length": 48, "max_seq_len": 48}, {"max_answer_length": 3, "max_answer_len": 3}])
def test_a_name_and_its_alias_in_one_call_is_a_type_error(small_bert, both):
    model, tok = small_bert
    with pytest.raises(TypeError, match="not both"):
        QuestionAnswerer(model, tok)(question="Where is Normandy?", context=CONTEXT, **both)


@pytest.mark.parametrize("both", [{"max_length": 64, "max_seq_len": 32}, {"max_answer_length": 3, "max_answer_len": 5}])
def test_a_name_and_its_alias_in_the_constructor_is_a_type_error(small_bert, both):
    model, tok = small_bert
    with pytest.raises(TypeError):
        QuestionAnswerer(model, tok, **both)


def test_max_question_len_is_gone(small_bert):
    model, tok = small_bert
    with pytest.raises(TypeError, match="max_question_len"):
        QuestionAnswerer(model, tok, max_question_len=32)
    with pytest.raises(TypeError, match="max_question_len"):
        QuestionAnswerer(model, tok)(question="Where is Normandy?", context=CONTEXT, max_question_len=32)
