"""Fine-tuning throughput of a distilbert-base-cased-shaped QA model on a GPU: the seeds' settings vs ours.

Two settings train the same model (``DistilBertConfig()`` defaults with distilbert-base-cased's 28,996-token
vocabulary, random weights built from the config: speed does not depend on their values) on the same synthetic
SQuAD-like windows, in one process, side by side:

- seeds: fp16 autocast + ``GradScaler``, every window padded to 384 tokens, batch 16, eager attention
  (``attn_implementation="eager"``), as the seeds' ``Trainer(fp16=True)`` with ``padding="max_length"``;
- ours: bf16 autocast (no scaler), dynamic padding (each batch padded to its longest window, rounded up to a
  multiple of ``--pad-multiple``) with length grouping (the Trainer's ``group_by_length`` rule), SDPA attention
  (``attn_implementation="sdpa"``), batch ``--batch-size`` (64), optionally ``torch.compile`` (``--compile``).

``--shape minilm`` trains the quick profile's encoder shape instead (all-MiniLM-L6-v2: BERT, 6 layers, hidden 384,
22.7 M parameters), on the same window lengths; ``--fp16`` adds our setting in fp16 with a ``GradScaler`` (bf16 vs
fp16 at our batch size).

Both use fp32 master weights and the same AdamW (fused on CUDA). Window lengths are real: SQuAD v1.1 dev is cut
into 384-token windows (stride 128) by a cased WordPiece tokenizer of the same vocabulary size trained offline on
the dev contexts, and an epoch of ``--epoch-features`` (88,500, about one SQuAD v1.1 train epoch) lengths is drawn
from those with replacement. Token ids and answer positions are random. Each setting builds its epoch's batches
(random order; length-grouped for ours), and ``--steps`` of them, evenly spaced in the width-sorted list so that
they represent the epoch's widths, are timed after ``--warmup`` untimed steps.

Printed per setting: samples/s, real and fed (padded) tokens/s, the ratio, peak memory, model FLOPs utilisation
(MFU = 6 x parameters x real tokens/s / peak FLOPs; all parameters, embeddings included, attention's extra
FLOPs not counted; ``--peak-tflops``, default 989 = H100 SXM dense bf16/fp16) and the time one epoch of
``--epoch-features`` windows would take. Target: ours >= 4x the seeds' samples/s.

On a machine without CUDA the script refuses to run, unless ``--allow-cpu`` (a smoke test with a tiny config and
at most a few steps: its numbers mean nothing).

    HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false QA_TUTORIAL_DATA_DIR=../shared/data \
        .venv/bin/python benchmarks/gpu_training.py [--steps 200] [--batch-size 64] [--compile] [--peak-tflops 989] \
        [--shape distilbert|minilm] [--fp16]
    # on a GPU machine without `datasets` or the data: write the lengths here, carry the file there
    ... benchmarks/gpu_training.py --save-lengths lengths.npy          # CPU, ~1 min
    PYTHONPATH=. python3 benchmarks/gpu_training.py --lengths-file lengths.npy --ablation --compile
    # CPU smoke test:
    ... benchmarks/gpu_training.py --allow-cpu --steps 2 --length-examples 300
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import os
import platform
import time
from typing import Any

import numpy as np
import torch
import transformers
from transformers import AutoModelForQuestionAnswering, BertConfig, DistilBertConfig

from qa_tutorial.book.padding_costs import batch_indices, batch_widths

VOCAB_SIZE = 28996  # distilbert-base-cased
# --shape: the full profile's English base, or the quick profile's encoder (all-MiniLM-L6-v2: 6 layers, 384 wide)
SHAPES = {
    "distilbert": lambda: DistilBertConfig(vocab_size=VOCAB_SIZE, pad_token_id=PAD_ID),
    "minilm": lambda: BertConfig(vocab_size=30522, hidden_size=384, num_hidden_layers=6, num_attention_heads=12,
                                 intermediate_size=1536, pad_token_id=PAD_ID),
}
TINY_SHAPES = {  # --allow-cpu smoke tests
    "distilbert": lambda: DistilBertConfig(vocab_size=VOCAB_SIZE, pad_token_id=PAD_ID, dim=32, n_layers=2, n_heads=2,
                                           hidden_dim=64),
    "minilm": lambda: BertConfig(vocab_size=30522, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                                 intermediate_size=64, pad_token_id=PAD_ID),
}


def describe(config: Any) -> str:
    """``"DistilBERT QA, dim 768, 6 layers, vocab 28996"``-style summary of either shape."""
    if isinstance(config, DistilBertConfig):
        return f"DistilBERT QA, dim {config.dim}, {config.n_layers} layers, vocab {config.vocab_size}"
    return f"BERT QA, hidden {config.hidden_size}, {config.num_hidden_layers} layers, vocab {config.vocab_size}"
PAD_ID, CLS_ID = 0, 101  # as in bert-base-cased's vocabulary (values do not matter for speed)


@dataclasses.dataclass
class Setting:
    name: str
    dtype: torch.dtype
    scaler: bool
    batch_size: int
    fixed_width: int | None  # pad every window to this; None: dynamic padding
    group_by_length: bool
    attention: str
    compile: bool


def window_lengths(max_length: int, doc_stride: int, vocab_size: int, limit: int | None) -> list[int]:
    """Token counts of the SQuAD v1.1 dev windows, cut by a cased WordPiece tokenizer trained on the dev contexts."""
    from qa_tutorial.data import load_squad  # here, not at the top: a GPU machine given --lengths-file needs neither
    from qa_tutorial.features import tokenize_windows  # `datasets` nor the data files
    from qa_tutorial.tokenizers_offline import train_wordpiece_tokenizer

    dev = load_squad("squad", "validation", data_dir=os.environ.get("QA_TUTORIAL_DATA_DIR"))
    tokenizer = train_wordpiece_tokenizer(sorted(set(dev["context"])), vocab_size=vocab_size)
    if limit:
        dev = dev.select(range(min(limit, len(dev))))
    columns = dev.select_columns(["id", "question", "context"]).to_dict()
    encoding = tokenize_windows(columns, tokenizer, max_length=max_length, doc_stride=doc_stride, padding=False)
    return [len(ids) for ids in encoding["input_ids"]]


def make_batch(lengths: np.ndarray, width: int, vocab_size: int, generator: torch.Generator) -> dict[str, torch.Tensor]:
    """Random windows of the given lengths padded to ``width``: ids, attention mask and answer positions."""
    n = len(lengths)
    lengths_t = torch.as_tensor(lengths, dtype=torch.long)
    mask = (torch.arange(width)[None, :] < lengths_t[:, None]).long()  # (n, width)
    ids = torch.randint(1000, vocab_size, (n, width), generator=generator)
    ids = torch.where(mask.bool(), ids, torch.full_like(ids, PAD_ID))
    ids[:, 0] = CLS_ID
    start = (torch.rand(n, generator=generator) * (lengths_t - 1).float()).long()
    end = torch.minimum(start + torch.randint(0, 8, (n,), generator=generator), lengths_t - 1)
    return {"input_ids": ids, "attention_mask": mask, "start_positions": start, "end_positions": end}


def plan_batches(lengths: np.ndarray, setting: Setting, *, steps: int, warmup: int, seed: int,
                 pad_multiple: int) -> tuple[list[list[int]], list[list[int]], int]:
    """The epoch's batches for ``setting``; return (timed batches, warm-up batches, batches in the epoch).

    Timed batches are ``steps`` batches evenly spaced in the epoch's batches sorted by width (so their widths
    represent the epoch), in epoch order. Warm-up batches are untimed batches of every width the timed ones use
    (a new shape costs library heuristics, kernel selection and, compiled, a recompile: once per epoch, not per
    step), then others up to ``warmup``.
    """
    strategy = "group_by_length" if setting.group_by_length else "dynamic"
    batches = batch_indices(lengths.tolist(), setting.batch_size, strategy, seed=seed)
    batches = [b for b in batches if len(b) == setting.batch_size]  # drop a short last batch: fixed shapes
    widths = widths_of(lengths, batches, setting, pad_multiple)
    by_width = sorted(range(len(batches)), key=lambda k: widths[k])
    picks = sorted({by_width[round(i * (len(by_width) - 1) / max(steps - 1, 1))] for i in range(steps)})
    chosen = set(picks)
    others = [k for k in range(len(batches)) if k not in chosen]
    first_of_width: dict[int, int] = {}
    for k in others:
        first_of_width.setdefault(int(widths[k]), k)
    needed = sorted({int(widths[k]) for k in picks})
    warm = [first_of_width[w] for w in needed if w in first_of_width]
    covered = set(warm)
    warm += [k for k in others if k not in covered][:max(warmup - len(warm), 0)]
    return [batches[k] for k in picks], [batches[k] for k in warm], len(batches)


def widths_of(lengths: np.ndarray, batches: list[list[int]], setting: Setting, pad_multiple: int) -> np.ndarray:
    """Each batch's padded width under ``setting``: its fixed width, or its longest window rounded up."""
    if setting.fixed_width is not None:
        return batch_widths(lengths, batches, "max_length", max_length=setting.fixed_width)
    return batch_widths(lengths, batches, "dynamic", pad_to_multiple_of=pad_multiple)


def build_model(config: Any, setting: Setting, device: torch.device, seed: int) -> Any:
    torch.manual_seed(seed)
    model = AutoModelForQuestionAnswering.from_config(config, attn_implementation=setting.attention).to(device)
    return model.train()


def run_setting(setting: Setting, config: Any, lengths: np.ndarray, args: argparse.Namespace,
                device: torch.device) -> dict[str, Any]:
    """Warm up, then time ``args.steps`` training steps of ``setting``; return throughput figures."""
    timed, warm, epoch_batches = plan_batches(lengths, setting, steps=args.steps, warmup=args.warmup,
                                              seed=args.seed, pad_multiple=args.pad_multiple)
    generator = torch.Generator().manual_seed(args.seed)

    def staged(batch_ids: list[int]) -> dict[str, torch.Tensor]:
        width = int(widths_of(lengths, [batch_ids], setting, args.pad_multiple)[0])
        batch = make_batch(lengths[batch_ids], width, config.vocab_size, generator)
        return {k: v.to(device) for k, v in batch.items()}

    timed_batches, warm_batches = [staged(b) for b in timed], [staged(b) for b in warm]
    model = build_model(config, setting, device, args.seed)
    fused = device.type == "cuda"
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, fused=fused)
    scaler = torch.amp.GradScaler(device.type) if setting.scaler else None
    forward = torch.compile(model, mode=args.compile_mode) if setting.compile else model

    graphs = setting.compile and args.compile_mode in ("reduce-overhead", "max-autotune")  # CUDA graphs

    def step(batch: dict[str, torch.Tensor]) -> torch.Tensor:
        if graphs:  # a new step: the graphs may reuse the previous step's output memory
            torch.compiler.cudagraph_mark_step_begin()
        with torch.autocast(device.type, dtype=setting.dtype):
            loss = forward(**batch).loss
        if scaler is not None:
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
        else:
            loss.backward()
            optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        return loss.detach().clone() if graphs else loss.detach()

    warm_start = time.perf_counter()
    for batch in warm_batches:
        step(batch)
    if device.type == "cuda":
        torch.cuda.synchronize(device)
        torch.cuda.reset_peak_memory_stats(device)
    warm_seconds = time.perf_counter() - warm_start
    losses = []
    start = time.perf_counter()
    for batch in timed_batches:
        losses.append(step(batch))
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    seconds = time.perf_counter() - start
    samples = sum(int(b["input_ids"].shape[0]) for b in timed_batches)
    real = sum(int(b["attention_mask"].sum()) for b in timed_batches)
    fed = sum(int(b["input_ids"].numel()) for b in timed_batches)
    loss = float(torch.stack(losses).float().mean())
    peak = torch.cuda.max_memory_allocated(device) if device.type == "cuda" else None
    table = os.path.join(args.profile_dir, f"{slug(setting.name)}.txt") if args.profile_dir else None
    busy = gpu_busy_share(step, timed_batches[:args.profile_steps], device, table) if args.profile_steps else None
    return {"seconds": seconds, "samples": samples, "real": real, "fed": fed, "steps": len(timed_batches),
            "epoch_batches": epoch_batches, "loss": loss, "peak": peak, "warm_seconds": warm_seconds,
            "warm_steps": len(warm_batches), "busy": busy}


def slug(name: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in name.strip(" +")).strip("_")[:60]


def gpu_busy_share(step: Any, batches: list[dict[str, torch.Tensor]], device: torch.device,
                   table: str | None = None) -> float | None:
    """The share of wall time the GPU spends running kernels over ``batches`` (torch.profiler, one stream).

    Near 1: the GPU is the bottleneck. Well below 1: the GPU waits for Python to launch kernels (small or
    many kernels), the step is bound by the CPU, and fewer, larger kernels (a bigger batch, compilation) help.
    """
    if device.type != "cuda" or not batches:
        return None
    from torch.profiler import ProfilerActivity, profile

    torch.cuda.synchronize(device)
    with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
        start = time.perf_counter()
        for batch in batches:
            step(batch)
        torch.cuda.synchronize(device)
        wall = time.perf_counter() - start
    kernel_us = sum(e.time_range.elapsed_us() for e in prof.events() if e.device_type.name == "CUDA")
    if table:  # where the time goes: operators by their own CPU time, then by GPU time
        os.makedirs(os.path.dirname(table) or ".", exist_ok=True)
        averages = prof.key_averages()
        with open(table, "w") as f:
            f.write(f"{len(batches)} steps, wall {wall:.3f} s, GPU kernels {kernel_us / 1e6:.3f} s\n\n")
            f.write(averages.table(sort_by="self_cpu_time_total", row_limit=25) + "\n\n")
            f.write(averages.table(sort_by="self_cuda_time_total", row_limit=15) + "\n")
    return kernel_us / 1e6 / wall if kernel_us else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200, help="timed steps per setting")
    parser.add_argument("--warmup", type=int, default=10, help="untimed steps per setting, at least (one per timed width)")
    parser.add_argument("--batch-size", type=int, default=64, help="our batch size (the seeds' is 16)")
    parser.add_argument("--seeds-batch-size", type=int, default=16)
    parser.add_argument("--max-length", type=int, default=384)
    parser.add_argument("--doc-stride", type=int, default=128)
    parser.add_argument("--pad-multiple", type=int, default=8, help="round dynamic widths up to a multiple of this")
    parser.add_argument("--compile", action="store_true", help="torch.compile our model")
    parser.add_argument("--compile-mode", default=None,
                        help="torch.compile mode for --compile (default; 'reduce-overhead' adds CUDA graphs)")
    parser.add_argument("--profile-dir", default=None, help="with --profile-steps: write each setting's profile here")
    parser.add_argument("--profile-steps", type=int, default=0,
                        help="after timing, profile this many steps per setting and print the GPU's busy share")
    parser.add_argument("--epoch-features", type=int, default=88500, help="windows in one SQuAD v1.1 train epoch")
    parser.add_argument("--length-examples", type=int, default=None,
                        help="cut only the first N dev examples into windows for the length distribution")
    parser.add_argument("--lengths-file", default=None,
                        help="read the dev window lengths from this .npy file (written by --save-lengths) instead of "
                             "tokenizing SQuAD: a GPU machine then needs neither `datasets` nor the data files")
    parser.add_argument("--save-lengths", default=None,
                        help="tokenize SQuAD v1.1 dev, write the window lengths to this .npy file and exit")
    parser.add_argument("--ablation", action="store_true",
                        help="also time the steps between the two settings, one change at a time "
                             "(bf16, then SDPA, then dynamic padding with grouping, then the larger batch)")
    parser.add_argument("--peak-tflops", type=float, default=989.0,
                        help="the GPU's dense bf16/fp16 peak (default 989: H100 SXM)")
    parser.add_argument("--lr", type=float, default=3e-5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--allow-cpu", action="store_true", help="smoke test on the CPU with a tiny config")
    parser.add_argument("--shape", choices=sorted(SHAPES), default="distilbert",
                        help="model shape: distilbert-base-cased (full profile) or all-MiniLM-L6-v2 (quick profile)")
    parser.add_argument("--fp16", action="store_true",
                        help="also run our setting in fp16 with a GradScaler instead of bf16 (same batch, same rest)")
    args = parser.parse_args()

    if args.save_lengths:
        saved = np.asarray(window_lengths(args.max_length, args.doc_stride, VOCAB_SIZE, args.length_examples),
                           dtype=np.int16)
        np.save(args.save_lengths, saved)
        print(f"wrote {len(saved)} window lengths (mean {saved.mean():.1f}, max {saved.max()}) to {args.save_lengths}")
        return
    device = torch.device(args.device if torch.cuda.is_available() or args.device == "cpu" else "cpu")
    config = SHAPES[args.shape]()
    if device.type != "cuda":
        if not args.allow_cpu:
            raise SystemExit("gpu_training.py measures GPU training throughput and no CUDA device is available. "
                             "For a smoke test of the script on the CPU, run it with --allow-cpu --steps 2 "
                             "(a tiny config; the numbers mean nothing).")
        if args.steps > 4 or args.compile:
            raise SystemExit("--allow-cpu is a smoke test: use --steps 4 or fewer, without --compile")
        config = TINY_SHAPES[args.shape]()
        args.warmup = min(args.warmup, 2)

    seeds = Setting("seeds: fp16+scaler, pad 384, b16, eager", torch.float16, True, args.seeds_batch_size,
                    args.max_length, False, "eager", False)
    compiled = f", compiled{' ' + args.compile_mode if args.compile_mode else ''}" if args.compile else ""
    ours = Setting(f"ours: bf16, dynamic+grouped, b{args.batch_size}, sdpa{compiled}",
                   torch.bfloat16, False, args.batch_size, None, True, "sdpa", args.compile)
    settings = [seeds]
    if args.ablation:  # one change at a time, each on top of the previous one
        bf16 = dataclasses.replace(seeds, name="  + bf16, no scaler", dtype=torch.bfloat16, scaler=False)
        sdpa = dataclasses.replace(bf16, name="  + sdpa attention", attention="sdpa")
        dynamic = dataclasses.replace(sdpa, name="  + dynamic padding, grouped", fixed_width=None,
                                      group_by_length=True)
        settings += [bf16, sdpa, dynamic]
        if args.compile:
            settings.append(dataclasses.replace(ours, name=f"  + batch {args.batch_size}", compile=False))
    settings.append(ours)
    if args.fp16:  # bf16 vs fp16 at our batch size: the only change is the precision (and the scaler it needs)
        settings.append(dataclasses.replace(ours, name=ours.name.replace("ours: bf16", "ours in fp16+scaler"),
                                            dtype=torch.float16, scaler=True))
    if args.lengths_file:
        dev_lengths = np.load(args.lengths_file).astype(np.int64)
    else:
        dev_lengths = np.asarray(window_lengths(args.max_length, args.doc_stride, VOCAB_SIZE, args.length_examples))
    lengths = np.random.default_rng(args.seed).choice(dev_lengths, size=args.epoch_features, replace=True)
    n_params = sum(p.numel() for p in AutoModelForQuestionAnswering.from_config(config).parameters())

    results = []
    for setting in settings:
        results.append(run_setting(setting, config, lengths, args, device))
        gc.collect()  # the model and optimizer of the finished setting are gone before the next one starts
        if device.type == "cuda":
            torch.cuda.empty_cache()

    gpu = torch.cuda.get_device_name(device) if device.type == "cuda" else "none (CPU smoke test, tiny config)"
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}, "
          f"transformers {transformers.__version__}, python {platform.python_version()}; device: {device} ({gpu})"
          + (f", CUDA {torch.version.cuda}" if device.type == "cuda" else ""))
    print(f"model: {describe(config)}, {n_params / 1e6:.1f}M parameters; windows: {len(dev_lengths)} SQuAD v1.1 dev windows (mean "
          f"{dev_lengths.mean():.0f} tokens, median {np.median(dev_lengths):.0f}), {args.epoch_features} drawn per "
          f"epoch; {args.steps} timed steps per setting, after untimed warm-up steps covering every timed width "
          f"(at least {args.warmup}; their time, compilation included, in 'warm-up s')")
    print(f"MFU peak used: {args.peak_tflops:g} TFLOPS (--peak-tflops; the default 989 is H100 SXM dense bf16/fp16)")
    print(f"{'setting':<48} {'samples/s':>9} {'x':>6} {'real tok/s':>11} {'fed tok/s':>10} {'pad':>6} "
          f"{'MFU':>6} {'epoch min':>9} {'peak GiB':>8} {'loss':>7} {'warm-up s':>9} {'GPU busy':>8}")
    base = results[0]["samples"] / results[0]["seconds"]
    for s, r in zip(settings, results):
        rate = r["samples"] / r["seconds"]
        real_rate, fed_rate = r["real"] / r["seconds"], r["fed"] / r["seconds"]
        mfu = 6 * n_params * real_rate / (args.peak_tflops * 1e12)
        epoch_minutes = args.epoch_features / rate / 60
        peak = f"{r['peak'] / 2**30:8.2f}" if r["peak"] is not None else f"{'n/a':>8}"
        print(f"{s.name:<48} {rate:9.1f} {rate / base:5.2f}x {real_rate:11.0f} {fed_rate:10.0f} "
              f"{1 - r['real'] / r['fed']:6.1%} {mfu:6.1%} {epoch_minutes:9.1f} {peak} {r['loss']:7.3f} "
              f"{r['warm_seconds']:9.1f} " + (f"{r['busy']:8.0%}" if r["busy"] is not None else f"{'-':>8}"))
    ours_rate = results[settings.index(ours)]["samples"] / results[settings.index(ours)]["seconds"]
    print(f"ours vs seeds: {ours_rate / base:.2f}x samples/s (target >= 4x)")
    if args.fp16:
        fp16_rate = results[-1]["samples"] / results[-1]["seconds"]
        print(f"ours, bf16 vs fp16+scaler: {ours_rate / fp16_rate:.2f}x samples/s")


if __name__ == "__main__":
    main()
