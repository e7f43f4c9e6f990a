"""Question + context to model features: windows with a stride, offsets, and answer labels in token positions.

A context longer than ``max_length`` tokens is cut into overlapping windows ("features"); consecutive windows
share ``doc_stride`` tokens. Training features carry the answer as ``start_positions``/``end_positions`` (token
indices, or the CLS index when the answer is not wholly inside the window). Evaluation features carry
``example_id`` and ``offset_mapping`` (character spans, ``None`` outside the context) so that decoding can map
token spans back to text.

Both functions take a batch dict of lists, as ``Dataset.map(batched=True)`` passes it, and return a dict of lists.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

__all__ = [
    "answer_char_spans",
    "check_window_settings",
    "cls_positions",
    "context_sequence_id",
    "context_token_bounds",
    "label_token_positions",
    "prepare_eval_features",
    "prepare_train_features",
    "question_first",
    "tokenize_windows",
]


def question_first(tokenizer: Any) -> bool:
    """Whether the question goes first in the pair (right-padding tokenizers) or the context does (left-padding).

    With left padding, putting the context first keeps the padding away from the question, as the Hugging Face
    examples do for XLNet-style models.

    >>> from types import SimpleNamespace
    >>> question_first(SimpleNamespace(padding_side="right")), question_first(SimpleNamespace(padding_side="left"))
    (True, False)
    """
    return tokenizer.padding_side == "right"


def context_sequence_id(tokenizer: Any) -> int:
    """Which sequence of the pair is the context (``encoding.sequence_ids`` value): 1 after the question, else 0.

    >>> from types import SimpleNamespace
    >>> context_sequence_id(SimpleNamespace(padding_side="right")), context_sequence_id(SimpleNamespace(padding_side="left"))
    (1, 0)
    """
    return 1 if question_first(tokenizer) else 0


def check_window_settings(tokenizer: Any, max_length: int, doc_stride: int) -> int:
    """Reject slow tokenizers and impossible window settings, naming the setting at fault; return the number of
    special tokens a pair adds.

    >>> from qa_tutorial.tokenizers_offline import train_wordpiece_tokenizer
    >>> tokenizer = train_wordpiece_tokenizer(["Paris is in France."], vocab_size=60)
    >>> check_window_settings(tokenizer, 384, 128)
    3
    >>> check_window_settings(tokenizer, 0, 128)
    Traceback (most recent call last):
    ...
    ValueError: max_length=0 is too short: a window needs its 3 special tokens and at least one other token
    """
    if not getattr(tokenizer, "is_fast", False):
        raise TypeError(
            f"{type(tokenizer).__name__} is a slow (pure Python) tokenizer: windows need offsets and "
            "overflow_to_sample_mapping, which only fast tokenizers give. Load it with "
            "AutoTokenizer.from_pretrained(name) (use_fast is the default) or convert it."
        )
    for name, value in (("max_length", max_length), ("doc_stride", doc_stride)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise TypeError(f"{name} must be a whole number of tokens, got {value!r}")
    n_special = tokenizer.num_special_tokens_to_add(pair=True)
    if max_length <= n_special:
        raise ValueError(f"max_length={max_length} is too short: a window needs its {n_special} special tokens and "
                         "at least one other token")
    if doc_stride < 0:
        raise ValueError(f"doc_stride must be >= 0, got {doc_stride}")
    if doc_stride >= max_length - n_special:
        raise ValueError(
            f"doc_stride={doc_stride} leaves no room: a window of max_length={max_length} holds at most "
            f"{max_length - n_special} question+context tokens, and the stride must be smaller than the context room."
        )
    return n_special


def _check_questions(questions: Sequence[str], ids: Sequence[Any], tokenizer: Any, max_length: int,
                     doc_stride: int, n_special: int, bound: bool = True) -> None:
    """Raise a clear error for a question that leaves no context room (or less than ``doc_stride``).

    With ``bound``, only questions that could be too long are tokenized: a question of ``b`` UTF-8 bytes has at most
    ``b`` tokens unless a normaliser expands characters (NFKC), which the fallback in ``tokenize_windows`` covers.
    """
    limit = max_length - n_special - doc_stride  # a question of `limit` tokens leaves exactly doc_stride
    suspects = [i for i, q in enumerate(questions) if not bound or len(q.encode("utf-8")) >= limit]
    if not suspects:
        return
    encoded = tokenizer([questions[i] for i in suspects], add_special_tokens=False)["input_ids"]
    for i, q_ids in zip(suspects, encoded):
        if len(q_ids) >= limit:
            room = max_length - n_special - len(q_ids)
            raise ValueError(
                f"question of example {ids[i]!r} is {len(q_ids)} tokens long: with max_length={max_length} it "
                f"leaves {max(room, 0)} tokens for the context, which must exceed doc_stride={doc_stride}. "
                "Raise max_length, lower doc_stride, or shorten the question."
            )


def tokenize_windows(examples: Mapping[str, Sequence[Any]], tokenizer: Any, *, max_length: int = 384,
                     doc_stride: int = 128, padding: bool | str = "max_length") -> Any:
    """Tokenize question/context pairs into overlapping windows with offsets.

    Questions lose their leading whitespace (some SQuAD questions start with many spaces that would eat the
    window). Only the context is truncated, so every window holds the whole question.

    Args:
        examples: batch dict with "question" and "context" lists (and "id" for error messages).
        tokenizer: a fast tokenizer.
        max_length: tokens per window, special tokens included.
        doc_stride: tokens shared by consecutive windows of the same context.
        padding: "max_length" (fixed-size windows) or False (pad later, per batch, with a collator).

    Returns:
        The tokenizer's ``BatchEncoding`` with ``offset_mapping`` and ``overflow_to_sample_mapping``.
    """
    n_special = check_window_settings(tokenizer, max_length, doc_stride)
    questions = [q.lstrip() for q in examples["question"]]
    contexts = list(examples["context"])
    ids = examples.get("id", list(range(len(questions))))
    for i, context in enumerate(contexts):
        if not context or not context.strip():
            raise ValueError(f"example {ids[i]!r} has an empty context")
    _check_questions(questions, ids, tokenizer, max_length, doc_stride, n_special)
    first, second = (questions, contexts) if question_first(tokenizer) else (contexts, questions)
    try:
        return tokenizer(
            first,
            second,
            truncation="only_second" if question_first(tokenizer) else "only_first",
            max_length=max_length,
            stride=doc_stride,
            return_overflowing_tokens=True,
            return_offsets_mapping=True,
            padding=padding,
        )
    except BaseException as err:  # the Rust tokenizer panics (a BaseException) on a stride it cannot honour
        if not isinstance(err, Exception) and type(err).__name__ != "PanicException":
            raise
        _check_questions(questions, ids, tokenizer, max_length, doc_stride, n_special, bound=False)
        raise


def context_token_bounds(encoding: Any, tokenizer: Any) -> tuple[np.ndarray, np.ndarray]:
    """First and last token index of the context in each window of ``encoding`` (from `tokenize_windows`).

    Returns:
        ``(starts, ends)``, int arrays of shape (n_windows,).
    """
    context_id = context_sequence_id(tokenizer)
    n = len(encoding["input_ids"])
    starts, ends = np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64)
    for i in range(n):
        seq = encoding.sequence_ids(i)
        starts[i] = seq.index(context_id)
        try:  # the context always ends at a special token (None): [SEP] or </s>
            ends[i] = seq.index(None, starts[i]) - 1
        except ValueError:
            ends[i] = len(seq) - 1
        if seq[ends[i]] != context_id:  # not one contiguous run: fall back to the last context token
            ends[i] = len(seq) - 1 - seq[::-1].index(context_id)
    return starts, ends


def answer_char_spans(answers: Sequence[Mapping[str, Sequence[Any]]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Character span [start, end) of each example's first answer, and whether it has one.

    >>> answer_char_spans([{"text": ["Paris"], "answer_start": [7]}, {"text": [], "answer_start": []}])
    (array([7, 0]), array([12,  0]), array([ True, False]))
    """
    has = np.array([len(a["text"]) > 0 for a in answers], dtype=bool)
    start = np.array([a["answer_start"][0] if len(a["text"]) else 0 for a in answers], dtype=np.int64)
    end = np.array([start[k] + len(a["text"][0]) if has[k] else 0 for k, a in enumerate(answers)], dtype=np.int64)
    return start, end, has


def _char_start(offset: Sequence[int]) -> int:
    return offset[0]


def _char_end(offset: Sequence[int]) -> int:
    return offset[1]


def label_token_positions(offsets: Sequence[Sequence[Sequence[int]]], context_start: np.ndarray,
                          context_end: np.ndarray, start_char: np.ndarray, end_char: np.ndarray,
                          has_answer: np.ndarray, cls_index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Token labels of the answer in every feature: two binary searches over each feature's context offsets.

    The start label is the first context token that ends after ``start_char``; the end label is the last context
    token that starts before ``end_char``: the tightest token span covering the answer characters. A feature
    whose context window does not wholly contain the answer (or whose example has none) is labelled
    ``cls_index`` for both.

    Args:
        offsets: per feature, per token ``(char_start, char_end)`` (ragged lists are fine).
        context_start, context_end: first/last context token per feature. Shape (n_features,).
        start_char, end_char: answer span [start, end) per feature, in context characters. Shape (n_features,).
        has_answer: whether the feature's example has an answer. Shape (n_features,).
        cls_index: the label used for "no answer in this window". Shape (n_features,).

    Returns:
        ``(start_positions, end_positions)``, each of shape (n_features,).

    >>> offsets = [[(0, 0), (0, 4), (0, 0), (0, 3), (4, 9), (10, 12), (0, 0)]]   # [CLS] q [SEP] c c c [SEP]
    >>> one = lambda v: np.array([v])
    >>> label_token_positions(offsets, one(3), one(5), one(4), one(9), one(True), one(0))
    (array([4]), array([4]))
    >>> label_token_positions(offsets, one(3), one(5), one(5), one(12), one(True), one(0))
    (array([4]), array([5]))
    >>> label_token_positions(offsets, one(3), one(5), one(10), one(20), one(True), one(0))   # not inside
    (array([0]), array([0]))
    """
    n = len(offsets)
    start_tok, end_tok = np.array(cls_index, dtype=np.int64, copy=True), np.array(cls_index, dtype=np.int64, copy=True)
    for i in range(n):  # two binary searches per feature: context offsets are sorted
        if not has_answer[i]:
            continue
        offs, cs, ce, a, b = offsets[i], int(context_start[i]), int(context_end[i]), start_char[i], end_char[i]
        if offs[cs][0] <= a and offs[ce][1] >= b:  # the window holds the whole answer
            start_tok[i] = bisect_right(offs, a, cs, ce + 1, key=_char_end)  # first token ending after a
            end_tok[i] = bisect_left(offs, b, cs, ce + 1, key=_char_start) - 1  # last token starting before b
    return start_tok, end_tok


def cls_positions(input_ids: Sequence[Sequence[int]], tokenizer: Any) -> np.ndarray:
    """Position of the first CLS token in each window: the "no answer" label and the null span (0 when the
    tokenizer has no CLS token, or the window holds none).

    >>> from types import SimpleNamespace
    >>> cls_positions([[101, 7, 102], [5, 6, 101]], SimpleNamespace(cls_token_id=101)).tolist()
    [0, 2]
    """
    cls_id = tokenizer.cls_token_id
    if cls_id is None:
        return np.zeros(len(input_ids), dtype=np.int64)
    return np.fromiter((ids.index(cls_id) if cls_id in ids else 0 for ids in input_ids), dtype=np.int64,
                       count=len(input_ids))


def prepare_train_features(examples: Mapping[str, Sequence[Any]], tokenizer: Any, max_length: int = 384,
                           doc_stride: int = 128, padding: bool | str = "max_length") -> dict[str, list]:
    """Training features: windows with ``start_positions``/``end_positions`` token labels.

    Use with ``dataset.map(prepare_train_features, batched=True, remove_columns=dataset.column_names,
    fn_kwargs={"tokenizer": tokenizer})``: one example can give several features.

    Args:
        examples: batch dict with "question", "context", "answers" ({"text", "answer_start"}) and "id".
        tokenizer: a fast tokenizer (right or left padding).
        max_length: tokens per window.
        doc_stride: tokens shared by consecutive windows.
        padding: "max_length" or False (dynamic padding by a collator).

    Returns:
        dict of lists: the tokenizer's model inputs plus "start_positions" and "end_positions".
    """
    encoding = tokenize_windows(examples, tokenizer, max_length=max_length, doc_stride=doc_stride, padding=padding)
    sample = np.asarray(encoding.pop("overflow_to_sample_mapping"), dtype=np.int64)
    offsets = encoding.pop("offset_mapping")
    context_start, context_end = context_token_bounds(encoding, tokenizer)
    start_char, end_char, has = answer_char_spans(examples["answers"])
    start, end = label_token_positions(offsets, context_start, context_end, start_char[sample], end_char[sample],
                                       has[sample], cls_positions(encoding["input_ids"], tokenizer))
    features = dict(encoding)
    features["start_positions"] = start.tolist()
    features["end_positions"] = end.tolist()
    return features


def prepare_eval_features(examples: Mapping[str, Sequence[Any]], tokenizer: Any, max_length: int = 384,
                          doc_stride: int = 128, padding: bool | str = "max_length") -> dict[str, list]:
    """Evaluation features: windows with ``example_id``, ``offset_mapping`` (``None`` outside the context) and
    ``cls_index``, which decoding needs to map token spans back to the example's text.

    Args:
        examples: batch dict with "question", "context" and "id".
        tokenizer: a fast tokenizer (right or left padding).
        max_length: tokens per window.
        doc_stride: tokens shared by consecutive windows.
        padding: "max_length" or False.

    Returns:
        dict of lists: model inputs plus "example_id", "offset_mapping" and "cls_index".
    """
    encoding = tokenize_windows(examples, tokenizer, max_length=max_length, doc_stride=doc_stride, padding=padding)
    sample = encoding.pop("overflow_to_sample_mapping")
    offsets = encoding.pop("offset_mapping")
    context_start, context_end = context_token_bounds(encoding, tokenizer)
    features = dict(encoding)
    features["example_id"] = [str(examples["id"][s]) for s in sample]
    # The tokenizer's own (start, end) pairs are kept, not copied: a new list per token would make millions of
    # small objects, and the garbage collector's passes over them cost more than everything else here.
    features["offset_mapping"] = [
        [None] * cs + list(offs[cs:ce + 1]) + [None] * (len(offs) - ce - 1)
        for offs, cs, ce in zip(offsets, context_start.tolist(), context_end.tolist())
    ]
    features["cls_index"] = cls_positions(encoding["input_ids"], tokenizer).tolist()
    return features
