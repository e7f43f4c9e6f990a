"""Tests for qa_tutorial.data: the registry and mirror, nested/flat JSON, errors, splitting, slicing."""

from __future__ import annotations

import gzip
import json
import logging
import time
from pathlib import Path

import datasets
import pytest

from qa_tutorial import data
from qa_tutorial.data import (
    DATASETS,
    SQUAD_FEATURES,
    SquadFormatError,
    first_n,
    flatten_squad,
    load_from_hub,
    load_squad,
    mirror_file,
    read_squad_json,
    split_by_article,
)

NESTED = {"version": "v2.0", "data": [
    {"title": "Rome", "paragraphs": [
        {"context": "Rome is the capital of Italy.", "qas": [
            {"id": "r1", "question": "Capital of?", "answers": [{"text": "Italy", "answer_start": 23}]},
            {"id": "r2", "question": "Of France?", "is_impossible": True,
             "plausible_answers": [{"text": "Italy", "answer_start": 23}]},  # no "answers" key (pt v2.0)
        ]}]},
    {"paragraphs": [{"context": "Lisbon is by the sea.", "qas": [  # no title (COVID-QA)
        {"id": 42, "question": "By what?", "answers": [{"text": "the sea", "answer_start": 13}]}]}]},
]}


def write(path: Path, payload: str) -> Path:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wt", encoding="utf-8") as handle:
        handle.write(payload)
    return path


# ---------- registry and mirror ----------

def test_registry_names_hub_ids_and_mirror_splits():
    assert set(DATASETS) == {"squad", "squad_v2", "squad_pt", "squad_v2_pt", "faquad", "covid_qa"}
    assert DATASETS["squad"].hub_id == "rajpurkar/squad" and DATASETS["squad_v2"].hub_id == "rajpurkar/squad_v2"
    assert DATASETS["faquad"].hub_id == "eraldoluis/faquad"
    assert set(DATASETS["faquad"].mirror) == {"train", "validation"}
    assert all("/" in known.hub_id and known.mirror for known in DATASETS.values())


def test_mirror_file_resolution(monkeypatch):
    monkeypatch.delenv("QA_TUTORIAL_DATA_DIR", raising=False)
    assert mirror_file("squad") is None
    assert mirror_file("squad", "dev", data_dir="/m") == Path("/m/squad-v1.1/dev.json.gz")
    monkeypatch.setenv("QA_TUTORIAL_DATA_DIR", "/env")
    assert mirror_file("covid_qa", "train") == Path("/env/covid-qa/covid-qa-200423.json.gz")
    with pytest.raises(ValueError, match=r"no 'validation' split of 'squad_pt'; it has \['train'\]"):
        mirror_file("squad_pt", "validation")
    with pytest.raises(ValueError, match="unknown dataset 'squad3'; known names"):
        mirror_file("squad3")


@pytest.mark.realdata
def test_every_mirror_file_exists(data_dir):
    for name, known in DATASETS.items():
        for split in known.mirror:
            assert mirror_file(name, split, data_dir).is_file(), (name, split)


@pytest.mark.realdata
def test_load_squad_reads_the_mirror_from_the_environment(data_dir, monkeypatch):
    monkeypatch.setenv("QA_TUTORIAL_DATA_DIR", str(data_dir))
    dev = load_squad("faquad", "dev")
    assert len(dev) == 63 and dev.features == SQUAD_FEATURES
    with pytest.raises(ValueError, match=r"it has \['train'\]"):
        load_squad("covid_qa", "validation")


def test_no_mirror_goes_to_the_hub_with_the_registry_id(monkeypatch):
    monkeypatch.delenv("QA_TUTORIAL_DATA_DIR", raising=False)
    calls = []
    tiny = datasets.Dataset.from_dict(flatten_squad(NESTED), features=SQUAD_FEATURES)
    monkeypatch.setattr(data, "load_from_hub", lambda hub_id, split: calls.append((hub_id, split)) or tiny)
    dataset, report = load_squad("faquad", "dev", return_report=True)
    assert calls == [("eraldoluis/faquad", "validation")]
    assert len(dataset) == 3 and report.examples_in == 3


def test_offline_hub_error_is_clear_and_quick(tmp_path):
    began = time.perf_counter()
    with pytest.raises(ConnectionError, match=r"'rajpurkar/squad'.*QA_TUTORIAL_DATA_DIR"):
        load_from_hub("rajpurkar/squad", "validation", cache_dir=tmp_path)  # conftest sets HF_HUB_OFFLINE=1
    assert time.perf_counter() - began < 10


def test_unknown_source_error():
    with pytest.raises(ValueError, match="neither a known dataset"):
        load_squad("not_a_dataset")


# ---------- nested and flat JSON ----------

def test_flatten_nested_document():
    cols = flatten_squad(NESTED)
    assert cols["id"] == ["r1", "r2", "42"]  # integer ids become strings
    assert cols["title"] == ["Rome", "Rome", "article-1"]
    assert cols["answers"] == [{"text": ["Italy"], "answer_start": [23]}, {"text": [], "answer_start": []},
                               {"text": ["the sea"], "answer_start": [13]}]  # plausible_answers ignored
    assert cols["context"][2] == "Lisbon is by the sea."


@pytest.mark.parametrize("suffix", [".json", ".json.gz"])
def test_load_nested_file_keeps_types_of_empty_answers(tmp_path, suffix):
    path = write(tmp_path / f"nested{suffix}", json.dumps(NESTED))
    dataset = load_squad(path)
    assert dataset.features == SQUAD_FEATURES
    assert dataset.column_names == ["id", "title", "context", "question", "answers"]
    assert dataset[1]["answers"] == {"text": [], "answer_start": []}
    only_empty = load_squad(write(tmp_path / "empty.json", json.dumps(
        {"data": [{"title": "t", "paragraphs": [{"context": "c", "qas": [{"id": "1", "question": "q"}]}]}]})))
    assert only_empty.features == SQUAD_FEATURES


def test_flat_json_and_json_lines(tmp_path):
    records = [{"id": 1, "title": "A", "context": "x y", "question": "q?",
                "answers": {"text": ["y"], "answer_start": [2]}},
               {"id": "2", "context": "z", "question": "q2?", "answers": [{"text": "z", "answer_start": 0}]}]
    as_list = read_squad_json(write(tmp_path / "flat.json", json.dumps(records)))
    as_lines = read_squad_json(write(tmp_path / "flat.jsonl", "\n".join(json.dumps(r) for r in records) + "\n"))
    assert as_list == as_lines
    assert as_list["id"] == ["1", "2"] and as_list["title"] == ["A", ""]
    assert as_list["answers"][1] == {"text": ["z"], "answer_start": [0]}
    one_line = read_squad_json(write(tmp_path / "one.jsonl", json.dumps(records[0])))
    assert one_line["id"] == ["1"]


def test_round_trip_through_datasets_to_json(tmp_path):
    original = load_squad(write(tmp_path / "n.json", json.dumps(NESTED)))
    original.to_json(tmp_path / "hub.jsonl")
    assert load_squad(tmp_path / "hub.jsonl").to_dict() == original.to_dict()


# ---------- errors name the file and the record ----------

def test_not_json(tmp_path):
    path = write(tmp_path / "broken.json", '{"data": [')
    with pytest.raises(SquadFormatError, match=r"broken\.json: not JSON"):
        load_squad(path)
    with pytest.raises(SquadFormatError, match=r"lines\.jsonl: line 2 is not JSON"):
        read_squad_json(write(tmp_path / "lines.jsonl", '{"id": 1}\n{oops\n'))


def test_missing_file():
    with pytest.raises(FileNotFoundError):
        load_squad("/nonexistent/file.json")


def _doc(qa: dict, context: str = "Some context.") -> str:
    return json.dumps({"data": [{"title": "Art", "paragraphs": [{"context": context, "qas": [qa]}]}]})


@pytest.mark.parametrize("payload, message", [
    (json.dumps({"articles": []}), r"bad\.json: expected a JSON object with a 'data' list"),
    (json.dumps({"data": [{"title": "Art"}]}), r"bad\.json: article 0 \('Art'\): missing 'paragraphs'"),
    (_doc({"id": "q9", "answers": []}),
     r"bad\.json: article 0 \('Art'\), paragraph 0, question 0: missing key\(s\) \['question'\]"),
    (_doc({"id": "q9", "question": "Why?"}, context="  "),
     r"bad\.json: article 0 \('Art'\).*question id 'q9': empty or non-text context"),
    (_doc({"id": "q9", "question": "Why?", "answers": [{"text": "x", "answer_start": "3"}]}),
     r"bad\.json: article 0 \('Art'\).*question id 'q9': answer texts must be strings and answer_start integers"),
    (_doc({"id": "q9", "question": "Why?", "answers": [{"text": "x"}]}), r"question id 'q9': every answer needs"),
    (json.dumps([{"id": "f1", "question": "q", "context": "c", "answers": {"text": "c", "answer_start": 0}}]),
     r"bad\.json: record 0, question id 'f1': answers must hold equally long"),
])
def test_format_errors_name_file_and_record(tmp_path, payload, message):
    with pytest.raises(SquadFormatError, match=message):
        load_squad(write(tmp_path / "bad.json", payload))


# ---------- load_squad on real files ----------

@pytest.mark.realdata
def test_load_squad_v1_dev_fast_and_reported(data_dir, caplog):
    began = time.perf_counter()
    with caplog.at_level(logging.INFO, logger="qa_tutorial.data"):
        dev, report = load_squad("squad", data_dir=data_dir, return_report=True)
    seconds = time.perf_counter() - began
    assert len(dev) == 10570 and sum(len(a["text"]) for a in dev.to_dict()["answers"]) == 34726
    assert dev.features == SQUAD_FEATURES and isinstance(dev[0]["id"], str)
    assert report.answer_starts_repaired == 0 and "10570 examples in" in caplog.text
    assert seconds < 10, f"loading and cleaning SQuAD v1.1 dev took {seconds:.1f} s"


@pytest.mark.realdata
def test_load_squad_cleaning_can_be_off_or_strict(data_dir):
    raw, report = load_squad("covid_qa", "train", data_dir=data_dir, clean=False, return_report=True)
    assert report is None and len(raw) == 1380 and isinstance(raw[0]["id"], str)
    with pytest.raises(SquadFormatError, match=r"covid-qa-200423\.json\.gz: question id"):
        load_squad("covid_qa", "train", data_dir=data_dir, strict=True)


# ---------- splitting and slicing ----------

@pytest.fixture(scope="module")
def squad_dev(data_dir):
    return load_squad("squad", data_dir=data_dir)


def titles(dataset: datasets.Dataset) -> set[str]:
    return set(dataset.select_columns(["title"]).to_dict()["title"])  # fast; unique() flattens indices


@pytest.mark.realdata
def test_split_by_article_has_no_leakage(squad_dev):
    parts = split_by_article(squad_dev, eval_fraction=0.2, seed=0)
    train_titles, eval_titles = titles(parts["train"]), titles(parts["validation"])
    assert not train_titles & eval_titles
    assert len(eval_titles) == round(0.2 * 48) and len(train_titles) == 48 - len(eval_titles)
    assert len(parts["train"]) + len(parts["validation"]) == len(squad_dev)
    again = split_by_article(squad_dev, eval_fraction=0.2, seed=0)
    assert again["validation"].to_dict()["id"] == parts["validation"].to_dict()["id"]
    other = split_by_article(squad_dev, eval_fraction=0.2, seed=1)
    assert titles(other["validation"]) != eval_titles


def test_split_by_article_errors():
    one_article = datasets.Dataset.from_dict({"title": ["a", "a"]})
    with pytest.raises(ValueError, match="1 article title"):
        split_by_article(one_article)
    with pytest.raises(ValueError, match="eval_fraction"):
        split_by_article(datasets.Dataset.from_dict({"title": ["a", "b"]}), eval_fraction=1.0)
    tiny = split_by_article(datasets.Dataset.from_dict({"title": ["a", "b"]}), eval_fraction=0.01)
    assert (len(tiny["train"]), len(tiny["validation"])) == (1, 1)  # at least one article each side


def test_first_n():
    dataset = datasets.Dataset.from_dict({"id": [str(i) for i in range(5)]})
    assert first_n(dataset, 3).to_dict()["id"] == ["0", "1", "2"]
    with pytest.warns(UserWarning, match="only 5"):
        assert len(first_n(dataset, 50)) == 5
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match="positive integer"):
            first_n(dataset, bad)
