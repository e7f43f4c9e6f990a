"""QA models built offline: a tiny BERT or Longformer built from local text, or a BERT made into a Longformer.

``build_tiny_qa_model`` trains a tokenizer (see ``qa_tutorial.tokenizers_offline``), builds a small randomly
initialised QA model around it and saves both with safetensors weights, with no network access.
``longformer_from_bert`` turns a pretrained (or fine-tuned) BERT into a Longformer that reads long inputs, by the
recipe of the Longformer paper. Loading a saved model, checked for missing weights, is `qa_tutorial.checkpoints`.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import torch
import transformers
from transformers import (
    BertConfig,
    BertForQuestionAnswering,
    LongformerConfig,
    LongformerForQuestionAnswering,
    PreTrainedModel,
)

from qa_tutorial import tokenizers_offline

__all__ = ["build_tiny_bert_qa", "build_tiny_longformer_qa", "build_tiny_qa_model", "longformer_from_bert",
           "save_qa_folder"]
# names this module re-exported before, and where they live
_MOVED = {"CheckpointMismatchError": "qa_tutorial.checkpoints", "LoadReport": "qa_tutorial.checkpoints",
          "load_qa_model": "qa_tutorial.checkpoints", "load_tokenizer": "qa_tutorial.checkpoints",
          "train_byte_level_bpe_tokenizer": "qa_tutorial.tokenizers_offline",
          "train_wordpiece_tokenizer": "qa_tutorial.tokenizers_offline"}


def _seeded(seed: int, build: Any, config: Any) -> PreTrainedModel:
    """Instantiate ``build(config)`` under ``torch.manual_seed(seed)`` without touching the global RNG state."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return build(config)


def build_tiny_bert_qa(
    tokenizer: transformers.PreTrainedTokenizerBase,
    *,
    hidden_size: int = 64,
    num_hidden_layers: int = 2,
    num_attention_heads: int = 2,
    intermediate_size: int = 128,
    max_position_embeddings: int = 512,
    seed: int = 0,
) -> BertForQuestionAnswering:
    """Build a small randomly initialised ``BertForQuestionAnswering`` that fits ``tokenizer``.

    Args:
        tokenizer: a WordPiece tokenizer (e.g. from ``train_wordpiece_tokenizer``); gives the vocabulary
            size and the pad token id.
        hidden_size, num_hidden_layers, num_attention_heads, intermediate_size, max_position_embeddings:
            the ``BertConfig`` sizes (``hidden_size`` must be divisible by ``num_attention_heads``).
        seed: the same seed gives the same weights (the global torch RNG is left as it was).

    Returns:
        The model, in training mode.

    >>> from qa_tutorial.tokenizers_offline import train_wordpiece_tokenizer
    >>> tok = train_wordpiece_tokenizer(["A tiny text about tiny models."] * 2, vocab_size=50)
    >>> model = build_tiny_bert_qa(tok, hidden_size=32)
    >>> model.config.vocab_size == len(tok), model.config.pad_token_id, model.qa_outputs.out_features
    (True, 0, 2)
    """
    if hidden_size % num_attention_heads:
        raise ValueError(f"hidden_size={hidden_size} is not divisible by num_attention_heads={num_attention_heads}")
    config = BertConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        num_hidden_layers=num_hidden_layers,
        num_attention_heads=num_attention_heads,
        intermediate_size=intermediate_size,
        max_position_embeddings=max_position_embeddings,
        type_vocab_size=2,
        pad_token_id=tokenizer.pad_token_id,
    )
    return _seeded(seed, BertForQuestionAnswering, config)


def build_tiny_longformer_qa(
    tokenizer: transformers.PreTrainedTokenizerBase,
    *,
    hidden_size: int = 64,
    num_hidden_layers: int = 2,
    num_attention_heads: int = 2,
    intermediate_size: int = 128,
    attention_window: int = 32,
    max_length: int = 1024,
    seed: int = 0,
) -> LongformerForQuestionAnswering:
    """Build a small randomly initialised ``LongformerForQuestionAnswering`` that fits ``tokenizer``.

    Positions start after the pad id as in RoBERTa, so ``max_position_embeddings`` is ``max_length + 2``.
    ``sep_token_id`` is the tokenizer's: the model finds the end of the question through it and puts
    global attention on the question when no ``global_attention_mask`` is given.

    Args:
        tokenizer: a byte-level BPE tokenizer (e.g. from ``train_byte_level_bpe_tokenizer``).
        hidden_size, num_hidden_layers, num_attention_heads, intermediate_size: the ``LongformerConfig`` sizes.
        attention_window: local attention window of every layer, a positive even number.
        max_length: the longest input (in tokens, special tokens included) the model must accept.
        seed: the same seed gives the same weights (the global torch RNG is left as it was).

    Returns:
        The model, in training mode.

    >>> from qa_tutorial.tokenizers_offline import train_byte_level_bpe_tokenizer
    >>> tok = train_byte_level_bpe_tokenizer(["A tiny text about long documents."] * 2, vocab_size=270)
    >>> model = build_tiny_longformer_qa(tok, attention_window=16, max_length=256)
    >>> model.config.attention_window, model.config.max_position_embeddings, model.config.sep_token_id
    ([16, 16], 258, 2)
    """
    if attention_window <= 0 or attention_window % 2:
        raise ValueError(f"attention_window must be a positive even number, got {attention_window}")
    if hidden_size % num_attention_heads:
        raise ValueError(f"hidden_size={hidden_size} is not divisible by num_attention_heads={num_attention_heads}")
    config = LongformerConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        num_hidden_layers=num_hidden_layers,
        num_attention_heads=num_attention_heads,
        intermediate_size=intermediate_size,
        attention_window=[attention_window] * num_hidden_layers,
        max_position_embeddings=max_length + tokenizer.pad_token_id + 1,
        type_vocab_size=1,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        sep_token_id=tokenizer.sep_token_id,
    )
    return _seeded(seed, LongformerForQuestionAnswering, config)


def longformer_from_bert(
    model: BertForQuestionAnswering,
    tokenizer: transformers.PreTrainedTokenizerBase,
    *,
    max_length: int = 4096,
    attention_window: int = 256,
) -> tuple[LongformerForQuestionAnswering, transformers.PreTrainedTokenizerBase]:
    """A Longformer with ``model``'s weights that reads ``max_length`` tokens: the recipe of the Longformer paper.

    Every weight carries over under its Longformer name. Two kinds are new: the position embeddings, of which BERT
    learnt ``max_position_embeddings`` (512), are copied over and over to fill ``max_length`` positions (each
    block of 512 starts like the first, so a long input looks locally like a short one); and the projections
    of global attention (``query_global``, ``key_global``, ``value_global``) start as copies of the local ones.
    Local attention then covers ``attention_window // 2`` tokens on each side: on an input that short, the new
    model computes exactly what the BERT did (the tests check it). The QA head carries over too, so a fine-tuned
    BERT gives a Longformer that already answers, and needs only a short fine-tune on long inputs.

    Args:
        model: a ``BertForQuestionAnswering`` (e.g. fine-tuned on SQuAD).
        tokenizer: its fast tokenizer.
        max_length: the longest input the new model takes (positions start after the pad id, as in RoBERTa).
        attention_window: the local attention window of every layer, a positive even number.

    Returns:
        The Longformer (in eval mode) and a copy of the tokenizer whose ``model_max_length`` is ``max_length`` and
        which joins question and context with two ``[SEP]`` (``[CLS] question [SEP] [SEP] context [SEP]``): the
        layout in which Longformer finds the question by itself and puts global attention on it.

    >>> from qa_tutorial.tokenizers_offline import train_wordpiece_tokenizer
    >>> tok = train_wordpiece_tokenizer(["A text about long documents and short ones."] * 2, vocab_size=120)
    >>> long, long_tok = longformer_from_bert(build_tiny_bert_qa(tok, hidden_size=16), tok, max_length=1024,
    ...                                       attention_window=64)
    >>> long.config.max_position_embeddings, long.config.attention_window[0], long_tok.model_max_length
    (1025, 64, 1024)
    """
    config = model.config
    if config.model_type != "bert":
        raise ValueError(f"longformer_from_bert needs a BERT model, got model_type {config.model_type!r}")
    if attention_window <= 0 or attention_window % 2:
        raise ValueError(f"attention_window must be a positive even number, got {attention_window}")
    if max_length < config.max_position_embeddings:
        raise ValueError(f"max_length={max_length} is shorter than the {config.max_position_embeddings} positions "
                         "the BERT already has")
    pad = tokenizer.pad_token_id
    long_config = LongformerConfig(
        vocab_size=config.vocab_size, hidden_size=config.hidden_size, num_hidden_layers=config.num_hidden_layers,
        num_attention_heads=config.num_attention_heads, intermediate_size=config.intermediate_size,
        hidden_act=config.hidden_act, hidden_dropout_prob=config.hidden_dropout_prob,
        attention_probs_dropout_prob=config.attention_probs_dropout_prob, type_vocab_size=config.type_vocab_size,
        initializer_range=config.initializer_range, layer_norm_eps=config.layer_norm_eps,
        max_position_embeddings=max_length + pad + 1, attention_window=[attention_window] * config.num_hidden_layers,
        pad_token_id=pad, bos_token_id=tokenizer.cls_token_id, eos_token_id=tokenizer.sep_token_id,
        sep_token_id=tokenizer.sep_token_id,
    )
    weights = {}
    for name, tensor in model.state_dict().items():
        if name.startswith("bert.pooler."):  # the QA model does not use it (BERT's QA model has none either)
            continue
        new_name = name.replace("bert.", "longformer.", 1)
        weights[new_name] = tensor
        if ".attention.self." in name:  # global attention starts as a copy of the local projections
            for part in ("query", "key", "value"):
                if f".self.{part}." in name:
                    weights[new_name.replace(f".self.{part}.", f".self.{part}_global.")] = tensor.clone()
    short = weights.pop("longformer.embeddings.position_embeddings.weight")
    positions = torch.zeros(max_length + pad + 1, config.hidden_size, dtype=short.dtype)
    learnt = short.shape[0]
    for begin in range(0, max_length, learnt):  # token k (0-based) has position id pad + 1 + k
        end = min(begin + learnt, max_length)
        positions[pad + 1 + begin:pad + 1 + end] = short[:end - begin]
    weights["longformer.embeddings.position_embeddings.weight"] = positions
    long = LongformerForQuestionAnswering(long_config)
    missing, unexpected = long.load_state_dict(weights, strict=False)
    if missing or unexpected:
        raise RuntimeError(f"weights that did not carry over: missing {missing}, unexpected {unexpected}")
    return long.eval(), _with_double_separator(tokenizer, max_length)


def _with_double_separator(tokenizer: transformers.PreTrainedTokenizerBase,
                           max_length: int) -> transformers.PreTrainedTokenizerBase:
    """A copy of a BERT tokenizer that joins question and context with two ``[SEP]``, as RoBERTa does.

    Longformer puts global attention on the question by itself (given no ``global_attention_mask``), but finds
    the question's end only in inputs with exactly three separators, RoBERTa's ``<s> q </s></s> c </s>``.
    """
    from tokenizers import processors

    backend = copy.deepcopy(tokenizer.backend_tokenizer)
    cls, sep = tokenizer.cls_token, tokenizer.sep_token
    backend.post_processor = processors.TemplateProcessing(
        single=f"{cls} $A {sep}", pair=f"{cls} $A {sep} {sep}:1 $B:1 {sep}:1",
        special_tokens=[(cls, tokenizer.cls_token_id), (sep, tokenizer.sep_token_id)])
    # The generic fast class keeps this tokenizer.json as it is when saved and reloaded; BertTokenizer would
    # rebuild BERT's one-separator template from its special tokens.
    return transformers.PreTrainedTokenizerFast(
        tokenizer_object=backend, model_max_length=max_length, padding_side=tokenizer.padding_side,
        **{name: getattr(tokenizer, name) for name in ("unk_token", "sep_token", "pad_token", "cls_token", "mask_token")})


def save_qa_folder(
    model: PreTrainedModel, tokenizer: transformers.PreTrainedTokenizerBase, path: str | Path
) -> Path:
    """Save a QA model and its tokenizer as one Hugging Face folder, weights in safetensors only.

    Args:
        model: the model (its embeddings must cover every tokenizer id).
        tokenizer: a fast tokenizer.
        path: the folder (created if needed).

    Returns:
        The folder, which ``AutoModelForQuestionAnswering`` / ``AutoTokenizer.from_pretrained`` reload.
    """
    if not getattr(tokenizer, "is_fast", False):
        raise TypeError(f"save_qa_folder needs a fast tokenizer, got {type(tokenizer).__name__}")
    if model.config.vocab_size < len(tokenizer):
        raise ValueError(f"the tokenizer has {len(tokenizer)} tokens but the model only {model.config.vocab_size}")
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(path)  # safetensors is the default in 4.57 and the only format in 5.x
    tokenizer.save_pretrained(path)
    pickled = sorted(p.name for p in path.glob("*.bin"))
    if pickled or not list(path.glob("*.safetensors")):
        raise RuntimeError(f"{path} should hold safetensors weights only, found {pickled or 'no safetensors'}")
    return path


def build_tiny_qa_model(
    texts: Iterable[str],
    path: str | Path,
    *,
    architecture: str = "bert",
    lowercase: bool = False,
    vocab_size: int = 2000,
    seed: int = 0,
    **model_kwargs: Any,
) -> Path:
    """Train a tokenizer on ``texts``, build a tiny QA model around it and save both to ``path``, offline.

    Args:
        texts: training text for the tokenizer (e.g. the contexts of a SQuAD file).
        path: the output folder.
        architecture: ``"bert"`` (WordPiece) or ``"longformer"`` (byte-level BPE, always cased).
        lowercase: uncased WordPiece tokenizer (``"bert"`` only).
        vocab_size: tokenizer vocabulary size.
        seed: weight initialisation seed.
        **model_kwargs: passed to ``build_tiny_bert_qa`` or ``build_tiny_longformer_qa``.

    Returns:
        The saved folder.
    """
    if architecture == "bert":
        max_length = model_kwargs.get("max_position_embeddings", 512)
        tokenizer = tokenizers_offline.train_wordpiece_tokenizer(
            texts, vocab_size=vocab_size, lowercase=lowercase, model_max_length=max_length
        )
        model = build_tiny_bert_qa(tokenizer, seed=seed, **model_kwargs)
    elif architecture == "longformer":
        if lowercase:
            raise ValueError("the byte-level BPE tokenizer of a Longformer is always cased: use lowercase=False")
        max_length = model_kwargs.get("max_length", 1024)
        tokenizer = tokenizers_offline.train_byte_level_bpe_tokenizer(texts, vocab_size=vocab_size, model_max_length=max_length)
        model = build_tiny_longformer_qa(tokenizer, seed=seed, **model_kwargs)
    else:
        raise ValueError(f"architecture must be 'bert' or 'longformer', got {architecture!r}")
    return save_qa_folder(model, tokenizer, path)


def __getattr__(name: str) -> Any:
    """Names this module re-exported before, under their old path (deprecated): one import path per function."""
    if name in _MOVED:
        from qa_tutorial._moved import moved_attribute

        return moved_attribute(__name__, name, _MOVED[name])
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
