"""Straightforward reference implementations that the package's vectorised code is checked against.

Written as plainly as possible (Python loops over examples, features, start and end tokens), independent of
qa_tutorial. The benchmarks import the decoding loop from here, so test and benchmark compare with the same loop.
"""

from __future__ import annotations

import collections
from typing import Any

import numpy as np


def reference_postprocess(examples: Any, features: Any, start_logits: np.ndarray, end_logits: np.ndarray, *,
                          n_best_size: int = 20, max_answer_length: int = 30, version_2_with_negative: bool = False,
                          null_score_diff_threshold: float = 0.0) -> tuple[dict[str, str], dict[str, list]]:
    """Loop decoding: per example, per feature, n_best x n_best (start, end) pairs; returns answers and n-best.

    ``features`` is a dict of lists, or a ``datasets.Dataset`` read row by row.
    """
    by_example = collections.defaultdict(list)
    for k, example_id in enumerate(features["example_id"]):
        by_example[str(example_id)].append(k)
    if hasattr(features, "with_format"):  # a datasets.Dataset: read each feature's row, as the seeds' loop does
        def row(k: int) -> tuple[list, int]:
            feature = features[k]
            return feature["offset_mapping"], feature.get("cls_index", 0)
    else:
        def row(k: int) -> tuple[list, int]:
            return features["offset_mapping"][k], features["cls_index"][k] if "cls_index" in features else 0
    answers, nbest = {}, {}
    for e, example_id in enumerate(examples["id"]):
        example_id = str(example_id)
        context = examples["context"][e]
        candidates = []
        min_null = None
        for k in by_example[example_id]:
            starts, ends = start_logits[k], end_logits[k]
            offsets, c = row(k)
            null = starts[c] + ends[c]
            if min_null is None or null < min_null:
                min_null = null
            top_starts = np.argsort(starts, kind="stable")[-1:-n_best_size - 1:-1]
            top_ends = np.argsort(ends, kind="stable")[-1:-n_best_size - 1:-1]
            for s in top_starts:
                for t in top_ends:
                    if s >= len(offsets) or t >= len(offsets):
                        continue
                    if offsets[s] is None or offsets[t] is None:
                        continue
                    if t < s or t - s + 1 > max_answer_length:
                        continue
                    if offsets[t][1] <= offsets[s][0]:  # no characters: utils_qa skips empty texts as answers
                        continue
                    candidates.append({"text": context[offsets[s][0]:offsets[t][1]], "score": starts[s] + ends[t]})
        candidates = sorted(candidates, key=lambda x: x["score"], reverse=True)[:n_best_size]
        if not candidates or version_2_with_negative and min_null > candidates[0]["score"] + null_score_diff_threshold:
            answers[example_id] = ""
        else:
            answers[example_id] = candidates[0]["text"]
        nbest[example_id] = candidates
    return answers, nbest


def reference_train_labels(example: dict[str, Any], offsets: list, sequence_ids: list, context_id: int,
                           cls: int) -> tuple[int, int]:
    """Token labels of one feature, by scanning the context tokens one by one."""
    if not example["answers"]["text"]:
        return cls, cls
    start_char = example["answers"]["answer_start"][0]
    end_char = start_char + len(example["answers"]["text"][0])
    context = [i for i, s in enumerate(sequence_ids) if s == context_id]
    if offsets[context[0]][0] > start_char or offsets[context[-1]][1] < end_char:
        return cls, cls
    start = next(i for i in context if offsets[i][1] > start_char)
    end = [i for i in context if offsets[i][0] < end_char][-1]
    return start, end
