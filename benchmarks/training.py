"""One training epoch of the quick profile's tiny BERT: windows padded to max_length vs dynamic padding vs grouping.

The same training windows (the first ``--examples`` SQuAD v1.1 dev examples, 384-token windows, stride 128), the
same initial weights, the same seed and the same batch size (16) are trained for one epoch three ways; only the
padding differs:

- max_length: every window padded to 384 tokens (the seeds' ``padding="max_length"``);
- dynamic: each batch padded to its longest window (``DataCollatorWithPadding``), same batches as max_length;
- dynamic + grouping: dynamic padding, batches of windows of similar length (the Trainer's ``group_by_length``
  rule, ``transformers.trainer_pt_utils.get_length_grouped_indices``, through ``qa_tutorial.book.padding_costs``).

The loop is plain PyTorch (forward, backward, AdamW step), collation included in the epoch time, as a
``DataLoader`` with no workers would do it. The model is the quick profile's (``qa_tutorial.book.profiles.QUICK``:
hidden 128, a 6,000-token WordPiece vocabulary trained offline on the dev contexts, learning rate 1e-3). Padding
is masked (attention mask), so the runs differ only by the pad tokens computed and by the batch order of the
grouped run. The mean loss of each run is printed to show that they train alike; losses are not asserted equal:
dropout draws masks of a different shape, and BERT's QA head does not mask pad positions out of the start/end
softmax, so with max_length padding that softmax runs over 384 positions and the loss starts higher (ln 384).
The script checks that every run feeds every window exactly once with all of its real tokens (exit status 1
otherwise). Target: dynamic + grouping >= 2x faster per epoch than max_length.

    HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false QA_TUTORIAL_DATA_DIR=../shared/data \
        .venv/bin/python benchmarks/training.py [--examples 1000] [--repeat 3] [--device cpu] [--threads N]
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from typing import Any

import numpy as np
import torch
import transformers
from transformers import DataCollatorWithPadding

from qa_tutorial.book.padding_costs import batch_indices
from qa_tutorial.book.profiles import QUICK
from qa_tutorial.data import load_squad
from qa_tutorial.models import build_tiny_bert_qa
from qa_tutorial.tokenizers_offline import train_wordpiece_tokenizer
from qa_tutorial.training import train_features

COLUMNS = ("input_ids", "token_type_ids", "attention_mask", "start_positions", "end_positions")
STRATEGIES = (("max_length (seeds)", "dynamic", True), ("dynamic", "dynamic", False),
              ("dynamic + group_by_length", "group_by_length", False))


def warm_up(model: Any, windows: dict[str, list], batch_ids: list[int], collate: Any, device: torch.device) -> None:
    """One untimed forward/backward on a throwaway model: one-time allocations are not an epoch's cost."""
    batch = collate([{name: windows[name][i] for name in COLUMNS} for i in batch_ids])
    model.to(device).train()(**{name: t.to(device) for name, t in batch.items()}).loss.backward()


def run_epoch(model: Any, windows: dict[str, list], batches: list[list[int]], collate: Any, *, lr: float,
              seed: int, device: torch.device) -> dict[str, Any]:
    """Train ``model`` for one pass over ``batches``; return times, losses, tokens fed and the windows seen."""
    torch.manual_seed(seed)  # dropout: the same stream for every run
    model.to(device).train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr)
    losses, fed, real, seen = [], 0, 0, []
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    wall0, cpu0 = time.perf_counter(), time.process_time()
    for batch_ids in batches:
        batch = collate([{name: windows[name][i] for name in COLUMNS} for i in batch_ids])
        loss = model(**{name: t.to(device, non_blocking=True) for name, t in batch.items()}).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        losses.append(loss.detach())
        fed += batch["input_ids"].numel()
        real += int(batch["attention_mask"].sum())
        seen.extend(batch_ids)
    losses = torch.stack(losses).float().cpu().numpy()  # one sync, after the clock-relevant work
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    return {"wall": wall, "cpu": cpu, "loss": float(losses.mean()), "last_loss": float(losses[-10:].mean()),
            "fed": fed, "real": real, "seen": seen, "steps": len(batches)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=1000, help="first N SQuAD v1.1 dev examples")
    parser.add_argument("--batch-size", type=int, default=QUICK.per_device_train_batch_size)
    parser.add_argument("--max-length", type=int, default=384)
    parser.add_argument("--doc-stride", type=int, default=128)
    parser.add_argument("--hidden-size", type=int, default=QUICK.tiny_hidden_size)
    parser.add_argument("--vocab-size", type=int, default=QUICK.tiny_vocab_size)
    parser.add_argument("--lr", type=float, default=QUICK.learning_rate)
    parser.add_argument("--repeat", type=int, default=1, help="epochs timed per strategy (fresh model each); the "
                        "fastest is reported")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)

    dev = load_squad("squad", "validation", data_dir=os.environ.get("QA_TUTORIAL_DATA_DIR"))
    tokenizer = train_wordpiece_tokenizer(sorted(set(dev["context"])), vocab_size=args.vocab_size)
    examples = dev.select(range(min(args.examples, len(dev))))
    windows = train_features(examples, tokenizer, max_length=args.max_length, doc_stride=args.doc_stride)
    windows = windows.select_columns(list(COLUMNS)).to_dict()
    lengths = [len(ids) for ids in windows["input_ids"]]

    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__} "
          f"({torch.get_num_threads()} threads), transformers {transformers.__version__}, "
          f"python {platform.python_version()}; device: {device}"
          + (f" ({torch.cuda.get_device_name(device)})" if device.type == "cuda" else ""))
    print(f"data: first {len(examples)} SQuAD v1.1 dev examples -> {len(lengths)} windows, max_length "
          f"{args.max_length}, doc_stride {args.doc_stride}; window length mean {np.mean(lengths):.0f}, median "
          f"{np.median(lengths):.0f}, max {max(lengths)}")
    print(f"model: tiny BERT QA, hidden {args.hidden_size}, vocab {len(tokenizer)}, batch {args.batch_size}, "
          f"AdamW lr {args.lr}, seed {args.seed}; best of {args.repeat} epoch(s) per strategy")

    rows, failed = [], False
    for label, order, fixed in STRATEGIES:
        batches = batch_indices(lengths, args.batch_size, order, seed=args.seed)
        collate = DataCollatorWithPadding(tokenizer, padding="max_length" if fixed else "longest",
                                          max_length=args.max_length if fixed else None)
        best = None
        warm_up(build_tiny_bert_qa(tokenizer, hidden_size=args.hidden_size, seed=args.seed), windows, batches[0],
                collate, device)
        for _ in range(args.repeat):
            model = build_tiny_bert_qa(tokenizer, hidden_size=args.hidden_size, seed=args.seed)
            result = run_epoch(model, windows, batches, collate, lr=args.lr, seed=args.seed, device=device)
            best = result if best is None or result["wall"] < best["wall"] else best
        if sorted(best["seen"]) != list(range(len(lengths))) or best["real"] != sum(lengths):
            print(f"{label}: the epoch did not feed every window exactly once")
            failed = True
        rows.append((label, best))

    base = rows[0][1]
    print(f"{'padding':<27} {'steps':>5} {'tokens fed':>11} {'pad share':>9} {'wall s':>8} {'x faster':>8} "
          f"{'CPU s':>8} {'x faster':>8} {'mean loss':>9} {'last-10 loss':>12}")
    for label, r in rows:
        print(f"{label:<27} {r['steps']:5d} {r['fed']:11d} {1 - r['real'] / r['fed']:9.1%} {r['wall']:8.2f} "
              f"{base['wall'] / r['wall']:7.2f}x {r['cpu']:8.2f} {base['cpu'] / r['cpu']:7.2f}x "
              f"{r['loss']:9.4f} {r['last_loss']:12.4f}")
    grouped = rows[-1][1]
    print(f"dynamic + group_by_length vs max_length: {base['wall'] / grouped['wall']:.2f}x faster per epoch (wall), "
          f"{base['cpu'] / grouped['cpu']:.2f}x (CPU); {base['fed'] / grouped['fed']:.2f}x fewer tokens fed "
          f"(target >= 2x faster)")
    if failed:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
