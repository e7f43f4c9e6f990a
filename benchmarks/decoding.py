"""Decoding the whole SQuAD v1.1 dev set: qa_tutorial's vectorised decoder vs the plain per-feature loop.

Both run in this process on the same features and logits, and must give identical answers; the script prints the
time of each and the ratio. The logits are random (seeded): decoding time does not depend on their values.

    HF_HUB_OFFLINE=1 QA_TUTORIAL_DATA_DIR=../shared/data python benchmarks/decoding.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

import datasets
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the reference loop lives beside the parity test that checks it

from reference_qa import reference_postprocess

from qa_tutorial.data import read_squad_json
from qa_tutorial.decoding import postprocess_qa_predictions
from qa_tutorial.features import prepare_eval_features
from qa_tutorial.tokenizers_offline import train_wordpiece_tokenizer


def best_of(fn, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; the fastest is reported")
    parser.add_argument("--version-2", action="store_true", help="use the SQuAD v2.0 dev set and the null rule")
    args = parser.parse_args()
    data_dir = Path(os.environ.get("QA_TUTORIAL_DATA_DIR", ROOT.parent / "shared" / "data"))
    relative = "squad-v2.0/dev.reconstructed.json.gz" if args.version_2 else "squad-v1.1/dev.json.gz"
    examples = read_squad_json(data_dir / relative)
    tokenizer = train_wordpiece_tokenizer(sorted(set(examples["context"])), vocab_size=8000)
    features = prepare_eval_features(examples, tokenizer, max_length=384, doc_stride=128)
    rng = np.random.default_rng(0)
    start, end = rng.normal(size=(2, len(features["input_ids"]), 384)).astype(np.float32)
    kwargs = {"version_2_with_negative": args.version_2}

    rows = [("dict of lists", examples, features)]
    rows.append(("datasets.Dataset", datasets.Dataset.from_dict(examples), datasets.Dataset.from_dict(features)))
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; numpy {np.__version__}")
    print(f"data: {relative}: {len(examples['id'])} examples, {len(features['input_ids'])} features of 384 tokens")
    print(f"{'inputs':<18} {'loop s':>8} {'vectorised s':>13} {'ratio':>7}  identical")
    failed = False
    for name, ex, feats in rows:
        loop_time, (loop_answers, _) = best_of(
            lambda ex=ex, feats=feats: reference_postprocess(ex, feats, start, end, **kwargs), args.repeat)
        fast_time, fast_answers = best_of(
            lambda ex=ex, feats=feats: postprocess_qa_predictions(ex, feats, start, end, **kwargs), args.repeat)
        identical = fast_answers == loop_answers
        failed |= not identical
        print(f"{name:<18} {loop_time:8.3f} {fast_time:13.3f} {loop_time / fast_time:6.1f}x  {identical}")
    if failed:
        raise SystemExit("predictions differ")


if __name__ == "__main__":
    main()
