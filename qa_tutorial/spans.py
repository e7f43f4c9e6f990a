"""Token-level helpers for decoding: where the context lies in each feature, and the top-k logits of each row.

Both work on whole batches of features at once (arrays of shape (n_features, seq_len)), so that decoding needs no
Python loop over tokens.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa

__all__ = ["ContextOffsets", "context_offsets", "top_k_indices"]


@dataclass
class ContextOffsets:
    """Where the context lies in each feature, and the characters of its tokens.

    Attributes:
        first, last: first and last context token of each feature (context tokens are contiguous). Shape
            (n_features,).
        length: number of tokens of each feature (the logits may be wider). Shape (n_features,).
    """

    first: np.ndarray
    last: np.ndarray
    length: np.ndarray
    _source: Any = field(repr=False)
    _values: np.ndarray | None = field(default=None, repr=False)  # (n_context_tokens, 2) from Arrow
    _base: np.ndarray | None = field(default=None, repr=False)  # (n_features,) row of `first` in _values

    def chars(self, feature: np.ndarray, start: np.ndarray, end: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Character start of token ``start`` and character end of token ``end`` in the given features."""
        if self._values is not None:
            rows = self._base[feature]
            return (self._values[rows + start - self.first[feature], 0],
                    self._values[rows + end - self.first[feature], 1])
        source = self._source
        return (np.array([source[f][t][0] for f, t in zip(feature.tolist(), start.tolist())], dtype=np.int64),
                np.array([source[f][t][1] for f, t in zip(feature.tolist(), end.tolist())], dtype=np.int64))


def _context_range(offsets: list, k: int) -> tuple[int, int]:
    """First/last non-None position of one feature's offsets, checking the context tokens are contiguous."""
    n_context = len(offsets) - offsets.count(None)
    if n_context == 0:
        raise ValueError(f"feature {k} has no context token (offset_mapping is all None)")
    first = 0
    while offsets[first] is None:
        first += 1
    last = first + n_context - 1
    if offsets[last] is None or offsets[last + 1:].count(None) != len(offsets) - last - 1:
        raise ValueError(f"feature {k}: context tokens of offset_mapping are not contiguous")
    return first, last


def context_offsets(offset_mapping: Any) -> ContextOffsets:
    """Context token ranges of every feature from ``offset_mapping`` (lists with ``None``, or a pyarrow array).

    Lists are only counted (C-speed ``list.count``), never converted token by token; an Arrow column (from a
    ``datasets.Dataset``) is converted at once.

    >>> spans = context_offsets([[None, [0, 3], [4, 9], None], [None, None, [4, 9], [10, 12]]])
    >>> spans.first.tolist(), spans.last.tolist(), spans.length.tolist()
    ([1, 2], [2, 3], [4, 4])
    >>> [a.tolist() for a in spans.chars(np.array([0, 1]), np.array([1, 2]), np.array([2, 3]))]
    [[0, 4], [9, 12]]
    """
    if isinstance(offset_mapping, (pa.Array, pa.ChunkedArray)):
        offsets = offset_mapping.combine_chunks() if isinstance(offset_mapping, pa.ChunkedArray) else offset_mapping
        length = offsets.value_lengths().fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64)
        tokens = offsets.flatten()  # one entry per token; null outside the context
        valid = tokens.is_valid().to_numpy(zero_copy_only=False)  # (n_tokens,)
        values = tokens.flatten().to_numpy(zero_copy_only=False).reshape(-1, 2)  # (n_context_tokens, 2)
        starts = np.cumsum(length) - length  # first token of each feature in `valid`
        n_context = np.add.reduceat(valid.astype(np.int64), starts) if len(valid) else np.zeros(0, np.int64)
        n_context = np.where(length > 0, n_context, 0)
        if np.any(n_context == 0):
            raise ValueError(f"feature {int(np.argmax(n_context == 0))} has no context token")
        position = np.flatnonzero(valid)  # index of every context token in `valid`
        base = np.cumsum(n_context) - n_context  # its row in `values`
        first = position[base] - starts
        last = position[base + n_context - 1] - starts
        if np.any(last - first + 1 != n_context):
            raise ValueError("context tokens of offset_mapping are not contiguous")
        return ContextOffsets(first, last, length, offsets, values.astype(np.int64), base)
    ranges = np.array([_context_range(o, k) for k, o in enumerate(offset_mapping)], dtype=np.int64).reshape(-1, 2)
    length = np.fromiter(map(len, offset_mapping), dtype=np.int64, count=len(offset_mapping))
    return ContextOffsets(ranges[:, 0], ranges[:, 1], length, offset_mapping)


def top_k_indices(logits: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` largest values of each row, largest first; equal values: larger index first.

    That order is ``np.argsort(row, kind="stable")[::-1][:k]``, computed with a linear-time partition instead of a
    full sort (rows where ties straddle the k-th place fall back to the full sort, so the result is exact).

    >>> top_k_indices(np.array([[0.1, 0.9, 0.5, 0.9]]), 3).tolist()
    [[3, 1, 2]]
    """
    n = logits.shape[1]
    if k >= n:
        return np.argsort(logits, axis=1, kind="stable")[:, ::-1]
    top = np.argpartition(logits, n - k, axis=1)[:, n - k:]  # (n_rows, k), unordered
    values = np.take_along_axis(logits, top, axis=1)
    kth = values.min(axis=1, keepdims=True)
    ambiguous = np.flatnonzero((logits == kth).sum(axis=1) != (values == kth).sum(axis=1))
    order = np.lexsort((-top, -values), axis=1)  # value descending, then index descending
    top = np.take_along_axis(top, order, axis=1)
    if ambiguous.size:
        top[ambiguous] = np.argsort(logits[ambiguous], axis=1, kind="stable")[:, ::-1][:, :k]
    return top
