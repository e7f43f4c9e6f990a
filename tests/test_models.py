"""Tests for qa_tutorial.models and qa_tutorial.tokenizers_offline: tokenizers, tiny models, checked loading."""

from __future__ import annotations

import gzip
import json
import logging

import pytest
import torch
from conftest import CORPUS
from safetensors.torch import load_file, save_file
from transformers import (
    AutoModelForQuestionAnswering,
    AutoTokenizer,
    BertForQuestionAnswering,
    BertModel,
    DistilBertConfig,
    DistilBertForQuestionAnswering,
    LongformerForQuestionAnswering,
)

from qa_tutorial import checkpoints
from qa_tutorial.checkpoints import CheckpointMismatchError, LoadReport, load_qa_model
from qa_tutorial.models import (
    build_tiny_bert_qa,
    build_tiny_longformer_qa,
    build_tiny_qa_model,
    longformer_from_bert,
    save_qa_folder,
)
from qa_tutorial.tokenizers_offline import train_byte_level_bpe_tokenizer, train_wordpiece_tokenizer

TINY = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64)
QUESTION = "Which team won Super Bowl 50?"
CONTEXT = CORPUS[2] + " " + CORPUS[5]


def _real_pairs(data_dir, n_per_file: int = 12) -> list[tuple[str, str]]:
    """(question, context) pairs from English, Portuguese and long scientific files of the mirror."""
    pairs = []
    for name in ("squad-v1.1/dev.json.gz", "faquad-pt/dev.json.gz", "covid-qa/covid-qa-200423.json.gz"):
        with gzip.open(data_dir / name, "rt", encoding="utf-8") as handle:
            articles = json.load(handle)["data"]
        paragraphs = [p for article in articles for p in article["paragraphs"]][:n_per_file]
        pairs += [(p["qas"][0]["question"], p["context"]) for p in paragraphs]
    return pairs


def _encode_pair(tokenizer, question=QUESTION, context=CONTEXT, **kwargs):
    return tokenizer(question, context, return_offsets_mapping=True, **kwargs)


# ---------------------------------------------------------------- tokenizers


def test_wordpiece_special_tokens_and_pair_layout(wordpiece_tokenizer):
    tok = wordpiece_tokenizer
    assert tok.is_fast and tok.padding_side == "right" and tok.model_max_length == 512
    assert tok.convert_tokens_to_ids(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]) == [0, 1, 2, 3, 4]
    assert (tok.pad_token_id, tok.cls_token_id, tok.sep_token_id) == (0, 2, 3)
    enc = _encode_pair(tok, padding="max_length", max_length=256)
    ids, types, seq = enc["input_ids"], enc["token_type_ids"], enc.sequence_ids()
    assert len(ids) == 256 and ids[-1] == 0  # short enough to be padded
    n_q = seq.count(0)
    first_sep = 1 + n_q
    assert ids[0] == 2 and ids[first_sep] == 3 and seq[1:first_sep] == [0] * n_q
    last = sum(enc["attention_mask"]) - 1  # the final [SEP]; padding (id 0, mask 0) comes after it, on the right
    assert ids[last] == 3 and set(ids[last + 1:]) == {0} and set(enc["attention_mask"][last + 1:]) == {0}
    assert types[: first_sep + 1] == [0] * (first_sep + 1) and types[first_sep + 1: last + 1] == [1] * (last - first_sep)


def test_cased_and_uncased_wordpiece():
    cased = train_wordpiece_tokenizer(CORPUS * 2, vocab_size=300)
    uncased = train_wordpiece_tokenizer(CORPUS * 2, vocab_size=300, lowercase=True)
    text = "Universidade de São Paulo, Beyoncé"
    assert cased.decode(cased(text)["input_ids"], skip_special_tokens=True) == "Universidade de São Paulo, Beyoncé"
    assert uncased.decode(uncased(text)["input_ids"], skip_special_tokens=True) == "universidade de sao paulo, beyonce"
    vocab_cased, vocab_uncased = cased.get_vocab(), uncased.get_vocab()
    assert "S" in vocab_cased and "ã" in vocab_cased
    assert not any(ch in vocab_uncased for ch in ("S", "ã", "é"))
    # offsets point into the original (accented, capitalised) text, not the normalised one
    enc = uncased(text, return_offsets_mapping=True, add_special_tokens=False)
    spans = [text[s:e] for s, e in enc["offset_mapping"]]
    assert "".join(spans).replace(" ", "") == text.replace(" ", "")


@pytest.mark.realdata
@pytest.mark.parametrize("lowercase", [False, True])
def test_wordpiece_offsets_on_real_text(data_dir, lowercase):
    pairs = _real_pairs(data_dir)
    tok = train_wordpiece_tokenizer([c for _, c in pairs], vocab_size=1500, lowercase=lowercase)
    normalizer = tok.backend_tokenizer.normalizer
    checked = 0
    for question, context in pairs:
        enc = _encode_pair(tok, question, context)
        for token, (start, end), seq in zip(enc.tokens(), enc["offset_mapping"], enc.sequence_ids()):
            if seq is None or token == "[UNK]":
                continue
            piece = (question, context)[seq][start:end]
            assert normalizer.normalize_str(piece).strip() == token.removeprefix("##"), (token, piece)
            checked += 1
    assert checked > 5000


def test_bpe_special_tokens_and_roberta_pair_template(bpe_tokenizer):
    tok = bpe_tokenizer
    assert tok.is_fast and tok.padding_side == "right" and tok.model_max_length == 4096
    assert tok.convert_tokens_to_ids(["<s>", "<pad>", "</s>", "<unk>", "<mask>"]) == [0, 1, 2, 3, 4]
    assert (tok.bos_token_id, tok.pad_token_id, tok.eos_token_id, tok.sep_token_id) == (0, 1, 2, 2)
    enc = _encode_pair(tok, padding="max_length", max_length=200)
    ids, seq, tokens = enc["input_ids"], enc.sequence_ids(), enc.tokens()
    n_q, n_c = seq.count(0), seq.count(1)
    assert ids[0] == 0 and ids[1 + n_q: 3 + n_q] == [2, 2] and ids[3 + n_q + n_c] == 2  # <s> A </s></s> B </s>
    assert ids.count(2) == 3 and len(ids) == 200 and set(ids[4 + n_q + n_c:]) == {1}  # right padding with <pad>
    assert not tokens[1].startswith("Ġ") and not tokens[3 + n_q].startswith("Ġ")  # no prefix space, as RoBERTa
    assert any(t.startswith("Ġ") for t in tokens)
    for (start, end), s in zip(enc["offset_mapping"], seq):
        if s == 1 and end > start:
            assert not CONTEXT[start:end].startswith(" ")  # trim_offsets: the leading space is not in the span


@pytest.mark.realdata
def test_bpe_offsets_on_real_text(data_dir):
    pairs = _real_pairs(data_dir)
    tok = train_byte_level_bpe_tokenizer([c for _, c in pairs], vocab_size=1500)
    decoder = tok.backend_tokenizer.decoder
    checked = partial = 0
    for question, context in pairs:
        enc = _encode_pair(tok, question, context)
        for token, (start, end), seq in zip(enc.tokens(), enc["offset_mapping"], enc.sequence_ids()):
            if seq is None:
                continue
            piece, text = (question, context)[seq][start:end], decoder.decode([token])
            if "\ufffd" in text:  # part of a multi-byte character: the span is the whole character
                assert len(piece) == 1 and ord(piece) > 127, (token, piece)
                partial += 1
            elif text.strip():
                assert text.lstrip(" ") == piece, (token, piece)
                checked += 1
            else:  # a white-space token
                assert piece.strip() == ""
    assert checked > 5000 and partial > 0


@pytest.mark.parametrize("kind", ["wordpiece", "wordpiece_uncased", "bpe"])
def test_tokenizer_save_and_autotokenizer_reload(kind, tmp_path, request):
    if kind == "wordpiece_uncased":
        tok = train_wordpiece_tokenizer(CORPUS, vocab_size=300, lowercase=True, model_max_length=256)
    else:
        tok = request.getfixturevalue(f"{kind}_tokenizer")
    tok.save_pretrained(tmp_path)
    config = json.loads((tmp_path / "tokenizer_config.json").read_text())
    assert config["tokenizer_class"] in {"BertTokenizer", "BertTokenizerFast", "RobertaTokenizer", "RobertaTokenizerFast"}
    reloaded = AutoTokenizer.from_pretrained(tmp_path)
    assert reloaded.is_fast and reloaded.padding_side == "right"
    assert reloaded.model_max_length == tok.model_max_length and len(reloaded) == len(tok)
    question, context = "Où est São Paulo?", CORPUS[5] + "  ÉTÉ\n" + CORPUS[1]
    before, after = _encode_pair(tok, question, context), _encode_pair(reloaded, question, context)
    assert dict(after) == dict(before) and after.sequence_ids() == before.sequence_ids()


def test_tokenizer_training_rejects_bad_input():
    with pytest.raises(TypeError, match="single string"):
        train_wordpiece_tokenizer("just one string")
    with pytest.raises(ValueError, match="no non-empty text"):
        train_wordpiece_tokenizer(["", "  "])
    with pytest.raises(ValueError, match="at least 261"):
        train_byte_level_bpe_tokenizer(CORPUS, vocab_size=100)
    with pytest.raises(TypeError, match="strings"):
        train_byte_level_bpe_tokenizer([b"bytes"])


# ---------------------------------------------------------------- tiny models


def test_tiny_bert_is_deterministic_and_fits_tokenizer(wordpiece_tokenizer):
    rng_before = torch.get_rng_state()
    a = build_tiny_bert_qa(wordpiece_tokenizer, seed=3, **TINY)
    assert torch.equal(torch.get_rng_state(), rng_before)  # the global generator is untouched
    b = build_tiny_bert_qa(wordpiece_tokenizer, seed=3, **TINY)
    c = build_tiny_bert_qa(wordpiece_tokenizer, seed=4, **TINY)
    assert all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values()))
    assert not torch.equal(a.qa_outputs.weight, c.qa_outputs.weight)
    assert a.config.vocab_size == len(wordpiece_tokenizer) and a.config.pad_token_id == 0
    assert a.config.hidden_size == 32 and a.config.type_vocab_size == 2
    with pytest.raises(ValueError, match="divisible"):
        build_tiny_bert_qa(wordpiece_tokenizer, hidden_size=30, num_attention_heads=4)


def test_save_qa_folder_reloads_with_identical_logits(wordpiece_tokenizer, tmp_path):
    model = build_tiny_bert_qa(wordpiece_tokenizer, **TINY).eval()
    folder = save_qa_folder(model, wordpiece_tokenizer, tmp_path / "tiny-bert")
    names = {p.name for p in folder.iterdir()}
    assert {"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"} <= names
    assert not any(n.endswith((".bin", ".pt", ".pkl")) for n in names)
    reloaded = AutoModelForQuestionAnswering.from_pretrained(folder).eval()
    tok = AutoTokenizer.from_pretrained(folder)
    enc = tok(QUESTION, CONTEXT, return_tensors="pt")
    with torch.no_grad():
        out_a, out_b = model(**enc), reloaded(**enc)
    assert out_a.start_logits.shape == (1, enc["input_ids"].shape[1])
    assert torch.equal(out_a.start_logits, out_b.start_logits) and torch.equal(out_a.end_logits, out_b.end_logits)
    with pytest.raises(ValueError, match="tokenizer has"):
        small = build_tiny_bert_qa(train_wordpiece_tokenizer(CORPUS[:1], vocab_size=60), **TINY)
        save_qa_folder(small, wordpiece_tokenizer, tmp_path / "wrong")


def test_tiny_longformer_config_and_global_attention_forward(bpe_tokenizer, tmp_path):
    tok = bpe_tokenizer
    model = build_tiny_longformer_qa(tok, attention_window=16, max_length=512, **TINY).eval()
    cfg = model.config
    assert cfg.attention_window == [16, 16] and cfg.max_position_embeddings == 514 and cfg.type_vocab_size == 1
    assert (cfg.bos_token_id, cfg.pad_token_id, cfg.eos_token_id, cfg.sep_token_id) == (0, 1, 2, 2)
    long_context = " ".join(CORPUS * 4)
    enc = tok(QUESTION, long_context, truncation="only_second", max_length=300, return_tensors="pt")
    assert enc["input_ids"].shape == (1, 300)  # not a multiple of the window: the model pads internally
    question_end = enc["input_ids"][0].tolist().index(tok.sep_token_id)
    global_mask = torch.zeros_like(enc["input_ids"])
    global_mask[0, :question_end] = 1  # <s> and the question tokens
    with torch.no_grad():
        explicit = model(**enc, global_attention_mask=global_mask)
        automatic = model(**enc)  # the model finds the question end through config.sep_token_id
        local_only = model(**enc, global_attention_mask=torch.zeros_like(global_mask))
    assert explicit.start_logits.shape == (1, 300) and torch.isfinite(explicit.start_logits).all()
    assert torch.equal(explicit.start_logits, automatic.start_logits)
    assert not torch.allclose(explicit.start_logits, local_only.start_logits)
    folder = save_qa_folder(model, tok, tmp_path / "tiny-longformer")
    reloaded, _, report = load_qa_model(folder)
    assert isinstance(reloaded, LongformerForQuestionAnswering) and report.is_clean
    with torch.no_grad():
        assert torch.equal(reloaded(**enc, global_attention_mask=global_mask).end_logits, explicit.end_logits)
    with pytest.raises(ValueError, match="even"):
        build_tiny_longformer_qa(tok, attention_window=15)


@pytest.mark.parametrize("architecture", ["bert", "longformer"])
def test_build_tiny_qa_model_one_call(architecture, tmp_path):
    extra = {"attention_window": 16, "max_length": 256} if architecture == "longformer" else {}
    folder = build_tiny_qa_model(CORPUS * 2, tmp_path, architecture=architecture, vocab_size=350, **TINY, **extra)
    model, tok, report = load_qa_model(folder)
    assert report.is_clean and report.newly_initialized == () and not model.training
    assert model.config.model_type == architecture and model.config.vocab_size == len(tok) <= 350
    assert tok.model_max_length == (256 if architecture == "longformer" else 512)
    enc = tok(QUESTION, CONTEXT, return_tensors="pt")
    with torch.no_grad():
        assert model(**enc).start_logits.shape == enc["input_ids"].shape


def test_build_tiny_qa_model_rejects_bad_options(tmp_path):
    with pytest.raises(ValueError, match="architecture"):
        build_tiny_qa_model(CORPUS, tmp_path, architecture="gpt2")
    with pytest.raises(ValueError, match="cased"):
        build_tiny_qa_model(CORPUS, tmp_path, architecture="longformer", lowercase=True)


# ---------------------------------------------------------------- checked loading


def test_load_report_from_base_checkpoint(wordpiece_tokenizer, tmp_path, caplog):
    base = BertModel(build_tiny_bert_qa(wordpiece_tokenizer, **TINY).config)  # an encoder without a QA head
    base.save_pretrained(tmp_path)
    wordpiece_tokenizer.save_pretrained(tmp_path)
    with caplog.at_level(logging.WARNING, logger="qa_tutorial.models"):
        model, tok, report = load_qa_model(tmp_path, model_class=BertForQuestionAnswering)
    assert report.newly_initialized == ("qa_outputs.bias", "qa_outputs.weight")
    assert report.head_is_new and report.encoder_is_complete
    assert report.missing_keys == report.newly_initialized and not report.is_clean
    assert all(key.startswith("pooler.") for key in report.unexpected_keys)  # QA models have no pooler
    assert "qa_outputs.weight" in str(report) and "newly initialised" in str(report)
    assert any("qa_outputs.weight" in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
    assert torch.equal(model.bert.embeddings.word_embeddings.weight, base.embeddings.word_embeddings.weight)
    assert tok.is_fast
    with pytest.raises(CheckpointMismatchError, match="allow_new_head=False"):
        load_qa_model(tmp_path, model_class=BertForQuestionAnswering, allow_new_head=False)


def test_distilbert_checkpoint_into_bert_class_is_refused(wordpiece_tokenizer, tmp_path):
    config = DistilBertConfig(vocab_size=len(wordpiece_tokenizer), dim=32, n_layers=1, n_heads=2, hidden_dim=64)
    DistilBertForQuestionAnswering(config).save_pretrained(tmp_path)
    wordpiece_tokenizer.save_pretrained(tmp_path)
    with pytest.raises(CheckpointMismatchError, match="'distilbert'.*BertForQuestionAnswering.*'bert'"):
        load_qa_model(tmp_path, model_class=BertForQuestionAnswering)
    for model_class in (None, AutoModelForQuestionAnswering, DistilBertForQuestionAnswering):
        model, _, report = load_qa_model(tmp_path, model_class=model_class)  # the checkpoint's own class: clean
        assert isinstance(model, DistilBertForQuestionAnswering) and report.is_clean
        assert not report.head_is_new and report.encoder_is_complete  # a fine-tuned model: nothing new


def test_missing_encoder_weights_are_refused(wordpiece_tokenizer, tmp_path):
    model = build_tiny_bert_qa(wordpiece_tokenizer, **TINY)
    save_qa_folder(model, wordpiece_tokenizer, tmp_path)
    weights = load_file(tmp_path / "model.safetensors")
    kept = {k: v for k, v in weights.items() if "encoder.layer.1." not in k}
    assert len(kept) < len(weights)
    save_file(kept, tmp_path / "model.safetensors", metadata={"format": "pt"})
    with pytest.raises(CheckpointMismatchError, match="encoder.layer.1"):
        load_qa_model(tmp_path, model_class=BertForQuestionAnswering)
    missing = tuple(sorted(set(weights) - set(kept)))
    report = LoadReport("x", "BertForQuestionAnswering", missing_keys=missing, newly_initialized=missing)
    assert not report.encoder_is_complete and not report.head_is_new


def test_pickled_weights_and_slow_tokenizers_are_refused(wordpiece_tokenizer, tmp_path, monkeypatch):
    model = build_tiny_bert_qa(wordpiece_tokenizer, **TINY)
    model.config.save_pretrained(tmp_path / "pickled")
    torch.save(model.state_dict(), tmp_path / "pickled" / "pytorch_model.bin")
    with pytest.raises(FileNotFoundError, match="safetensors"):
        load_qa_model(tmp_path / "pickled")

    folder = save_qa_folder(model, wordpiece_tokenizer, tmp_path / "ok")
    vocab = sorted(wordpiece_tokenizer.get_vocab().items(), key=lambda item: item[1])
    (tmp_path / "vocab.txt").write_text("".join(token + "\n" for token, _ in vocab), encoding="utf-8")
    try:  # transformers 5 keeps the pure-Python BERT tokenizer under another name
        from transformers.models.bert.tokenization_bert_legacy import BertTokenizerLegacy as SlowBert
    except ImportError:
        from transformers import BertTokenizer as SlowBert
    slow = SlowBert(str(tmp_path / "vocab.txt"), do_lower_case=False)
    assert not slow.is_fast

    class SlowAuto:
        @staticmethod
        def from_pretrained(*args, **kwargs):
            return slow

    monkeypatch.setattr(checkpoints, "AutoTokenizer", SlowAuto)
    with pytest.raises(TypeError, match="slow tokenizer"):
        load_qa_model(folder)



def test_a_folder_without_tokenizer_files_is_refused(wordpiece_tokenizer, tmp_path):
    folder = save_qa_folder(build_tiny_bert_qa(wordpiece_tokenizer, **TINY), wordpiece_tokenizer, tmp_path / "m")
    for path in folder.iterdir():
        if path.name.startswith("tokenizer") or path.name in ("vocab.txt", "special_tokens_map.json"):
            path.unlink()
    with pytest.raises(FileNotFoundError, match="has no tokenizer files"):
        load_qa_model(folder)


def test_a_tokenizer_of_another_model_is_refused(wordpiece_tokenizer, bpe_tokenizer, squad_tokenizer, tmp_path):
    def folder_with(model, own, other, name):
        folder = save_qa_folder(model, own, tmp_path / name)
        other.save_pretrained(folder)  # another tokenizer's files replace the model's own
        return folder

    large, small = build_tiny_bert_qa(squad_tokenizer, **TINY), build_tiny_bert_qa(wordpiece_tokenizer, **TINY)
    with pytest.raises(CheckpointMismatchError, match=f"tokenizer has {len(wordpiece_tokenizer)} tokens but the "
                                                      f"model's vocabulary has {len(squad_tokenizer)}"):
        load_qa_model(folder_with(large, squad_tokenizer, wordpiece_tokenizer, "fewer"))
    with pytest.raises(CheckpointMismatchError, match=f"only {len(wordpiece_tokenizer)} embeddings"):
        load_qa_model(folder_with(small, wordpiece_tokenizer, squad_tokenizer, "more"))
    bpe_model = build_tiny_bert_qa(bpe_tokenizer, **TINY)  # as many embeddings, another padding id
    assert len(wordpiece_tokenizer) <= bpe_model.config.vocab_size
    with pytest.raises(CheckpointMismatchError, match=f"pads with id {wordpiece_tokenizer.pad_token_id} but the "
                                                      f"model's config says {bpe_tokenizer.pad_token_id}"):
        load_qa_model(folder_with(bpe_model, bpe_tokenizer, wordpiece_tokenizer, "other"))
    loaded, tokenizer, _ = load_qa_model(save_qa_folder(small, wordpiece_tokenizer, tmp_path / "own"))
    assert len(tokenizer) == loaded.config.vocab_size

# --- a BERT made into a Longformer -----------------------------------------------------------------------------------

def _bert_and_input(wordpiece_tokenizer, length_words=6):
    bert = build_tiny_bert_qa(wordpiece_tokenizer, hidden_size=32, max_position_embeddings=64, seed=3).eval()
    encoded = wordpiece_tokenizer("Who gave their name to Normandy?", " ".join(CORPUS[0].split()[:length_words]),
                                  return_tensors="pt")
    return bert, encoded


def test_longformer_from_bert_computes_what_the_bert_did_within_its_window(wordpiece_tokenizer):
    """With every token inside every other's local window, Longformer's attention is full attention with the same
    weights (global projections copied from the local ones): the start and end scores must be the BERT's."""
    bert, _ = _bert_and_input(wordpiece_tokenizer)
    long, long_tokenizer = longformer_from_bert(bert, wordpiece_tokenizer, max_length=256, attention_window=64)
    encoded = long_tokenizer("Who gave their name to Normandy?", " ".join(CORPUS[0].split()[:6]),
                             return_tensors="pt")
    ids = encoded["input_ids"][0].tolist()
    assert ids.count(wordpiece_tokenizer.sep_token_id) == 3 and len(ids) <= 32  # RoBERTa's layout, in half a window
    with torch.no_grad():
        expected = bert(**encoded)
        got = long(**encoded)  # global attention on the question, found through sep_token_id
    assert torch.allclose(got.start_logits, expected.start_logits, atol=1e-5)
    assert torch.allclose(got.end_logits, expected.end_logits, atol=1e-5)
    assert long_tokenizer.model_max_length == 256 and wordpiece_tokenizer.model_max_length != 256  # a copy


def test_longformer_from_bert_tiles_the_positions_and_copies_global_attention(wordpiece_tokenizer):
    bert, _ = _bert_and_input(wordpiece_tokenizer)
    long, _ = longformer_from_bert(bert, wordpiece_tokenizer, max_length=200, attention_window=16)
    short = bert.bert.embeddings.position_embeddings.weight
    tiled = long.longformer.embeddings.position_embeddings.weight
    pad = wordpiece_tokenizer.pad_token_id
    assert tiled.shape[0] == 200 + pad + 1 == long.config.max_position_embeddings
    for k in (0, 1, 63, 64, 65, 130, 199):  # token k has position id pad + 1 + k
        assert torch.equal(tiled[pad + 1 + k], short[k % 64]), k
    layer = long.longformer.encoder.layer[1].attention.self
    assert torch.equal(layer.query_global.weight, layer.query.weight)
    assert torch.equal(layer.value_global.bias, bert.bert.encoder.layer[1].attention.self.value.bias)
    assert torch.equal(long.qa_outputs.weight, bert.qa_outputs.weight)  # a fine-tuned head carries over


def test_longformer_from_bert_reads_past_the_berts_positions(wordpiece_tokenizer, tmp_path):
    bert, _ = _bert_and_input(wordpiece_tokenizer)
    long, long_tokenizer = longformer_from_bert(bert, wordpiece_tokenizer, max_length=512, attention_window=32)
    text = " ".join(CORPUS * 8)
    encoded = long_tokenizer("Where is Normandy?", text, truncation="only_second", max_length=400,
                             return_tensors="pt")
    assert encoded["input_ids"].shape[1] == 400 > bert.config.max_position_embeddings
    with torch.no_grad():
        out = long(**encoded)
    assert out.start_logits.shape == (1, 400) and torch.isfinite(out.start_logits).all()
    folder = save_qa_folder(long, long_tokenizer, tmp_path / "long")
    reloaded, tokenizer, report = load_qa_model(folder)
    assert type(reloaded).__name__ == "LongformerForQuestionAnswering" and report.is_clean
    assert tokenizer.model_max_length == 512
    assert tokenizer("Where?", "There.")["input_ids"].count(tokenizer.sep_token_id) == 3  # the template survives
    assert tokenizer("Where?", "There.")["input_ids"] == long_tokenizer("Where?", "There.")["input_ids"]


def test_longformer_from_bert_refuses_what_it_cannot_convert(wordpiece_tokenizer, bpe_tokenizer):
    bert, _ = _bert_and_input(wordpiece_tokenizer)
    with pytest.raises(ValueError, match="even"):
        longformer_from_bert(bert, wordpiece_tokenizer, attention_window=33)
    with pytest.raises(ValueError, match="shorter than"):
        longformer_from_bert(bert, wordpiece_tokenizer, max_length=32)
    tiny_long = build_tiny_longformer_qa(bpe_tokenizer, attention_window=16, max_length=64)
    with pytest.raises(ValueError, match="needs a BERT"):
        longformer_from_bert(tiny_long, bpe_tokenizer)
