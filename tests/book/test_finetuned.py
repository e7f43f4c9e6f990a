"""Tests for qa_tutorial.book.finetuned: the cached quick-profile model and the full-profile checkpoints."""

import dataclasses
import json
import os
from pathlib import Path

import pandas as pd
import pytest

from qa_tutorial.book.finetuned import CACHE_ENV, FINETUNED, finetuned_model
from qa_tutorial.book.profiles import FULL, QUICK, TINY
from qa_tutorial.checkpoints import load_qa_model

pytestmark = pytest.mark.realdata

SMALL = dataclasses.replace(QUICK, english_checkpoint=TINY, train_examples=24, eval_examples=12, num_train_epochs=1,
                            tiny_hidden_size=32, tiny_vocab_size=400, max_length=96, doc_stride=32,
                            per_device_train_batch_size=8, sample_seed=None)  # the first rows: short questions


def test_full_profile_names_published_checkpoints():
    assert finetuned_model(FULL, "squad") == FINETUNED["english"]
    assert finetuned_model(FULL, "squad_v2") == "deepset/roberta-base-squad2"  # a model that can abstain
    assert finetuned_model(FULL, "faquad") == FINETUNED["portuguese"]
    assert finetuned_model(FULL, "covid_qa") == FINETUNED["long"]


def test_unknown_dataset_is_refused():
    with pytest.raises(ValueError, match="unknown dataset"):
        finetuned_model(QUICK, "trivia")


@pytest.mark.slow
def test_quick_model_is_trained_once_and_reused(tmp_path, monkeypatch, data_dir):
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    first = finetuned_model(SMALL, "squad", data_dir=data_dir)
    assert first.startswith(str(tmp_path))
    weights = os.path.join(first, "model.safetensors")
    stamp = os.stat(weights).st_mtime_ns
    assert finetuned_model(SMALL, "squad", data_dir=data_dir) == first
    assert os.stat(weights).st_mtime_ns == stamp  # not trained again
    folder = Path(first)
    settings = json.loads((folder / "settings.json").read_text())
    assert settings["train_examples"] == 24 and settings["profile"] == "quick"
    assert "eval_f1" in json.loads((folder / "eval_results.json").read_text())
    split = json.loads((folder / "data_split.json").read_text())
    assert split["source"] == "squad" and split["train_titles"] and split["eval_titles"]
    assert not set(split["train_titles"]) & set(split["eval_titles"])  # held-out articles never seen
    assert "data_split.json" in (folder / "README.md").read_text()
    model, _, report = load_qa_model(first)
    assert model.config.hidden_size == 32 and not report.missing_keys
    other = finetuned_model(SMALL, "squad", data_dir=data_dir, seed=7)
    assert other != first  # another seed is another cache entry
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".training-")] == []  # work folders removed


_KILLED_AFTER_FIRST_CHECKPOINT = """
import dataclasses, json, os, sys
import transformers
from qa_tutorial.book.finetuned import finetuned_model
from qa_tutorial.book.profiles import QUICK

save = transformers.Trainer._save_checkpoint
def save_then_die(self, *args, **kwargs):  # as if the machine went down right after the first checkpoint
    save(self, *args, **kwargs)
    os._exit(9)
transformers.Trainer._save_checkpoint = save_then_die
finetuned_model(dataclasses.replace(QUICK, **json.loads(sys.argv[1])), "squad", data_dir=sys.argv[2])
"""


@pytest.mark.slow
def test_a_killed_fine_tune_resumes_from_its_last_checkpoint(tmp_path, monkeypatch, data_dir):
    import subprocess
    import sys

    from qa_tutorial import training

    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    fields = {f.name: getattr(SMALL, f.name) for f in dataclasses.fields(SMALL) if f.name != "name"}
    small = dict(fields, eval_steps=2)  # a checkpoint every 2 steps
    killed = subprocess.run([sys.executable, "-c", _KILLED_AFTER_FIRST_CHECKPOINT, json.dumps(small), str(data_dir)],
                            capture_output=True, text=True, check=False,
                            env={**os.environ, CACHE_ENV: str(tmp_path)})
    assert killed.returncode == 9, killed.stderr[-2000:]
    work = [p for p in tmp_path.iterdir() if p.name.startswith(".training-")]
    assert len(work) == 1 and not [p for p in tmp_path.iterdir() if p.name.startswith("finetuned-")]
    assert [p.name for p in (work[0] / "checkpoints").iterdir()] == ["checkpoint-2"]
    calls = []
    real = training.train_qa

    def spy(*args, **kwargs):
        calls.append(kwargs["resume_from_checkpoint"])
        return real(*args, **kwargs)

    monkeypatch.setattr(training, "train_qa", spy)
    folder = Path(finetuned_model(dataclasses.replace(SMALL, eval_steps=2), "squad", data_dir=data_dir))
    assert calls == [True]  # it resumed rather than starting again
    assert folder.parent == tmp_path and folder.name.endswith(work[0].name.rsplit("-", 1)[1])  # the same key
    history = pd.read_csv(folder / "history.csv")
    evaluated = history.dropna(subset=["eval_f1"])["step"].tolist()
    assert evaluated[0] == 2 and evaluated[-1] > 2  # the evaluation before the kill is kept, training went on
    assert not work[0].exists()  # the work folder goes once the model is in place


@pytest.mark.slow
def test_the_v2_model_continues_from_the_v1_model_on_the_same_held_out_articles(tmp_path, monkeypatch, data_dir):
    from qa_tutorial.pretrained import MINILM

    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    small = dataclasses.replace(QUICK, english_checkpoint=MINILM.hub_id, train_examples=16, eval_examples=8,
                                max_length=96, doc_stride=32, num_train_epochs=1, per_device_train_batch_size=8,
                                learning_rate=1e-4, sample_seed=0)
    v2 = Path(finetuned_model(small, "squad_v2", data_dir=data_dir))
    v1 = Path(finetuned_model(small, "squad", data_dir=data_dir))  # trained first, as v2's starting point
    settings = json.loads((v2 / "settings.json").read_text())
    assert settings["start"] == v1.name and settings["train_examples"] == 8  # half the budget
    assert settings["base"].startswith(f"{MINILM.hub_id}@sha256:")
    v1_split, v2_split = (json.loads((p / "data_split.json").read_text()) for p in (v1, v2))
    assert v2_split["source"] == "squad_v2"
    assert not set(v2_split["eval_titles"]) & set(v1_split["train_titles"])  # v1 never saw v2's test articles
    assert "Fine-tuned further from the quick squad model" in (v2 / "README.md").read_text()
    assert "eval_best_f1" in json.loads((v2 / "eval_results.json").read_text())


# --- the quick profile's real models: thresholds on held-out articles (trained once per machine, then cached) ----

@pytest.fixture(scope="module")
def quick_v1(data_dir):
    return Path(finetuned_model(QUICK, "squad", data_dir=data_dir))


def _held_out_scores(folder, dataset, data_dir, version_2=False):
    """EM/F1 recomputed from the saved model on its held-out split, independently of the Trainer's evaluation."""
    from qa_tutorial.book.profiles import load_profile_splits
    from qa_tutorial.inference import evaluate_qa

    model, tokenizer, _ = load_qa_model(str(folder), allow_new_head=False)
    held_out = load_profile_splits(QUICK, dataset, data_dir=data_dir)["validation"]
    scores, decoded = evaluate_qa(model, tokenizer, held_out, version_2_with_negative=version_2, progress=False,
                                  max_length=QUICK.max_length, doc_stride=QUICK.doc_stride)
    return held_out, scores, decoded


@pytest.mark.slow
def test_the_quick_squad_model_answers_held_out_questions(quick_v1, data_dir):
    split = json.loads((quick_v1 / "data_split.json").read_text())
    held_out, scores, _ = _held_out_scores(quick_v1, "squad", data_dir)
    assert set(held_out["title"]) <= set(split["eval_titles"]) and not set(split["eval_titles"]) & set(
        split["train_titles"])
    assert len(held_out) == QUICK.eval_examples and len(split["train_titles"]) >= 30  # sampled across articles
    assert scores["f1"] >= 45, scores  # on 300 questions of articles it never saw (about +-2.5 F1)
    saved = json.loads((quick_v1 / "eval_results.json").read_text())
    assert saved["eval_f1"] == pytest.approx(scores["f1"], abs=0.01)  # the Trainer scored the same windows
    history = pd.read_csv(quick_v1 / "history.csv").dropna(subset=["eval_f1"])
    assert len(history) >= 3 and history["eval_f1"].iloc[-1] > history["eval_f1"].iloc[0] + 20  # it learnt


@pytest.mark.slow
def test_pretraining_is_what_makes_it_answer(quick_v1, data_dir):
    from qa_tutorial.book.finetuned import from_scratch

    scratch = Path(finetuned_model(from_scratch(QUICK), "squad", data_dir=data_dir))
    same = ("train_examples", "eval_examples", "data", "max_steps", "epochs", "batch_size", "max_length")
    settings = [json.loads((p / "settings.json").read_text()) for p in (quick_v1, scratch)]
    assert all(settings[0][k] == settings[1][k] for k in same)  # the same data and budget
    f1 = [json.loads((p / "eval_results.json").read_text())["eval_f1"] for p in (quick_v1, scratch)]
    assert f1[0] > f1[1] + 25, f1


@pytest.fixture(scope="module")
def quick_v2(quick_v1, data_dir):
    v2 = Path(finetuned_model(QUICK, "squad_v2", data_dir=data_dir))
    held_out, scores, decoded = _held_out_scores(v2, "squad_v2", data_dir, version_2=True)
    return v2, held_out, scores, decoded


@pytest.mark.slow
def test_the_quick_squad_v2_model_continues_from_v1_and_is_scored_alike(quick_v1, quick_v2):
    v2, held_out, scores, _ = quick_v2
    assert json.loads((v2 / "settings.json").read_text())["start"] == quick_v1.name  # continued from v1
    unanswerable = sum(not a["text"] for a in held_out["answers"])
    assert 0.3 < unanswerable / len(held_out) < 0.7
    saved = json.loads((v2 / "eval_results.json").read_text())
    assert saved["eval_f1"] == pytest.approx(scores["f1"], abs=0.01)  # the Trainer scored the same windows
    assert scores["NoAns_f1"] >= 60, scores  # it has learnt that many questions have no answer


@pytest.mark.slow
@pytest.mark.xfail(strict=True, reason="issue 11, not yet met: the quick v2 model abstains on most answerable questions "
                                       "too (HasAns F1 about 15, best_f1 about 1 point above answering nothing); twice "
                                       "the steps at the same rate gained about 1 point by mid-run, the full rate "
                                       "collapsed to abstaining always (finetuned.FOLLOW_UPS); strict, so meeting it "
                                       "fails this marker")
def test_the_quick_squad_v2_model_both_answers_and_abstains(quick_v2):
    from qa_tutorial.book.analysis import best_span_texts, best_threshold, threshold_curve

    _, held_out, scores, decoded = quick_v2
    unanswerable = sum(not a["text"] for a in held_out["answers"])
    abstain_all = 100 * unanswerable / len(held_out)  # the score of answering "" to every question
    assert scores["best_f1"] >= abstain_all + 10, (scores, abstain_all)
    assert scores["HasAns_f1"] >= 25 and scores["NoAns_f1"] >= 25, scores  # both skills, not one of them
    references = [{"id": i, "answers": a} for i, a in zip(held_out["id"], held_out["answers"])]
    curve = threshold_curve(best_span_texts(decoded.nbest), references, decoded.null_odds)
    threshold, best = best_threshold(curve)
    ends = max(curve["f1"].iloc[0], curve["f1"].iloc[-1])
    assert best >= ends + 2 and curve["threshold"].iloc[0] < threshold < curve["threshold"].iloc[-1]  # a peak


# --- Portuguese and long documents: later quick models start from the English one -----------------------------------

def _faquad_f1(folder, data_dir, n=300):
    """F1 on the first ``n`` FaQuAD train questions (native Portuguese; no quick model trains on FaQuAD)."""
    from qa_tutorial.data import first_n, load_squad
    from qa_tutorial.inference import evaluate_qa

    model, tokenizer, _ = load_qa_model(str(folder), allow_new_head=False)
    rows = first_n(load_squad("faquad", "train", data_dir=data_dir), n)
    scores, _ = evaluate_qa(model, tokenizer, rows, max_answer_length=120, progress=False,
                            max_length=QUICK.max_length, doc_stride=QUICK.doc_stride)
    return scores["f1"]


@pytest.mark.slow
def test_the_portuguese_quick_model_continues_from_english_on_answerable_questions(quick_v1, data_dir):
    from qa_tutorial.book.finetuned import from_scratch, training_profile, training_splits

    portuguese = Path(finetuned_model(QUICK, "squad_pt", data_dir=data_dir))
    settings = json.loads((portuguese / "settings.json").read_text())
    assert settings["start"] == quick_v1.name and settings["learning_rate"] == QUICK.learning_rate
    splits = training_splits(training_profile(QUICK, "squad_pt"), "squad_pt", data_dir=data_dir)
    assert settings["train_examples"] == len(splits["train"])  # every answerable question of the training articles
    assert all(a["text"] for a in splits["train"]["answers"]) and all(a["text"] for a in splits["validation"]["answers"])
    split = json.loads((portuguese / "data_split.json").read_text())
    assert split["source"] == "squad_pt" and not set(split["train_titles"]) & set(split["eval_titles"])
    scratch = Path(finetuned_model(from_scratch(QUICK), "squad_pt", data_dir=data_dir))
    scratch_settings = json.loads((scratch / "settings.json").read_text())
    assert scratch_settings["data"] == settings["data"] and "start" not in scratch_settings  # same questions
    f1 = {name: _faquad_f1(folder, data_dir) for name, folder in
          (("portuguese", portuguese), ("english", quick_v1), ("scratch", scratch))}
    # measured (chapter 8): 35.6, the English model alone 33.5, the tiny model from scratch 12.7
    assert f1["portuguese"] >= 30 and f1["portuguese"] > f1["scratch"] + 15, f1  # pretraining is what matters
    assert f1["portuguese"] > f1["english"] + 1, f1  # and the Portuguese questions add a little


def test_the_quick_profile_trains_no_long_document_model():
    with pytest.raises(ValueError, match="longformer_from_bert"):
        finetuned_model(QUICK, "covid_qa")


@pytest.mark.slow
def test_the_english_model_made_into_a_longformer_still_answers_held_out_questions(quick_v1, data_dir):
    """Chapter 9's quick long reader: the SQuAD model as a Longformer (positions past 512 copied, 256-token attention
    windows, global attention on the question). The conversion must keep what the model learnt: on held-out SQuAD
    paragraphs it answers about as well as the BERT it came from. (Which of the two reads COVID-QA's long articles
    better changes from one training run to the next: 17.8 against 1.2 F1 on 8 questions, then 6.6 against 13.7, so
    chapter 9 shows it and this test does not assert it.)"""
    from qa_tutorial.book.finetuned import LONGFORMER_SETTINGS
    from qa_tutorial.book.profiles import load_profile_splits
    from qa_tutorial.data import first_n
    from qa_tutorial.inference import evaluate_qa
    from qa_tutorial.models import longformer_from_bert

    held_out = first_n(load_profile_splits(QUICK, "squad", data_dir=data_dir)["validation"], 100)
    bert, tokenizer, _ = load_qa_model(str(quick_v1), allow_new_head=False)
    long, long_tokenizer = longformer_from_bert(bert, tokenizer, **LONGFORMER_SETTINGS)
    assert long.config.max_position_embeddings == LONGFORMER_SETTINGS["max_length"] + 1
    f1 = {}
    for name, model, tok in (("bert", bert, tokenizer), ("long", long, long_tokenizer)):
        scores, _ = evaluate_qa(model, tok, held_out, max_length=384, doc_stride=128, batch_size=8, progress=False)
        f1[name] = scores["f1"]
    assert f1["long"] >= 40 and abs(f1["long"] - f1["bert"]) <= 10, f1  # measured: 52.6 against 47.8


@pytest.mark.slow
def test_the_profiles_device_reaches_the_trainer(tmp_path, monkeypatch, data_dir):
    """Profile.device is what train_qa trains on (it used to be printed only, and the trainer chose on its own)."""
    from qa_tutorial import training

    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    seen = []
    real = training.train_qa

    def spy(*args, **kwargs):
        seen.append(kwargs["device"])
        return real(*args, **kwargs)

    monkeypatch.setattr(training, "train_qa", spy)
    finetuned_model(dataclasses.replace(SMALL, device="cpu"), "squad", data_dir=data_dir, seed=11)
    assert seen == ["cpu"]
    import torch

    if not torch.cuda.is_available():  # asked for and missing: an error, not a silent fall back to the CPU
        with pytest.raises(RuntimeError, match="no CUDA device"):
            finetuned_model(dataclasses.replace(SMALL, device="cuda"), "squad", data_dir=data_dir, seed=12)
