"""Fine-tune a QA model with a plain PyTorch loop: AdamW, linear schedule, dynamic padding, a tqdm bar.

The loop `fit` returns the same `qa_tutorial.training.TrainingResult` as `train_qa` (final metrics and a
history DataFrame), so the two can be plotted side by side.
"""

from __future__ import annotations

import warnings
from typing import Any

import datasets
import numpy as np
import torch
import transformers
from torch.utils.data import DataLoader
from tqdm.auto import tqdm
from transformers import DataCollatorWithPadding, get_linear_schedule_with_warmup

from qa_tutorial.devices import resolve_device
from qa_tutorial.inference import evaluate_qa, forward_columns
from qa_tutorial.training import TrainingResult, history_frame, train_features

__all__ = ["fit"]

# fit's argument names before they matched train_qa's (and TrainingArguments')
_RENAMED = {"epochs": "num_train_epochs", "lr": "learning_rate", "batch_size": "per_device_train_batch_size"}


def fit(model: Any, tokenizer: Any, train_examples: datasets.Dataset, eval_examples: datasets.Dataset, *,
        num_train_epochs: int = 2, learning_rate: float = 3e-5, per_device_train_batch_size: int = 16,
        max_length: int = 384, doc_stride: int = 128, weight_decay: float = 0.01, warmup_ratio: float = 0.0,
        seed: int = 42, logging_steps: int = 50, version_2_with_negative: bool = False,
        device: str | torch.device | None = "auto", progress: bool = True, **renamed: Any) -> TrainingResult:
    """Fine-tune ``model`` with a plain loop, scoring EM/F1 on ``eval_examples`` after every epoch.

    The arguments have the names `qa_tutorial.training.train_qa` gives them.

    Args:
        model, tokenizer: a ``...ForQuestionAnswering`` model and its fast tokenizer.
        train_examples, eval_examples: SQuAD-layout datasets.
        num_train_epochs, learning_rate, per_device_train_batch_size, weight_decay, warmup_ratio: AdamW with a
            linear schedule (whole epochs only).
        max_length, doc_stride: windows. seed: weights of new heads, dropout and shuffling.
        logging_steps: record the mean training loss every so many steps.
        version_2_with_negative: SQuAD v2.0 scoring.
        device: "auto" (a GPU when there is one), "cpu", "cuda", ... (`qa_tutorial.devices.resolve_device`).
        progress: show a tqdm bar.
        renamed: the old names ``epochs``, ``lr`` and ``batch_size`` still work, with a `DeprecationWarning`.

    Returns:
        `TrainingResult`; ``history`` rows hold "step", "epoch", "loss", "learning_rate", "eval_exact_match", "eval_f1".
    """
    for old, value in renamed.items():
        if old not in _RENAMED:
            raise TypeError(f"fit() got an unexpected keyword argument {old!r}")
        warnings.warn(f"fit({old}=...) is now fit({_RENAMED[old]}=...), as in train_qa", DeprecationWarning,
                      stacklevel=2)
        if old == "epochs":
            num_train_epochs = value
        elif old == "lr":
            learning_rate = value
        else:
            per_device_train_batch_size = value
    epochs, batch_size = num_train_epochs, per_device_train_batch_size
    if epochs < 1 or int(epochs) != epochs or batch_size < 1 or learning_rate <= 0:
        raise ValueError("need a whole num_train_epochs >= 1, per_device_train_batch_size >= 1 and learning_rate "
                         f"> 0, got {epochs}, {batch_size}, {learning_rate}")
    epochs = int(epochs)
    transformers.set_seed(seed)
    device = resolve_device(device)
    windows = train_features(train_examples, tokenizer, max_length=max_length, doc_stride=doc_stride)
    loader = DataLoader(windows.select_columns(forward_columns(model, windows.column_names)), batch_size=batch_size,
                        shuffle=True, collate_fn=DataCollatorWithPadding(tokenizer),
                        generator=torch.Generator().manual_seed(seed))
    model.to(device)
    no_decay = [p for n, p in model.named_parameters() if n.endswith("bias") or "LayerNorm" in n or "norm" in n]
    decay = [p for n, p in model.named_parameters() if all(p is not q for q in no_decay)]
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": weight_decay},
                                   {"params": no_decay, "weight_decay": 0.0}], lr=learning_rate)
    total = epochs * len(loader)
    scheduler = get_linear_schedule_with_warmup(optimizer, int(warmup_ratio * total), total)
    log: list[dict[str, float]] = []
    step, losses = 0, []
    bar = tqdm(total=total, desc="fit", disable=not progress)
    for epoch in range(epochs):
        model.train()
        for batch in loader:
            loss = model(**{k: v.to(device) for k, v in batch.items()}).loss
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad()
            step += 1
            losses.append(loss.item())
            bar.update(1)
            if step % logging_steps == 0:
                log.append({"step": step, "epoch": step / len(loader), "loss": float(np.mean(losses)),
                            "learning_rate": scheduler.get_last_lr()[0]})
                bar.set_postfix(loss=f"{log[-1]['loss']:.3f}")
                losses = []
        scores, _ = evaluate_qa(model, tokenizer, eval_examples, max_length=max_length, doc_stride=doc_stride,
                                version_2_with_negative=version_2_with_negative, device=device, progress=False)
        metrics = {f"eval_{key}": float(value) for key, value in scores.items()}
        log.append({"step": step, "epoch": float(epoch + 1), **metrics})
        bar.set_postfix(f1=f"{metrics['eval_f1']:.1f}")
    bar.close()
    return TrainingResult(model=model, metrics=metrics, history=history_frame(log), global_step=step)
