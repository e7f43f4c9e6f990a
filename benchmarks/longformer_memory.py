"""A Longformer-base training step at 4,096 tokens: peak memory and time, with and without gradient checkpointing.

The model has allenai/longformer-base-4096's shape (``LongformerConfig`` with 12 layers, hidden 768, attention
window 512, vocabulary 50,265, 4,098 positions; random weights, which do not change memory or time). One
training step is forward + backward + AdamW step on one 4,096-token window (batch 1): ``<s>``, a 30-token
question, ``</s></s>``, the context, ``</s>``, with global attention on the first 32 tokens (``<s>``, the question
and its separator) and random answer positions in the context. The step runs with and without activation
(gradient) checkpointing, side by side in one process: ``activation_checkpointing_enable()``, the transformers 5.x
name of ``gradient_checkpointing_enable()`` (the old name, deprecated in 5.x, is used where the new one is missing).

Printed per variant: the median step time over ``--repeat`` steps (after one untimed step that also creates
AdamW's state), the memory held between steps (weights and AdamW state), the peak during a step
(``torch.cuda.max_memory_allocated``) and the peak above what is held (activations, gradients, workspace); then the
memory saved and the time it costs. Both variants start from the same weights with the same dropout seed, so their
first-step losses must agree (checkpointing recomputes the same forward); the script exits with status 1 if not.

``--shape converted`` measures the quick profile's long-document model instead: all-MiniLM-L6-v2 made into a
Longformer by ``qa_tutorial.models.longformer_from_bert`` (6 layers, hidden 384, window 256, 4,097 positions).

On CUDA the full-size model runs under ``--precision`` autocast (default bf16; fp32 and fp16 also offered). On a
CPU the script runs a smoke test with a tiny config (2 layers, hidden 64, window 64, 512 tokens), with no memory
figures (they need CUDA), unless ``--full-size`` asks for the real shape there.

    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/longformer_memory.py [--repeat 5] [--precision bf16]
    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/longformer_memory.py --device cpu --repeat 1   # CPU smoke test
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import platform
import statistics
import time
import warnings
from typing import Any

import torch
import transformers
from transformers import LongformerConfig, LongformerForQuestionAnswering

DTYPES = {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}
BOS, PAD, EOS = 0, 1, 2  # RoBERTa's ids: <s>, <pad>, </s>


def base_config() -> LongformerConfig:
    """allenai/longformer-base-4096's shape: the LongformerConfig defaults plus its vocabulary and positions."""
    return LongformerConfig(vocab_size=50265, max_position_embeddings=4098, attention_window=512, type_vocab_size=1,
                            pad_token_id=PAD, bos_token_id=BOS, eos_token_id=EOS, sep_token_id=EOS)


def converted_config() -> LongformerConfig:
    """The quick profile's long-document model: all-MiniLM-L6-v2 made into a Longformer by
    ``qa_tutorial.models.longformer_from_bert`` with ``LONGFORMER_SETTINGS`` (4,096 tokens, window 256)."""
    return LongformerConfig(vocab_size=30522, hidden_size=384, num_hidden_layers=6, num_attention_heads=12,
                            intermediate_size=1536, type_vocab_size=2, max_position_embeddings=4096 + 0 + 1,
                            attention_window=[256] * 6, pad_token_id=0, bos_token_id=101, eos_token_id=102,
                            sep_token_id=102)


def tiny_config() -> LongformerConfig:
    return LongformerConfig(vocab_size=1000, max_position_embeddings=514, attention_window=64, type_vocab_size=1,
                            hidden_size=64, num_hidden_layers=2, num_attention_heads=2, intermediate_size=128,
                            pad_token_id=PAD, bos_token_id=BOS, eos_token_id=EOS, sep_token_id=EOS)


def make_inputs(config: LongformerConfig, length: int, global_tokens: int, device: torch.device) -> dict[str, Any]:
    """One window: <s> question </s></s> context </s>, global attention on the first ``global_tokens`` tokens."""
    generator = torch.Generator().manual_seed(0)
    question = global_tokens - 2  # <s> + question + </s> = global_tokens
    ids = torch.randint(10, config.vocab_size, (1, length), generator=generator)
    bos, eos = config.bos_token_id, config.eos_token_id
    ids[0, 0], ids[0, question + 1], ids[0, question + 2], ids[0, -1] = bos, eos, eos, eos
    glob = torch.zeros(1, length, dtype=torch.long)
    glob[0, :global_tokens] = 1
    context_start, context_end = question + 3, length - 2
    start = int(torch.randint(context_start, context_end - 20, (1,), generator=generator))
    batch = {"input_ids": ids, "attention_mask": torch.ones(1, length, dtype=torch.long),
             "global_attention_mask": glob, "start_positions": torch.tensor([start]),
             "end_positions": torch.tensor([start + 5])}
    return {k: v.to(device) for k, v in batch.items()}


def enable_checkpointing(model: Any) -> str:
    """Turn on activation checkpointing under the installed transformers' name for it; return that name."""
    name = "activation_checkpointing_enable" if hasattr(model, "activation_checkpointing_enable") \
        else "gradient_checkpointing_enable"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        getattr(model, name)()
    return name


def measure(config: LongformerConfig, inputs: dict[str, Any], *, checkpointing: bool, dtype: torch.dtype | None,
            repeat: int, device: torch.device, seed: int) -> dict[str, Any]:
    """Step times, memory held between steps and peak step memory of one variant."""
    torch.manual_seed(seed)
    model = LongformerForQuestionAnswering(config).to(device).train()
    method = enable_checkpointing(model) if checkpointing else "-"
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-5)
    scaler = torch.amp.GradScaler(device.type) if dtype == torch.float16 else None

    def step(k: int) -> float:
        torch.manual_seed(seed + k)  # the same dropout masks in both variants
        with torch.autocast(device.type, dtype=dtype or torch.float32, enabled=dtype is not None):
            loss = model(**inputs).loss
        (scaler.scale(loss) if scaler is not None else loss).backward()
        if scaler is not None:
            scaler.step(optimizer)
            scaler.update()
        else:
            optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        return float(loss.detach())

    first_loss = step(0)  # untimed: creates AdamW's state
    times, peak, held = [], None, None
    if device.type == "cuda":
        torch.cuda.synchronize(device)
        held = torch.cuda.memory_allocated(device)
        torch.cuda.reset_peak_memory_stats(device)
    for k in range(1, repeat + 1):
        start = time.perf_counter()
        step(k)  # float(loss) synchronises
        times.append(time.perf_counter() - start)
    if device.type == "cuda":
        torch.cuda.synchronize(device)
        peak = torch.cuda.max_memory_allocated(device)
    return {"method": method, "first_loss": first_loss, "seconds": statistics.median(times), "held": held,
            "peak": peak}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="timed steps per variant (median reported)")
    parser.add_argument("--length", type=int, default=None, help="tokens (default 4096; 512 for the tiny config)")
    parser.add_argument("--global-tokens", type=int, default=32, help="global attention on the first N tokens")
    parser.add_argument("--precision", choices=sorted(DTYPES), default=None,
                        help="autocast dtype (default: bf16 on CUDA, fp32 on the CPU)")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--full-size", action="store_true",
                        help="the real shape even on a CPU (slow, needs many GB of RAM)")
    parser.add_argument("--shape", choices=("base", "converted"), default="base",
                        help="longformer-base-4096 (full profile) or the quick profile's converted MiniLM")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    device = torch.device(args.device)
    full = device.type == "cuda" or args.full_size
    config = (base_config() if args.shape == "base" else converted_config()) if full else tiny_config()
    length = args.length or (4096 if full else 512)
    window = config.attention_window if isinstance(config.attention_window, int) else max(config.attention_window)
    if length % window:
        parser.error(f"--length must be a multiple of the attention window {window}")
    positions = config.max_position_embeddings - config.pad_token_id - 1  # position ids start after the pad id
    if length > positions:
        parser.error(f"--length {length} exceeds the model's {positions} positions")
    precision = args.precision or ("bf16" if device.type == "cuda" else "fp32")
    dtype = DTYPES[precision]
    inputs = make_inputs(config, length, args.global_tokens, device)

    results = []
    for checkpointing in (False, True):
        results.append(measure(config, inputs, checkpointing=checkpointing, dtype=dtype, repeat=args.repeat,
                               device=device, seed=args.seed))
        gc.collect()  # the finished variant's model and optimizer are freed before the next one is measured
        if device.type == "cuda":
            torch.cuda.empty_cache()

    gpu = f" ({torch.cuda.get_device_name(device)}, CUDA {torch.version.cuda})" if device.type == "cuda" else ""
    n_params = sum(p.numel() for p in LongformerForQuestionAnswering(config).parameters())
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__} "
          f"({torch.get_num_threads()} threads), transformers {transformers.__version__}, "
          f"python {platform.python_version()}; device: {device}{gpu}")
    print(f"model: Longformer QA{'' if full else ' (tiny smoke-test config)'}, {config.num_hidden_layers} layers, "
          f"hidden {config.hidden_size}, window {window}, vocab {config.vocab_size}, {n_params / 1e6:.1f}M parameters; "
          f"{length} tokens, batch 1, global attention on {args.global_tokens}; {precision}; AdamW; "
          f"median of {args.repeat} steps")

    def gib(x: int | None) -> str:
        return f"{x / 2**30:9.2f}" if x is not None else f"{'n/a':>9}"

    print(f"{'variant':<26} {'step s':>8} {'held GiB':>9} {'peak GiB':>9} {'above GiB':>9} {'first loss':>11}")
    for label, r in zip(("no checkpointing", "gradient checkpointing"), results):
        above = r["peak"] - r["held"] if r["peak"] is not None else None
        print(f"{label:<26} {r['seconds']:8.3f} {gib(r['held'])} {gib(r['peak'])} {gib(above)} "
              f"{r['first_loss']:11.5f}")
    plain, ckpt = results
    summary = f"checkpointing ({ckpt['method']}): step {ckpt['seconds'] / plain['seconds']:.2f}x the time"
    if plain["peak"] is not None:
        summary += (f", peak {ckpt['peak'] / plain['peak']:.2f}x ({(plain['peak'] - ckpt['peak']) / 2**30:.2f} GiB "
                    f"saved); memory above what is held: {(plain['peak'] - plain['held']) / 2**30:.2f} -> "
                    f"{(ckpt['peak'] - ckpt['held']) / 2**30:.2f} GiB")
    else:
        summary += "; peak memory: n/a (CUDA only)"
    print(summary)
    same = math.isclose(plain["first_loss"], ckpt["first_loss"], rel_tol=1e-3, abs_tol=1e-4)
    print(f"same first-step loss with and without checkpointing: {same}")
    if not same:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
