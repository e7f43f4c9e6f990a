"""Run a QA model over evaluation features and score it: features -> logits -> answers -> EM/F1.

``predict_logits`` forwards features in batches of similar lengths, each padded only to its own longest window
(dynamic padding), under ``torch.inference_mode``; ``decode_and_score`` turns logits into answers and scores (training's evaluation
uses it too); ``evaluate_qa`` chains the package's stages for one dataset.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

from qa_tutorial.decoding import DecodedPredictions, decode_predictions
from qa_tutorial.devices import resolve_device
from qa_tutorial.features import prepare_eval_features
from qa_tutorial.metrics import references_from_examples, squad_v1, squad_v2

__all__ = ["LOGIT_PAD", "MODEL_INPUTS", "check_window_length", "decode_and_score", "evaluate_qa", "forward_columns",
           "model_label", "pad_batch", "position_limit", "predict_logits", "score_answers"]

MODEL_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
LOGIT_PAD = -100.0  # value of logits past a feature's end (never chosen: outside the context)


def forward_columns(model: Any, names: Sequence[str]) -> list[str]:
    """The ``names`` that ``model.forward`` accepts, in their order (DistilBERT takes no ``token_type_ids``).

    >>> from transformers import DistilBertConfig, DistilBertForQuestionAnswering
    >>> model = DistilBertForQuestionAnswering(DistilBertConfig(dim=8, n_layers=1, n_heads=1, hidden_dim=8))
    >>> forward_columns(model, ["input_ids", "token_type_ids", "attention_mask", "start_positions", "example_id"])
    ['input_ids', 'attention_mask', 'start_positions']
    """
    accepted = inspect.signature(model.forward).parameters
    return [name for name in names if name in accepted]


def pad_batch(rows: dict[str, list[list[int]]], pad_token_id: int, padding_side: str = "right", *,
              pad_to_multiple_of: int | None = None) -> dict[str, Any]:
    """Pad a batch of token lists to its longest row (rounded up to ``pad_to_multiple_of``) and stack them as tensors.

    >>> batch = pad_batch({"input_ids": [[5, 6, 7], [5]], "attention_mask": [[1, 1, 1], [1]]}, pad_token_id=0)
    >>> batch["input_ids"].tolist(), batch["attention_mask"].tolist()
    ([[5, 6, 7], [5, 0, 0]], [[1, 1, 1], [1, 0, 0]])
    >>> pad_batch({"input_ids": [[5, 6, 7]]}, pad_token_id=0, pad_to_multiple_of=4)["input_ids"].tolist()
    [[5, 6, 7, 0]]
    """
    width = max(len(row) for row in rows["input_ids"])
    if pad_to_multiple_of:
        width = -(-width // pad_to_multiple_of) * pad_to_multiple_of
    padded = {}
    for name, values in rows.items():
        fill = pad_token_id if name == "input_ids" else 0
        if padding_side == "right":
            padded[name] = torch.tensor([row + [fill] * (width - len(row)) for row in values], dtype=torch.long)
        else:
            padded[name] = torch.tensor([[fill] * (width - len(row)) + row for row in values], dtype=torch.long)
    return padded


def position_limit(model: Any) -> int | None:
    """The longest window ``model`` can read: its learned position embeddings, less the positions its padding index
    reserves (RoBERTa-style models count positions from ``padding_idx + 1``); None for models without any.

    >>> from transformers import BertConfig, BertForQuestionAnswering, RobertaConfig, RobertaForQuestionAnswering
    >>> small = dict(hidden_size=8, num_hidden_layers=1, num_attention_heads=1, intermediate_size=8)
    >>> position_limit(BertForQuestionAnswering(BertConfig(max_position_embeddings=64, **small)))
    64
    >>> position_limit(RobertaForQuestionAnswering(RobertaConfig(max_position_embeddings=66, pad_token_id=1, **small)))
    64
    """
    for name, module in model.named_modules():
        if name.endswith("position_embeddings") and isinstance(module, torch.nn.Embedding):
            reserved = 0 if module.padding_idx is None else module.padding_idx + 1
            return module.num_embeddings - reserved
    return None


def check_window_length(model: Any, max_length: int, *, name: str = "max_length") -> None:
    """Raise a ValueError naming ``name`` when windows of ``max_length`` tokens are longer than ``model`` can read.

    Without the check, the forward pass fails deep inside the embeddings with an index error.

    >>> from transformers import BertConfig, BertForQuestionAnswering
    >>> model = BertForQuestionAnswering(BertConfig(hidden_size=8, num_hidden_layers=1, num_attention_heads=1,
    ...                                             intermediate_size=8, max_position_embeddings=64))
    >>> check_window_length(model, 64)
    >>> check_window_length(model, 65)
    Traceback (most recent call last):
    ...
    ValueError: max_length=65 is longer than the 64 positions of model BertForQuestionAnswering: use max_length <= 64
    """
    if isinstance(max_length, bool) or not isinstance(max_length, int) or max_length < 1:
        raise ValueError(f"{name} must be a positive whole number of tokens, got {max_length!r}")
    limit = position_limit(model)
    if limit is not None and max_length > limit:
        raise ValueError(f"{name}={max_length} is longer than the {limit} positions of model {model_label(model)}: "
                         f"use {name} <= {limit}")


def predict_logits(model: Any, features: Any, *, batch_size: int = 32, device: str | torch.device | None = None,
                   padding_side: str = "right", progress: bool = True, sort_by_length: bool = True
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Start and end logits of every feature, in the features' order.

    Each batch is padded to its longest window only; with ``sort_by_length`` the windows are batched in order of
    length (shortest first), so that a batch holds windows of similar lengths and little padding, and the logits
    are put back in the features' order. Padding is masked, so the order changes no answer, only the time.

    Args:
        model: a ``*ForQuestionAnswering`` model.
        features: evaluation features (dict of lists or ``datasets.Dataset``) with "input_ids" and "attention_mask"
            (and "token_type_ids" when the model uses them).
        batch_size: features per forward pass.
        device: where to run (`qa_tutorial.devices.resolve_device`; default: the model's device).
        padding_side: "left" for tokenizers that pad on the left.
        progress: show a progress bar.
        sort_by_length: batch windows of similar lengths together (False: in the features' order).

    Returns:
        ``(start_logits, end_logits)``, float32 arrays of shape (n_features, longest feature), padded with -100.
    """
    names = features.column_names if hasattr(features, "column_names") else list(features)
    inputs = forward_columns(model, [name for name in MODEL_INPUTS if name in names])
    if hasattr(features, "select_columns"):
        features = features.select_columns(inputs).to_dict()  # one conversion instead of row-by-row decoding
    n = len(features["input_ids"])
    all_lengths = np.fromiter(map(len, features["input_ids"]), dtype=np.int64, count=n)
    width = int(all_lengths.max(initial=0))
    order = np.argsort(all_lengths, kind="stable") if sort_by_length else np.arange(n)
    starts = np.full((n, width), LOGIT_PAD, dtype=np.float32)
    ends = np.full((n, width), LOGIT_PAD, dtype=np.float32)
    device = resolve_device(device) if device is not None else next(model.parameters()).device
    pad_id = model.config.pad_token_id if model.config.pad_token_id is not None else 0
    model.eval()
    with torch.inference_mode():
        for first in tqdm(range(0, n, batch_size), desc="predict", unit="batch", disable=not progress):
            chosen = order[first:first + batch_size].tolist()
            rows = {name: [features[name][i] for i in chosen] for name in inputs}
            batch = {k: v.to(device) for k, v in pad_batch(rows, pad_id, padding_side).items()}
            output = model(**batch)
            start, end = output.start_logits.float().cpu().numpy(), output.end_logits.float().cpu().numpy()
            for k, i in enumerate(chosen):
                length = int(all_lengths[i])
                offset = 0 if padding_side == "right" else start.shape[1] - length
                starts[i, :length] = start[k, offset:offset + length]
                ends[i, :length] = end[k, offset:offset + length]
                if not (np.isfinite(starts[i, :length]).all() and np.isfinite(ends[i, :length]).all()):
                    raise ValueError(f"model {model_label(model)} gives NaN or infinite logits (feature {i}): "
                                     "its weights are broken (a diverged training run, or fp16 overflow); no answer "
                                     "can be decoded from it")
    return starts, ends


def model_label(model: Any) -> str:
    """How messages name a model: the folder or Hub id it was loaded from, else its class.

    >>> from transformers import BertConfig, BertForQuestionAnswering
    >>> model_label(BertForQuestionAnswering(BertConfig(hidden_size=8, num_hidden_layers=1, num_attention_heads=1,
    ...                                                 intermediate_size=8)))
    'BertForQuestionAnswering'
    """
    name = getattr(getattr(model, "config", None), "_name_or_path", "") or ""
    return repr(str(name)) if name else type(model).__name__


def score_answers(predictions: dict[str, str], examples: Any, *, version_2_with_negative: bool = False,
                  null_odds: dict[str, float] | None = None) -> dict[str, float]:
    """SQuAD v1.1 (or v2.0) scores of decoded answers against the examples' gold answers.

    Args:
        predictions: example id -> answer text.
        examples: ``datasets.Dataset`` or dict of lists with "id" and "answers".
        version_2_with_negative: score with SQuAD v2.0 (HasAns/NoAns groups).
        null_odds: with v2.0, the decoder's null odds; they drive the best_exact / best_f1 threshold sweep.

    Returns:
        The metric dict of ``squad_v1`` or ``squad_v2``.
    """
    references = references_from_examples(examples)
    if not version_2_with_negative:
        return squad_v1(predictions, references)
    # null odds are unbounded scores, not probabilities: no threshold on them here (the answers already applied
    # null_score_diff_threshold); they only drive the best_exact / best_f1 sweep
    return squad_v2(predictions, references, na_probs=null_odds, na_prob_thresh=float("inf"))


def decode_and_score(examples: Any, features: Any, start_logits: Any, end_logits: Any, *,
                     version_2_with_negative: bool = False, n_best_size: int = 20, max_answer_length: int = 30,
                     null_score_diff_threshold: float = 0.0, with_nbest: bool = True
                     ) -> tuple[dict[str, float], DecodedPredictions]:
    """Logits of evaluation features to answers (`decode_predictions`) and their SQuAD scores (`score_answers`).

    Args:
        examples: ``datasets.Dataset`` or dict of lists with "id", "context" and "answers".
        features: their evaluation features (``prepare_eval_features``).
        start_logits, end_logits: arrays of shape (n_features, seq_len).
        version_2_with_negative, n_best_size, max_answer_length, null_score_diff_threshold, with_nbest: decoding.

    Returns:
        ``(metrics, decoded)``: the metric dict of `squad_v1` / `squad_v2` and the ``DecodedPredictions``.
    """
    decoded = decode_predictions(examples, features, start_logits, end_logits, n_best_size=n_best_size,
                                 max_answer_length=max_answer_length, version_2_with_negative=version_2_with_negative,
                                 null_score_diff_threshold=null_score_diff_threshold, with_nbest=with_nbest)
    metrics = score_answers(decoded.predictions, examples, version_2_with_negative=version_2_with_negative,
                            null_odds=decoded.null_odds)
    return metrics, decoded


def evaluate_qa(model: Any, tokenizer: Any, examples: Any, *, version_2_with_negative: bool = False,
                max_length: int = 384, doc_stride: int = 128, batch_size: int = 32, n_best_size: int = 20,
                max_answer_length: int = 30, null_score_diff_threshold: float = 0.0,
                device: str | torch.device | None = None, progress: bool = True
                ) -> tuple[dict[str, float], DecodedPredictions]:
    """Score a model on examples: eval features, batched logits, decoding, then SQuAD v1.1 or v2.0 metrics.

    Args:
        model, tokenizer: the QA model and its fast tokenizer.
        examples: a ``datasets.Dataset`` (or dict of lists) in the Hub SQuAD layout.
        version_2_with_negative: decode and score with the SQuAD v2.0 rules (null odds as ``na_probs``).
        max_length, doc_stride: windows, as in training.
        batch_size, device, progress: for the forward passes.
        n_best_size, max_answer_length, null_score_diff_threshold: decoding settings.

    Returns:
        ``(metrics, decoded)``: the metric dict and the ``DecodedPredictions`` (answers, n-best lists, null odds).
    """
    check_window_length(model, max_length)
    columns = examples.to_dict() if hasattr(examples, "to_dict") else examples
    if not len(columns["id"]):
        raise ValueError("no examples to evaluate")
    features = prepare_eval_features(columns, tokenizer, max_length=max_length, doc_stride=doc_stride, padding=False)
    start, end = predict_logits(model, features, batch_size=batch_size, device=device,
                                padding_side=tokenizer.padding_side, progress=progress)
    return decode_and_score(columns, features, start, end, version_2_with_negative=version_2_with_negative,
                            n_best_size=n_best_size, max_answer_length=max_answer_length,
                            null_score_diff_threshold=null_score_diff_threshold)
