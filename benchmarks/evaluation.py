"""Evaluating the quick model on the whole SQuAD v1.1 dev set: the seeds' way vs the package's, stage by stage.

Both ways run in this process, on the same examples and the same model (by default the quick profile's fine-tuned
SQuAD model, all-MiniLM-L6-v2 with a trained QA head, from the cache ``make models`` fills), one after the other:

- seeds: run_qa.py's evaluation features padded to ``max_length`` (384), forward passes of 16 windows in dataset
  order, then the per-example decoding loop (the Hugging Face notebook's, written afresh in
  ``tests/reference_qa.py``, here on plain lists: the seeds read an Arrow ``Dataset`` row by row, which is slower);
- package: ``prepare_eval_features`` unpadded, ``predict_logits`` in batches of ``--batch-size`` windows of similar
  lengths (each padded to its longest), ``decode_and_score`` (vectorised decoding). This is ``evaluate_qa``.

Scoring is the package's exact SQuAD v1.1 metric for both (the seeds' ``evaluate.load("squad")`` needs the Hub).
The script prints windows/s, the share of time in each stage, the padding fed to the model, and checks that the two
ways give every real token the same logits (padding is masked: exit status 1 otherwise), and how many answers
agree. Target: package >= 2x the seeds' windows/s.

    HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false QA_TUTORIAL_DATA_DIR=../shared/data \\
        .venv/bin/python benchmarks/evaluation.py [--examples N] [--batch-size 64] [--model PATH]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import torch
import transformers
from eval_features import reference_eval_features

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the reference loop lives beside the parity test that checks it

from reference_qa import reference_postprocess

from qa_tutorial.book.padding_costs import batch_widths
from qa_tutorial.checkpoints import load_qa_model
from qa_tutorial.data import load_squad
from qa_tutorial.features import prepare_eval_features
from qa_tutorial.inference import decode_and_score, predict_logits, score_answers

STAGES = ("features", "forward", "decoding", "scoring")
LOGIT_TOLERANCE = 1e-3  # float32 sums in another order (other batch widths) differ in the last digits


def timed(fn, *args, **kwargs):
    """``(seconds, result)`` of one call."""
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - start, result


def seeds_way(model, tokenizer, columns: dict, batch_size: int) -> tuple[dict, dict, dict]:
    """Padded features, fixed-size batches in order, loop decoding; ``(seconds per stage, answers, metrics)``."""
    seconds = {}
    seconds["features"], features = timed(reference_eval_features, columns, tokenizer)
    seconds["forward"], (start, end) = timed(predict_logits, model, features, batch_size=batch_size, progress=False,
                                             sort_by_length=False)
    seconds["decoding"], (answers, _) = timed(reference_postprocess, columns, features, start, end)
    seconds["scoring"], metrics = timed(score_answers, answers, columns)
    lengths = np.fromiter(map(len, features["input_ids"]), dtype=np.int64)
    real = int(sum(map(sum, features["attention_mask"])))
    return seconds, answers, {**metrics, "windows": len(lengths), "fed": int(lengths.sum()), "real": real,
                              "start_logits": start}


def package_way(model, tokenizer, columns: dict, batch_size: int) -> tuple[dict, dict, dict]:
    """`evaluate_qa`'s stages, timed one by one; ``(seconds per stage, answers, metrics)``."""
    seconds = {}
    seconds["features"], features = timed(prepare_eval_features, columns, tokenizer, padding=False)
    seconds["forward"], (start, end) = timed(predict_logits, model, features, batch_size=batch_size, progress=False)
    # decode_and_score does both; scoring is timed apart by scoring its answers again
    both, (metrics, decoded) = timed(decode_and_score, columns, features, start, end, with_nbest=False)
    seconds["scoring"], _ = timed(score_answers, decoded.predictions, columns)
    seconds["decoding"] = both - seconds["scoring"]
    lengths = np.fromiter(map(len, features["input_ids"]), dtype=np.int64)
    order = np.argsort(lengths, kind="stable")  # predict_logits' batches: windows of similar lengths
    batches = [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
    fed = int(sum(width * len(batch) for width, batch in zip(batch_widths(lengths, batches, "dynamic"), batches)))
    return seconds, decoded.predictions, {**metrics, "windows": len(lengths), "fed": fed, "real": int(lengths.sum()),
                                          "start_logits": start, "lengths": lengths}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=None, help="only the first N dev examples (default: all)")
    parser.add_argument("--batch-size", type=int, default=64, help="windows per forward pass, the package's way")
    parser.add_argument("--seeds-batch-size", type=int, default=16, help="windows per forward pass, the seeds' way")
    parser.add_argument("--model", default=None, help="a QA model folder or Hub id (default: the quick SQuAD model)")
    args = parser.parse_args()
    transformers.logging.set_verbosity_error()
    if args.model is None:
        from qa_tutorial.book.finetuned import finetuned_model
        args.model = finetuned_model("quick", "squad", data_dir=os.environ.get("QA_TUTORIAL_DATA_DIR"))
    model, tokenizer, _ = load_qa_model(args.model)
    dev = load_squad("squad", "validation", data_dir=os.environ.get("QA_TUTORIAL_DATA_DIR"))
    if args.examples:
        dev = dev.select(range(min(args.examples, len(dev))))
    columns = dev.to_dict()
    warm = {k: v[:8] for k, v in columns.items()}
    package_way(model, tokenizer, warm, args.batch_size)  # one-time allocations and thread start-up
    seeds_way(model, tokenizer, warm, args.seeds_batch_size)

    ways = {"seeds": seeds_way(model, tokenizer, columns, args.seeds_batch_size),
            "package": package_way(model, tokenizer, columns, args.batch_size)}

    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__} "
          f"({torch.get_num_threads()} threads), transformers {transformers.__version__}, "
          f"python {platform.python_version()}; device: cpu")
    print(f"data: SQuAD v1.1 dev, {len(columns['id'])} examples; model {Path(args.model).name} "
          f"({sum(p.numel() for p in model.parameters()) / 1e6:.1f} M parameters); max_length 384, doc_stride 128")
    header = " ".join(f"{stage + ' s':>10}" for stage in STAGES)
    print(f"{'way':<48} {'windows':>7} {'pad share':>9} {header} {'total s':>8} {'windows/s':>9} {'x':>6} "
          f"{'EM':>6} {'F1':>6}")
    totals = {name: sum(seconds.values()) for name, (seconds, _, _) in ways.items()}
    for name, (seconds, _, metrics) in ways.items():
        label = (f"seeds: padded to 384, batches of {args.seeds_batch_size}, loop decoding" if name == "seeds" else
                 f"package: unpadded, sorted batches of {args.batch_size}, vectorised")
        shares = " ".join(f"{seconds[stage]:6.1f} {seconds[stage] / totals[name]:3.0%}" for stage in STAGES)
        rate = metrics["windows"] / totals[name]
        print(f"{label:<48} {metrics['windows']:7d} {1 - metrics['real'] / metrics['fed']:9.1%} {shares} "
              f"{totals[name]:8.1f} {rate:9.1f} {totals['seeds'] / totals[name]:5.2f}x "
              f"{metrics['exact_match']:6.2f} {metrics['f1']:6.2f}")
    seeds_answers, package_answers = ways["seeds"][1], ways["package"][1]
    same = sum(seeds_answers[k] == package_answers[k] for k in seeds_answers)
    padded, unpadded, lengths = (ways[n][2][key] for n, key in
                                 (("seeds", "start_logits"), ("package", "start_logits"), ("package", "lengths")))
    gap = max(float(np.abs(padded[k, :n] - unpadded[k, :n]).max()) for k, n in enumerate(lengths))
    print(f"package vs seeds: {totals['seeds'] / totals['package']:.2f}x windows/s end to end (target >= 2x); "
          f"forward passes {ways['seeds'][0]['forward'] / ways['package'][0]['forward']:.2f}x, "
          f"features {ways['seeds'][0]['features'] / ways['package'][0]['features']:.2f}x, "
          f"decoding {ways['seeds'][0]['decoding'] / ways['package'][0]['decoding']:.1f}x")
    # Padding is masked, so both ways must give every real token the same logits; answers may still differ, since
    # the seeds' loop takes its top 20 starts and ends over all 384 positions, padding and question included
    print(f"same answers: {same} of {len(seeds_answers)} (the seeds' top 20 include positions that cannot answer)")
    print(f"same logits on every real token (largest difference {gap:.2e}, allowed {LOGIT_TOLERANCE:g}): "
          f"{gap <= LOGIT_TOLERANCE}")
    if gap > LOGIT_TOLERANCE:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
