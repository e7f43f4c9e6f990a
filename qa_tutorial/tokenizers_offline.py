"""Train tiny tokenizers offline: BERT-style WordPiece and RoBERTa/Longformer-style byte-level BPE.

Both functions train a `tokenizers.Tokenizer` on local text and wrap it in the matching transformers fast
class (``BertTokenizerFast`` / ``RobertaTokenizerFast``), so the result pads on the right, returns offsets,
answers ``sequence_ids()`` for question/context pairs and saves to a folder that ``AutoTokenizer`` reloads
on transformers 4.57 and 5.x alike. Nothing is downloaded.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import transformers
from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

WORDPIECE_SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]  # ids 0..4
BPE_SPECIAL_TOKENS = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]  # ids 0..4, as in RoBERTa


def _counted(texts: Iterable[str], seen: list[int]) -> Iterator[str]:
    """Yield the non-empty strings of ``texts`` and count them in ``seen[0]``; reject non-strings."""
    if isinstance(texts, (str, bytes)):
        raise TypeError("texts must be an iterable of strings, not a single string")
    for text in texts:
        if not isinstance(text, str):
            raise TypeError(f"texts must contain strings, got {type(text).__name__}")
        if text.strip():
            seen[0] += 1
            yield text


def _check_trained(seen: list[int], vocab_size: int, minimum: int) -> None:
    if vocab_size < minimum:
        raise ValueError(f"vocab_size={vocab_size} is too small: it must be at least {minimum}")
    if seen[0] == 0:
        raise ValueError("no non-empty text to train the tokenizer on")


def train_wordpiece_tokenizer(
    texts: Iterable[str],
    *,
    vocab_size: int = 2000,
    lowercase: bool = False,
    model_max_length: int = 512,
) -> transformers.PreTrainedTokenizerFast:
    """Train a BERT-style WordPiece tokenizer on local text and return it as a ``BertTokenizerFast``.

    The pipeline is BERT's: ``BertNormalizer`` (lowercasing and accent stripping only when ``lowercase``),
    ``BertPreTokenizer``, WordPiece with ``##`` continuations, and the template ``[CLS] A [SEP] B [SEP]``
    with token type ids 0 then 1. Special tokens get ids 0..4: [PAD] [UNK] [CLS] [SEP] [MASK]. The pieces
    are learnt by a BPE trainer and each one is kept as a word start and as a ``##`` continuation, so the
    same text always gives the same vocabulary (the `tokenizers` WordPiece trainer does not).

    Args:
        texts: the training text, an iterable of strings (empty strings are skipped).
        vocab_size: largest vocabulary size, special tokens included (at least 10).
        lowercase: True for an uncased tokenizer (lowercase and strip accents), False for a cased one.
        model_max_length: the longest input the model will accept, stored on the tokenizer.

    Returns:
        A fast tokenizer (``is_fast`` True) that pads on the right and returns offsets.

    >>> tok = train_wordpiece_tokenizer(["Where is Paris? Paris is in France."] * 3, vocab_size=60, lowercase=True)
    >>> enc = tok("Where is Paris?", "In FRANCE")
    >>> tok.convert_ids_to_tokens(enc["input_ids"])
    ['[CLS]', 'where', 'is', 'paris', '?', '[SEP]', 'in', 'france', '[SEP]']
    >>> enc["token_type_ids"]
    [0, 0, 0, 0, 0, 0, 1, 1, 1]
    >>> enc.sequence_ids()
    [None, 0, 0, 0, 0, None, 1, 1, None]
    """
    _check_trained([1], vocab_size, minimum=10)
    seen = [0]
    normalizer = normalizers.BertNormalizer(
        clean_text=True, handle_chinese_chars=True, strip_accents=None, lowercase=lowercase
    )
    # The WordPiece trainer of `tokenizers` numbers "##" symbols in hash-map order, so equal pair counts
    # are broken differently on every run. A plain BPE trainer is deterministic: learn the pieces with it,
    # then give every piece both forms, word-initial ("piece") and continuation ("##piece").
    bpe = Tokenizer(models.BPE())
    bpe.normalizer = normalizer
    bpe.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    trainer = trainers.BpeTrainer(
        vocab_size=max(1, (vocab_size - len(WORDPIECE_SPECIAL_TOKENS)) // 2), show_progress=False
    )
    bpe.train_from_iterator(_counted(texts, seen), trainer=trainer)
    _check_trained(seen, vocab_size, minimum=10)
    vocab = {token: i for i, token in enumerate(WORDPIECE_SPECIAL_TOKENS)}
    for piece, _ in sorted(bpe.get_vocab().items(), key=lambda item: item[1]):
        for token in (piece, "##" + piece):
            vocab.setdefault(token, len(vocab))
    backend = Tokenizer(models.WordPiece(vocab, unk_token="[UNK]", max_input_chars_per_word=100))
    backend.normalizer = normalizer
    backend.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    backend.decoder = decoders.WordPiece(prefix="##")
    cls_id, sep_id = backend.token_to_id("[CLS]"), backend.token_to_id("[SEP]")
    backend.post_processor = processors.TemplateProcessing(
        single="[CLS]:0 $A:0 [SEP]:0",
        pair="[CLS]:0 $A:0 [SEP]:0 $B:1 [SEP]:1",
        special_tokens=[("[CLS]", cls_id), ("[SEP]", sep_id)],
    )
    return transformers.BertTokenizerFast(
        tokenizer_object=backend,
        do_lower_case=lowercase,
        strip_accents=None,
        tokenize_chinese_chars=True,
        unk_token="[UNK]",
        sep_token="[SEP]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        mask_token="[MASK]",
        model_max_length=model_max_length,
        padding_side="right",
    )


def train_byte_level_bpe_tokenizer(
    texts: Iterable[str],
    *,
    vocab_size: int = 2000,
    model_max_length: int = 4096,
) -> transformers.PreTrainedTokenizerFast:
    """Train a RoBERTa/Longformer-style byte-level BPE tokenizer on local text as a ``RobertaTokenizerFast``.

    Special tokens have RoBERTa's ids: ``<s>`` 0, ``<pad>`` 1, ``</s>`` 2, ``<unk>`` 3, ``<mask>`` 4. Pairs are
    built as ``<s> A </s></s> B </s>``; no space is added before the first word (``add_prefix_space=False``,
    as RoBERTa) and offsets are trimmed so that they never include the space a token starts with.

    Args:
        texts: the training text, an iterable of strings (empty strings are skipped).
        vocab_size: target vocabulary size, at least 261 (256 byte symbols and 5 special tokens).
        model_max_length: the longest input the model will accept (Longformer: up to 4,096).

    Returns:
        A fast tokenizer (``is_fast`` True) that pads on the right and returns offsets.

    >>> tok = train_byte_level_bpe_tokenizer(["Where is Paris? Paris is in France."] * 3, vocab_size=300)
    >>> enc = tok("Where is Paris?", "in Paris", return_offsets_mapping=True)
    >>> tok.convert_ids_to_tokens(enc["input_ids"])
    ['<s>', 'Where', 'Ġis', 'ĠParis', '?', '</s>', '</s>', 'in', 'ĠParis', '</s>']
    >>> enc["offset_mapping"][-2]  # " Paris" in "in Paris": the space is not part of the span
    (3, 8)
    """
    seen = [0]
    backend = Tokenizer(models.BPE())
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True)
    backend.decoder = decoders.ByteLevel()
    alphabet = pre_tokenizers.ByteLevel.alphabet()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=BPE_SPECIAL_TOKENS,
        initial_alphabet=alphabet,
        show_progress=False,
    )
    minimum = len(alphabet) + len(BPE_SPECIAL_TOKENS)
    _check_trained([1], vocab_size, minimum=minimum)
    backend.train_from_iterator(_counted(texts, seen), trainer=trainer)
    _check_trained(seen, vocab_size, minimum=minimum)
    backend.post_processor = processors.RobertaProcessing(
        ("</s>", backend.token_to_id("</s>")),  # sep
        ("<s>", backend.token_to_id("<s>")),  # cls
        trim_offsets=True,
        add_prefix_space=False,
    )
    return transformers.RobertaTokenizerFast(
        tokenizer_object=backend,
        bos_token="<s>",
        eos_token="</s>",
        sep_token="</s>",
        cls_token="<s>",
        unk_token="<unk>",
        pad_token="<pad>",
        mask_token="<mask>",
        add_prefix_space=False,
        trim_offsets=True,
        model_max_length=model_max_length,
        padding_side="right",
    )
