"""Fine-tune a QA model with `transformers.Trainer`, scoring EM/F1 (not just the loss) at every evaluation.

Features are built with ``Dataset.map(batched=True)`` without padding; `DataCollatorWithPadding` pads each
batch to its longest window (dynamic padding). Evaluation predicts on the evaluation windows, decodes answers
(`qa_tutorial.decoding`) and scores them (`qa_tutorial.metrics`), through `qa_tutorial.inference.decode_and_score`,
the same step `evaluate_qa` and the plain PyTorch loop (`qa_tutorial.pytorch_loop`) use.
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import logging
import os
from pathlib import Path
from typing import Any

import datasets
import numpy as np
import pandas as pd
import torch
import transformers
from transformers import DataCollatorWithPadding, Trainer, TrainingArguments

from qa_tutorial.devices import resolve_device
from qa_tutorial.features import prepare_eval_features, prepare_train_features
from qa_tutorial.inference import LOGIT_PAD, check_window_length, decode_and_score

__all__ = ["EVAL_ONLY_COLUMNS", "QATrainer", "TrainingResult", "eval_features", "history_frame",
           "last_complete_checkpoint", "mixed_precision_flags", "qa_scores", "train_features", "train_qa",
           "training_arguments"]

logger = logging.getLogger(__name__)

EVAL_ONLY_COLUMNS = ("example_id", "offset_mapping", "cls_index")  # decoding needs them; the model does not


@dataclasses.dataclass
class TrainingResult:
    """What a training run returns (the same for `train_qa` and `qa_tutorial.pytorch_loop.fit`).

    Attributes:
        model: the trained model. metrics: the final evaluation ("eval_exact_match", "eval_f1", ...).
        history: one row per logged step: "step", "epoch", "loss", "learning_rate", "eval_exact_match", "eval_f1", ...
        global_step: optimisation steps done.
        output_dir: the `Trainer`'s folder, which holds its checkpoints (``checkpoint-<step>``, the last
            ``save_total_limit`` of them) but not the final model: save that with ``model.save_pretrained`` or
            `qa_tutorial.sharing.save_for_sharing`. None for `qa_tutorial.pytorch_loop.fit`, which saves nothing.
    """

    model: Any
    metrics: dict[str, float]
    history: pd.DataFrame
    global_step: int
    output_dir: Path | None = None


def mixed_precision_flags(device: str | torch.device | None = None, *, wanted: bool = True) -> dict[str, bool]:
    """``{"bf16": ..., "fp16": ...}`` for ``device``: bf16 where CUDA supports it, else fp16 on CUDA, none on CPU.

    >>> mixed_precision_flags("cpu")
    {'bf16': False, 'fp16': False}
    """
    device = resolve_device(device) if device in (None, "auto") else torch.device(device)
    if not wanted or device.type != "cuda" or not torch.cuda.is_available():
        return {"bf16": False, "fp16": False}
    bf16 = torch.cuda.is_bf16_supported(including_emulation=False)  # a T4 only emulates bf16, slowly: fp16 there
    return {"bf16": bf16, "fp16": not bf16}


def training_arguments(**kwargs: Any) -> TrainingArguments:
    """`TrainingArguments` that accept the same names in transformers 4.x and 5.x.

    ``group_by_length`` (``train_sampling_strategy="group_by_length"`` in 5.x) and ``warmup_ratio`` (a
    ``warmup_steps`` below 1 in 5.x) are translated to what the installed version knows; ``report_to`` must be given.

    >>> training_arguments(output_dir="out", report_to="none", eval_strategy="no").report_to
    []
    """
    if "report_to" not in kwargs:
        raise ValueError("give report_to explicitly (e.g. 'none'), or an installed tracker may prompt for a login")
    known = inspect.signature(TrainingArguments).parameters
    if "warmup_ratio" in kwargs and "warmup_ratio" not in known:  # 5.x: a warmup_steps below 1 is the ratio
        ratio = kwargs.pop("warmup_ratio")
        if ratio:
            kwargs["warmup_steps"] = ratio
    if kwargs.pop("group_by_length", False):
        if "group_by_length" in known:
            kwargs["group_by_length"] = True
        else:
            kwargs["train_sampling_strategy"] = "group_by_length"
    return TrainingArguments(**kwargs)


def train_features(examples: datasets.Dataset, tokenizer: Any, *, max_length: int = 384,
                   doc_stride: int = 128) -> datasets.Dataset:
    """Unpadded training windows with start/end labels (``Dataset.map(batched=True)``; one example, many rows)."""
    return examples.map(prepare_train_features, batched=True, remove_columns=examples.column_names,
                        fn_kwargs={"tokenizer": tokenizer, "max_length": max_length, "doc_stride": doc_stride,
                                   "padding": False}, desc="train features")


def eval_features(examples: datasets.Dataset, tokenizer: Any, *, max_length: int = 384,
                  doc_stride: int = 128) -> datasets.Dataset:
    """Unpadded evaluation windows with "example_id", "offset_mapping" and "cls_index" for decoding."""
    return examples.map(prepare_eval_features, batched=True, remove_columns=examples.column_names,
                        fn_kwargs={"tokenizer": tokenizer, "max_length": max_length, "doc_stride": doc_stride,
                                   "padding": False}, desc="eval features")


def qa_scores(examples: Any, features: Any, start_logits: np.ndarray, end_logits: np.ndarray, *,
              version_2_with_negative: bool = False, prefix: str = "eval") -> dict[str, float]:
    """Decode answers from logits (n_features, seq_len) and score them: ``{prefix}_exact_match``, ``{prefix}_f1``, ...

    Padding positions in the logits (beyond a window's offsets) are never chosen: decoding only looks inside
    each window's context.
    """
    scores, _ = decode_and_score(examples, features, start_logits, end_logits,
                                 version_2_with_negative=version_2_with_negative, with_nbest=False)
    prefix = f"{prefix}_" if prefix else ""
    return {f"{prefix}{key}": float(value) for key, value in scores.items()}


def history_frame(log_history: list[dict[str, Any]]) -> pd.DataFrame:
    """Trainer-style log entries to a DataFrame, one row per step (entries of the same step merged).

    >>> history_frame([{"step": 5, "loss": 2.0}, {"step": 5, "eval_f1": 40.0}, {"step": 10, "loss": 1.0}])
       step  loss  eval_f1
    0     5   2.0     40.0
    1    10   1.0      NaN
    """
    if not log_history:
        return pd.DataFrame(columns=["step", "epoch", "loss"])
    frame = pd.DataFrame(log_history)
    return frame.groupby("step", sort=True, as_index=False).first()


class QATrainer(Trainer):
    """A `Trainer` whose `evaluate` predicts answers and reports SQuAD EM/F1 (plus the usual speed figures).

    Args:
        eval_examples: the examples scored by default (SQuAD layout).
        eval_windows: their evaluation windows (`eval_features`: with "example_id" and "offset_mapping").
        version_2_with_negative: score with SQuAD v2.0 (null answers) instead of v1.1.
        max_length, doc_stride: the windows `evaluate` builds for other examples passed to it.
    """

    def __init__(self, *args: Any, eval_examples: datasets.Dataset, eval_windows: datasets.Dataset,
                 version_2_with_negative: bool = False, max_length: int = 384, doc_stride: int = 128,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.eval_examples, self.eval_windows = eval_examples, eval_windows
        self.version_2_with_negative = version_2_with_negative
        self.max_length, self.doc_stride = max_length, doc_stride
        self.last_evaluation: tuple[int, dict[str, float]] | None = None  # (step, metrics) of the "eval" prefix

    def _get_eval_sampler(self, eval_dataset: Any) -> torch.utils.data.Sampler | None:
        """The evaluation windows in their own order, always.

        With ``group_by_length`` the `Trainer` (4.57 and 5.x) also groups the *evaluation* windows by length,
        in a seeded random order, and `predict` returns the logits in that order. Decoding pairs logits with
        windows by position, so every answer would come from another question's window and EM/F1 would be
        near zero, silently. Several processes shard the windows in order and gather them back in order.
        """
        if eval_dataset is None or not hasattr(eval_dataset, "__len__"):
            return None
        return torch.utils.data.SequentialSampler(eval_dataset) if self.args.world_size <= 1 else None

    def _examples_and_windows(self, eval_dataset: Any) -> tuple[datasets.Dataset, datasets.Dataset]:
        """What to score: the trainer's own examples, or ``eval_dataset``'s (examples, or windows of them)."""
        if eval_dataset is None:
            return self.eval_examples, self.eval_windows
        if isinstance(eval_dataset, tuple) and len(eval_dataset) == 2:
            examples, windows = eval_dataset
            missing = {"example_id", "offset_mapping"} - set(windows.column_names)
            if missing:
                raise ValueError(f"the windows lack {sorted(missing)}: build them with eval_features(examples, ...)")
            return examples, windows
        if not isinstance(eval_dataset, datasets.Dataset) or not {"id", "context", "question", "answers"} <= set(
                eval_dataset.column_names):
            raise ValueError("eval_dataset must be SQuAD-layout examples (id, context, question, answers), or a "
                             "pair (examples, eval_features(examples, ...)): windows alone cannot be scored, since "
                             "decoding needs the examples' contexts")
        return eval_dataset, eval_features(eval_dataset, self.processing_class, max_length=self.max_length,
                                           doc_stride=self.doc_stride)

    def _window_logits(self, logits: np.ndarray, lengths: list[int]) -> np.ndarray:
        """Each window's own logits, left-aligned, with ``LOGIT_PAD`` past its end: shape (n_windows, longest).

        The collator pads each batch to its longest window and the model gives the pad positions real logits; the
        Trainer then pads the batches to one width with -100. Left unmasked, pad positions would compete for the
        top ``n_best_size`` starts and ends (decoding drops them only after choosing), so the answers would depend
        on which windows share a batch. With left padding the window's tokens sit at the end of its batch width.
        """
        out = np.full((len(lengths), max(lengths, default=0)), LOGIT_PAD, dtype=np.float32)
        left = getattr(self.processing_class, "padding_side", "right") == "left"
        batch = self.args.eval_batch_size
        for first in range(0, len(lengths), batch):
            width = max(lengths[first:first + batch])  # the collator's width for this batch
            for row in range(first, min(first + batch, len(lengths))):
                begin = width - lengths[row] if left else 0
                out[row, :lengths[row]] = logits[row, begin:begin + lengths[row]]
        return out

    def evaluate(self, eval_dataset: Any = None, ignore_keys: list[str] | None = None,
                 metric_key_prefix: str = "eval", **kwargs: Any) -> dict[str, float]:
        """Predict, decode and score; log and return ``{metric_key_prefix}_exact_match``, ``_f1``, ...

        Args:
            eval_dataset: None for the examples given at construction; else SQuAD-layout examples (their windows
                are built here with the trainer's ``max_length``/``doc_stride``) or a pair ``(examples, windows)``.
            ignore_keys, metric_key_prefix: as in `Trainer.evaluate`.
        """
        examples, windows = self._examples_and_windows(eval_dataset)
        inputs = windows.remove_columns([c for c in EVAL_ONLY_COLUMNS if c in windows.column_names])
        output = self.predict(inputs, ignore_keys=ignore_keys, metric_key_prefix=metric_key_prefix)
        lengths = [len(ids) for ids in windows.select_columns(["input_ids"]).to_dict()["input_ids"]]
        start_logits, end_logits = (self._window_logits(np.asarray(logits), lengths)
                                    for logits in output.predictions[:2])
        metrics = qa_scores(examples, windows, start_logits, end_logits,
                            version_2_with_negative=self.version_2_with_negative, prefix=metric_key_prefix)
        metrics.update({k: v for k, v in output.metrics.items() if k.endswith(("_runtime", "_samples_per_second"))})
        self.log(metrics)
        self.control = self.callback_handler.on_evaluate(self.args, self.state, self.control, metrics)
        if eval_dataset is None and metric_key_prefix == "eval":
            self.last_evaluation = (self.state.global_step, metrics)
        return metrics


def _device_arguments(device: torch.device) -> dict[str, Any]:
    """`TrainingArguments` for ``device``. On the CPU: ``use_cpu``, and under ``torchrun`` the processes train
    together with DDP over gloo (NCCL needs GPUs); on a GPU the `Trainer`'s defaults, one process per GPU.

    Raises:
        ValueError: ``torchrun`` started more processes on this machine than it has GPUs (each process takes the
            GPU of its local rank; NCCL refuses two processes on one GPU).
    """
    if device.type == "cuda" and torch.distributed.is_torchelastic_launched():
        processes = int(os.environ.get("LOCAL_WORLD_SIZE", os.environ.get("WORLD_SIZE", "1")))
        gpus = torch.cuda.device_count()
        if processes > gpus:
            raise ValueError(f"torchrun started {processes} processes on this machine, which has {gpus} GPU(s): "
                             f"start one per GPU (--nproc_per_node {gpus}), or train on the CPU (device 'cpu', "
                             "over gloo)")
    if device.type != "cpu":
        return {}
    if torch.distributed.is_torchelastic_launched():  # started by torchrun
        return {"use_cpu": True, "ddp_backend": "gloo"}
    return {"use_cpu": True}


def _check_training_arguments(model: Any, train_examples: Any, eval_examples: Any, *, max_length: int,
                              num_train_epochs: float, max_steps: int, learning_rate: float,
                              per_device_train_batch_size: int, per_device_eval_batch_size: int,
                              gradient_accumulation_steps: int) -> None:
    """Raise a ValueError naming the argument, before any work, for values the Trainer would fail on later (or
    deep inside a library: a ZeroDivisionError for ``gradient_accumulation_steps=0``, an index error for windows
    longer than the position embeddings)."""
    check_window_length(model, max_length)
    for name, value in (("per_device_train_batch_size", per_device_train_batch_size),
                        ("per_device_eval_batch_size", per_device_eval_batch_size),
                        ("gradient_accumulation_steps", gradient_accumulation_steps)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a whole number >= 1, got {value!r}")
    if not learning_rate > 0:
        raise ValueError(f"learning_rate must be > 0, got {learning_rate!r}")
    if max_steps <= 0 and not num_train_epochs > 0:
        raise ValueError(f"num_train_epochs must be > 0 (or max_steps > 0), got {num_train_epochs!r}")
    for name, examples in (("train_examples", train_examples), ("eval_examples", eval_examples)):
        if len(examples) == 0:
            raise ValueError(f"{name} is empty: there is nothing to {'train on' if name[0] == 't' else 'score'}")


def last_complete_checkpoint(output_dir: str | Path) -> Path:
    """The checkpoint of ``output_dir`` with the highest step whose save finished.

    The Trainer writes ``trainer_state.json`` last; a save that was killed midway leaves a ``checkpoint-N`` folder
    without it (or with weights but no optimizer state), which ``resume_from_checkpoint=True`` would pick and fail
    on. Such folders are skipped, with a warning.

    Raises:
        FileNotFoundError: no complete checkpoint in ``output_dir``.

    >>> import tempfile, pathlib
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> for step, files in ((10, ["model.safetensors", "optimizer.pt", "scheduler.pt", "trainer_state.json"]),
    ...                     (20, ["config.json"])):
    ...     for name in files:
    ...         (root / f"checkpoint-{step}").mkdir(exist_ok=True)
    ...         _ = (root / f"checkpoint-{step}" / name).write_text("{}")
    >>> last_complete_checkpoint(root).name
    'checkpoint-10'
    """
    folder = Path(output_dir)
    steps = []
    for path in folder.glob("checkpoint-*") if folder.is_dir() else ():
        suffix = path.name.removeprefix("checkpoint-")
        if path.is_dir() and suffix.isdigit():
            steps.append((int(suffix), path))
    for _, path in sorted(steps, reverse=True):
        missing = [name for name in ("trainer_state.json", "optimizer.pt", "scheduler.pt")
                   if not (path / name).is_file()]
        if not list(path.glob("*.safetensors")):
            missing.append("*.safetensors")
        if not missing:
            try:
                json.loads((path / "trainer_state.json").read_text(encoding="utf-8"))
                return path
            except (ValueError, UnicodeDecodeError):
                missing.append("trainer_state.json (cut short)")
        logger.warning("skipping %s: its save did not finish (missing %s)", path, ", ".join(missing))
    raise FileNotFoundError(f"no complete checkpoint in {folder} to resume from"
                            + (f" ({len(steps)} incomplete)" if steps else ""))


def train_qa(model: Any, tokenizer: Any, train_examples: datasets.Dataset, eval_examples: datasets.Dataset, *,
             output_dir: str | Path, version_2_with_negative: bool = False, max_length: int = 384,
             doc_stride: int = 128, num_train_epochs: float = 3.0, learning_rate: float = 3e-5,
             per_device_train_batch_size: int = 16, per_device_eval_batch_size: int = 64, seed: int = 42,
             group_by_length: bool = False, report_to: str | list[str] = "none",
             resume_from_checkpoint: str | bool | None = None, max_steps: int = -1, eval_steps: int | None = None,
             logging_steps: float = 50, mixed_precision: bool = True, save_total_limit: int | None = 2,
             weight_decay: float = 0.01, warmup_steps: int = 0, warmup_ratio: float = 0.0,
             disable_tqdm: bool | None = None, gradient_accumulation_steps: int = 1,
             device: str | torch.device | None = "auto") -> TrainingResult:
    """Fine-tune ``model`` for extractive QA with `Trainer`, evaluating EM/F1 every epoch (or ``eval_steps``).

    Args:
        model: a ``...ForQuestionAnswering`` model; tokenizer: its fast tokenizer.
        train_examples, eval_examples: SQuAD-layout datasets (id, context, question, answers).
        output_dir: checkpoints go to ``output_dir/checkpoint-<step>`` at each evaluation.
        version_2_with_negative: score with SQuAD v2.0 (null answers) instead of v1.1.
        max_length, doc_stride: windows; num_train_epochs, learning_rate, per_device_train_batch_size,
            weight_decay, warmup_steps, max_steps (> 0 overrides epochs): optimisation; warmup_ratio: warm up
            over this share of the steps instead (the learning rate then decays linearly to 0).
        seed: seeds weights of new heads, dropout and data order.
        group_by_length: batch windows of similar length together (less padding).
        report_to: trackers ("none" by default: no login prompt).
        resume_from_checkpoint: a checkpoint folder, or True for the latest complete one in ``output_dir``
            (`last_complete_checkpoint`: a save cut short by a kill is skipped).
        eval_steps: evaluate (and save) every so many steps; None: every epoch.
        logging_steps: log the training loss every so many steps (below 1: that share of all the steps, as
            `TrainingArguments` reads it).
        mixed_precision: use bf16/fp16 where the device supports it (never on CPU).
        save_total_limit: checkpoints kept; disable_tqdm: hide progress bars (None: the Trainer's default).
        gradient_accumulation_steps: add up the gradients of this many batches before each optimisation step
            (one step then sees ``per_device_train_batch_size * gradient_accumulation_steps * processes`` windows).
        device: "auto" (a GPU when there is one), "cpu", "cuda", ... (`qa_tutorial.devices.resolve_device`).

    Returns:
        `TrainingResult` with the final ``eval_exact_match``/``eval_f1`` and the history DataFrame.
    """
    _check_training_arguments(model, train_examples, eval_examples, max_length=max_length,
                              num_train_epochs=num_train_epochs, max_steps=max_steps, learning_rate=learning_rate,
                              per_device_train_batch_size=per_device_train_batch_size,
                              per_device_eval_batch_size=per_device_eval_batch_size,
                              gradient_accumulation_steps=gradient_accumulation_steps)
    if resume_from_checkpoint is True:
        resume_from_checkpoint = str(last_complete_checkpoint(output_dir))
        logger.warning("resuming from %s, the last complete checkpoint", resume_from_checkpoint)
    transformers.set_seed(seed)
    chosen = resolve_device(device)
    train_windows = train_features(train_examples, tokenizer, max_length=max_length, doc_stride=doc_stride)
    eval_windows = eval_features(eval_examples, tokenizer, max_length=max_length, doc_stride=doc_stride)
    strategy = "epoch" if eval_steps is None else "steps"
    steps = {} if eval_steps is None else {"eval_steps": eval_steps, "save_steps": eval_steps}
    args = training_arguments(
        output_dir=str(output_dir), eval_strategy=strategy, save_strategy=strategy, logging_strategy="steps",
        logging_steps=logging_steps, num_train_epochs=num_train_epochs, max_steps=max_steps,
        learning_rate=learning_rate, weight_decay=weight_decay, warmup_steps=warmup_steps,
        **({"warmup_ratio": warmup_ratio} if warmup_ratio else {}),
        per_device_train_batch_size=per_device_train_batch_size, per_device_eval_batch_size=per_device_eval_batch_size,
        gradient_accumulation_steps=gradient_accumulation_steps, seed=seed, data_seed=seed,
        group_by_length=group_by_length, report_to=report_to,
        save_total_limit=save_total_limit, disable_tqdm=disable_tqdm, dataloader_pin_memory=chosen.type == "cuda",
        **mixed_precision_flags(chosen, wanted=mixed_precision), **_device_arguments(chosen), **steps,
    )
    trainer = QATrainer(model=model, args=args, train_dataset=train_windows, eval_dataset=eval_windows,
                        data_collator=DataCollatorWithPadding(tokenizer), processing_class=tokenizer,
                        eval_examples=eval_examples, eval_windows=eval_windows,
                        version_2_with_negative=version_2_with_negative, max_length=max_length, doc_stride=doc_stride)
    trainer.train(resume_from_checkpoint=resume_from_checkpoint)
    last = trainer.last_evaluation
    metrics = last[1] if last is not None and last[0] == trainer.state.global_step else trainer.evaluate()
    metrics = {k: v for k, v in metrics.items() if k.startswith("eval_")}
    return TrainingResult(model=trainer.model, metrics=metrics, history=history_frame(trainer.state.log_history),
                          global_step=trainer.state.global_step, output_dir=Path(output_dir))
