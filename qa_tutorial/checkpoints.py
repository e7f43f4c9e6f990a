"""Checked checkpoint loading: safetensors only, no remote code, and a loud report of new weights.

A Hub checkpoint that publishes only ``pytorch_model.bin`` (BERTimbau and the Longformers, among the full profile's)
is converted once to safetensors by `safetensors_checkpoint`, reading the pickle with PyTorch's restricted loader
(``weights_only=True``: tensors only, no code), as the Hub's own conversion does; transformers converts only
online, through a pull request on the Hub, and never offline.
``load_qa_model`` refuses the classic mistake of pouring a checkpoint of one architecture into another class
(a distilbert checkpoint in ``BertForQuestionAnswering`` initialises every encoder weight at random, and
training then fits noise) and returns a :class:`LoadReport` saying which weights start random.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import transformers
from transformers import AutoConfig, AutoModelForQuestionAnswering, AutoTokenizer, PreTrainedModel
from transformers.models.auto.modeling_auto import MODEL_FOR_QUESTION_ANSWERING_MAPPING_NAMES

from qa_tutorial.pretrained import resolve_checkpoint

__all__ = ["CheckpointMismatchError", "LoadReport", "check_tokenizer_matches", "load_qa_model", "load_tokenizer",
           "safetensors_checkpoint"]

logger = logging.getLogger(__name__)

QA_HEAD_PREFIX = "qa_outputs."
# files that hold a tokenizer (fast, WordPiece, BPE, SentencePiece): a model folder needs one of them
TOKENIZER_FILES = ("tokenizer.json", "vocab.txt", "vocab.json", "tokenizer.model", "spiece.model",
                   "sentencepiece.bpe.model")
# what a converted folder copies beside the weights
_FOLDER_FILES = ("config.json", "tokenizer_config.json", "special_tokens_map.json", "added_tokens.json", "merges.txt",
                 *TOKENIZER_FILES)
CONVERTED_FOLDER = "qa_tutorial-safetensors"  # inside the repo's Hub cache folder, one folder per commit


class CheckpointMismatchError(ValueError):
    """A checkpoint does not fit the requested model class: its encoder weights would be random."""


@dataclass(frozen=True)
class LoadReport:
    """What happened to each weight when a checkpoint was loaded into a QA model.

    ``newly_initialized`` holds the parameters that start random (missing or shape-mismatched in the
    checkpoint); from a base (not yet fine-tuned) checkpoint only the QA head ``qa_outputs.*`` should be there.

    >>> head = ("qa_outputs.bias", "qa_outputs.weight")
    >>> report = LoadReport("bert-base-cased", "BertForQuestionAnswering", missing_keys=head, newly_initialized=head)
    >>> report.is_clean, report.head_is_new, report.encoder_is_complete
    (False, True, True)
    >>> print(report)
    Loaded bert-base-cased into BertForQuestionAnswering:
      newly initialised (random, must be trained): 2 -> qa_outputs.bias, qa_outputs.weight
      unexpected (in the checkpoint, ignored): 0
      shape mismatch (re-initialised): 0
    """

    checkpoint: str
    model_class: str
    missing_keys: tuple[str, ...] = ()
    unexpected_keys: tuple[str, ...] = ()
    mismatched_keys: tuple[str, ...] = ()
    newly_initialized: tuple[str, ...] = ()

    @property
    def is_clean(self) -> bool:
        """True when every weight came from the checkpoint and the checkpoint had nothing left over."""
        return not (self.missing_keys or self.unexpected_keys or self.mismatched_keys)

    @property
    def head_is_new(self) -> bool:
        """True when the QA head starts random (a base checkpoint): the model must be fine-tuned before it answers.

        >>> LoadReport("distilbert-base-cased-distilled-squad", "DistilBertForQuestionAnswering").head_is_new
        False
        """
        return any(key.startswith(QA_HEAD_PREFIX) for key in self.newly_initialized)

    @property
    def encoder_is_complete(self) -> bool:
        """True when every weight outside the QA head came from the checkpoint (none of them starts random)."""
        return all(key.startswith(QA_HEAD_PREFIX) for key in self.newly_initialized)

    def __str__(self) -> str:
        lines = [f"Loaded {self.checkpoint} into {self.model_class}:"]
        for label, keys in (
            ("newly initialised (random, must be trained)", self.newly_initialized),
            ("unexpected (in the checkpoint, ignored)", self.unexpected_keys),
            ("shape mismatch (re-initialised)", self.mismatched_keys),
        ):
            lines.append(f"  {label}: {len(keys)}" + (f" -> {', '.join(keys[:8])}" if keys else ""))
            if len(keys) > 8:
                lines[-1] += f", ... ({len(keys) - 8} more)"
        if self.is_clean:
            lines.append("  every weight was loaded from the checkpoint.")
        return "\n".join(lines)



def _key_names(keys: Iterable[Any]) -> tuple[str, ...]:
    """Sorted key names; 4.57 and 5.x give lists or sets, mismatched keys as (name, shape, shape) tuples."""
    return tuple(sorted(key[0] if isinstance(key, (tuple, list)) else str(key) for key in keys))


def check_tokenizer_matches(tokenizer: Any, config: Any, label: str = "the checkpoint") -> None:
    """Raise `CheckpointMismatchError` when ``tokenizer`` cannot be the tokenizer of a model with ``config``.

    A model answers from token ids; ids from another vocabulary give nonsense without any error. The tokenizer must
    not have more tokens than the model has embeddings, nor far fewer (a padded vocabulary is a little larger than
    the tokenizer, never twice as large), and both must agree on the padding id.

    >>> from types import SimpleNamespace
    >>> config = SimpleNamespace(vocab_size=5999, pad_token_id=0)
    >>> class Tokenizer(list):
    ...     pad_token_id = 0
    >>> check_tokenizer_matches(Tokenizer(range(5999)), config)
    >>> check_tokenizer_matches(Tokenizer(range(5)), config)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    qa_tutorial.checkpoints.CheckpointMismatchError: ...tokenizer has 5 tokens but the model's vocabulary has 5999: ...
    """
    vocab_size = getattr(config, "vocab_size", None)
    if vocab_size is None:
        return
    size = len(tokenizer)
    if size > vocab_size:
        raise CheckpointMismatchError(f"{label}: its tokenizer has {size} tokens but the model only {vocab_size} "
                                      "embeddings: they do not belong together")
    if size < vocab_size // 2:
        raise CheckpointMismatchError(f"{label}: its tokenizer has {size} tokens but the model's vocabulary has "
                                      f"{vocab_size}: they do not belong together (a folder without its own "
                                      "tokenizer files?)")
    pad_model, pad_tokenizer = getattr(config, "pad_token_id", None), getattr(tokenizer, "pad_token_id", None)
    if pad_model is not None and pad_tokenizer is not None and pad_model != pad_tokenizer:
        raise CheckpointMismatchError(f"{label}: the tokenizer pads with id {pad_tokenizer} but the model's config "
                                      f"says {pad_model}: they do not belong together")


def load_tokenizer(name_or_path: str | Path) -> transformers.PreTrainedTokenizerBase:
    """The fast tokenizer of a checkpoint (a folder, a Hub id, or a Hub id an installed package ships), with no
    padding or truncation of its own: windows come from explicit arguments only.

    Some ``tokenizer.json`` files pad or truncate every call by themselves (all-MiniLM-L6-v2's, to 128 tokens);
    a call that passes no padding would then still pad. The checked loader clears both.

    Raises:
        TypeError: the checkpoint only has a slow (Python) tokenizer, which gives no offsets.

    >>> tokenizer = load_tokenizer("sentence-transformers/all-MiniLM-L6-v2")
    >>> tokenizer.tokenize("Where is Normandy?"), len(tokenizer("Hi", "there")["input_ids"])
    (['where', 'is', 'normandy', '?'], 5)
    """
    name = resolve_checkpoint(name_or_path)
    tokenizer = AutoTokenizer.from_pretrained(name, trust_remote_code=False)
    if not getattr(tokenizer, "is_fast", False):
        raise TypeError(
            f"{name_or_path} loads a slow tokenizer ({type(tokenizer).__name__}); QA features need a fast one "
            "(offset mappings, sequence_ids). Save a tokenizer.json with the checkpoint."
        )
    backend = tokenizer.backend_tokenizer
    backend.no_truncation()
    backend.no_padding()
    return tokenizer


def _hub_file(name: str, filename: str, revision: str | None) -> Path | None:
    """A file of a Hub repo from the Hub or the local Hub cache, or None when the repo (or the cache) lacks it."""
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import EntryNotFoundError, LocalEntryNotFoundError

    try:
        return Path(hf_hub_download(name, filename, revision=revision))
    except (EntryNotFoundError, LocalEntryNotFoundError):
        return None


def safetensors_checkpoint(name: str, *, revision: str | None = None) -> str:
    """Where to load the Hub checkpoint ``name`` from with safetensors weights: ``name`` itself when it publishes
    them (or is a local folder), else a local folder converted once from its ``pytorch_model.bin``.

    The pickle is read with ``torch.load(weights_only=True)``, which accepts tensors and plain containers only and
    runs no code. The folder sits in the repo's Hub cache folder under `CONVERTED_FOLDER`, named by the commit the
    weights came from, so a later call, online or offline, finds it; config and tokenizer files are copied beside.

    Args:
        name: a Hub id (a local folder is returned unchanged).
        revision: a branch, tag or commit of the repo (None: ``main``).

    Returns:
        ``name``, or the converted folder.

    >>> safetensors_checkpoint("/a/local/folder")
    '/a/local/folder'
    """
    if Path(name).is_dir() or Path(name).is_absolute():
        return name
    try:
        if any(_hub_file(name, file, revision) for file in ("model.safetensors", "model.safetensors.index.json")):
            return name
        weights = _hub_file(name, "pytorch_model.bin", revision)
    except Exception:  # noqa: BLE001 - not a Hub id, no such repo, or no network: transformers' load says which
        return name
    if weights is None:
        return name  # neither file: transformers' own error names what is missing
    snapshot = weights.parent  # .../models--ORG--NAME/snapshots/<commit>
    target = snapshot.parent.parent / CONVERTED_FOLDER / snapshot.name
    if (target / "model.safetensors").is_file():
        return str(target)
    import shutil

    from safetensors.torch import save_file

    work = target.with_name(f".{target.name}.partial")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    for file in _FOLDER_FILES:
        found = _hub_file(name, file, revision)
        if found is not None:
            shutil.copyfile(found, work / file)
    state = torch.load(weights, map_location="cpu", weights_only=True)
    seen: set[int] = set()
    tensors = {}
    for key, tensor in state.items():  # tied weights share storage, which safetensors refuses: copy the repeats
        pointer = tensor.untyped_storage().data_ptr()
        tensors[key] = tensor.contiguous().clone() if pointer in seen else tensor.contiguous()
        seen.add(pointer)
    save_file(tensors, work / "model.safetensors", metadata={"format": "pt"})
    shutil.rmtree(target, ignore_errors=True)
    work.rename(target)
    logger.info("%s has no safetensors weights: converted pytorch_model.bin (weights_only) into %s", name, target)
    return str(target)


def load_qa_model(
    name_or_path: str | Path,
    *,
    model_class: type[PreTrainedModel] | None = None,
    allow_new_head: bool = True,
    device: str | torch.device | None = None,
) -> tuple[PreTrainedModel, transformers.PreTrainedTokenizerBase, LoadReport]:
    """Load a QA model and its fast tokenizer, refusing checkpoints whose encoder would start random.

    Weights are read from safetensors only (a Hub checkpoint that publishes only ``pytorch_model.bin`` is converted
    once by `safetensors_checkpoint`) and remote code never runs. Missing or unexpected weights are logged as a
    warning with the :class:`LoadReport`.

    Args:
        name_or_path: a local folder or a Hub name (the Hub needs network access; a Hub name whose files an
            installed package ships, see `qa_tutorial.pretrained`, loads from that package offline).
        model_class: e.g. ``BertForQuestionAnswering``; None picks the class from the checkpoint's config.
        allow_new_head: False to refuse a checkpoint without a trained QA head (when evaluating, not training).
        device: where to put the model (None leaves it on the CPU).

    Returns:
        ``(model, tokenizer, report)``, the model in evaluation mode.

    Raises:
        CheckpointMismatchError: the checkpoint's ``model_type`` is not the one ``model_class`` expects, or
            weights beyond the QA head are missing, or the head is new and ``allow_new_head`` is False.
        TypeError: the checkpoint only has a slow (Python) tokenizer, which gives no offsets.
    """
    label = str(name_or_path)
    name = resolve_checkpoint(label)  # a Hub id whose files an installed package ships: that folder, offline
    name = safetensors_checkpoint(name)
    if Path(name).is_dir() and not list(Path(name).glob("*.safetensors")):
        raise FileNotFoundError(f"{name} has no .safetensors weights; this package never loads pickled .bin files")
    config = AutoConfig.from_pretrained(name, trust_remote_code=False)
    expected = getattr(getattr(model_class, "config_class", None), "model_type", None)
    if expected is not None and expected != config.model_type:
        right = MODEL_FOR_QUESTION_ANSWERING_MAPPING_NAMES.get(config.model_type, "AutoModelForQuestionAnswering")
        raise CheckpointMismatchError(
            f"{name} is a '{config.model_type}' checkpoint but {model_class.__name__} expects '{expected}': "
            f"every encoder weight would be newly initialised. Use {right} or AutoModelForQuestionAnswering."
        )
    loader = model_class or AutoModelForQuestionAnswering
    verbosity = transformers.logging.get_verbosity()
    transformers.logging.set_verbosity_error()  # its own load table repeats the report below (with local paths)
    try:
        model, info = loader.from_pretrained(
            name, use_safetensors=True, trust_remote_code=False, output_loading_info=True
        )
    finally:
        transformers.logging.set_verbosity(verbosity)
    missing, mismatched = _key_names(info["missing_keys"]), _key_names(info["mismatched_keys"])
    report = LoadReport(
        checkpoint=label,
        model_class=type(model).__name__,
        missing_keys=missing,
        unexpected_keys=_key_names(info["unexpected_keys"]),
        mismatched_keys=mismatched,
        newly_initialized=tuple(sorted(set(missing) | set(mismatched))),
    )
    if not report.is_clean:
        logger.warning("%s", report)
    if not report.encoder_is_complete:
        raise CheckpointMismatchError(f"weights beyond the QA head are missing, the encoder would be random.\n{report}")
    if report.newly_initialized and not allow_new_head:
        raise CheckpointMismatchError(f"the QA head is not in the checkpoint (allow_new_head=False).\n{report}")
    if Path(name).is_dir() and not any((Path(name) / file).is_file() for file in TOKENIZER_FILES):
        raise FileNotFoundError(f"{label} has no tokenizer files (none of {', '.join(TOKENIZER_FILES)}): save the "
                                "tokenizer beside the model (tokenizer.save_pretrained(folder))")
    tokenizer = load_tokenizer(name)
    check_tokenizer_matches(tokenizer, config, label)
    if device is not None:
        model = model.to(device)
    return model.eval(), tokenizer, report
