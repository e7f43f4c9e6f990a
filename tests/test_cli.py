"""Tests for the qa-tutorial command: subcommands end to end offline, files written, exit codes."""

from __future__ import annotations

import json

import pytest

from qa_tutorial.cli import build_parser, main


@pytest.fixture(scope="module")
def tiny_folder(tmp_path_factory, data_dir):
    folder = tmp_path_factory.mktemp("cli") / "tiny"
    assert main(["tiny-model", "--data-dir", str(data_dir), "--max-examples", "200", "--output", str(folder),
                 "--hidden-size", "32"]) == 0
    return folder


@pytest.mark.realdata
def test_tiny_model_folder(tiny_folder):
    names = {p.name for p in tiny_folder.iterdir()}
    assert {"config.json", "model.safetensors", "tokenizer.json"} <= names


@pytest.mark.realdata
@pytest.mark.parametrize("dataset, version_2", [("squad", False), ("squad_v2", True)])
def test_predict_then_evaluate_the_files(tiny_folder, data_dir, tmp_path, capsys, dataset, version_2):
    common = ["--dataset", dataset, "--data-dir", str(data_dir), "--max-examples", "30"]
    assert main(["predict", "--model", str(tiny_folder), "--output-dir", str(tmp_path), "--max-length", "128",
                 "--doc-stride", "32", *common]) == 0
    predictions = json.loads((tmp_path / "predictions.json").read_text())
    nbest = json.loads((tmp_path / "nbest_predictions.json").read_text())
    assert len(predictions) == 30 and set(nbest) == set(predictions)
    assert (tmp_path / "null_odds.json").exists() == version_2
    capsys.readouterr()
    extra = ["--na-probs", str(tmp_path / "null_odds.json")] if version_2 else []
    assert main(["evaluate", "--predictions", str(tmp_path / "predictions.json"), "--output-dir", str(tmp_path),
                 *extra, *common]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == json.loads((tmp_path / "eval_results.json").read_text())
    assert ("exact" in printed) == version_2 and ("exact_match" in printed) != version_2


@pytest.mark.realdata
def test_evaluate_a_model_matches_its_predictions_file(tiny_folder, data_dir, tmp_path, capsys):
    common = ["--data-dir", str(data_dir), "--max-examples", "25", "--max-length", "128", "--doc-stride", "32"]
    assert main(["evaluate", "--model", str(tiny_folder), *common]) == 0
    direct = json.loads(capsys.readouterr().out)
    assert main(["predict", "--model", str(tiny_folder), "--output-dir", str(tmp_path), *common]) == 0
    capsys.readouterr()
    assert main(["evaluate", "--predictions", str(tmp_path / "predictions.json"), "--data-dir", str(data_dir),
                 "--max-examples", "25"]) == 0
    assert json.loads(capsys.readouterr().out) == pytest.approx(direct)


@pytest.mark.realdata
def test_train_quick_profile_writes_a_shareable_folder(data_dir, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("QA_TUTORIAL_PROFILE", "quick")
    out = tmp_path / "model"
    assert main(["train", "--data-dir", str(data_dir), "--output-dir", str(out), "--max-steps", "4",
                 "--max-length", "128", "--doc-stride", "32"]) == 0
    printed = capsys.readouterr().out
    result = json.loads(printed[printed.rindex("{\n"):])  # the command's summary comes last, after Trainer logs
    assert result["steps"] == 4 and result["version_2"] is False
    assert {"README.md", "model.safetensors", "history.csv", "eval_results.json"} <= {p.name for p in out.iterdir()}
    card = (out / "README.md").read_text()
    assert "model-index" in card and "Quick profile" in card
    assert "sentence-transformers/all-MiniLM-L6-v2" in card  # the packaged pretrained encoder, offline
    assert set(json.loads((out / "eval_results.json").read_text())) >= {"exact_match", "f1"}


def test_bad_arguments_exit_2(capsys):
    with pytest.raises(SystemExit) as raised:
        main(["predict", "--no-such-option"])
    assert raised.value.code == 2
    with pytest.raises(SystemExit) as raised:
        main([])
    assert raised.value.code == 2


def test_missing_model_exits_1_with_a_message(tmp_path, capsys, data_dir):
    code = main(["predict", "--model", str(tmp_path / "absent"), "--data-dir", str(data_dir), "--max-examples", "2"])
    assert code == 1
    assert "tiny-model" in capsys.readouterr().err


def test_a_missing_mirror_exits_1_naming_the_file_and_the_ways_out(tmp_path, capsys):
    (tmp_path / "squad-v1.1").mkdir()  # a mirror folder without the SQuAD v1.1 file
    assert main(["evaluate", "--data-dir", str(tmp_path), "--model", str(tmp_path / "model")]) == 1
    err = capsys.readouterr().err
    assert "no file squad-v1.1/dev.json.gz (squad, validation split)" in err
    assert "qa-tutorial data download --to" in err and "unset QA_TUTORIAL_DATA_DIR" in err
    assert "Traceback" not in err


def test_bad_predictions_file_exits_1(tmp_path, capsys, data_dir):
    bad = tmp_path / "predictions.json"
    bad.write_text("{not json")
    assert main(["evaluate", "--predictions", str(bad), "--data-dir", str(data_dir), "--max-examples", "3"]) == 1
    assert "not JSON" in capsys.readouterr().err


@pytest.mark.realdata
def test_answer_from_a_string_and_from_a_long_file(tiny_folder, tmp_path, capsys):
    context = "The Normans gave their name to Normandy, a region in France. " * 40  # several windows
    assert main(["answer", "Where is Normandy?", "--context", context, "--model", str(tiny_folder)]) == 0
    single = json.loads(capsys.readouterr().out)
    assert context[single["start"]:single["end"]] == single["answer"] and single["answer"]
    path = tmp_path / "article.txt"
    path.write_text(context, encoding="utf-8")
    assert main(["answer", "Where is Normandy?", "--context-file", str(path), "--model", str(tiny_folder),
                 "--top-k", "3"]) == 0
    answers = json.loads(capsys.readouterr().out)
    assert len(answers) == 3 and [a["score"] for a in answers] == sorted((a["score"] for a in answers), reverse=True)
    assert all(context[a["start"]:a["end"]] == a["answer"] for a in answers)
    assert main(["answer", "Where?", "--context-file", str(tmp_path / "absent.txt"),
                 "--model", str(tiny_folder)]) == 1
    assert main(["answer", "  ", "--context", "text", "--model", str(tiny_folder)]) == 1
    assert "question is empty" in capsys.readouterr().err


def test_help_for_every_subcommand(capsys):
    for command in ("tiny-model", "train", "predict", "evaluate", "answer"):
        with pytest.raises(SystemExit) as raised:
            main([command, "--help"])
        assert raised.value.code == 0
        assert f"usage: qa-tutorial {command}" in capsys.readouterr().out


def test_train_accepts_gradient_accumulation():
    args = build_parser().parse_args(["train", "--gradient-accumulation-steps", "4", "--batch-size", "8"])
    assert (args.gradient_accumulation_steps, args.batch_size) == (4, 8)
    assert build_parser().parse_args(["train"]).gradient_accumulation_steps == 1
