"""Run profiles: "quick" (a small pretrained encoder, real data slices, CPU) and "full" (real checkpoints, GPU).

A profile is plain data, chosen once by the environment variable ``QA_TUTORIAL_PROFILE`` (default "quick"),
as nanoGPT's small config files choose "the tiny run for laptops". ``QA_TUTORIAL_MAX_EXAMPLES`` caps how many
questions a profile trains and scores on, so that the full profile can be smoke-tested end to end on a CPU in
minutes; the rendered book never sets it. `load_profile_splits` turns a profile into
train/validation data; where the mirror has no train file it carves both splits by article out of the file it
has, and logs that it did.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from pathlib import Path

import datasets

from qa_tutorial.data import (
    DATA_DIR_ENV,
    DATASETS,
    SPLIT_ALIASES,
    first_n,
    keep_answerable,
    load_squad,
    mirror_file,
    sample_examples,
    split_by_article,
)
from qa_tutorial.pretrained import MINILM

__all__ = ["DEVICE_ENV", "FULL", "MAX_EXAMPLES_ENV", "PROFILES", "PROFILE_ENV", "QUICK", "TINY", "Profile", "check_trainable", "data_mirror",
           "get_profile", "limit_examples", "load_profile_splits", "model_language"]

logger = logging.getLogger(__name__)

PROFILE_ENV = "QA_TUTORIAL_PROFILE"
MAX_EXAMPLES_ENV = "QA_TUTORIAL_MAX_EXAMPLES"  # a smoke test's cap on train_examples and eval_examples
DEVICE_ENV = "QA_TUTORIAL_DEVICE"  # where a profile trains and predicts, instead of its own device (make test-gpu)
DEVICES = ("auto", "cpu", "cuda", "mps")
TINY = "tiny"  # checkpoint marker: build a tiny model offline from the data's own text (models.build_tiny_qa_model)
LANGUAGES = ("english", "portuguese", "long")


@dataclasses.dataclass(frozen=True)
class Profile:
    """Settings of one run profile (the names follow `transformers.TrainingArguments` where they exist).

    Attributes:
        name: "quick" or "full".
        english_checkpoint, portuguese_checkpoint, long_checkpoint: model per language ("long" = long
            documents, COVID-QA); `TINY` means a tiny model built offline from the training contexts.
        train_examples, eval_examples: how many examples to use (None = all).
        max_length, doc_stride: window size and overlap in tokens (long documents use ``long_max_length``).
        long_max_length: window size for the long-document model.
        num_train_epochs, per_device_train_batch_size, learning_rate: optimisation.
        device: "cpu", "cuda" or "auto" (the best available).
        mixed_precision: whether to use bf16/fp16 where the device supports it.
        tiny_hidden_size, tiny_vocab_size: size of the offline tiny model (quick profile).
        published_finetuned: chapters use published fine-tuned checkpoints (full profile) instead of models
            fine-tuned once and cached (`qa_tutorial.book.finetuned`).
        sample_seed: keep ``train_examples`` / ``eval_examples`` drawn at random across all articles with this
            seed (`qa_tutorial.data.sample_examples`); None keeps the first ones.
        max_steps: stop after this many optimisation steps (-1: train ``num_train_epochs``).
        warmup_ratio: share of the steps over which the learning rate rises linearly (then it decays linearly).
        group_by_length: batch windows of similar length (less padding).
        eval_steps: score the held-out split every so many steps (None: every epoch).
    """

    name: str
    english_checkpoint: str
    portuguese_checkpoint: str
    long_checkpoint: str
    train_examples: int | None
    eval_examples: int | None
    max_length: int
    doc_stride: int
    long_max_length: int
    num_train_epochs: float
    per_device_train_batch_size: int
    learning_rate: float
    device: str
    mixed_precision: bool
    tiny_hidden_size: int = 128
    tiny_vocab_size: int = 6000
    published_finetuned: bool = False
    sample_seed: int | None = None
    max_steps: int = -1
    warmup_ratio: float = 0.0
    group_by_length: bool = False
    eval_steps: int | None = None

    def checkpoint(self, language: str = "english") -> str:
        """The checkpoint for ``language`` ("english", "portuguese" or "long").

        >>> FULL.checkpoint("portuguese")
        'neuralmind/bert-base-portuguese-cased'
        >>> QUICK.checkpoint()
        'sentence-transformers/all-MiniLM-L6-v2'
        """
        if language not in LANGUAGES:
            raise ValueError(f"unknown language {language!r}; choose one of {list(LANGUAGES)}")
        return getattr(self, f"{language}_checkpoint")

    def checkpoint_for(self, dataset: str) -> str:
        """The base checkpoint for ``dataset``: its language's, or the long-document one (`KnownDataset`).

        >>> FULL.checkpoint_for("faquad"), FULL.checkpoint_for("covid_qa")
        ('neuralmind/bert-base-portuguese-cased', 'allenai/longformer-base-4096')
        """
        return self.checkpoint(model_language(dataset))

    def max_length_for(self, dataset: str) -> int:
        """The window length for ``dataset``: ``long_max_length`` for long documents, else ``max_length``.

        >>> QUICK.max_length_for("squad"), FULL.max_length_for("covid_qa")
        (384, 4096)
        """
        return self.long_max_length if model_language(dataset) == "long" else self.max_length


def model_language(dataset: str) -> str:
    """Which of a profile's models reads ``dataset``: "long" for long documents, else the text's language.

    >>> model_language("squad_v2_pt"), model_language("covid_qa")
    ('portuguese', 'long')
    """
    if dataset not in DATASETS:
        raise ValueError(f"unknown dataset {dataset!r}; known names: {sorted(DATASETS)}")
    known = DATASETS[dataset]
    return "long" if known.long_documents else known.language


def check_trainable(checkpoint: str, dataset: str) -> None:
    """Refuse to fine-tune a short packaged encoder (512 positions) on long documents: make it a Longformer first.

    >>> check_trainable(MINILM.hub_id, "squad")
    >>> check_trainable(MINILM.hub_id, "covid_qa")
    Traceback (most recent call last):
    ...
    ValueError: sentence-transformers/all-MiniLM-L6-v2 reads at most 512 tokens, and covid_qa holds whole documents: ...
    """
    if model_language(dataset) == "long" and checkpoint == MINILM.hub_id:
        raise ValueError(f"{checkpoint} reads at most 512 tokens, and {dataset} holds whole documents: fine-tune a "
                         "long-input model (the full profile's allenai/longformer-base-4096), or make this one into a "
                         "Longformer with qa_tutorial.models.longformer_from_bert(..., "
                         "**qa_tutorial.book.finetuned.LONGFORMER_SETTINGS), as chapter 9 does")


# Quick: the pretrained all-MiniLM-L6-v2 (22.7 M parameters, from a PyPI wheel) fine-tuned for one pass over 4,640
# questions sampled across the training articles, scored on 300 from held-out articles; about 300 steps of 16
# windows, 15 to 20 minutes on two CPU cores, once per machine (qa_tutorial.book.finetuned caches it). No Portuguese
# encoder qualifies on PyPI, so the Portuguese model is the English one fine-tuned further on Portuguese text; nor
# does a long-context encoder, so the long-document model is the English one made into a Longformer.
QUICK = Profile(
    name="quick", english_checkpoint=MINILM.hub_id, portuguese_checkpoint=MINILM.hub_id, long_checkpoint=MINILM.hub_id,
    train_examples=4640, eval_examples=300, max_length=384, doc_stride=128, long_max_length=1024,
    num_train_epochs=1, per_device_train_batch_size=16, learning_rate=3e-4, device="cpu", mixed_precision=False,
    sample_seed=0, warmup_ratio=0.1, group_by_length=True, eval_steps=74,
)
FULL = Profile(
    name="full", english_checkpoint="distilbert/distilbert-base-cased",
    portuguese_checkpoint="neuralmind/bert-base-portuguese-cased", long_checkpoint="allenai/longformer-base-4096",
    train_examples=None, eval_examples=None, max_length=384, doc_stride=128, long_max_length=4096,
    num_train_epochs=3, per_device_train_batch_size=16, learning_rate=3e-5, device="auto", mixed_precision=True,
    published_finetuned=True,
)
PROFILES = {profile.name: profile for profile in (QUICK, FULL)}


def data_mirror() -> str | None:
    """The data mirror folder the book uses: ``$QA_TUTORIAL_DATA_DIR``, or None (load from the Hub, as in Colab).

    The pipeline takes the folder as an argument (``load_squad(..., data_dir=data_mirror())``); only the book and the
    command line read the variable.

    >>> from unittest import mock
    >>> with mock.patch.dict(os.environ, {DATA_DIR_ENV: "/data"}):
    ...     data_mirror()
    '/data'
    >>> with mock.patch.dict(os.environ, {DATA_DIR_ENV: ""}):
    ...     data_mirror() is None
    True
    """
    return os.environ.get(DATA_DIR_ENV) or None


def get_profile(name: str | None = None) -> Profile:
    """The profile called ``name``, or the one named by ``$QA_TUTORIAL_PROFILE`` (default "quick").

    Args:
        name: "quick" or "full"; None reads the environment variable.

    Returns:
        The `Profile`, capped by `limit_examples` when ``$QA_TUTORIAL_MAX_EXAMPLES`` is set, on the device that
        ``$QA_TUTORIAL_DEVICE`` names when it is set ("auto", "cpu", "cuda" or "mps").

    >>> get_profile("full").per_device_train_batch_size
    16
    >>> get_profile("Quick").name
    'quick'
    """
    chosen = name if name is not None else os.environ.get(PROFILE_ENV) or "quick"
    key = chosen.strip().lower()
    if key not in PROFILES:
        source = "" if name is not None else f" (from ${PROFILE_ENV})"
        raise ValueError(f"unknown profile {chosen!r}{source}; valid profiles: {sorted(PROFILES)}")
    profile = PROFILES[key]
    device = os.environ.get(DEVICE_ENV, "").strip().lower()
    if device:
        if device not in DEVICES:
            raise ValueError(f"${DEVICE_ENV} must be one of {', '.join(DEVICES)}, got {device!r}")
        profile = dataclasses.replace(profile, device=device)
    cap = os.environ.get(MAX_EXAMPLES_ENV, "").strip()
    if not cap:
        return profile
    if not cap.isdigit() or int(cap) < 1:
        raise ValueError(f"${MAX_EXAMPLES_ENV} must be a whole number >= 1 (questions per split), got {cap!r}")
    return limit_examples(profile, int(cap))


def limit_examples(profile: Profile, n: int) -> Profile:
    """``profile`` training and scoring on at most ``n`` questions per split (a smoke test of its whole path).

    What ``$QA_TUTORIAL_MAX_EXAMPLES`` applies in `get_profile`; a profile that already uses fewer keeps its number.
    The questions are drawn across all articles (``sample_seed`` 0 unless the profile sets one), as the quick
    profile's are, rather than the first ``n``, which all come from the first article or two.

    >>> small = limit_examples(FULL, 32)
    >>> small.train_examples, small.eval_examples, small.sample_seed, small.english_checkpoint == FULL.english_checkpoint
    (32, 32, 0, True)
    >>> limit_examples(QUICK, 1000).eval_examples
    300
    """
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    return dataclasses.replace(profile, train_examples=min(n, profile.train_examples or n),
                               eval_examples=min(n, profile.eval_examples or n),
                               sample_seed=0 if profile.sample_seed is None else profile.sample_seed)


def _has_split(dataset: str, split: str, data_dir: str | os.PathLike | None) -> bool:
    """Whether ``split`` of ``dataset`` can be loaded: in the mirror when one is used, else on the Hub.

    >>> _has_split("covid_qa", "validation", None), _has_split("covid_qa", "train", None)   # the Hub's splits
    (False, True)
    """
    try:
        path = mirror_file(dataset, split, data_dir)
    except ValueError:  # the mirror lacks this split
        return False
    if path is None:
        return SPLIT_ALIASES.get(split, split) in DATASETS[dataset].hub_splits
    return Path(path).exists()


def _carved_titles(dataset: str, data_dir: str | os.PathLike | None, eval_fraction: float, seed: int) -> set[str]:
    """The article titles that carving ``dataset``'s single file holds out (as `load_profile_splits` does)."""
    source = "train" if _has_split(dataset, "train", data_dir) else "validation"
    rows = load_squad(dataset, source, data_dir=data_dir)
    carved = split_by_article(rows, eval_fraction=eval_fraction, seed=seed)["validation"]
    return set(carved.select_columns(["title"]).to_dict()["title"])


def load_profile_splits(profile: Profile, dataset: str = "squad", *, data_dir: str | os.PathLike | None = None,
                        eval_fraction: float = 0.2, seed: int = 0, answerable_only: bool = False,
                        splits: tuple[str, ...] = ("train", "validation")) -> datasets.DatasetDict:
    """Train and validation data for ``profile``: both splits when available, else carved by article.

    When only one split exists (the mirror's SQuAD v1.1 has dev only), the two parts are carved by article
    title out of it (`split_by_article`), so no article is in both, and a log line says so. Then
    ``profile.train_examples`` / ``profile.eval_examples`` are kept: the first ones, or a sample across all
    articles when ``profile.sample_seed`` is set.

    Args:
        profile: the run profile.
        dataset: a name in `qa_tutorial.data.DATASETS`.
        data_dir: the mirror folder (default: `data_mirror`, ``$QA_TUTORIAL_DATA_DIR``; none: the Hub).
        eval_fraction, seed: passed to `split_by_article` when carving.
        answerable_only: keep only questions with a gold answer (`keep_answerable`) before the examples are
            counted: what SQuAD v1.1 training and scoring need when cleaning has emptied some answers.
        splits: the parts wanted. Where the dataset has both files, only these are loaded (the full profile's
            SQuAD train set is 87,599 questions that scoring does not need); carved parts are the same either way.

    Returns:
        A `datasets.DatasetDict` with the ``splits`` asked for.
    """
    unknown = sorted(set(splits) - {"train", "validation"})
    if unknown or not splits:
        raise ValueError(f"splits must be 'train' and/or 'validation', got {list(splits)}")
    if dataset not in DATASETS:
        raise ValueError(f"unknown dataset {dataset!r}; known names: {sorted(DATASETS)}")
    data_dir = data_dir if data_dir is not None else data_mirror()
    has_train, has_eval = _has_split(dataset, "train", data_dir), _has_split(dataset, "validation", data_dir)
    if has_train and has_eval:
        parts = datasets.DatasetDict({split: load_squad(dataset, split, data_dir=data_dir) for split in splits})
    elif has_train or has_eval:
        source = "train" if has_train else "validation"
        message = (f"{dataset}: no {'validation' if has_train else 'train'} file, so train and validation are "
                   f"carved by article from the {source} file ({eval_fraction:.0%} of articles held out)")
        parent = DATASETS[dataset].articles_of  # the same articles as another file: hold out the same ones
        held_out = None if parent is None else _carved_titles(parent, data_dir, eval_fraction, seed)
        if held_out is not None:
            message += f", the same articles that are held out of {parent}"
        logger.info(message)
        carved = split_by_article(load_squad(dataset, source, data_dir=data_dir), eval_fraction=eval_fraction,
                                  seed=seed, held_out_titles=held_out)
        parts = datasets.DatasetDict({split: carved[split] for split in splits})
    else:
        raise FileNotFoundError(f"no file of {dataset!r} found in the mirror folder {data_dir}")
    for split, n in (("train", profile.train_examples), ("validation", profile.eval_examples)):
        if split not in parts:
            continue
        if answerable_only:
            parts[split] = keep_answerable(parts[split])
        if n is not None:
            parts[split] = (first_n(parts[split], n) if profile.sample_seed is None
                            else sample_examples(parts[split], n, seed=profile.sample_seed))
    return parts
