"""The book's long-document experiments: where answers lie, how many windows an article takes, and one long
Longformer pass measured against many short windows (windows, padded tokens, time and peak memory).

Chapter 9 runs these on COVID-QA articles. The model inputs they build come from `qa_tutorial.longformer`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import os
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import torch

from qa_tutorial.features import tokenize_windows
from qa_tutorial.longformer import (
    LONGFORMER_MAX_LENGTH,
    attention_window,
    pad_to_attention_window,
    question_global_attention,
    window_batches,
)

__all__ = ["PassMeasurement", "compare_long_and_windows", "count_windows", "locate_answers", "peak_memory",
           "question_reach"]


def count_windows(context_tokens: int, question_tokens: int, *, max_length: int, doc_stride: int,
                  special_tokens: int = 4) -> int:
    """How many windows a context of ``context_tokens`` becomes, as the fast tokenizers cut it.

    Each window holds the question, ``special_tokens`` and ``room = max_length - question_tokens -
    special_tokens`` context tokens; consecutive windows share ``doc_stride`` of them.

    >>> count_windows(300, 10, max_length=384, doc_stride=128), count_windows(4000, 10, max_length=384, doc_stride=128)
    (1, 16)
    >>> count_windows(4000, 10, max_length=4096, doc_stride=128)
    1
    """
    room = max_length - question_tokens - special_tokens
    if room <= doc_stride:
        raise ValueError(f"max_length={max_length} leaves {room} context tokens, not more than doc_stride={doc_stride}")
    return 1 if context_tokens <= room else 1 + math.ceil((context_tokens - room) / (room - doc_stride))


def locate_answers(examples: Mapping[str, Sequence[Any]], tokenizer: Any) -> dict[str, np.ndarray]:
    """Per example: its context's length in tokens and the token where its first answer starts.

    Each distinct context is tokenized once, alone (no special tokens), so positions count from its first token.

    Args:
        examples: batch dict with "context" and "answers" ({"text", "answer_start"}), e.g. ``dataset.to_dict()``.
        tokenizer: a fast tokenizer.

    Returns:
        ``{"context_tokens": ..., "answer_token": ...}``, int arrays of shape (n_examples,); ``answer_token`` is -1
        for an example without an answer.
    """
    contexts = list(dict.fromkeys(examples["context"]))
    encoded = tokenizer(contexts, add_special_tokens=False, return_offsets_mapping=True, verbose=False)
    ends = {c: np.array([end for _, end in offsets], dtype=np.int64)
            for c, offsets in zip(contexts, encoded["offset_mapping"])}  # char end of each token
    lengths = np.array([len(ends[c]) for c in examples["context"]], dtype=np.int64)
    starts = [a["answer_start"][0] if len(a["answer_start"]) else -1 for a in examples["answers"]]
    positions = np.array([np.searchsorted(ends[c], s, side="right") if s >= 0 else -1
                          for c, s in zip(examples["context"], starts)], dtype=np.int64)
    return {"context_tokens": lengths, "answer_token": positions}


def peak_memory(fn: Callable[[], Any], device: str | torch.device = "cpu") -> tuple[Any, int]:
    """Run ``fn()`` and return its result and the peak of torch memory it needed above the starting level, in bytes.

    CUDA: ``torch.cuda.max_memory_allocated`` after resetting the peak. CPU: the CPU allocator has no peak counter,
    so the call runs under ``torch.profiler`` with ``profile_memory=True``, which records every allocation and free
    of a CPU tensor (intermediate ones inside operators included); the peak is the largest running sum. Process
    measures do not work: ``ru_maxrss`` only grows and counts the whole process; ``tracemalloc`` sees Python
    objects, not tensor storage.
    """
    device = torch.device(device)
    if device.type == "cuda":
        torch.cuda.synchronize(device)
        torch.cuda.reset_peak_memory_stats(device)
        start = torch.cuda.memory_allocated(device)
        result = fn()
        torch.cuda.synchronize(device)
        return result, int(torch.cuda.max_memory_allocated(device) - start)
    from torch.profiler import ProfilerActivity, profile

    prof = profile(activities=[ProfilerActivity.CPU], profile_memory=True)
    with _quiet_stderr():  # kineto logs "profiler_start"/"profiler_stop" lines on file descriptor 2
        prof.start()
    try:
        result = fn()
    finally:
        with _quiet_stderr():
            prof.stop()
    events = sorted((e.start_ns(), e.nbytes()) for e in prof.profiler.kineto_results.events()
                    if e.name() == "[memory]" and e.device_type() == torch.autograd.DeviceType.CPU)
    running = np.cumsum([nbytes for _, nbytes in events], dtype=np.int64)
    return result, int(max(running.max(initial=0), 0))


@contextlib.contextmanager
def _quiet_stderr() -> Iterator[None]:
    """Point file descriptor 2 at /dev/null for a moment (C++ log lines), then restore it."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


@dataclasses.dataclass(frozen=True)
class PassMeasurement:
    """One way of covering a document: its windows, the tokens computed and the time and memory it took."""

    approach: str
    max_length: int
    windows: int
    forward_passes: int
    tokens: int  # tokens in all windows (question repeated in each, overlaps counted twice)
    padded_tokens: int  # tokens the model computes: batches padded to the longest window, then to the attention window
    seconds: float  # fastest of the timed repeats
    peak_memory_bytes: int
    device: str


def compare_long_and_windows(model: Any, tokenizer: Any, question: str, context: str, *,
                             long_length: int = LONGFORMER_MAX_LENGTH, window_length: int = 384,
                             doc_stride: int = 128, batch_size: int = 8, repeats: int = 5) -> list[PassMeasurement]:
    """The same document covered in ``long_length``-token windows (one pass when it fits) and in short windows.

    Forward passes (no decoding) over the document both ways; the timed runs alternate between the two, so that a busy moment on a shared machine
    slows both alike.

    Returns:
        ``[long, short]`` `PassMeasurement` s, labelled "<n> tokens at once" and "<n>-token windows".
    """
    approaches = {f"{long_length} tokens at once": long_length, f"{window_length}-token windows": window_length}
    return _measure(model, tokenizer, question, context, approaches, doc_stride=doc_stride, batch_size=batch_size,
                    repeats=repeats)


def _measure(model: Any, tokenizer: Any, question: str, context: str, approaches: dict[str, int], *,
             doc_stride: int, batch_size: int, repeats: int) -> list[PassMeasurement]:
    """Windows, warm-up and peak memory of each approach, then ``repeats`` rounds timing each approach once."""
    device = next(model.parameters()).device
    model.eval()

    def forward_all(batches: list[dict[str, torch.Tensor]]) -> None:
        with torch.inference_mode():
            for batch in batches:
                model(**batch)
        if device.type == "cuda":
            torch.cuda.synchronize(device)

    plans = {}
    for label, max_length in approaches.items():
        encoding = tokenize_windows({"question": [question], "context": [context]}, tokenizer,
                                    max_length=max_length, doc_stride=doc_stride, padding=False)
        batches = [{k: v.to(device) for k, v in b.items()}
                   for b in window_batches(encoding, batch_size=batch_size, window=attention_window(model.config),
                                           pad_token_id=tokenizer.pad_token_id, sep_token_id=tokenizer.sep_token_id)]
        forward_all(batches)  # warm-up: one-time allocations and kernel selection are not the document's cost
        plans[label] = (encoding, batches, peak_memory(lambda b=batches: forward_all(b), device)[1])
    times: dict[str, list[float]] = {label: [] for label in approaches}
    for _ in range(repeats):
        for label, (_, batches, _) in plans.items():
            start = time.perf_counter()
            forward_all(batches)
            times[label].append(time.perf_counter() - start)
    return [PassMeasurement(
        approach=label, max_length=approaches[label], windows=len(encoding["input_ids"]),
        forward_passes=len(batches), tokens=sum(len(ids) for ids in encoding["input_ids"]),
        padded_tokens=sum(int(b["input_ids"].numel()) for b in batches), seconds=min(times[label]),
        peak_memory_bytes=peak, device=str(device)) for label, (encoding, batches, peak) in plans.items()]


def question_reach(model: Any, input_ids: torch.Tensor, attention_mask: torch.Tensor, *, sep_token_id: int,
                   tolerance: float = 0.0) -> dict[str, int]:
    """How many context tokens the question reaches, with global attention on it and with local attention only.

    The question's tokens are reversed (a different question of the same length, so nothing else moves); a context
    token is reached when its final hidden state (what the start/end layer reads) changes by more than ``tolerance``
    in any feature.

    Args:
        model: a Longformer QA model.
        input_ids, attention_mask: one question/context pair, shape (1, seq_len), question first (padded here to
            the attention window).
        sep_token_id: the separator id.
        tolerance: a change larger than this counts (0: any change; outside the reach of local attention the
            hidden states are exactly equal).

    Returns:
        ``{"context tokens", "reached with global attention", "reached with local attention only"}``.
    """
    padded = pad_to_attention_window({"input_ids": input_ids, "attention_mask": attention_mask},
                                     attention_window(model.config), model.config.pad_token_id)
    input_ids, attention_mask = padded["input_ids"], padded["attention_mask"]
    question = question_global_attention(input_ids, sep_token_id)[0].bool()
    question[0] = False  # keep <s> where it is
    changed = input_ids.clone()
    changed[0, question] = input_ids[0, question].flip(0)
    context = torch.zeros_like(question)
    separators = (input_ids[0] == sep_token_id).nonzero().flatten()
    context[separators[1] + 1:separators[2]] = True  # between </s></s> and the final </s>
    counts = {"context tokens": int(context.sum())}
    model.eval()
    for label, use_global in (("reached with global attention", True), ("reached with local attention only", False)):
        states = []
        for ids in (input_ids, changed):
            glob = question_global_attention(ids, sep_token_id) if use_global else torch.zeros_like(ids)
            with torch.inference_mode():
                states.append(model(input_ids=ids, attention_mask=attention_mask, global_attention_mask=glob,
                                    output_hidden_states=True).hidden_states[-1][0])  # (seq_len, hidden)
        reached = ((states[0] - states[1]).abs() > tolerance).any(dim=-1)  # (seq_len,)
        counts[label] = int(reached[context].sum())
    return counts
