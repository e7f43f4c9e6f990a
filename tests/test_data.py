"""Tests for qa_tutorial.data: the registry and mirror, nested/flat JSON, errors, splitting, slicing."""

from __future__ import annotations

import dataclasses
import gzip
import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import datasets
import pytest
from hypothesis import given
from hypothesis import strategies as st

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
    assert mirror_file("squad", "dev", data_dir="/m") == Path("/m/squad-v1.1/dev.json.gz")
    assert mirror_file("covid_qa", "train", data_dir="/env") == Path("/env/covid-qa/covid-qa-200423.json.gz")
    monkeypatch.setenv("QA_TUTORIAL_DATA_DIR", "/env")
    assert mirror_file("squad") is None  # the pipeline reads no environment variable: no data_dir, no mirror
    with pytest.raises(ValueError, match=r"no 'validation' split of 'squad_pt'; it has \['train'\]"):
        mirror_file("squad_pt", "validation", data_dir="/m")
    with pytest.raises(ValueError, match="unknown dataset 'squad3'; known names"):
        mirror_file("squad3")


@pytest.mark.realdata
def test_every_mirror_file_exists(data_dir):
    for name, known in DATASETS.items():
        for split in known.mirror:
            assert mirror_file(name, split, data_dir).is_file(), (name, split)


@pytest.mark.realdata
def test_load_squad_reads_the_mirror_it_is_given(data_dir):
    dev = load_squad("faquad", "dev", data_dir=data_dir)
    assert len(dev) == 63 and dev.features == SQUAD_FEATURES
    with pytest.raises(ValueError, match=r"it has \['train'\]"):
        load_squad("covid_qa", "validation", data_dir=data_dir)


@pytest.mark.realdata
def test_the_book_takes_the_mirror_from_the_environment(data_dir, monkeypatch):
    from qa_tutorial.book.profiles import QUICK, data_mirror, load_profile_splits

    monkeypatch.setenv("QA_TUTORIAL_DATA_DIR", str(data_dir))
    assert data_mirror() == str(data_dir)
    small = dataclasses.replace(QUICK, train_examples=5, eval_examples=5)
    assert len(load_profile_splits(small, "faquad")["validation"]) == 5  # no data_dir: the book's mirror
    monkeypatch.setenv("QA_TUTORIAL_DATA_DIR", "")
    assert data_mirror() is None


@pytest.mark.realdata
def test_the_registry_says_which_datasets_have_unanswerable_questions(data_dir):
    """KnownDataset.version_2 against the data: a v2.0 dataset has questions without answers, a v1.1 one none
    (before cleaning, which empties some answers of the translated SQuAD-pt)."""
    for name, known in DATASETS.items():
        split = "validation" if "validation" in known.mirror else "train"
        answers = load_squad(name, split, data_dir=data_dir, clean=False).select_columns(["answers"]).to_dict()
        unanswerable = sum(len(a["text"]) == 0 for a in answers["answers"])
        assert (unanswerable > 0) == known.version_2, (name, unanswerable)
    assert [name for name, known in DATASETS.items() if known.long_documents] == ["covid_qa"]
    assert {known.language for known in DATASETS.values()} == {"english", "portuguese"}


def test_no_mirror_goes_to_the_hub_with_the_registry_id(monkeypatch):
    monkeypatch.setenv("QA_TUTORIAL_DATA_DIR", "/not/read/by/the/pipeline")
    calls = []
    tiny = datasets.Dataset.from_dict(flatten_squad(NESTED), features=SQUAD_FEATURES)
    monkeypatch.setattr(data, "load_from_hub",
                        lambda hub_id, split, revision: calls.append((hub_id, split, revision)) or tiny)
    dataset, report = load_squad("faquad", "dev", return_report=True)
    assert calls == [("eraldoluis/faquad", "validation", "refs/convert/parquet")]  # main holds a loading script
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
    ("[]", r"bad\.json: no examples"),
    (json.dumps({"data": []}), r"bad\.json: no examples"),
    (json.dumps({"data": [{"title": "Art", "paragraphs": []}]}), r"bad\.json: no examples"),
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


# --- the mirror: missing files, and building one from the Hub (offline, through a seeded Hub cache) ---------------

def test_a_missing_mirror_folder_is_one_clear_error(tmp_path):
    with pytest.raises(data.MirrorError) as caught:
        load_squad("squad", data_dir=tmp_path / "nowhere")
    message = str(caught.value)
    assert "does not exist" in message and "qa-tutorial data download" in message and "QA_TUTORIAL_DATA_DIR" in message


def test_a_mirror_without_the_file_names_it(tmp_path):
    (tmp_path / "squad-v1.1").mkdir()
    with pytest.raises(data.MirrorError, match=r"no file squad-v2\.0/dev\.reconstructed\.json\.gz \(squad_v2, "
                                               r"validation split\)"):
        load_squad("squad_v2", "dev", data_dir=tmp_path)
    assert isinstance(data.MirrorError("x"), FileNotFoundError)  # callers that catch file errors still do


def test_mirror_labels_name_the_file_not_the_machine(data_dir):
    _, report = load_squad("faquad", "dev", data_dir=data_dir, return_report=True)
    assert report.source == "faquad (validation) from the mirror: faquad-pt/dev.json.gz"
    assert str(data_dir) not in report.summary()


@given(st.lists(st.tuples(st.sampled_from(["A", "B", "C"]), st.sampled_from(["p one.", "p two!", "p three?"]),
                          st.text(min_size=1, max_size=8).filter(str.strip),
                          st.lists(st.tuples(st.text(max_size=5), st.integers(0, 50)), max_size=3)),
                min_size=1, max_size=12))
def test_to_squad_document_inverts_flatten_squad(rows):
    """Hub rows -> nested document -> rows again: the same rows, in an order grouped by article and context."""
    columns = {"id": [], "title": [], "context": [], "question": [], "answers": []}
    for i, (title, context, question, answers) in enumerate(rows):
        for name, value in zip(columns, (str(i), title, f"{title}: {context}", question,
                                         {"text": [t for t, _ in answers], "answer_start": [s for _, s in answers]})):
            columns[name].append(value)
    back = flatten_squad(data.to_squad_document(columns))
    order = sorted(range(len(rows)), key=lambda i: (columns["title"].index(columns["title"][i]),
                                                    columns["context"].index(columns["context"][i]), i))
    assert back == {name: [values[i] for i in order] for name, values in columns.items()}


def _mirror_rows(data_dir: Path, relative: str, articles: int) -> dict[str, list]:
    """The raw rows of the first articles of a mirror file (the Hub layout)."""
    rows = read_squad_json(data_dir / relative)
    keep = [i for i, title in enumerate(rows["title"]) if title in list(dict.fromkeys(rows["title"]))[:articles]]
    return {name: [values[i] for i in keep] for name, values in rows.items()}


@pytest.fixture(scope="module")
def seeded_hub(data_dir, tmp_path_factory):
    """HF_HOME with rajpurkar/squad, rajpurkar/squad_v2 and deepset/covid_qa_deepset in the Hub cache, each with
    real rows from the mirror in the Hub's own schema (COVID-QA: document_id, no title)."""
    from hub_cache import seed_dataset

    home = tmp_path_factory.mktemp("hf-home")
    squad = _mirror_rows(data_dir, DATASETS["squad"].mirror["validation"], 2)
    squad_v2 = _mirror_rows(data_dir, DATASETS["squad_v2"].mirror["validation"], 1)
    covid = _mirror_rows(data_dir, DATASETS["covid_qa"].mirror["train"], 3)
    covid_hub = {"document_id": [int(t.removeprefix("article-")) + 1000 for t in covid["title"]],
                 **{k: covid[k] for k in ("context", "question", "id", "answers")},
                 "is_impossible": [False] * len(covid["id"])}
    seed_dataset(home, "rajpurkar/squad", "plain_text", {"validation": squad})
    seed_dataset(home, "rajpurkar/squad_v2", "squad_v2", {"validation": squad_v2})
    seed_dataset(home, "deepset/covid_qa_deepset", "covid_qa_deepset", {"train": covid_hub})
    return home, {"squad": squad, "squad_v2": squad_v2, "covid_qa": {**covid, "title": [
        str(i) for i in covid_hub["document_id"]]}}


def _run(code: str, home: Path, **env: str) -> subprocess.CompletedProcess:
    """Python in a fresh process (huggingface_hub reads HF_HOME at import), offline, without a mirror."""
    environ = {k: v for k, v in os.environ.items() if k not in ("QA_TUTORIAL_DATA_DIR", "HF_DATASETS_CACHE")}
    environ.update(HF_HOME=str(home), HF_HUB_OFFLINE="1", **env)
    return subprocess.run([sys.executable, "-c", code], env=environ, capture_output=True, text=True, timeout=300,
                          check=False)


@pytest.mark.slow
@pytest.mark.realdata
def test_without_a_mirror_names_load_from_the_hub_cache(seeded_hub):
    home, expected = seeded_hub
    result = _run("import json; from qa_tutorial.data import load_squad\n"
                  "rows = load_squad('squad', 'dev', clean=False).to_dict()\n"
                  "print(json.dumps(rows))", home)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[-1]) == expected["squad"]


@pytest.mark.realdata
def test_without_a_mirror_a_dataset_missing_from_the_hub_cache_says_so(seeded_hub):
    home, _ = seeded_hub
    result = _run("from qa_tutorial.data import load_squad\nload_squad('faquad', 'train')", home)
    assert result.returncode != 0
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("ConnectionError: could not load 'eraldoluis/faquad' (revision 'refs/convert/parquet') split "
                           "'train'")
    assert "HF_HUB_OFFLINE is set and the local Hub cache does not hold it" in last
    assert "qa-tutorial data download" in last


@pytest.mark.realdata
def test_data_download_builds_a_mirror_that_loads_like_the_hub(seeded_hub, tmp_path):
    home, expected = seeded_hub
    mirror = tmp_path / "mirror"
    result = _run("import sys; from qa_tutorial.cli import main\n"
                  f"sys.exit(main(['data', 'download', '--to', {str(mirror)!r}, '--datasets', "
                  "'squad,squad_v2,covid_qa']))", home)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["files"] == {"squad": {"validation": "written"}, "squad_v2": {"validation": "written"},
                               "covid_qa": {"train": "written"}}
    for name, split in (("squad", "validation"), ("squad_v2", "validation"), ("covid_qa", "train")):
        path = mirror / DATASETS[name].mirror[split]
        assert read_squad_json(path) == expected[name], name  # same rows as the Hub, in the mirror's layout
        assert load_squad(name, split, data_dir=mirror, clean=False).to_dict() == expected[name]
    with gzip.open(mirror / "squad-v2.0/dev.reconstructed.json.gz") as handle:
        assert json.load(handle)["data"][0]["paragraphs"][0]["qas"][0]["id"] == expected["squad_v2"]["id"][0]
    again = _run("import sys; from qa_tutorial.cli import main\n"
                 f"sys.exit(main(['data', 'download', '--to', {str(mirror)!r}, '--datasets', 'squad']))", home)
    assert json.loads(again.stdout)["files"] == {"squad": {"validation": "kept"}}  # resumes, keeps what is there


@pytest.mark.slow
@pytest.mark.realdata
def test_data_download_reports_what_it_could_not_get(seeded_hub, tmp_path):
    home, _ = seeded_hub
    mirror = tmp_path / "mirror"
    result = _run("import sys; from qa_tutorial.cli import main\n"
                  f"sys.exit(main(['data', 'download', '--to', {str(mirror)!r}, '--datasets', 'squad,faquad']))",
                  home)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "2 file(s) could not be downloaded (1 are in" in result.stderr
    assert "faquad (train)" in result.stderr and "faquad (validation)" in result.stderr
    assert (mirror / "squad-v1.1" / "dev.json.gz").is_file()
    assert not list(mirror.rglob("*.tmp"))  # no half-written file left behind
