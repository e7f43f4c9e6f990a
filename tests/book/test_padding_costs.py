"""Tests for qa_tutorial.book.padding_costs: exact pad-token counts per strategy, the Trainer's grouping rule, epoch timing."""

from __future__ import annotations

import datasets
import numpy as np
import pytest
import torch
from conftest import CORPUS
from transformers.trainer_pt_utils import get_length_grouped_indices

from qa_tutorial.book.padding_costs import (
    STRATEGIES,
    batch_indices,
    batch_widths,
    padded_shares,
    padding_summary,
    padding_timings,
)
from qa_tutorial.features import prepare_train_features
from qa_tutorial.models import build_tiny_bert_qa

LENGTHS = np.random.default_rng(0).integers(40, 193, size=500).tolist()  # window lengths up to max_length=192


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_every_window_is_in_exactly_one_batch(strategy):
    batches = batch_indices(LENGTHS, 16, strategy, seed=3)
    assert sorted(i for batch in batches for i in batch) == list(range(len(LENGTHS)))
    assert [len(b) for b in batches] == [16] * 31 + [4]
    assert batches == batch_indices(LENGTHS, 16, strategy, seed=3)  # the same seed, the same epoch


def test_grouping_follows_the_trainer_rule():
    batches = batch_indices(LENGTHS, 16, "group_by_length", seed=5)
    expected = get_length_grouped_indices(LENGTHS, 16, generator=torch.Generator().manual_seed(5))
    assert [i for batch in batches for i in batch] == list(expected)
    assert batches != batch_indices(LENGTHS, 16, "dynamic", seed=5)


def test_fixed_width_share_is_the_mean_gap_to_max_length():
    shares = padded_shares(LENGTHS, 20, "max_length", max_length=192)  # 500 = 25 full batches
    assert len(shares) == 25
    assert shares.mean() == pytest.approx(1 - np.mean(LENGTHS) / 192)


def test_dynamic_padding_computes_less_and_grouping_least():
    summary = padding_summary(LENGTHS, 16, max_length=192, seed=0)
    assert list(summary.index) == list(STRATEGIES)
    assert (summary["real_tokens"] == sum(LENGTHS)).all() and (summary["batches"] == 32).all()
    assert summary.loc["max_length", "computed_tokens"] == 500 * 192
    fixed, dynamic, grouped = summary["computed_tokens"]
    assert fixed > dynamic > grouped
    assert summary.loc["group_by_length", "pad_share"] < summary.loc["dynamic", "pad_share"] / 3
    assert (summary["pad_tokens"] == summary["computed_tokens"] - summary["real_tokens"]).all()


def test_widths_and_shares_of_a_hand_made_epoch():
    lengths = [4, 10, 6, 10]
    assert batch_widths(lengths, [[0, 1], [2, 3]], "dynamic").tolist() == [10, 10]
    assert batch_widths(lengths, [[0, 2], [1, 3]], "dynamic").tolist() == [6, 10]
    assert batch_widths(lengths, [[0, 2], [1, 3]], "dynamic", pad_to_multiple_of=8).tolist() == [8, 16]
    assert batch_widths([8, 16], [[0], [1]], "dynamic", pad_to_multiple_of=8).tolist() == [8, 16]  # already multiples
    assert batch_widths(lengths, [[0, 1]], "max_length", max_length=12, pad_to_multiple_of=8).tolist() == [12]
    assert padded_shares([10, 10, 10], 2, "dynamic").tolist() == [0.0, 0.0]
    assert padded_shares([5, 5], 2, "max_length", max_length=10).tolist() == [0.5]


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="pad_to_multiple_of must be >= 1"):
        batch_widths([4], [[0]], "dynamic", pad_to_multiple_of=0)
    with pytest.raises(ValueError, match="unknown padding strategy"):
        padded_shares(LENGTHS, 16, "longest")
    with pytest.raises(ValueError, match="needs max_length"):
        padded_shares(LENGTHS, 16, "max_length")
    with pytest.raises(ValueError, match="more than max_length"):
        padding_summary([10, 300], 2, max_length=256)
    with pytest.raises(ValueError, match="batch_size"):
        batch_indices(LENGTHS, 0)


def test_padding_timings_train_copies_and_compare_with_fixed_width(wordpiece_tokenizer):
    examples = {"id": [str(i) for i in range(4)], "question": ["Who gave their name to Normandy?"] * 4,
                "context": CORPUS[:4], "answers": [{"text": [c.split()[0]], "answer_start": [0]} for c in CORPUS[:4]]}
    windows = datasets.Dataset.from_dict(prepare_train_features(examples, wordpiece_tokenizer, max_length=48,
                                                                doc_stride=16, padding=False))
    model = build_tiny_bert_qa(wordpiece_tokenizer, hidden_size=32, intermediate_size=64)
    before = {name: p.detach().clone() for name, p in model.named_parameters()}
    table = padding_timings(model, wordpiece_tokenizer, windows, 2, max_length=48, repeats=1)
    assert all(torch.equal(before[name], p) for name, p in model.named_parameters())
    assert list(table.index) == list(STRATEGIES) and (table["seconds"] > 0).all()
    assert table.loc["max_length", "tokens_vs_fixed"] == table.loc["max_length", "time_vs_fixed"] == 1.0
    assert table.loc["max_length", "computed_tokens"] == 48 * len(windows)
