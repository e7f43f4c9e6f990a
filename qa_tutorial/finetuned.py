"""A fine-tuned QA model for the chapters that need one: a Hub checkpoint in full profile, a cached tiny one in quick.

Chapters on decoding, evaluation and answering need a model that was already fine-tuned. In full profile that is
a published SQuAD checkpoint; in quick profile `finetuned_model` trains the tiny offline model once with
`qa_tutorial.training.train_qa` and keeps it in a cache folder keyed by every setting and library version, so
later chapters reuse it and the same settings always give the same folder.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

from qa_tutorial.profiles import TINY, Profile, get_profile, load_profile_splits

__all__ = ["CACHE_ENV", "FINETUNED", "FINETUNED_V2", "cache_dir", "finetuned_model"]

CACHE_ENV = "QA_TUTORIAL_CACHE"
# Published fine-tuned checkpoints used in full profile (language -> Hub id).
FINETUNED = {
    "english": "distilbert/distilbert-base-cased-distilled-squad",
    "portuguese": "pierreguillou/bert-base-cased-squad-v1.1-portuguese",
    "long": "allenai/longformer-large-4096-finetuned-triviaqa",
}
# SQuAD v2.0 needs a model that learnt to abstain; a v1.1 model never saw an unanswerable question.
FINETUNED_V2 = {"english": "deepset/roberta-base-squad2"}
DATASET_LANGUAGE = {"squad": "english", "squad_v2": "english", "squad_pt": "portuguese",
                    "squad_v2_pt": "portuguese", "faquad": "portuguese", "covid_qa": "long"}


def cache_dir() -> Path:
    """The cache folder: ``$QA_TUTORIAL_CACHE``, else ``~/.cache/qa_tutorial``.

    >>> os.environ[CACHE_ENV] = "/tmp/qa-cache"; str(cache_dir())
    '/tmp/qa-cache'
    >>> del os.environ[CACHE_ENV]
    """
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "qa_tutorial")


def _settings(profile: Profile, dataset: str, seed: int) -> dict:
    import torch
    import transformers

    import qa_tutorial

    long = DATASET_LANGUAGE[dataset] == "long"  # Longformer reads long windows: that is its point
    return {"profile": profile.name, "dataset": dataset, "train_examples": profile.train_examples,
            "eval_examples": profile.eval_examples, "max_length": profile.long_max_length if long else profile.max_length,
            "doc_stride": profile.doc_stride, "epochs": profile.num_train_epochs,
            "batch_size": profile.per_device_train_batch_size, "learning_rate": profile.learning_rate,
            "hidden_size": profile.tiny_hidden_size, "vocab_size": profile.tiny_vocab_size, "seed": seed,
            "versions": [qa_tutorial.__version__, transformers.__version__, torch.__version__]}


def finetuned_model(profile: Profile | str | None = None, dataset: str = "squad", *,
                    data_dir: str | os.PathLike | None = None, seed: int = 42) -> str:
    """A fine-tuned QA model for ``dataset``'s language: a Hub id (full) or a cached local folder (quick).

    In quick profile the first call builds the tiny model from the training contexts, fine-tunes it on the
    profile's train split with the profile's settings (about a minute on two CPU cores) and saves it,
    with ``history.csv`` and ``eval_results.json``, under `cache_dir`; later calls return that folder.

    Args:
        profile: a `Profile`, a profile name, or None for ``$QA_TUTORIAL_PROFILE``.
        dataset: a name in `qa_tutorial.data.DATASETS`; its language picks the model.
        data_dir: the data mirror (default ``$QA_TUTORIAL_DATA_DIR``).
        seed: weight initialisation, dropout and data order of the quick training.

    Returns:
        A path or Hub id that `qa_tutorial.models.load_qa_model` loads.
    """
    chosen = profile if isinstance(profile, Profile) else get_profile(profile)
    if dataset not in DATASET_LANGUAGE:
        raise ValueError(f"unknown dataset {dataset!r}; choose one of {sorted(DATASET_LANGUAGE)}")
    language = DATASET_LANGUAGE[dataset]
    if chosen.checkpoint(language) != TINY:
        if dataset in {"squad_v2", "squad_v2_pt"} and language in FINETUNED_V2:
            return FINETUNED_V2[language]
        return FINETUNED[language]
    settings = _settings(chosen, dataset, seed)
    key = hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:12]
    folder = cache_dir() / f"finetuned-{dataset}-{key}"
    if (folder / "eval_results.json").exists():
        return str(folder)
    _train_tiny(chosen, dataset, folder, settings, data_dir=data_dir, seed=seed)
    return str(folder)


def _train_tiny(profile: Profile, dataset: str, folder: Path, settings: dict, *,
                data_dir: str | os.PathLike | None, seed: int) -> None:
    """Build, fine-tune and save the tiny model into ``folder`` (written to a temporary folder, then renamed)."""
    from qa_tutorial.files import write_json_atomic, write_text_atomic
    from qa_tutorial.models import build_tiny_qa_model, load_qa_model, save_qa_folder
    from qa_tutorial.training import train_qa

    splits = load_profile_splits(profile, dataset, data_dir=data_dir)
    version_2 = dataset in {"squad_v2", "squad_v2_pt"}
    texts = sorted(set(splits["train"].select_columns(["context"]).to_dict()["context"]))
    architecture = "longformer" if DATASET_LANGUAGE[dataset] == "long" else "bert"
    folder.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder.parent, prefix=".training-") as work:
        initial = build_tiny_qa_model(texts, Path(work) / "initial", architecture=architecture,
                                      vocab_size=profile.tiny_vocab_size, hidden_size=profile.tiny_hidden_size,
                                      seed=seed)
        model, tokenizer, _ = load_qa_model(initial)
        result = train_qa(model, tokenizer, splits["train"], splits["validation"],
                          output_dir=Path(work) / "checkpoints", version_2_with_negative=version_2,
                          max_length=profile.long_max_length if architecture == "longformer" else profile.max_length,
                          doc_stride=profile.doc_stride,
                          num_train_epochs=profile.num_train_epochs, learning_rate=profile.learning_rate,
                          per_device_train_batch_size=profile.per_device_train_batch_size, seed=seed,
                          mixed_precision=profile.mixed_precision, save_total_limit=1, disable_tqdm=True)
        staged = Path(work) / "model"
        save_qa_folder(result.model, tokenizer, staged)
        write_text_atomic(staged / "history.csv", result.history.to_csv(index=False))
        write_json_atomic(staged / "settings.json", settings)
        write_json_atomic(staged / "eval_results.json", result.metrics)
        try:
            staged.rename(folder)
        except OSError:  # another process finished the same folder first: keep theirs
            if not (folder / "eval_results.json").exists():
                shutil.rmtree(folder, ignore_errors=True)
                staged.rename(folder)
