"""Shared fixtures: offline Hub, the data mirror, and tiny tokenizers trained on real text."""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _data_dir() -> Path | None:
    env = os.environ.get("QA_TUTORIAL_DATA_DIR")
    candidate = Path(env) if env else REPO.parent / "shared" / "data"
    return candidate if (candidate / "squad-v1.1" / "dev.json.gz").exists() else None


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The offline mirror of SQuAD-format files (../shared/data); tests that need it skip without it."""
    found = _data_dir()
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("QA_TUTORIAL_DATA_DIR does not point at the data mirror, and CI must run real-data tests")
        pytest.skip("no data mirror: set QA_TUTORIAL_DATA_DIR")
    return found


def squad_reference(qid: str, *texts: str) -> dict:
    """A reference in the SQuAD metric's format: the question id and its gold answer texts."""
    return {"id": qid, "answers": {"text": list(texts), "answer_start": [0] * len(texts)}}


# A small, fixed corpus for tokenizers that tests train offline (no data mirror needed).
CORPUS = [
    "The Normans were the people who in the 10th and 11th centuries gave their name to Normandy, a region in France.",
    "Beyoncé Giselle Knowles-Carter (born September 4, 1981) is an American singer, songwriter and actress.",
    "Super Bowl 50 was an American football game to determine the champion of the National Football League (NFL).",
    "The Amazon rainforest covers 5,500,000 km2 (2,100,000 sq mi), most of it within Brazil: 60% of the forest.",
    "Oxygen is a chemical element with symbol O and atomic number 8; it is a highly reactive nonmetal.",
    "A Universidade de São Paulo é uma universidade pública, mantida pelo Estado de São Paulo desde 1934.",
    "Question answering systems read a context paragraph and extract the span of text that answers a question.",
]


@pytest.fixture(scope="session")
def wordpiece_tokenizer():
    """A cased WordPiece tokenizer (BERT-like, right padding) trained on CORPUS."""
    from qa_tutorial.tokenizers_offline import train_wordpiece_tokenizer

    return train_wordpiece_tokenizer(CORPUS * 3, vocab_size=400)


@pytest.fixture(scope="session")
def bpe_tokenizer():
    """A byte-level BPE tokenizer (RoBERTa/Longformer-like) trained on CORPUS."""
    from qa_tutorial.tokenizers_offline import train_byte_level_bpe_tokenizer

    return train_byte_level_bpe_tokenizer(CORPUS * 3, vocab_size=400)


@pytest.fixture(scope="session")
def squad_tokenizer(data_dir):
    """A cased WordPiece tokenizer trained on the contexts of SQuAD v1.1 dev (real text, real vocabulary size)."""
    import gzip
    import json

    from qa_tutorial.tokenizers_offline import train_wordpiece_tokenizer

    document = json.load(gzip.open(data_dir / "squad-v1.1" / "dev.json.gz", "rt", encoding="utf-8"))
    contexts = [p["context"] for article in document["data"] for p in article["paragraphs"]]
    return train_wordpiece_tokenizer(contexts, vocab_size=6000)


LONG_QUESTION = "Where is the Amazon rainforest?"  # asked of LONG_CONTEXT, several windows of a tiny Longformer
LONG_CONTEXT = " ".join(CORPUS * 3)


@pytest.fixture(scope="session")
def tiny_longformer(bpe_tokenizer):
    """A tiny random Longformer QA model (attention window 16, up to 512 tokens), in eval mode."""
    from qa_tutorial.models import build_tiny_longformer_qa

    return build_tiny_longformer_qa(bpe_tokenizer, attention_window=16, max_length=512, seed=1, hidden_size=32,
                                    num_attention_heads=2, intermediate_size=64).eval()



@pytest.fixture(scope="session")
def full_hub(data_dir, tmp_path_factory):
    """(environment for a process in the full profile, offline, with no data mirror and a Hub cache that holds every
    dataset and checkpoint the profile names (`full_profile_hub`); the rows seeded per dataset and split)."""
    from full_profile_hub import FULL_MAX_EXAMPLES, seed_full_profile

    home = tmp_path_factory.mktemp("hf-home-full")
    seeded = seed_full_profile(home, data_dir)
    env = {k: v for k, v in os.environ.items() if k not in ("QA_TUTORIAL_DATA_DIR", "HF_DATASETS_CACHE",
                                                              "HF_HUB_CACHE", "QA_TUTORIAL_CACHE")}
    env.update(HF_HOME=str(home), HF_HUB_OFFLINE="1", QA_TUTORIAL_PROFILE="full",
               QA_TUTORIAL_MAX_EXAMPLES=FULL_MAX_EXAMPLES, QA_TUTORIAL_CACHE=str(home / "qa_tutorial"))
    return env, seeded
