"""How much of each training batch is padding, and what it costs: fixed-size windows vs dynamic padding.

Windows cut from SQuAD contexts differ in length: a short context gives one short window, a long one several
full windows and a shorter last one. Three ways to batch them:

- ``"max_length"``: every window padded to ``max_length`` when it is tokenized (what the seeds did);
- ``"dynamic"``: unpadded windows, each batch padded to its own longest window by the collator
  (`transformers.DataCollatorWithPadding`, as `qa_tutorial.training.train_qa` does);
- ``"group_by_length"``: dynamic padding, and windows of similar length put in the same batch by the
  Trainer's own rule (``transformers.trainer_pt_utils.get_length_grouped_indices``).

`padded_shares` and `padding_summary` count pad tokens exactly for a list of window lengths, and `padding_timings`
times one training pass with each of the three strategies, side by side.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import torch
from transformers import DataCollatorWithPadding
from transformers.trainer_pt_utils import get_length_grouped_indices

__all__ = ["STRATEGIES", "batch_indices", "batch_widths", "padded_shares", "padding_summary",
           "padding_timings"]

STRATEGIES = ("max_length", "dynamic", "group_by_length")


def _check(strategy: str, batch_size: int, max_length: int | None = None, *, width: bool = True) -> None:
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown padding strategy {strategy!r}; choose one of {list(STRATEGIES)}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be positive, got {batch_size}")
    if width and strategy == "max_length" and max_length is None:
        raise ValueError("padding='max_length' needs max_length")


def batch_indices(lengths: Sequence[int], batch_size: int, strategy: str = "dynamic", *,
                  seed: int = 0) -> list[list[int]]:
    """The windows of each batch of one shuffled epoch; ``"group_by_length"`` groups similar lengths.

    Args:
        lengths: tokens in each (unpadded) window.
        batch_size: windows per batch (the last batch may be smaller).
        strategy: one of `STRATEGIES`; only ``"group_by_length"`` changes the order.
        seed: seeds the shuffle (a `torch.Generator`, as the Trainer's samplers use).

    Returns:
        A list of batches, each a list of window indices; every window appears once.

    >>> batches = batch_indices([5, 9, 7, 3, 8], 2, seed=0)
    >>> [len(b) for b in batches], sorted(i for b in batches for i in b)
    ([2, 2, 1], [0, 1, 2, 3, 4])
    """
    _check(strategy, batch_size, width=False)
    generator = torch.Generator().manual_seed(seed)
    if strategy == "group_by_length":
        order = [int(i) for i in get_length_grouped_indices(list(lengths), batch_size, generator=generator)]
    else:
        order = torch.randperm(len(lengths), generator=generator).tolist()
    return [order[start:start + batch_size] for start in range(0, len(order), batch_size)]


def batch_widths(lengths: Sequence[int], batches: Sequence[Sequence[int]], strategy: str, *,
                 max_length: int | None = None, pad_to_multiple_of: int | None = None) -> np.ndarray:
    """The padded width of each batch: ``max_length`` for fixed-size windows, else the batch's longest window,
    rounded up to a multiple of ``pad_to_multiple_of`` when given (as ``DataCollatorWithPadding`` does).

    >>> batch_widths([5, 9, 7], [[0, 1], [2]], "dynamic").tolist()
    [9, 7]
    >>> batch_widths([5, 9, 7], [[0, 1], [2]], "dynamic", pad_to_multiple_of=8).tolist()
    [16, 8]
    >>> batch_widths([5, 9, 7], [[0, 1], [2]], "max_length", max_length=16).tolist()
    [16, 16]
    """
    _check(strategy, 1, max_length)
    if pad_to_multiple_of is not None and pad_to_multiple_of < 1:
        raise ValueError(f"pad_to_multiple_of must be >= 1, got {pad_to_multiple_of}")
    if strategy == "max_length":
        return np.full(len(batches), max_length, dtype=np.int64)
    widths = np.array([max(lengths[i] for i in batch) for batch in batches], dtype=np.int64)
    if pad_to_multiple_of:
        widths = -(-widths // pad_to_multiple_of) * pad_to_multiple_of
    return widths


def _batches_and_widths(lengths: Sequence[int], batch_size: int, strategy: str, max_length: int | None,
                        seed: int) -> tuple[list[list[int]], np.ndarray, np.ndarray]:
    _check(strategy, batch_size, max_length)
    if max_length is not None and max(lengths, default=0) > max_length:
        raise ValueError(f"a window has {max(lengths)} tokens, more than max_length={max_length}")
    batches = batch_indices(lengths, batch_size, strategy, seed=seed)
    real = np.array([sum(lengths[i] for i in batch) for batch in batches], dtype=np.int64)  # (n_batches,)
    return batches, batch_widths(lengths, batches, strategy, max_length=max_length), real


def padded_shares(lengths: Sequence[int], batch_size: int, strategy: str, *, max_length: int | None = None,
                  seed: int = 0) -> np.ndarray:
    """The share of pad tokens in each batch of one epoch (0 = no padding), in batch order.

    Args:
        lengths: tokens in each unpadded window. batch_size: windows per batch.
        strategy: one of `STRATEGIES`. max_length: the fixed width (needed for ``"max_length"``).
        seed: the shuffle (see `batch_indices`).

    Returns:
        Float array of shape (n_batches,).

    >>> padded_shares([6, 8, 8, 2], 4, "max_length", max_length=10).tolist()
    [0.4]
    >>> padded_shares([6, 8, 8, 2], 4, "dynamic").tolist()
    [0.25]
    """
    batches, widths, real = _batches_and_widths(lengths, batch_size, strategy, max_length, seed)
    sizes = np.array([len(batch) for batch in batches], dtype=np.int64)
    return 1.0 - real / (widths * sizes)


def padding_summary(lengths: Sequence[int], batch_size: int, *, max_length: int, seed: int = 0) -> pd.DataFrame:
    """Tokens the model computes on for one epoch, per padding strategy, and how many of them are padding.

    Args:
        lengths: tokens in each unpadded window. batch_size: windows per batch.
        max_length: the fixed window width. seed: the shuffle (see `batch_indices`).

    Returns:
        One row per strategy (index "strategy") with "batches", "real_tokens", "computed_tokens",
        "pad_tokens" and "pad_share" (pad_tokens / computed_tokens).

    >>> summary = padding_summary([6, 8, 8, 2], 4, max_length=10)
    >>> summary["computed_tokens"].to_dict(), summary["pad_tokens"].to_dict()
    ({'max_length': 40, 'dynamic': 32, 'group_by_length': 32}, {'max_length': 16, 'dynamic': 8, 'group_by_length': 8})
    """
    rows = []
    for strategy in STRATEGIES:
        batches, widths, real = _batches_and_widths(lengths, batch_size, strategy, max_length, seed)
        computed = int(sum(width * len(batch) for width, batch in zip(widths, batches)))
        rows.append({"strategy": strategy, "batches": len(batches), "real_tokens": int(real.sum()),
                     "computed_tokens": computed, "pad_tokens": computed - int(real.sum()),
                     "pad_share": (computed - int(real.sum())) / computed})
    return pd.DataFrame(rows).set_index("strategy")


def _collate(tokenizer: Any, windows: Any, batches: Sequence[Sequence[int]],
             pad_to: int | None) -> list[dict[str, torch.Tensor]]:
    """Tensors of each batch, padded by `DataCollatorWithPadding` to the batch's longest window or to ``pad_to``."""
    if not batches:
        raise ValueError("no batches to time")
    collate = DataCollatorWithPadding(tokenizer, padding="max_length" if pad_to else "longest", max_length=pad_to)
    names = [name for name in windows.column_names if name in {"input_ids", "attention_mask", "token_type_ids",
                                                                 "start_positions", "end_positions"}]
    columns = windows.select_columns(names).to_dict()
    return [collate([{name: columns[name][i] for name in names} for i in batch]) for batch in batches]


class _Copy:
    """A copy of a model with its own AdamW optimizer, timing one training step at a time."""

    def __init__(self, model: Any, learning_rate: float) -> None:
        self.model = copy.deepcopy(model).train()
        self.device = next(self.model.parameters()).device
        self.optimizer = torch.optim.AdamW(self.model.parameters(), lr=learning_rate)

    def step(self, batch: dict[str, torch.Tensor]) -> float:
        """Seconds of one forward, backward and optimizer step on ``batch``."""
        start = time.perf_counter()
        self.model(**{name: tensor.to(self.device) for name, tensor in batch.items()}).loss.backward()
        self.optimizer.step()
        self.optimizer.zero_grad()
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
        return time.perf_counter() - start


def padding_timings(model: Any, tokenizer: Any, windows: Any, batch_size: int, *, max_length: int, seed: int = 0,
                    repeats: int = 2, learning_rate: float = 1e-4) -> pd.DataFrame:
    """Time one training pass over ``windows`` with each padding strategy, next to the tokens it computes on.

    Each strategy trains its own copy of ``model`` (after one untimed warm-up step). The strategies take turns
    batch by batch, so that load from other programs slows all three alike; of ``repeats`` passes, each strategy
    keeps its fastest.

    Args:
        model: a ``...ForQuestionAnswering`` model (left unchanged: copies are trained). tokenizer: its tokenizer.
        windows: unpadded training windows (a `datasets.Dataset` from `qa_tutorial.training.train_features`).
        batch_size: windows per batch. max_length: the fixed width. seed: the shuffle (see `batch_indices`).
        repeats: passes per strategy. learning_rate: AdamW learning rate of the copies.

    Returns:
        One row per strategy with "computed_tokens", "seconds", and both relative to ``"max_length"``:
        "tokens_vs_fixed", "time_vs_fixed".
    """
    lengths = [len(ids) for ids in windows["input_ids"]]
    collated = {strategy: _collate(tokenizer, windows, batch_indices(lengths, batch_size, strategy, seed=seed),
                                   max_length if strategy == "max_length" else None) for strategy in STRATEGIES}
    copies = {strategy: _Copy(model, learning_rate) for strategy in STRATEGIES}
    for strategy in STRATEGIES:
        copies[strategy].step(collated[strategy][0])  # warm-up, not counted
    passes = {strategy: [0.0] * repeats for strategy in STRATEGIES}
    for round_ in range(repeats):
        for index in range(len(collated["dynamic"])):  # every strategy has the same number of batches
            for strategy in STRATEGIES:
                passes[strategy][round_] += copies[strategy].step(collated[strategy][index])
    table = padding_summary(lengths, batch_size, max_length=max_length, seed=seed)[["computed_tokens"]]
    table["seconds"] = pd.Series({strategy: min(times) for strategy, times in passes.items()})
    table["tokens_vs_fixed"] = table["computed_tokens"] / table.loc["max_length", "computed_tokens"]
    table["time_vs_fixed"] = table["seconds"] / table.loc["max_length", "seconds"]
    return table
