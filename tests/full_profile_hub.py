"""A Hugging Face cache seeded with everything the full profile loads from the Hub, to run its paths offline.

Each dataset of `qa_tutorial.data.DATASETS` is seeded whole with real rows from the data mirror, in the Hub's schema
and at the revision the registry reads (the viewer's parquet branch for the Portuguese sets); a split the mirror
lacks (SQuAD's train sets) is a copy of the one it has, under other titles and ids. Each checkpoint the full
profile names (`FULL`'s bases, `FINETUNED`, `FINETUNED_V2`) is seeded as a stand-in: the same architecture class and
the same kind of files (WordPiece or byte-level BPE tokenizer, ``pytorch_model.bin`` only where the real repo has
only that), with a few thousand random weights instead of millions of trained ones. What this proves is that every
path loads, trains and decodes; not what the real weights score, nor what they cost to download.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from hub_cache import seed_dataset, seed_model

# Hub id -> (architecture, model class, whether the real repo has only pytorch_model.bin on main)
STAND_INS = {
    "distilbert/distilbert-base-cased": ("distilbert", "DistilBertForMaskedLM", False),
    "distilbert/distilbert-base-cased-distilled-squad": ("distilbert", "DistilBertForQuestionAnswering", False),
    "deepset/roberta-base-squad2": ("roberta", "RobertaForQuestionAnswering", False),
    "neuralmind/bert-base-portuguese-cased": ("bert", "BertForPreTraining", True),
    "pierreguillou/bert-base-cased-squad-v1.1-portuguese": ("bert", "BertForQuestionAnswering", True),
    "allenai/longformer-base-4096": ("longformer", "LongformerForMaskedLM", True),
    "allenai/longformer-large-4096-finetuned-triviaqa": ("longformer", "LongformerForQuestionAnswering", True),
}
FULL_MAX_EXAMPLES = "256"  # QA_TUTORIAL_MAX_EXAMPLES of the full-profile test runs: questions per split
SMALL = {"hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 64}


def _renamed(rows: dict[str, list], tag: str) -> dict[str, list]:
    """``rows`` as other articles: titles and ids marked with ``tag`` (a train split where the mirror has dev only)."""
    return {**rows, "title": [f"{title} ({tag})" for title in rows["title"]],
            "id": [f"{qid}-{tag}" for qid in rows["id"]]}


def _hub_rows(data_dir: Path, name: str) -> dict[str, dict[str, list]]:
    """Split -> rows for each split the Hub publishes of ``name``: the mirror's file for a split it has, and for
    one it lacks, the mirror's other file under other titles and ids (SQuAD's train set is not in the mirror)."""
    from qa_tutorial.data import DATASETS, read_squad_json

    known = DATASETS[name]
    files = {split: read_squad_json(Path(data_dir) / relative) for split, relative in known.mirror.items()}
    if name == "squad_pt":  # the mirror's 10 train articles: the last 2 stand in for the Hub's validation split
        rows = files["train"]
        last = set(list(dict.fromkeys(rows["title"]))[-2:])
        keep = {split: [i for i, title in enumerate(rows["title"]) if (title in last) == (split == "validation")]
                for split in ("train", "validation")}
        return {split: {column: [values[i] for i in keep[split]] for column, values in rows.items()}
                for split in known.hub_splits}
    only = next(iter(files.values()))
    return {split: files.get(split) or _renamed(only, split) for split in known.hub_splits}


def seed_datasets(home: Path, data_dir: Path) -> dict[str, dict[str, dict[str, list]]]:
    """Every registered dataset in the Hub cache under ``home``, whole; returns name -> split -> the rows seeded
    (with COVID-QA's ``document_id`` turned into the title the loader gives it)."""
    from qa_tutorial.data import DATASETS

    seeded: dict[str, dict[str, dict[str, list]]] = {}
    for name, known in DATASETS.items():
        splits = hub_splits = _hub_rows(data_dir, name)
        if name == "covid_qa":  # the Hub's COVID-QA: a numeric document_id, no title, an is_impossible flag
            covid = splits["train"]
            ids = [1000 + int(title.removeprefix("article-")) for title in covid["title"]]
            hub_splits = {"train": {"document_id": ids, **{k: covid[k] for k in ("context", "question", "id",
                                                                                 "answers")},
                                    "is_impossible": [False] * len(ids)}}
            splits = {"train": {**covid, "title": [str(i) for i in ids]}}
        config = known.hub_id.split("/")[-1] if known.hub_revision else {"squad": "plain_text"}.get(name, name)
        seed_dataset(home, known.hub_id, config, hub_splits, revision=known.hub_revision or "main")
        seeded[name] = splits
    return seeded


def _stand_in(architecture: str, model_class: str, texts: list[str], folder: Path) -> Path:
    """A small model of ``model_class`` with a tokenizer of its architecture's kind trained on ``texts``."""
    import torch
    import transformers

    from qa_tutorial.tokenizers_offline import train_byte_level_bpe_tokenizer, train_wordpiece_tokenizer

    bpe = architecture in ("roberta", "longformer")
    positions = 4096 if architecture == "longformer" else 512
    tokenizer = (train_byte_level_bpe_tokenizer(texts, vocab_size=8000, model_max_length=positions) if bpe
                 else train_wordpiece_tokenizer(texts, vocab_size=8000, model_max_length=positions))
    vocab = len(tokenizer)
    if architecture == "distilbert":
        config = transformers.DistilBertConfig(vocab_size=vocab, dim=32, n_layers=2, n_heads=2, hidden_dim=64,
                                               pad_token_id=tokenizer.pad_token_id)
    elif architecture == "bert":
        config = transformers.BertConfig(vocab_size=vocab, pad_token_id=tokenizer.pad_token_id, **SMALL)
    elif architecture == "roberta":
        config = transformers.RobertaConfig(vocab_size=vocab, max_position_embeddings=positions + 2, pad_token_id=1,
                                            bos_token_id=0, eos_token_id=2, **SMALL)
    else:
        config = transformers.LongformerConfig(vocab_size=vocab, max_position_embeddings=positions + 2,
                                               attention_window=16, pad_token_id=1, bos_token_id=0, eos_token_id=2,
                                               sep_token_id=2, **SMALL)
    torch.manual_seed(0)
    model = getattr(transformers, model_class)(config)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    if architecture == "bert":  # BERTimbau's repos have vocab.txt and no tokenizer.json: the fast one is built
        (folder / "tokenizer.json").unlink()
        ranked = sorted(tokenizer.get_vocab().items(), key=lambda item: item[1])
        (folder / "vocab.txt").write_text("".join(f"{piece}\n" for piece, _ in ranked), encoding="utf-8")
    return folder


def seed_models(home: Path, texts: list[str]) -> None:
    """Every checkpoint in `STAND_INS` in the Hub cache under ``home``."""
    with tempfile.TemporaryDirectory() as work:
        for repo_id, (architecture, model_class, pickled) in STAND_INS.items():
            folder = _stand_in(architecture, model_class, texts, Path(work) / repo_id.replace("/", "--"))
            seed_model(home, repo_id, folder, pickled=pickled)


def seed_full_profile(home: Path, data_dir: Path) -> dict[str, dict[str, dict[str, list]]]:
    """Datasets and checkpoints of the full profile in the Hub cache under ``home`` (`seed_datasets`)."""
    seeded = seed_datasets(home, data_dir)
    texts = sorted({text for splits in seeded.values() for rows in splits.values()
                    for text in rows["context"][:2000] + rows["question"][:2000]})
    seed_models(home, texts)
    return seeded
