"""Question(s) + context(s) to answers: a replacement for ``pipeline("question-answering")``.

transformers 5.3 removed the question-answering pipeline. ``QuestionAnswerer`` follows the algorithm and defaults of
the transformers 4.57 pipeline: the context is cut into windows (``max_length`` tokens, ``doc_stride`` shared);
in every window the start and end logits get a softmax over the allowed tokens (context and CLS); a span's score is
``p_start * p_end`` (spans of at most ``max_answer_length`` tokens, CLS excluded); each span is widened to whole words;
spans of all windows with the same text (ignoring case) add their scores; with ``handle_impossible_answer`` the empty
answer competes with the minimum CLS score over windows; the ``top_k`` best are returned with character offsets.

Deliberate differences: ``top_k > 1`` always gives a list and list inputs always give a list (the pipeline gave a
bare dict when one item remained); a window never yields a CLS, reversed or over-long span (the pipeline filled a
large ``top_k`` with such zero-score spans); with left-padding tokenizers only context tokens are allowed (the
pipeline allowed the question too); leading spaces of questions are dropped (``tokenize_windows``); ``doc_stride`` is
capped at ``max_length // 2`` (the pipeline's default rule, which it applied only when no stride was given). The
window settings have the names the rest of the package uses (``max_length``, ``doc_stride``, ``max_answer_length``);
the pipeline's ``max_seq_len`` and ``max_answer_len`` are accepted as aliases.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from qa_tutorial.devices import resolve_device
from qa_tutorial.features import cls_positions, context_token_bounds, tokenize_windows
from qa_tutorial.inference import MODEL_INPUTS, check_window_length, predict_logits

__all__ = ["QuestionAnswerer", "window_span_candidates"]

Answer = dict[str, Any]
PIPELINE_ALIASES = {"max_seq_len": "max_length", "max_answer_len": "max_answer_length"}  # the 4.57 pipeline's names
_DEFAULTS = {"max_length": 384, "max_answer_length": 15}  # QuestionAnswerer's, as the pipeline's


def window_span_candidates(start_logits: np.ndarray, end_logits: np.ndarray, allowed: np.ndarray,
                           cls_index: np.ndarray, *, n_candidates: int,
                           max_answer_length: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Best spans of every window, as the 4.57 pipeline scores them, vectorised over windows.

    Args:
        start_logits, end_logits: logits, shape (n_windows, seq_len); padding positions must be ``allowed=False``.
        allowed: tokens that may carry probability (context tokens and CLS), shape (n_windows, seq_len).
        cls_index: position of CLS in each window, shape (n_windows,).
        n_candidates: spans kept per window (before dropping spans that touch a disallowed token).
        max_answer_length: longest span, in tokens.

    Returns:
        ``(starts, ends, scores, null_scores)``: the first three of shape (n_windows, k), best first, with
        ``starts == -1`` where a candidate was dropped; ``null_scores`` (n_windows,) is ``p_start[CLS] * p_end[CLS]``.

    >>> logits = np.log(np.array([[1.0, 1.0, 2.0, 4.0]], dtype=np.float32))   # CLS, then three context tokens
    >>> allowed, cls = np.ones((1, 4), dtype=bool), np.array([0])
    >>> s, e, p, null = window_span_candidates(logits, logits, allowed, cls, n_candidates=2, max_answer_length=2)
    >>> s.tolist(), e.tolist(), p.tolist(), round(float(null[0]), 4)
    ([[3, 2]], [[3, 3]], [[0.25, 0.125]], 0.0156)
    """
    n, length = start_logits.shape
    rows = np.arange(n)

    def softmax(logits: np.ndarray) -> np.ndarray:  # (n, length), zero outside `allowed`
        x = np.where(allowed, logits, np.float32(-10000.0)).astype(np.float32)
        x = np.exp(x - x.max(axis=1, keepdims=True))
        return x / x.sum(axis=1, keepdims=True)

    p_start, p_end = softmax(start_logits), softmax(end_logits)
    null_scores = p_start[rows, cls_index] * p_end[rows, cls_index]
    p_start[rows, cls_index] = 0.0
    p_end[rows, cls_index] = 0.0
    offset = np.arange(length)[None, :] - np.arange(length)[:, None]  # (length, length): end - start
    band = (offset >= 0) & (offset < max_answer_length)
    scores = (p_start[:, :, None] * p_end[:, None, :] * band).reshape(n, -1)  # (n, length * length)
    k = min(n_candidates, scores.shape[1])
    if k < scores.shape[1]:
        top = np.argpartition(-scores, k, axis=1)[:, :k]
    else:
        top = np.broadcast_to(np.arange(k), (n, k))
    top = np.take_along_axis(top, np.argsort(-np.take_along_axis(scores, top, 1), axis=1, kind="stable"), 1)
    starts, ends = top // length, top % length
    best = np.take_along_axis(scores, top, 1)
    keep = allowed[rows[:, None], starts] & allowed[rows[:, None], ends]
    keep &= (ends >= starts) & (ends - starts < max_answer_length)  # the pipeline could return such zero spans
    keep &= (starts != cls_index[:, None]) & (ends != cls_index[:, None])
    return np.where(keep, starts, -1), np.where(keep, ends, -1), best, null_scores


def _word_char_spans(offsets: np.ndarray, word_ids: Sequence[int | None]) -> tuple[np.ndarray, np.ndarray]:
    """Per token, the character span of its whole word within the window (its own offsets when it has no word)."""
    words = np.array([-1 if w is None else w for w in word_ids], dtype=np.int64)
    new = np.ones(len(words), dtype=bool)
    new[1:] = (words[1:] != words[:-1]) | (words[1:] < 0)
    run = np.cumsum(new) - 1  # (seq_len,) run of equal word ids
    firsts = np.flatnonzero(new)
    lasts = np.append(firsts[1:] - 1, len(words) - 1)
    return offsets[firsts[run], 0], offsets[lasts[run], 1]


def _add(found: dict[str, Answer], context: str, begin: int, stop: int, score: float) -> None:
    """Add a span to an example's answers (keyed by lowercased text); a text already there gets the score added."""
    text = context[begin:stop]
    same = found.get(text.lower())
    if same is not None:
        same["score"] += score
    else:
        found[text.lower()] = {"score": score, "start": begin, "end": stop, "answer": text}


def _as_lists(question: str | Sequence[str], context: str | Sequence[str]) -> tuple[list[str], list[str], bool]:
    """Broadcast question/context arguments to two equal-length lists; say whether the input was a list."""
    for name, value in (("question", question), ("context", context)):
        if not isinstance(value, (str, Sequence)):
            raise TypeError(f"{name} must be a string or a list of strings, got {type(value).__name__}")
    many = not isinstance(question, str) or not isinstance(context, str)
    questions = [question] if isinstance(question, str) else list(question)
    contexts = [context] if isinstance(context, str) else list(context)
    if len(questions) == 1 and len(contexts) > 1:
        questions = questions * len(contexts)
    elif len(contexts) == 1 and len(questions) > 1:
        contexts = contexts * len(questions)
    if len(questions) != len(contexts):
        raise ValueError(f"got {len(questions)} questions and {len(contexts)} contexts: the lengths must match")
    if not questions:
        raise ValueError("no questions given")
    for i, (q, c) in enumerate(zip(questions, contexts)):
        for name, value in (("question", q), ("context", c)):
            if not isinstance(value, str):
                raise TypeError(f"item {i}: {name} must be a string, got {type(value).__name__}")
        if not q.strip():
            raise ValueError(f"item {i}: the question is empty")
        if not c.strip():
            raise ValueError(f"item {i}: the context is empty")
    return questions, contexts, many


def _renamed(options: dict[str, Any]) -> dict[str, Any]:
    """``options`` with the pipeline's names (`PIPELINE_ALIASES`) replaced by the package's; both at once is an error."""
    out = dict(options)
    for old, new in PIPELINE_ALIASES.items():
        if old in out:
            if new in out:
                raise TypeError(f"give {new} or its pipeline alias {old}, not both")
            out[new] = out.pop(old)
    return out


def _check_options(opts: dict[str, Any]) -> None:
    """A TypeError or ValueError naming the option, for options of the wrong type or out of range.

    >>> _check_options({"top_k": 2.5, "max_answer_length": 15, "doc_stride": 128, "max_length": 384,
    ...                 "handle_impossible_answer": False})
    Traceback (most recent call last):
    ...
    TypeError: top_k must be a whole number, got 2.5 (float)
    """
    for name, lowest in (("max_length", 1), ("doc_stride", 0), ("max_answer_length", 1), ("top_k", 1)):
        value = opts[name]
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise TypeError(f"{name} must be a whole number, got {value!r} ({type(value).__name__})")
        if value < lowest:
            raise ValueError(f"{name} must be >= {lowest}, got {value}")
    if not isinstance(opts["handle_impossible_answer"], (bool, np.bool_)):
        raise TypeError(f"handle_impossible_answer must be True or False, got {opts['handle_impossible_answer']!r}")


class QuestionAnswerer:
    """Extractive question answering with any ``...ForQuestionAnswering`` model and its fast tokenizer.

    Args:
        model: a question-answering model (put in eval mode here).
        tokenizer: its fast tokenizer.
        device: where windows are forwarded (`qa_tutorial.devices.resolve_device`; default: the model's device).
        max_length: tokens per window, capped at ``tokenizer.model_max_length`` (the pipeline's ``max_seq_len``).
        doc_stride: tokens shared by consecutive windows, capped at ``max_length // 2`` as the pipeline's default.
        max_answer_length: longest answer, in tokens (the pipeline's ``max_answer_len``; its default, 15).
        top_k: answers per question.
        handle_impossible_answer: let the empty answer ``""`` compete.
        batch_size: windows per forward pass.
        aliases: ``max_seq_len=`` and ``max_answer_len=``, the pipeline's names for ``max_length`` and
            ``max_answer_length``; an alias beside its name (set to another value than its default) is a TypeError.

    Calling it with ``question=`` and ``context=`` (strings, equal-length lists, or one of them a string) returns a
    dict ``{"score", "start", "end", "answer"}`` for one string pair and ``top_k=1``, a list of dicts for
    ``top_k > 1``, and a list of those results for list inputs. ``top_k``, ``max_answer_length``,
    ``handle_impossible_answer``, ``doc_stride`` and ``max_length`` (or their aliases) can be overridden per call.
    """

    def __init__(self, model: Any, tokenizer: Any, *, device: str | torch.device | None = None,
                 max_length: int = 384, doc_stride: int = 128, max_answer_length: int = 15, top_k: int = 1,
                 handle_impossible_answer: bool = False, batch_size: int = 8, **aliases: Any) -> None:
        if not getattr(tokenizer, "is_fast", False):
            raise TypeError(f"{type(tokenizer).__name__} is a slow tokenizer: QuestionAnswerer needs a fast one "
                            "(offsets and overflowing windows); load it with AutoTokenizer.from_pretrained(name)")
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be a whole number >= 1, got {batch_size!r}")
        unknown = set(aliases) - set(PIPELINE_ALIASES)
        if unknown:
            raise TypeError(f"QuestionAnswerer() got unexpected keyword argument(s) {sorted(unknown)}")
        self.model, self.tokenizer = model.eval(), tokenizer
        self.device = resolve_device(device) if device is not None else model.device
        self.batch_size = batch_size
        self.defaults = {"top_k": top_k, "max_answer_length": max_answer_length, "doc_stride": doc_stride,
                         "handle_impossible_answer": handle_impossible_answer, "max_length": max_length}
        for alias, value in aliases.items():
            name = PIPELINE_ALIASES[alias]
            if self.defaults[name] != _DEFAULTS[name]:
                raise TypeError(f"give {name} or its pipeline alias {alias}, not both")
            self.defaults[name] = value
        _check_options(self.defaults)

    def __call__(self, *, question: str | Sequence[str], context: str | Sequence[str],
                 **overrides: Any) -> Answer | list[Answer] | list[Answer | list[Answer]]:
        """Answer ``question`` from ``context``; see the class docstring for inputs, outputs and overrides."""
        overrides = _renamed(overrides)
        unknown = set(overrides) - set(self.defaults)
        if unknown:
            raise TypeError(f"unknown argument(s) {sorted(unknown)}; allowed: {sorted(self.defaults)} "
                            f"(or the aliases {sorted(PIPELINE_ALIASES)})")
        opts = {**self.defaults, **overrides}
        _check_options(opts)
        max_length = min(opts["max_length"], self.tokenizer.model_max_length)
        check_window_length(self.model, max_length)
        doc_stride = min(opts["doc_stride"], max_length // 2)
        questions, contexts, many = _as_lists(question, context)
        encoding = tokenize_windows({"question": questions, "context": contexts}, self.tokenizer,
                                    max_length=max_length, doc_stride=doc_stride, padding=False)
        results = self._decode(encoding, contexts, self._logits(encoding), opts)
        if opts["top_k"] == 1:
            results = [r[0] if r else {} for r in results]
        return results if many else results[0]

    def _logits(self, encoding: Any) -> list[tuple[np.ndarray, np.ndarray]]:
        """Forward all windows in batches of ``batch_size``; per window (start, end) logits without padding."""
        features = {name: encoding[name] for name in MODEL_INPUTS if name in encoding}
        start, end = predict_logits(self.model, features, batch_size=self.batch_size, device=self.device,
                                    padding_side=self.tokenizer.padding_side, progress=False)
        return [(start[w, :len(ids)], end[w, :len(ids)]) for w, ids in enumerate(encoding["input_ids"])]

    def _decode(self, encoding: Any, contexts: list[str], logits: list[tuple[np.ndarray, np.ndarray]],
                opts: dict[str, Any]) -> list[list[Answer]]:
        """Candidates of every window, widened to words, merged by text per example, null answer, top_k."""
        context_start, context_end = context_token_bounds(encoding, self.tokenizer)  # (n_windows,) each
        cls_position = cls_positions(encoding["input_ids"], self.tokenizer)  # (n_windows,)
        cls_id = self.tokenizer.cls_token_id
        found_by_text: list[dict[str, Answer]] = [{} for _ in contexts]  # lowercased text -> answer, first-seen order
        null = [1e6] * len(contexts)
        sample = encoding["overflow_to_sample_mapping"]
        for b in range(0, len(sample), self.batch_size):
            windows = range(b, min(b + self.batch_size, len(sample)))
            width = max(len(logits[w][0]) for w in windows)
            start, end = np.zeros((2, len(windows), width), dtype=np.float32)  # (batch, width), padded
            allowed = np.zeros((len(windows), width), dtype=bool)  # context tokens and CLS
            cls = cls_position[list(windows)]
            for j, w in enumerate(windows):
                start[j, :len(logits[w][0])], end[j, :len(logits[w][0])] = logits[w]
                allowed[j, context_start[w]:context_end[w] + 1] = True
                if cls_id is not None and encoding["input_ids"][w][cls[j]] == cls_id:
                    allowed[j, cls[j]] = True
            starts, ends, scores, nulls = window_span_candidates(
                start, end, allowed, cls, n_candidates=2 * opts["top_k"] + 10,
                max_answer_length=opts["max_answer_length"])
            for j, w in enumerate(windows):
                example = sample[w]
                null[example] = min(null[example], float(nulls[j]))
                offsets = np.asarray(encoding["offset_mapping"][w], dtype=np.int64).reshape(-1, 2)
                word_start, word_end = _word_char_spans(offsets, encoding.word_ids(w))
                for s, e, score in zip(starts[j], ends[j], scores[j]):
                    if s >= 0:
                        _add(found_by_text[example], contexts[example], int(word_start[s]), int(word_end[e]),
                             float(score))
        answers: list[list[Answer]] = []
        for example, by_text in enumerate(found_by_text):
            found = list(by_text.values())
            if opts["handle_impossible_answer"]:
                found.append({"score": null[example], "start": 0, "end": 0, "answer": ""})
            answers.append(sorted(found, key=lambda a: a["score"], reverse=True)[:opts["top_k"]])
        return answers
