"""Start/end logits of all features to one answer per example (SQuAD v1.1 and v2.0), vectorised over features.

The rule, for every example:

1. In each of its features, take the ``n_best_size`` highest start logits and end logits. A (start, end) pair is a
   candidate span when both tokens lie in the context (``offset_mapping`` not ``None``), ``end >= start`` and the
   span has at most ``max_answer_length`` tokens, and it covers at least one character of the context (a span of
   zero-width tokens has no text). Its score is ``start_logit + end_logit``.
2. Candidates from all the example's windows compete; the best score wins (ties keep the order feature, start
   rank, end rank). The answer is the context text between the span's character offsets.
3. SQuAD v2.0: the null score of a feature is the score of the span (CLS, CLS); the example's null score is the
   **minimum** over its features (the window most confident that an answer exists decides). The answer is ""
   when ``null_score > best_span_score + null_score_diff_threshold``, or when there is no candidate span.

Instead of a Python double loop of ``n_best_size**2`` iterations per feature, the candidate grid of every feature
is built at once as arrays of shape (n_features, n_best_size, n_best_size).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa

__all__ = ["ContextOffsets", "DecodedPredictions", "context_offsets", "decode_predictions", "postprocess_qa_predictions",
           "top_k_indices"]


@dataclass
class DecodedPredictions:
    """Everything decoding knows about each example.

    Attributes:
        predictions: example id -> answer text ("" for no answer).
        nbest: example id -> list of {"text", "score", "start_logit", "end_logit", "probability", "offsets"}, best
            first (SQuAD v2.0 lists include the null entry, with text ""); empty unless asked for.
        null_odds: example id -> null score minus best span score (higher: more likely unanswerable; ``inf``
            where there is no candidate span). The official v2.0 scorer accepts these as ``na_probs``.
    """

    predictions: dict[str, str]
    nbest: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    null_odds: dict[str, float] = field(default_factory=dict)


def _column(table: Any, name: str) -> Any:
    """A column of a ``datasets.Dataset`` as Arrow (indices respected), or of a dict of lists as it is."""
    if hasattr(table, "with_format"):
        return table.with_format("arrow")[name]
    return table[name]


def _pylist(table: Any, name: str) -> list:
    """A column as a Python list, converted at once (iterating a ``Dataset`` column decodes row by row)."""
    column = _column(table, name)
    return column.to_pylist() if hasattr(column, "to_pylist") else list(column)


# Token-level steps, on whole batches of features (arrays of shape (n_features, seq_len)): where the context lies
# in each feature, and the top-k logits of each row.


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


def _feature_groups(example_ids: Sequence[Any], feature_example_ids: Sequence[Any]) -> np.ndarray:
    """Index into ``example_ids`` of each feature's example; every example needs at least one feature."""
    position = {str(eid): k for k, eid in enumerate(example_ids)}
    if len(position) != len(example_ids):
        raise ValueError("examples have duplicate ids: clean the data first (qa_tutorial.cleaning)")
    try:
        owner = np.fromiter((position[str(e)] for e in feature_example_ids), dtype=np.int64,
                            count=len(feature_example_ids))
    except KeyError as err:
        raise ValueError(f"a feature belongs to example {err.args[0]!r}, which is not among the examples") from None
    missing = np.setdiff1d(np.arange(len(example_ids)), owner)
    if missing.size:
        raise ValueError(f"{missing.size} examples have no features (first: {example_ids[missing[0]]!r}); "
                         "pass the examples the features were made from")
    return owner


def _candidates(start_logits: np.ndarray, end_logits: np.ndarray, spans: ContextOffsets, n_best_size: int,
                max_answer_length: int) -> tuple[np.ndarray, ...]:
    """All candidate spans of all features: the reference loop's three nested ``for`` as arrays.

    The loop, line by line                                        here
    ``for f in features:``                                        axis 0 of every array
    ``for s in top_k(start_logits[f]):``                          ``start_top[f, i]``, shape (n_features, k)
    ``for e in top_k(end_logits[f]):``                            ``end_top[f, j]``, shape (n_features, k)
    ``if s, e in the context and 1 <= e - s + 1 <= L:``           ``valid[f, i, j]``, shape (n_features, k, k)
    ``yield f, s, e, start_logits[f, s] + end_logits[f, e]``      ``np.nonzero(valid)``, in the loop's order

    Returns arrays of shape (n_candidates,): feature index, start token, end token, score.
    """
    start_top = top_k_indices(start_logits, n_best_size)  # (n_features, k): the k best starts, best first
    end_top = top_k_indices(end_logits, n_best_size)  # (n_features, k)
    first, last = spans.first[:, None], spans.last[:, None]  # (n_features, 1): the context's first and last token
    start_in_context = (start_top >= first) & (start_top <= last)  # (n_features, k)
    end_in_context = (end_top >= first) & (end_top <= last)  # (n_features, k)
    length = end_top[:, None, :] - start_top[:, :, None] + 1  # (n_features, k, k): tokens in span (i, j)
    valid = (start_in_context[:, :, None] & end_in_context[:, None, :]  # (n_features, k, k)
             & (length >= 1) & (length <= max_answer_length))
    feature, i, j = np.nonzero(valid)  # C order: feature, then start rank, then end rank, as the loop visits them
    start, end = start_top[feature, i], end_top[feature, j]  # (n_candidates,)
    score = start_logits[feature, start] + end_logits[feature, end]
    return feature, start, end, score


def _example_null_scores(start_logits: np.ndarray, end_logits: np.ndarray, cls: np.ndarray, owner: np.ndarray,
                         n_examples: int) -> np.ndarray:
    """The null score of every example: the **minimum** over its features of ``start[CLS] + end[CLS]``.

    Shapes: logits (n_features, seq_len), ``cls`` and ``owner`` (n_features,); returns (n_examples,).
    """
    rows = np.arange(len(cls))
    feature_null = start_logits[rows, cls] + end_logits[rows, cls]  # (n_features,)
    null_score = np.full(n_examples, np.inf)
    np.minimum.at(null_score, owner, feature_null)  # for each feature: null[owner] = min(null[owner], its null)
    return null_score


def _rank_within_examples(example: np.ndarray, score: np.ndarray, keep: int) -> np.ndarray:
    """Indices of the candidates to keep: grouped by example, best score first (ties in the loop's order), at most
    ``keep`` per example; the loop's ``sorted(candidates, reverse=True)[:keep]`` for all examples at once."""
    order = np.lexsort((-score, example))  # by example, then best score first; stable, so ties keep their order
    grouped = example[order]
    rank = np.arange(len(order)) - np.searchsorted(grouped, grouped, side="left")  # 0 = best of its example
    return order[rank < keep]


def _as_logits(values: Any, name: str, n_features: int) -> np.ndarray:
    array = np.asarray(values.detach().cpu() if hasattr(values, "detach") else values)
    if not np.issubdtype(array.dtype, np.floating):
        array = array.astype(np.float64)
    if array.ndim != 2 or array.shape[0] != n_features:
        raise ValueError(f"{name} must have shape (n_features={n_features}, seq_len), got {array.shape}")
    if not np.isfinite(array).all():
        rows = np.flatnonzero(~np.isfinite(array).all(axis=1))
        raise ValueError(f"{name} holds NaN or infinite values in {rows.size} of {n_features} features (first: "
                         f"feature {rows[0]}): the model's output is broken (a diverged training run, or fp16 "
                         "overflow), so no answer can be decoded from it")
    return array


def decode_predictions(examples: Any, features: Any, start_logits: Any, end_logits: Any, *, n_best_size: int = 20,
                       max_answer_length: int = 30, version_2_with_negative: bool = False,
                       null_score_diff_threshold: float = 0.0, with_nbest: bool = True) -> DecodedPredictions:
    """Decode answers, n-best lists with probabilities, and null odds (see the module docstring for the rule).

    Args:
        examples: ``datasets.Dataset`` or dict of lists with "id" and "context".
        features: evaluation features (``prepare_eval_features``) with "example_id", "offset_mapping" and
            optionally "cls_index" (position of the null span; 0 when absent).
        start_logits, end_logits: arrays of shape (n_features, seq_len).
        n_best_size: top start/end tokens per feature, and the length of the n-best lists.
        max_answer_length: longest span, in tokens.
        version_2_with_negative: SQuAD v2.0 rule (may answer "").
        null_score_diff_threshold: how much the null score must beat the best span to answer "".
        with_nbest: also build the n-best lists (slower; not needed for the answers alone).

    Returns:
        ``DecodedPredictions``.
    """
    if n_best_size < 1 or max_answer_length < 1:
        raise ValueError("n_best_size and max_answer_length must be >= 1")
    # 1. Inputs: logits as arrays, the example of every feature, where each feature's context lies.
    feature_example_ids = [str(e) for e in _pylist(features, "example_id")]
    n_features = len(feature_example_ids)
    start_logits = _as_logits(start_logits, "start_logits", n_features)  # (n_features, seq_len)
    end_logits = _as_logits(end_logits, "end_logits", n_features)
    if start_logits.shape != end_logits.shape:
        raise ValueError(f"start_logits {start_logits.shape} and end_logits {end_logits.shape} differ")
    ids = [str(e) for e in _pylist(examples, "id")]
    contexts = _pylist(examples, "context")
    owner = _feature_groups(ids, feature_example_ids)  # (n_features,): index of each feature's example
    spans = context_offsets(_column(features, "offset_mapping"))
    if spans.length.max(initial=0) > start_logits.shape[1]:
        raise ValueError(f"offset_mapping has {spans.length.max()} tokens but the logits {start_logits.shape[1]}")
    names = features.column_names if hasattr(features, "column_names") else list(features)
    cls = (np.asarray(_pylist(features, "cls_index"), dtype=np.int64) if "cls_index" in names
           else np.zeros(n_features, dtype=np.int64))  # (n_features,)

    # 2. The null score of every example (SQuAD v2.0): the minimum over its features.
    null_score = _example_null_scores(start_logits, end_logits, cls, owner, len(ids))  # (n_examples,)

    # 3. Candidate spans of every feature, as characters: from the start token's first character to the end
    #    token's last. A span without characters (zero-width offsets, such as a lone space token of a byte-level
    #    BPE) is no answer, so it is not a candidate: it could otherwise beat the null score and answer "".
    feature, start, end, score = _candidates(start_logits, end_logits, spans, n_best_size, max_answer_length)
    char_from, char_to = spans.chars(feature, start, end)
    has_text = char_to > char_from
    feature, start, end, score = feature[has_text], start[has_text], end[has_text], score[has_text]
    char_from, char_to = char_from[has_text], char_to[has_text]

    # 4. Each example's candidates from all its features ranked together, then their text.
    kept = _rank_within_examples(owner[feature], score, n_best_size if with_nbest else 1)
    feature, start, end, score = feature[kept], start[kept], end[kept], score[kept]  # (n_kept,), by example
    char_from, char_to = char_from[kept], char_to[kept]
    example = owner[feature]
    texts = [contexts[e][a:b] for e, a, b in zip(example.tolist(), char_from.tolist(), char_to.tolist())]

    # 5. The answer of every example: its best span, or "" by the v2.0 rule (or when it has no candidate).
    first = np.searchsorted(example, np.arange(len(ids)), side="left")  # each example's candidates: [first, last)
    last = np.searchsorted(example, np.arange(len(ids)), side="right")
    has_span = last > first
    best_score = np.full(len(ids), -np.inf, dtype=np.float64)
    best_score[has_span] = score[first[has_span]]
    answer_null = ~has_span
    if version_2_with_negative:
        answer_null |= null_score > best_score + null_score_diff_threshold
    result = DecodedPredictions(
        predictions={ids[e]: "" if answer_null[e] else texts[first[e]] for e in range(len(ids))},
        null_odds={ids[e]: float(null_score[e] - best_score[e]) for e in range(len(ids))},
    )
    if with_nbest:
        candidates = {"text": texts, "score": score.tolist(), "start_logit": start_logits[feature, start].tolist(),
                      "end_logit": end_logits[feature, end].tolist(),
                      "offsets": list(zip(char_from.tolist(), char_to.tolist()))}
        for e, example_id in enumerate(ids):
            null = float(null_score[e]) if version_2_with_negative else None
            result.nbest[example_id] = _nbest_entries(candidates, int(first[e]), int(last[e]), null)
    return result


def _nbest_entries(candidates: dict[str, list], first: int, last: int, null_score: float | None) -> list[dict]:
    """One example's n-best list (candidates[first:last], plus the null entry when given) with softmax probabilities."""
    entries = [{name: values[c] for name, values in candidates.items()} for c in range(first, last)]
    if null_score is not None:
        entries.append({"text": "", "score": null_score, "start_logit": None, "end_logit": None, "offsets": (0, 0)})
        entries.sort(key=lambda entry: -entry["score"])
    if entries:
        scores = np.array([entry["score"] for entry in entries], dtype=np.float64)
        probabilities = np.exp(scores - scores.max())
        for entry, p in zip(entries, probabilities / probabilities.sum()):
            entry["probability"] = float(p)
    return entries


def postprocess_qa_predictions(examples: Any, features: Any, start_logits: Any, end_logits: Any, *,
                               n_best_size: int = 20, max_answer_length: int = 30,
                               version_2_with_negative: bool = False,
                               null_score_diff_threshold: float = 0.0) -> dict[str, str]:
    """One answer per example from the logits of all its features ("" for no answer in SQuAD v2.0).

    Args:
        examples: ``datasets.Dataset`` or dict of lists with "id" and "context".
        features: evaluation features with "example_id" and "offset_mapping" (``None`` outside the context).
        start_logits, end_logits: arrays of shape (n_features, seq_len).
        n_best_size: top start/end tokens considered per feature.
        max_answer_length: longest answer, in tokens.
        version_2_with_negative: apply the SQuAD v2.0 null rule.
        null_score_diff_threshold: margin the null score needs over the best span to answer "".

    Returns:
        example id -> answer text.

    >>> examples = {"id": ["q1"], "context": ["Paris is in France"]}
    >>> features = {"example_id": ["q1"], "offset_mapping": [[None, [0, 5], [6, 8], [9, 11], [12, 18], None]]}
    >>> start = np.array([[0.0, 1.0, 0.0, 0.0, 5.0, 0.0]])   # CLS, Paris, is, in, France, SEP
    >>> end = np.array([[0.0, 0.0, 0.0, 0.0, 5.0, 0.0]])
    >>> postprocess_qa_predictions(examples, features, start, end)
    {'q1': 'France'}
    >>> postprocess_qa_predictions(examples, features, start, end, version_2_with_negative=True,
    ...                            null_score_diff_threshold=-11.0)
    {'q1': ''}
    """
    return decode_predictions(examples, features, start_logits, end_logits, n_best_size=n_best_size,
                              max_answer_length=max_answer_length, version_2_with_negative=version_2_with_negative,
                              null_score_diff_threshold=null_score_diff_threshold, with_nbest=False).predictions
