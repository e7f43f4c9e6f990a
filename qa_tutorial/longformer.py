"""Longformer inputs for long documents: global attention on the question and padding to the attention window.

Longformer replaces full self-attention by a sliding window: each token attends to ``attention_window // 2``
tokens on each side, so the cost grows linearly with the length and 4,096 tokens fit in one pass. A few tokens get
*global* attention (they attend to every token and every token attends to them); for question answering these
are the question's tokens, so that the question reaches every part of the document. Inputs are padded to a
multiple of the attention window. The book's measurements of one long pass against many short windows are in
`qa_tutorial.book.long_documents`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch

from qa_tutorial.inference import pad_batch

__all__ = ["LONGFORMER_MAX_LENGTH", "attention_window", "local_reach", "pad_to_attention_window", "padded_length",
           "question_global_attention", "window_batches"]

LONGFORMER_MAX_LENGTH = 4096  # the longest input of allenai/longformer-base-4096 and -large-4096
_MOVED = ("PassMeasurement", "compare_long_and_windows", "count_windows", "locate_answers", "peak_memory",
          "question_reach")


def attention_window(config: Any) -> int:
    """The attention window the model pads its inputs to: the largest one over layers.

    >>> from types import SimpleNamespace
    >>> attention_window(SimpleNamespace(attention_window=[512] * 12)), attention_window(SimpleNamespace(attention_window=64))
    (512, 64)
    """
    window = config.attention_window
    return int(window) if isinstance(window, int) else int(max(window))


def padded_length(n_tokens: int, window: int) -> int:
    """The length Longformer pads an input of ``n_tokens`` to: the next multiple of ``window``.

    >>> [padded_length(n, 512) for n in (384, 512, 3000, 4096)]
    [512, 512, 3072, 4096]
    """
    return -(-n_tokens // window) * window


def local_reach(config: Any) -> int:
    """How many positions away information can travel by local attention alone, through all layers.

    Each layer lets a token see ``window // 2`` tokens on each side, so after all layers the reach is the sum.

    >>> from types import SimpleNamespace
    >>> local_reach(SimpleNamespace(attention_window=[512] * 12, num_hidden_layers=12))   # longformer-base-4096
    3072
    >>> local_reach(SimpleNamespace(attention_window=64, num_hidden_layers=2))
    64
    """
    window = config.attention_window
    windows = [window] * config.num_hidden_layers if isinstance(window, int) else list(window)
    return int(sum(w // 2 for w in windows))


def question_global_attention(input_ids: torch.Tensor, sep_token_id: int) -> torch.Tensor:
    """Global attention mask for question answering: 1 on every token before the first separator, else 0.

    With the question first (``<s> question </s></s> context </s>``) these are ``<s>`` and the question tokens,
    the rule ``LongformerForQuestionAnswering`` applies itself when it gets no ``global_attention_mask``.

    Args:
        input_ids: token ids, shape (batch, seq_len); every row must hold ``sep_token_id``.
        sep_token_id: the separator id (``tokenizer.sep_token_id``).

    Returns:
        A long tensor of shape (batch, seq_len).

    >>> question_global_attention(torch.tensor([[0, 7, 8, 2, 2, 9, 9, 2, 1]]), sep_token_id=2)
    tensor([[1, 1, 1, 0, 0, 0, 0, 0, 0]])
    """
    is_sep = input_ids == sep_token_id  # (batch, seq_len)
    if not bool(is_sep.any(dim=1).all()):
        raise ValueError(f"a row of input_ids has no separator token {sep_token_id}: where does the question end?")
    question_end = is_sep.int().argmax(dim=1, keepdim=True)  # (batch, 1) first separator
    return (torch.arange(input_ids.shape[1], device=input_ids.device) < question_end).long()


def pad_to_attention_window(batch: Mapping[str, torch.Tensor], window: int, pad_token_id: int) -> dict[str, Any]:
    """Pad every tensor of a batch on the right to a multiple of ``window`` (``pad_token_id`` in input_ids, else 0).

    Longformer does this itself (with a warning); doing it first shows the cost: the padded tokens are computed too.

    >>> out = pad_to_attention_window({"input_ids": torch.tensor([[5, 6, 7]]), "attention_mask": torch.ones(1, 3)}, 4, 1)
    >>> out["input_ids"].tolist(), out["attention_mask"].tolist()
    ([[5, 6, 7, 1]], [[1.0, 1.0, 1.0, 0.0]])
    """
    length = next(iter(batch.values())).shape[1]
    extra = padded_length(length, window) - length
    return {name: torch.nn.functional.pad(t, (0, extra), value=pad_token_id if name == "input_ids" else 0)
            for name, t in batch.items()}


def window_batches(encoding: Mapping[str, Sequence[Sequence[int]]], *, batch_size: int, window: int,
                   pad_token_id: int, sep_token_id: int) -> list[dict[str, torch.Tensor]]:
    """Model inputs for windows: batches padded to their longest window rounded up to the attention window, with
    the question's global attention mask.

    >>> enc = {"input_ids": [[0, 7, 2, 2, 9, 9, 2], [0, 7, 2, 2, 9, 2]], "attention_mask": [[1] * 7, [1] * 6]}
    >>> [b["input_ids"].shape[1] for b in window_batches(enc, batch_size=1, window=4, pad_token_id=1, sep_token_id=2)]
    [8, 8]
    >>> window_batches(enc, batch_size=2, window=4, pad_token_id=1, sep_token_id=2)[0]["global_attention_mask"][1]
    tensor([1, 1, 0, 0, 0, 0, 0, 0])
    """
    batches = []
    for first in range(0, len(encoding["input_ids"]), batch_size):
        rows = {name: list(encoding[name][first:first + batch_size]) for name in ("input_ids", "attention_mask")}
        batch = pad_batch(rows, pad_token_id, pad_to_multiple_of=window)  # the one padding helper of inference
        batch["global_attention_mask"] = question_global_attention(batch["input_ids"], sep_token_id)
        batches.append(batch)
    return batches


def __getattr__(name: str) -> Any:
    """The measurements that moved to `qa_tutorial.book.long_documents`, under their old path (deprecated)."""
    if name in _MOVED:
        from qa_tutorial._moved import moved_attribute

        return moved_attribute(__name__, name, "qa_tutorial.book.long_documents")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
