"""The book's long-document measurements (qa_tutorial.book.long_documents) on a tiny Longformer and COVID-QA."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from conftest import CORPUS, LONG_CONTEXT
from conftest import LONG_QUESTION as QUESTION
from hypothesis import given, settings
from hypothesis import strategies as st

from qa_tutorial.book.long_documents import (
    PassMeasurement,
    compare_long_and_windows,
    count_windows,
    locate_answers,
    peak_memory,
    question_reach,
)
from qa_tutorial.data import first_n, load_squad
from qa_tutorial.features import tokenize_windows
from qa_tutorial.longformer import local_reach, padded_length


@settings(max_examples=40, deadline=None)
@given(copies=st.integers(1, 6), max_length=st.sampled_from([40, 64, 100]), stride_part=st.floats(0, 0.9))
def test_count_windows_agrees_with_the_tokenizer(bpe_tokenizer, copies, max_length, stride_part):
    context = " ".join(CORPUS[: copies + 1] * copies)
    question_tokens = len(bpe_tokenizer(QUESTION, add_special_tokens=False)["input_ids"])
    room = max_length - question_tokens - 4
    stride = int(stride_part * (room - 1))
    enc = tokenize_windows({"question": [QUESTION], "context": [context]}, bpe_tokenizer, max_length=max_length,
                           doc_stride=stride, padding=False)
    context_tokens = len(bpe_tokenizer(context, add_special_tokens=False, verbose=False)["input_ids"])
    assert count_windows(context_tokens, question_tokens, max_length=max_length, doc_stride=stride) == len(
        enc["input_ids"])


def test_count_windows_rejects_a_stride_without_room():
    with pytest.raises(ValueError, match="doc_stride"):
        count_windows(1000, 300, max_length=384, doc_stride=128)


def test_peak_memory_on_cpu_sees_intermediate_tensors():
    size = 4_000_000  # bytes

    def sequential():
        a = torch.ones(size // 4)
        del a
        b = torch.ones(size // 4)
        return float(b.sum())

    def together():
        a, b = torch.ones(size // 4), torch.ones(size // 4)
        return float(a.sum() + b.sum())

    result, peak_one = peak_memory(sequential)
    _, peak_two = peak_memory(together)
    assert result == size // 4
    assert size <= peak_one < 1.2 * size
    assert 2 * size <= peak_two < 2.2 * size
    assert peak_memory(lambda: None)[1] == 0


def test_compare_long_and_windows_one_pass_against_many(tiny_longformer, bpe_tokenizer):
    long, short = compare_long_and_windows(tiny_longformer, bpe_tokenizer, QUESTION, " ".join(CORPUS), long_length=512,
                                           window_length=64, doc_stride=16, repeats=1)
    assert (long.approach, short.approach) == ("512 tokens at once", "64-token windows")
    assert long.windows == long.forward_passes == 1
    assert short.windows > 1 and short.tokens > long.tokens  # the question and the overlaps are repeated
    assert long.padded_tokens == padded_length(long.tokens, 16)
    enc = tokenize_windows({"question": [QUESTION], "context": [" ".join(CORPUS)]}, bpe_tokenizer, max_length=64,
                           doc_stride=16, padding=False)
    assert isinstance(short, PassMeasurement) and short.device == "cpu"
    assert short.windows == len(enc["input_ids"]) and short.tokens == sum(map(len, enc["input_ids"]))
    assert short.padded_tokens == short.windows * 64 and short.seconds > 0 and short.peak_memory_bytes > 0


def test_question_reach_local_attention_is_bounded_and_global_reaches_everything(tiny_longformer, bpe_tokenizer):
    enc = bpe_tokenizer(QUESTION, LONG_CONTEXT, truncation="only_second", max_length=200, return_tensors="pt")
    reach = question_reach(tiny_longformer, enc["input_ids"], enc["attention_mask"], sep_token_id=bpe_tokenizer.sep_token_id)
    question_tokens = len(bpe_tokenizer(QUESTION, add_special_tokens=False)["input_ids"])
    assert reach["context tokens"] == 200 - question_tokens - 4
    assert reach["reached with global attention"] == reach["context tokens"]
    limit = local_reach(tiny_longformer.config)  # 2 layers x 8 tokens on each side
    assert limit - 3 <= reach["reached with local attention only"] <= limit


@pytest.mark.realdata
def test_locate_answers_on_covid_qa(data_dir, bpe_tokenizer):
    examples = first_n(load_squad("covid_qa", "train", data_dir=data_dir), 30).to_dict()
    found = locate_answers(examples, bpe_tokenizer)
    assert found["context_tokens"].shape == found["answer_token"].shape == (30,)
    for i in range(30):
        context, start = examples["context"][i], examples["answers"][i]["answer_start"][0]
        enc = bpe_tokenizer(context, add_special_tokens=False, return_offsets_mapping=True, verbose=False)
        assert found["context_tokens"][i] == len(enc["input_ids"]) > 1000  # whole articles
        token_start, token_end = enc["offset_mapping"][found["answer_token"][i]]
        assert token_start <= start < token_end
    none = locate_answers({"context": ["a b"], "answers": [{"text": [], "answer_start": []}]}, bpe_tokenizer)
    assert none["answer_token"].tolist() == [-1]
    assert np.all(found["answer_token"] >= 0)
