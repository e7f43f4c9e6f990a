"""Fine-tuning the quick profile's pretrained encoder on CPU: the seeds' recipe vs the package's, to a held-out F1.

Both recipes fine-tune all-MiniLM-L6-v2 (22.7 M parameters, from its PyPI wheel) with the same `Trainer`
(``qa_tutorial.training.QATrainer``), the same questions (the quick profile's SQuAD split: 4,640 training questions
from 38 articles, 300 held-out questions from other articles), the same new head (same seed), the same optimiser
settings (the quick profile's: AdamW, learning rate 3e-4, 10% warm-up then linear decay over one epoch, batch 16)
and the same scoring. What differs is what the seeds do and the package does not:

- seeds: every window padded to ``max_length`` (384) when the features are made, batches drawn at random;
- package: unpadded windows, each batch padded to its longest (``DataCollatorWithPadding``), batches of similar
  lengths (``group_by_length``), as ``qa_tutorial.training.train_qa`` does;
- ``--compile`` adds the package's recipe with ``torch_compile=True`` (inductor on the CPU), to see whether the
  compilation pays for itself within one quick-profile fine-tune.

Each run evaluates on the held-out questions every ``--eval-steps`` steps and stops at the first evaluation that
reaches ``--target-f1`` (or at the end of the epoch). Evaluation time is not training time: the clock stops from
the step before an evaluation to the end of it. Reported per recipe: windows/s over the training steps, the share
of padding among the tokens fed, the training seconds to the target, and the steps' own times (forward, backward,
optimiser), the first ten apart: compilation happens there.

    HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false QA_TUTORIAL_DATA_DIR=../shared/data \\
        .venv/bin/python benchmarks/finetune.py [--target-f1 45] [--eval-steps 25] [--compile] [--no-seeds]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
from typing import Any

import torch
import transformers
from transformers import DataCollatorWithPadding, TrainerCallback

from qa_tutorial.book.finetuned import training_splits
from qa_tutorial.book.profiles import QUICK
from qa_tutorial.checkpoints import load_qa_model
from qa_tutorial.features import prepare_train_features
from qa_tutorial.training import QATrainer, eval_features, train_features, training_arguments

QUICK_STEPS = 296  # one epoch of the quick profile's SQuAD windows at batch 16 (its model card's history)


class CountingTrainer(QATrainer):
    """`QATrainer` that counts the windows, and the real and fed tokens, of every batch it trains on."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.windows = self.fed = self.real = 0

    def training_step(self, model: Any, inputs: dict[str, torch.Tensor], *args: Any, **kwargs: Any) -> torch.Tensor:
        self.windows += inputs["input_ids"].shape[0]
        self.fed += inputs["input_ids"].numel()
        self.real += int(inputs["attention_mask"].sum())
        return super().training_step(model, inputs, *args, **kwargs)


class TrainingClock(TrainerCallback):
    """Training seconds (evaluations excluded) at every evaluation; stops training once F1 reaches ``target``."""

    def __init__(self, target: float) -> None:
        self.target, self.start, self.last_step, self.excluded, self.seconds = target, None, None, 0.0, 0.0
        self.evaluations: list[dict[str, float]] = []
        self.step_seconds: list[float] = []  # forward, backward and optimiser step of each step

    def on_train_begin(self, args, state, control, **kwargs):
        self.start = self.last_step = time.perf_counter()

    def on_step_begin(self, args, state, control, **kwargs):
        self.step_start = time.perf_counter()

    def on_step_end(self, args, state, control, **kwargs):
        self.last_step = time.perf_counter()
        self.step_seconds.append(self.last_step - self.step_start)

    def on_train_end(self, args, state, control, **kwargs):
        self.seconds = self.last_step - self.start - self.excluded

    def on_evaluate(self, args, state, control, metrics=None, **kwargs):
        now = time.perf_counter()
        self.excluded += now - self.last_step
        self.last_step = now
        seconds = now - self.start - self.excluded
        self.evaluations.append({"step": state.global_step, "f1": metrics["eval_f1"], "seconds": seconds})
        if metrics["eval_f1"] >= self.target:
            control.should_training_stop = True


def fine_tune(name: str, splits: Any, *, padded: bool, grouped: bool, compiled: bool, args: argparse.Namespace,
              output_dir: str) -> dict[str, Any]:
    """One recipe, from the same pretrained weights and head seed; returns its clock, counts and result."""
    transformers.set_seed(args.seed)  # the new QA head starts the same in every recipe
    model, tokenizer, _ = load_qa_model(QUICK.english_checkpoint)
    if padded:
        windows = splits["train"].map(prepare_train_features, batched=True,
                                      remove_columns=splits["train"].column_names, desc="padded train features",
                                      fn_kwargs={"tokenizer": tokenizer, "max_length": QUICK.max_length,
                                                 "doc_stride": QUICK.doc_stride, "padding": "max_length"})
    else:
        windows = train_features(splits["train"], tokenizer, max_length=QUICK.max_length, doc_stride=QUICK.doc_stride)
    eval_windows = eval_features(splits["validation"], tokenizer, max_length=QUICK.max_length,
                                 doc_stride=QUICK.doc_stride)
    training = training_arguments(
        output_dir=output_dir, eval_strategy="steps", eval_steps=args.eval_steps, save_strategy="no",
        logging_strategy="steps", logging_steps=args.eval_steps, num_train_epochs=QUICK.num_train_epochs,
        max_steps=args.max_steps, learning_rate=QUICK.learning_rate, warmup_ratio=QUICK.warmup_ratio,
        weight_decay=0.01, per_device_train_batch_size=QUICK.per_device_train_batch_size,
        per_device_eval_batch_size=64, seed=args.seed, data_seed=args.seed, group_by_length=grouped,
        report_to="none", disable_tqdm=True, use_cpu=True, dataloader_pin_memory=False, torch_compile=compiled)
    clock = TrainingClock(args.target_f1)
    trainer = CountingTrainer(model=model, args=training, train_dataset=windows, eval_dataset=eval_windows,
                              data_collator=DataCollatorWithPadding(tokenizer), processing_class=tokenizer,
                              eval_examples=splits["validation"], eval_windows=eval_windows,
                              max_length=QUICK.max_length, doc_stride=QUICK.doc_stride, callbacks=[clock])
    trainer.train()
    reached = next((e for e in clock.evaluations if e["f1"] >= args.target_f1), None)
    return {"name": name, "steps": trainer.state.global_step, "windows": trainer.windows, "fed": trainer.fed,
            "real": trainer.real, "seconds": clock.seconds, "step_seconds": clock.step_seconds, "reached": reached, "evaluations": clock.evaluations,
            "epoch_windows": len(windows)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target-f1", type=float, default=45.0, help="held-out F1 at which a run stops")
    parser.add_argument("--eval-steps", type=int, default=25, help="evaluate on the held-out questions this often")
    parser.add_argument("--max-steps", type=int, default=-1, help="stop after this many steps (-1: one epoch)")
    parser.add_argument("--train-examples", type=int, default=None, help="only the first N training questions")
    parser.add_argument("--eval-examples", type=int, default=None, help="only the first N held-out questions")
    parser.add_argument("--compile", action="store_true", help="also run the package's recipe with torch.compile")
    parser.add_argument("--no-seeds", action="store_true",
                        help="skip the seeds' recipe (with --compile: compiled vs not, the package's recipe only)")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    transformers.logging.set_verbosity_error()

    splits = training_splits(QUICK, "squad", data_dir=os.environ.get("QA_TUTORIAL_DATA_DIR"))
    for split, limit in (("train", args.train_examples), ("validation", args.eval_examples)):
        if limit:
            splits[split] = splits[split].select(range(min(limit, len(splits[split]))))
    recipes = [("seeds: max_length, random batches", True, False, False)] if not args.no_seeds else []
    recipes.append(("package: dynamic, group_by_length", False, True, False))
    if args.compile:
        recipes.append(("package + torch.compile", False, True, True))
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, padded, grouped, compiled in recipes:
            results.append(fine_tune(name, splits, padded=padded, grouped=grouped, compiled=compiled, args=args,
                                     output_dir=os.path.join(tmp, str(len(results)))))

    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__} "
          f"({torch.get_num_threads()} threads), transformers {transformers.__version__}, "
          f"python {platform.python_version()}; device: cpu")
    print(f"data: quick profile's SQuAD split, {len(splits['train'])} training questions -> "
          f"{results[0]['epoch_windows']} windows, {len(splits['validation'])} held-out questions; model "
          f"{QUICK.english_checkpoint}; batch {QUICK.per_device_train_batch_size}, lr {QUICK.learning_rate}, "
          f"warm-up {QUICK.warmup_ratio:.0%}, seed {args.seed}; evaluation every {args.eval_steps} steps, "
          f"target F1 {args.target_f1:g}")
    print(f"{'recipe':<36} {'steps':>5} {'windows':>7} {'pad share':>9} {'train s':>8} {'windows/s':>9} "
          f"{'x':>6} {'s to target':>11} {'x':>6}")
    base = results[0]
    for r in results:
        rate, base_rate = r["windows"] / r["seconds"], base["windows"] / base["seconds"]
        to_target = f"{r['reached']['seconds']:11.1f}" if r["reached"] else f"{'not reached':>11}"
        speed_up = (f"{base['reached']['seconds'] / r['reached']['seconds']:5.2f}x"
                    if r["reached"] and base["reached"] else f"{'-':>6}")
        print(f"{r['name']:<36} {r['steps']:5d} {r['windows']:7d} {1 - r['real'] / r['fed']:9.1%} "
              f"{r['seconds']:8.1f} {rate:9.2f} {rate / base_rate:5.2f}x {to_target} {speed_up}")
    print(f"{'recipe':<36} {'first 10 steps s':>16} {'median step s':>13} {'later steps s':>13}")
    for r in results:
        steps = r["step_seconds"]
        print(f"{r['name']:<36} {sum(steps[:10]):16.1f} {statistics.median(steps):13.2f} {sum(steps[10:]):13.1f}")
    for r in results:
        curve = ", ".join(f"{e['step']}: {e['f1']:.1f} ({e['seconds']:.0f} s)" for e in r["evaluations"])
        print(f"held-out F1 by step ({r['name']}): {curve}")
    if args.compile:
        eager, compiled = results[-2], results[-1]
        eager_step, compiled_step = (statistics.median(r["step_seconds"]) for r in (eager, compiled))
        overhead = sum(compiled["step_seconds"][:10]) - sum(eager["step_seconds"][:10])
        saving = eager_step - compiled_step
        verdict = (f"pays for itself after {overhead / saving:.0f} steps (the quick fine-tune has {QUICK_STEPS})"
                   if saving > 0 else "never pays: compiled steps are not faster")
        print(f"torch.compile: first 10 steps {overhead:+.1f} s against eager, median step {compiled_step:.2f} s vs "
              f"{eager_step:.2f} s: {verdict}")
    if args.no_seeds:
        return
    package = results[1]
    print(f"package vs seeds: {package['windows'] / package['seconds'] / (base['windows'] / base['seconds']):.2f}x "
          f"windows/s (target >= 2x); {base['fed'] / base['windows'] / (package['fed'] / package['windows']):.2f}x "
          "fewer tokens fed per window")


if __name__ == "__main__":
    main()
