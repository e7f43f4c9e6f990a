"""Training features for the whole SQuAD v1.1 dev set: tokenizer alone vs the seeds' per-feature loops vs qa_tutorial.

Three ways, timed side by side in one process on the same batches (dicts of lists, 1,000 examples each, as
``Dataset.map(batched=True)`` passes them, or all examples at once with ``--batch-size 0``):

- floor: the one batched tokenizer call (windows of ``max_length`` tokens, ``doc_stride`` shared, offsets,
  overflow) that both methods below must make; nothing else;
- seeds: that call, then for every window two Python ``while`` walks over ``sequence_ids`` to find the context,
  and two more over the offsets to move to the answer's first and last token (the Hugging Face QA notebook's
  method, written afresh here);
- package: ``qa_tutorial.features.prepare_train_features`` (the same call, then labels vectorised with numpy).

The seeds and the package must return identical features (every key, including input_ids, start_positions and
end_positions); the script exits with status 1 otherwise. All three pad the same way: ``padding="max_length"``,
the default of ``prepare_train_features`` (``--no-padding`` switches all three to unpadded windows).
Targets: package >= 1.5x faster than the seeds' loops, package time <= 1.2x the tokenizer floor.

    HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false QA_TUTORIAL_DATA_DIR=../shared/data \
        .venv/bin/python benchmarks/features.py [--repeat 5] [--batch-size 1000] [--limit N] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import os
import platform
import pstats
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import torch
import transformers

from qa_tutorial.data import load_squad
from qa_tutorial.features import prepare_train_features
from qa_tutorial.tokenizers_offline import train_wordpiece_tokenizer


def tokenize(batch: Mapping[str, Sequence[Any]], tokenizer: Any, max_length: int, doc_stride: int,
             padding: bool | str) -> Any:
    """The batched call every method makes: question first, only the context truncated, overlapping windows."""
    return tokenizer(
        batch["question"],
        batch["context"],
        truncation="only_second",
        max_length=max_length,
        stride=doc_stride,
        return_overflowing_tokens=True,
        return_offsets_mapping=True,
        padding=padding,
    )


def seeds_train_features(batch: Mapping[str, Sequence[Any]], tokenizer: Any, max_length: int = 384,
                         doc_stride: int = 128, padding: bool | str = "max_length") -> dict[str, list]:
    """The seeds' method: one tokenizer call, then per window Python walks over sequence ids and offsets.

    Context tokens are those whose sequence id is 1 (the question goes first). A window whose context does not
    cover the answer's characters is labelled with the CLS position. Otherwise the start walk moves right while
    a token starts at or before the answer's first character (the last such token holds it), and the end walk
    moves left while a token ends at or after the answer's end (the token after the last stop holds it).

    One change from the notebook: the start walk stops at the end of the context. The notebook walked on into
    the final separator and the padding (their offsets are (0, 0), which always "start before" the answer), so
    an answer starting in a window's last context token got the last padding position as its start label
    (no SQuAD v1.1 dev window has such an answer with the benchmark's tokenizer: the bound changes no label).
    """
    encoding = tokenize(batch, tokenizer, max_length, doc_stride, padding)
    sample_mapping = encoding.pop("overflow_to_sample_mapping")
    offset_mapping = encoding.pop("offset_mapping")
    starts, ends = [], []
    for i, offsets in enumerate(offset_mapping):
        input_ids = encoding["input_ids"][i]
        cls_index = input_ids.index(tokenizer.cls_token_id)
        sequence_ids = encoding.sequence_ids(i)
        answers = batch["answers"][sample_mapping[i]]
        if len(answers["answer_start"]) == 0:
            starts.append(cls_index)
            ends.append(cls_index)
            continue
        start_char = answers["answer_start"][0]
        end_char = start_char + len(answers["text"][0])
        first = 0
        while sequence_ids[first] != 1:
            first += 1
        last = len(input_ids) - 1
        while sequence_ids[last] != 1:
            last -= 1
        if not (offsets[first][0] <= start_char and offsets[last][1] >= end_char):
            starts.append(cls_index)
            ends.append(cls_index)
            continue
        token = first
        while token <= last and offsets[token][0] <= start_char:
            token += 1
        starts.append(token - 1)
        token = last
        while offsets[token][1] >= end_char:
            token -= 1
        ends.append(token + 1)
    features = dict(encoding)
    features["start_positions"] = starts
    features["end_positions"] = ends
    return features


def floor(batch: Mapping[str, Sequence[Any]], tokenizer: Any, max_length: int = 384, doc_stride: int = 128,
          padding: bool | str = "max_length") -> dict[str, list]:
    """The tokenizer call alone (its BatchEncoding, as a dict)."""
    return dict(tokenize(batch, tokenizer, max_length, doc_stride, padding))


def run_all(method: Callable[..., dict[str, list]], batches: list[dict[str, list]], tokenizer: Any,
            **kwargs: Any) -> dict[str, list]:
    """Apply ``method`` to every batch and concatenate the returned columns."""
    out: dict[str, list] = {}
    for batch in batches:
        for key, values in method(batch, tokenizer, **kwargs).items():
            out.setdefault(key, []).extend(values)
    return out


def run_each(method: Callable[..., dict[str, list]], batches: list[dict[str, list]], tokenizer: Any,
             **kwargs: Any) -> None:
    """Apply ``method`` to every batch, dropping each batch's output, as ``Dataset.map`` does once it has
    written the batch to Arrow."""
    for batch in batches:
        method(batch, tokenizer, **kwargs)


def interleaved_best(fns: dict[str, Callable[[], Any]], repeat: int) -> tuple[dict, dict]:
    """Fastest wall-clock and CPU (this process) seconds of each function.

    The functions take turns in every round, so a change of load on the machine hits them alike; CPU seconds
    are steadier than wall-clock ones on a busy machine (the tokenizer runs on one thread here). Each run starts
    after a full garbage collection: the tokenizer makes millions of Python lists, and a run that kept them
    alive would pay for the collector walking them again and again (the first versions of this script kept
    every method's output and measured mostly that).
    """
    walls: dict[str, float] = dict.fromkeys(fns, float("inf"))
    cpus: dict[str, float] = dict.fromkeys(fns, float("inf"))
    for _ in range(repeat):
        for name, fn in fns.items():
            gc.collect()
            w0, c0 = time.perf_counter(), time.process_time()
            fn()
            walls[name] = min(walls[name], time.perf_counter() - w0)
            cpus[name] = min(cpus[name], time.process_time() - c0)
    return walls, cpus


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs of each method; the fastest is reported")
    parser.add_argument("--batch-size", type=int, default=1000,
                        help="examples per call, as Dataset.map(batched=True) (0: all examples in one call)")
    parser.add_argument("--limit", type=int, default=None, help="only the first N examples (smoke test)")
    parser.add_argument("--max-length", type=int, default=384)
    parser.add_argument("--doc-stride", type=int, default=128)
    parser.add_argument("--vocab-size", type=int, default=6000, help="of the WordPiece tokenizer trained offline")
    parser.add_argument("--no-padding", action="store_true", help="unpadded windows for all three (padding=False)")
    parser.add_argument("--profile", action="store_true", help="also print where prepare_train_features spends time")
    args = parser.parse_args()

    dev = load_squad("squad", "validation", data_dir=os.environ.get("QA_TUTORIAL_DATA_DIR"))
    # trained on every dev context, also with --limit: the same tokenizer whatever the size of the run
    tokenizer = train_wordpiece_tokenizer(sorted(set(dev["context"])), vocab_size=args.vocab_size)
    if args.limit:
        dev = dev.select(range(min(args.limit, len(dev))))
    columns = dev.to_dict()  # plain lists: no method pays for Arrow decoding
    n = len(columns["id"])
    size = min(args.batch_size, n) if args.batch_size > 0 else n
    batches = [{k: v[s:s + size] for k, v in columns.items()} for s in range(0, n, size)]
    padding: bool | str = False if args.no_padding else "max_length"
    kwargs = {"max_length": args.max_length, "doc_stride": args.doc_stride, "padding": padding}

    methods = [("floor: tokenizer call only", floor), ("seeds: per-window while loops", seeds_train_features),
               ("package: prepare_train_features", prepare_train_features)]
    for _, method in methods:
        run_all(method, batches[:1], tokenizer, **kwargs)  # warm-up
    times, cpu_times = interleaved_best(
        {name: (lambda method=method: run_each(method, batches, tokenizer, **kwargs)) for name, method in methods},
        args.repeat)

    floor_out, seeds, package = (run_all(method, batches, tokenizer, **kwargs) for _, method in methods)
    mismatched = sorted(k for k in set(seeds) | set(package) if seeds.get(k) != package.get(k))
    if floor_out["input_ids"] != package["input_ids"]:
        mismatched.append("input_ids (floor vs package)")
    identical = not mismatched
    n_features = len(package["input_ids"])
    tokens = sum(map(sum, package["attention_mask"]))

    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"torch {torch.__version__} ({torch.get_num_threads()} threads), transformers {transformers.__version__}, "
          f"python {platform.python_version()}; device: cpu (tokenizer, numpy); "
          f"TOKENIZERS_PARALLELISM={os.environ.get('TOKENIZERS_PARALLELISM', '(unset)')}")
    print(f"data: SQuAD v1.1 dev, {n} examples -> {n_features} windows ({tokens} real tokens), "
          f"max_length {args.max_length}, doc_stride {args.doc_stride}, padding={padding!r}, "
          f"{len(batches)} batch(es) of {size}, WordPiece vocab {len(tokenizer)}; best of {args.repeat}, interleaved")
    floor_time, seeds_time, package_time = (times[name] for name, _ in methods)
    floor_cpu, seeds_cpu, package_cpu = (cpu_times[name] for name, _ in methods)
    print(f"{'method':<34} {'wall s':>8} {'windows/s':>10} {'x floor':>8} {'vs seeds':>9}   "
          f"{'CPU s':>7} {'x floor':>8} {'vs seeds':>9}")
    for name, _ in methods:
        t, c = times[name], cpu_times[name]
        print(f"{name:<34} {t:8.3f} {n_features / t:10.0f} {t / floor_time:7.2f}x {seeds_time / t:8.2f}x   "
              f"{c:7.3f} {c / floor_cpu:7.2f}x {seeds_cpu / c:8.2f}x")
    print(f"package speed-up vs seeds: {seeds_time / package_time:.2f}x wall, {seeds_cpu / package_cpu:.2f}x CPU "
          f"(target >= 1.5x); package / floor: {package_time / floor_time:.2f}x wall, "
          f"{package_cpu / floor_cpu:.2f}x CPU (target <= 1.2x)")
    print(f"labelling cost over the floor (CPU s): seeds {seeds_cpu - floor_cpu:+.3f}, package "
          f"{package_cpu - floor_cpu:+.3f}; the largest possible speed-up vs seeds is seeds / floor = "
          f"{seeds_cpu / floor_cpu:.2f}x")
    print(f"identical features (seeds vs package, every key {sorted(package)}; floor's input_ids): {identical}")
    if args.profile:
        profiler = cProfile.Profile()
        profiler.runcall(run_each, prepare_train_features, batches, tokenizer, **kwargs)
        pstats.Stats(profiler, stream=sys.stdout).sort_stats("tottime").print_stats(12)
    if not identical:
        for key in mismatched:
            a, b = (floor_out["input_ids"], package["input_ids"]) if "floor" in key \
                else (seeds.get(key, []), package.get(key, []))
            bad = [i for i, (x, y) in enumerate(zip(a, b)) if x != y][:5]
            print(f"  {key}: lengths {len(a)} vs {len(b)}; first differing windows {bad}: "
                  f"{[a[i] for i in bad] if key.endswith('positions') else ''} vs "
                  f"{[b[i] for i in bad] if key.endswith('positions') else ''}")
        raise SystemExit(1)


if __name__ == "__main__":
    main()
