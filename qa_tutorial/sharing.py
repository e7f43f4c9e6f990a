"""Share a trained QA model: a folder ready to publish (safetensors weights, tokenizer, config and a model card
with ``model-index`` metadata), and an explicit, fail-fast push to the Hugging Face Hub.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from huggingface_hub import EvalResult, ModelCard, ModelCardData

from qa_tutorial.models import save_qa_folder

__all__ = ["HubUnavailableError", "eval_results_for_card", "hub_reachable", "model_card", "push_to_hub",
           "save_for_sharing"]

# metric keys of qa_tutorial.metrics -> (model-index metric type, readable name)
METRIC_NAMES = {
    "exact_match": ("exact_match", "Exact match"), "exact": ("exact_match", "Exact match"), "f1": ("f1", "F1"),
    "HasAns_exact": ("exact_match", "Exact match, answerable"), "HasAns_f1": ("f1", "F1, answerable"),
    "NoAns_exact": ("exact_match", "Exact match, unanswerable"), "NoAns_f1": ("f1", "F1, unanswerable"),
    "best_exact": ("exact_match", "Best exact match over null thresholds"),
    "best_f1": ("f1", "Best F1 over null thresholds"),
}


class HubUnavailableError(RuntimeError):
    """The Hub cannot be reached (offline mode, no network); raised before any slow retry."""


def eval_results_for_card(metrics: Mapping[str, float], *, dataset_type: str, dataset_name: str,
                          split: str = "validation") -> list[EvalResult]:
    """``model-index`` entries for the metrics that a model card can show (EM/F1 and their v2.0 groups).

    >>> [(r.metric_type, r.metric_value) for r in eval_results_for_card({"exact_match": 71.5, "f1": 80.25,
    ...     "total": 10570}, dataset_type="squad", dataset_name="SQuAD v1.1")]
    [('exact_match', 71.5), ('f1', 80.25)]
    """
    return [EvalResult(task_type="question-answering", task_name="Extractive question answering",
                       dataset_type=dataset_type, dataset_name=dataset_name, dataset_split=split,
                       metric_type=METRIC_NAMES[key][0], metric_name=METRIC_NAMES[key][1],
                       metric_value=round(float(value), 2))
            for key, value in metrics.items() if key in METRIC_NAMES]


def model_card(*, model_name: str, metrics: Mapping[str, float], dataset_type: str, dataset_name: str,
               settings: Mapping[str, Any], base_model: str | None = None, language: str = "en",
               license: str = "apache-2.0", split: str = "validation", notes: str = "",
               repo_id: str | None = None) -> ModelCard:
    """A model card: YAML metadata (``model-index`` with the evaluation results) and a readable body.

    Args:
        model_name: the name shown on the card and in ``model-index``.
        metrics: evaluation results as ``qa_tutorial.metrics`` returns them (e.g. {"exact_match", "f1"}).
        dataset_type, dataset_name: the Hub dataset id (e.g. "squad") and a readable name ("SQuAD v1.1").
        settings: training settings to list (learning rate, epochs, max_length, ...).
        base_model: the checkpoint fine-tuned from, if any (None for a model built from scratch).
        language, license, split: card metadata.
        notes: a paragraph of caveats (e.g. "quick profile: a tiny model, numbers are not representative").
        repo_id: the Hub id the card's usage example loads (default: ``model_name``).

    Returns:
        A ``huggingface_hub.ModelCard``; ``card.save(path)`` writes it.
    """
    data = ModelCardData(model_name=model_name, language=language, license=license, library_name="transformers",
                         pipeline_tag="question-answering", datasets=[dataset_type], base_model=base_model,
                         tags=["question-answering", "qa-tutorial"],
                         eval_results=eval_results_for_card(metrics, dataset_type=dataset_type,
                                                            dataset_name=dataset_name, split=split))
    origin = f"fine-tuned from `{base_model}`" if base_model else "trained from scratch (random initialisation)"
    rows = "\n".join(f"| {METRIC_NAMES[key][1]} | {value:.2f} |" for key, value in metrics.items()
                     if key in METRIC_NAMES)
    setting_rows = "\n".join(f"| {key} | {value} |" for key, value in settings.items())
    limitations = f"\n## Limitations\n\n{notes}\n" if notes else ""
    body = f"""
# {model_name}

An extractive question-answering model {origin} on {dataset_name} with the `qa_tutorial` package: given a question
and a context, it points at the span of the context that answers it.

## Evaluation ({dataset_name}, {split} split)

| metric | value |
|---|---|
{rows}

## Training settings

| setting | value |
|---|---|
{setting_rows}

## How to use

```python
from transformers import AutoModelForQuestionAnswering, AutoTokenizer
from qa_tutorial.answering import QuestionAnswerer

model = AutoModelForQuestionAnswering.from_pretrained("{repo_id or model_name}")
tokenizer = AutoTokenizer.from_pretrained("{repo_id or model_name}")
print(QuestionAnswerer(model, tokenizer)(question="...", context="..."))
```
{limitations}"""
    return ModelCard(f"---\n{data.to_yaml()}\n---\n{body}")


def save_for_sharing(model: Any, tokenizer: Any, path: str | os.PathLike, *, model_name: str,
                     metrics: Mapping[str, float], dataset_type: str, dataset_name: str,
                     settings: Mapping[str, Any], **card_kwargs: Any) -> Path:
    """Save weights (safetensors), tokenizer, config and a model card README.md into one publishable folder.

    Args:
        model, tokenizer: the trained model and its fast tokenizer.
        path: the folder (created if needed).
        model_name, metrics, dataset_type, dataset_name, settings, **card_kwargs: see ``model_card``.

    Returns:
        The folder's path.
    """
    folder = save_qa_folder(model, tokenizer, path)
    model_card(model_name=model_name, metrics=metrics, dataset_type=dataset_type, dataset_name=dataset_name,
               settings=settings, **card_kwargs).save(folder / "README.md")
    return folder


def hub_reachable(endpoint: str | None = None, timeout: float = 3.0) -> bool:
    """Whether a TCP connection to the Hub endpoint opens within ``timeout`` seconds (no request is sent).

    ``endpoint`` defaults to huggingface_hub's (``HF_ENDPOINT`` as the library reads it, else huggingface.co).
    """
    from huggingface_hub import constants

    url = urlparse(endpoint or constants.ENDPOINT)
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        with socket.create_connection((url.hostname, port), timeout=timeout):
            return True
    except OSError:
        return False


def push_to_hub(folder: str | os.PathLike, repo_id: str, *, token: str | None = None, private: bool = True,
                commit_message: str = "Upload QA model trained with qa_tutorial", timeout: float = 3.0) -> str:
    """Upload a folder made by ``save_for_sharing`` to a Hub model repository (created if missing).

    Fails at once with ``HubUnavailableError`` in offline mode or when the Hub does not answer within
    ``timeout`` seconds, instead of hanging in retries.

    Args:
        folder: the folder to upload; it must hold safetensors weights and a README.md model card.
        repo_id: "user/name" on the Hub.
        token: a write token (default: the one saved by ``huggingface-cli login`` or ``HF_TOKEN``).
        private: create the repository as private.
        commit_message: the commit message on the Hub.
        timeout: seconds to wait for a connection before giving up.

    Returns:
        The URL of the commit.
    """
    folder = Path(folder)
    missing = [name for name in ("README.md", "config.json") if not (folder / name).exists()]
    if not list(folder.glob("*.safetensors")):
        missing.append("*.safetensors")
    if missing:
        raise FileNotFoundError(f"{folder} is not ready to share: missing {missing}; make it with save_for_sharing")
    from huggingface_hub import constants

    if constants.HF_HUB_OFFLINE:  # huggingface_hub's offline mode (HF_HUB_OFFLINE, as the library reads it)
        raise HubUnavailableError("HF_HUB_OFFLINE is set: pushing needs the network. Unset it (and log in with "
                                  "`huggingface-cli login`) to push; the folder is saved locally at " + str(folder))
    if not hub_reachable(timeout=timeout):
        raise HubUnavailableError(f"the Hub ({constants.ENDPOINT}) did not "
                                  f"answer within {timeout:g} s; the folder is saved locally at {folder}")
    from huggingface_hub import HfApi

    api = HfApi(token=token)
    api.create_repo(repo_id, private=private, exist_ok=True, repo_type="model")
    commit = api.upload_folder(folder_path=str(folder), repo_id=repo_id, commit_message=commit_message)
    return str(getattr(commit, "commit_url", commit))
