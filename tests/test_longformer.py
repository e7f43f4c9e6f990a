"""Tests for qa_tutorial.longformer: window arithmetic, global attention on the question, padding to the window."""

from __future__ import annotations

import logging

import pytest
import torch
from conftest import CORPUS, LONG_CONTEXT
from conftest import LONG_QUESTION as QUESTION
from transformers import LongformerConfig
from transformers.models.longformer.modeling_longformer import _compute_global_attention_mask

from qa_tutorial.features import tokenize_windows
from qa_tutorial.longformer import (
    attention_window,
    local_reach,
    pad_to_attention_window,
    padded_length,
    question_global_attention,
    window_batches,
)


def test_window_arithmetic():
    assert [padded_length(n, 16) for n in (1, 16, 17, 100)] == [16, 16, 32, 112]
    config = LongformerConfig(attention_window=[8, 32, 16], num_hidden_layers=3)
    assert attention_window(config) == 32 and local_reach(config) == 4 + 16 + 8


def test_global_attention_matches_the_models_own_rule(bpe_tokenizer):
    enc = bpe_tokenizer([QUESTION, "Who?"], [CORPUS[3], CORPUS[0]], padding=True, return_tensors="pt")
    ours = question_global_attention(enc["input_ids"], bpe_tokenizer.sep_token_id)
    theirs = _compute_global_attention_mask(enc["input_ids"], bpe_tokenizer.sep_token_id)
    assert torch.equal(ours.bool(), theirs)
    question_tokens = len(bpe_tokenizer(QUESTION, add_special_tokens=False)["input_ids"])
    assert ours[0].sum() == question_tokens + 1 and ours[0, : question_tokens + 1].all()  # <s> and the question
    with pytest.raises(ValueError, match="separator"):
        question_global_attention(torch.tensor([[0, 5, 6]]), sep_token_id=2)


def test_explicit_padding_gives_the_models_logits_without_its_warning(tiny_longformer, bpe_tokenizer, caplog):
    enc = bpe_tokenizer(QUESTION, LONG_CONTEXT, truncation="only_second", max_length=150, return_tensors="pt")
    padded = pad_to_attention_window(dict(enc), 16, bpe_tokenizer.pad_token_id)
    assert padded["input_ids"].shape == (1, 160) and padded["attention_mask"][0, 150:].sum() == 0
    assert (padded["input_ids"][0, 150:] == bpe_tokenizer.pad_token_id).all()
    assert torch.equal(padded["input_ids"][:, :150], enc["input_ids"])
    with torch.no_grad():
        automatic = tiny_longformer(**enc).start_logits
        with caplog.at_level(logging.WARNING):
            caplog.clear()
            explicit = tiny_longformer(**padded).start_logits
    assert not [r for r in caplog.records if "padded" in r.getMessage()]
    torch.testing.assert_close(explicit[:, :150], automatic, rtol=1e-5, atol=1e-5)


def test_window_batches_pad_to_the_window_and_mark_the_question(bpe_tokenizer):
    enc = tokenize_windows({"question": [QUESTION], "context": [LONG_CONTEXT]}, bpe_tokenizer, max_length=70,
                           doc_stride=20, padding=False)
    batches = window_batches(enc, batch_size=3, window=16, pad_token_id=1, sep_token_id=bpe_tokenizer.sep_token_id)
    assert sum(len(b["input_ids"]) for b in batches) == len(enc["input_ids"]) and len(batches) == -(-len(enc["input_ids"]) // 3)
    question_tokens = len(bpe_tokenizer(QUESTION, add_special_tokens=False)["input_ids"])
    for batch in batches:
        assert batch["input_ids"].shape[1] == 80  # 70 rounded up to a multiple of 16
        assert (batch["global_attention_mask"].sum(dim=1) == question_tokens + 1).all()
        assert set(batch) == {"input_ids", "attention_mask", "global_attention_mask"}


