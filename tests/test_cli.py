"""Tests for the qa-tutorial command: subcommands end to end offline, files written, exit codes."""

from __future__ import annotations

import gzip
import json
import os
import stat
import subprocess
import sys

import numpy as np
import pytest

from qa_tutorial import cli
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


@pytest.mark.slow
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


# ---------------------------------------------------------------------------------------------------------------
# SQuAD v2.0: the files `predict` writes, and `evaluate` on them, agree with evaluate_qa on the same model


V2_SETTINGS = {"max_length": 128, "doc_stride": 32, "max_answer_length": 8, "n_best_size": 10, "batch_size": 7}
V2_FLAGS = ["--max-length", "128", "--doc-stride", "32", "--max-answer-length", "8", "--n-best-size", "10",
            "--batch-size", "7"]


@pytest.fixture(scope="module")
def v2_slice(data_dir):
    from qa_tutorial.data import first_n, load_squad

    examples = first_n(load_squad("squad_v2", data_dir=data_dir), 40)
    assert 0 < sum(not a["text"] for a in examples["answers"]) < 40  # answerable and unanswerable questions
    return examples


@pytest.mark.realdata
@pytest.mark.slow
@pytest.mark.parametrize("source", ["name", "file"])
def test_squad_v2_predict_and_evaluate_match_evaluate_qa(tiny_folder, data_dir, v2_slice, tmp_path, capsys, source):
    from qa_tutorial.checkpoints import load_qa_model
    from qa_tutorial.data import write_squad_json
    from qa_tutorial.inference import evaluate_qa

    if source == "name":
        data = ["--dataset", "squad_v2", "--data-dir", str(data_dir), "--max-examples", "40"]
    else:  # a file with unanswerable questions: v2.0 rules without --version-2
        data = ["--dataset", str(write_squad_json(v2_slice, tmp_path / "v2.json"))]
    model, tokenizer, _ = load_qa_model(str(tiny_folder), allow_new_head=False)
    settings = {"version_2_with_negative": True, "device": "auto", "progress": False, **V2_SETTINGS}
    # an untrained model is never sure enough to answer "" at threshold 0: the median null odds splits the slice
    threshold = float(np.median(list(evaluate_qa(model, tokenizer, v2_slice, **settings)[1].null_odds.values())))
    expected, decoded = evaluate_qa(model, tokenizer, v2_slice, null_score_diff_threshold=threshold, **settings)
    flags = [*V2_FLAGS, "--null-threshold", repr(threshold), *data]
    out = tmp_path / "out"
    assert main(["predict", "--model", str(tiny_folder), "--output-dir", str(out), *flags]) == 0
    assert json.loads(capsys.readouterr().out)["version_2"] is True
    predictions = json.loads((out / "predictions.json").read_text())
    assert predictions == decoded.predictions
    assert "" in predictions.values() and set(predictions.values()) != {""}  # some null answers, some spans
    finite = {k: 1e30 if v == float("inf") else v for k, v in decoded.null_odds.items()}  # JSON has no inf
    assert json.loads((out / "null_odds.json").read_text()) == pytest.approx(finite, rel=1e-6, abs=1e-6)
    nbest = json.loads((out / "nbest_predictions.json").read_text())
    assert {k: [c["text"] for c in v] for k, v in nbest.items()} == {
        k: [c["text"] for c in v] for k, v in decoded.nbest.items()}

    assert main(["evaluate", "--model", str(tiny_folder), *flags]) == 0
    direct = json.loads(capsys.readouterr().out)
    assert direct == pytest.approx({"rules": "SQuAD v2.0", **expected})
    assert {"exact", "f1", "HasAns_f1", "NoAns_f1", "best_f1", "best_exact_thresh"} <= set(direct)
    assert main(["evaluate", "--predictions", str(out / "predictions.json"), "--na-probs",
                 str(out / "null_odds.json"), *data]) == 0
    assert json.loads(capsys.readouterr().out) == pytest.approx(direct)


@pytest.mark.realdata
def test_version_2_defaults_to_the_registry_for_a_known_name(tiny_folder, data_dir, v2_slice, tmp_path, capsys):
    """The first 5 questions of SQuAD v2.0 dev are all answerable: the name still means v2.0 rules, the same rows
    as a file do not, and --version-1 overrides the name."""
    from qa_tutorial.data import write_squad_json

    assert all(a["text"] for a in v2_slice.select(range(5))["answers"])
    common = ["--model", str(tiny_folder), "--max-length", "128", "--doc-stride", "32"]
    runs = {"name": ["--dataset", "squad_v2", "--data-dir", str(data_dir), "--max-examples", "5"],
            "file": ["--dataset", str(write_squad_json(v2_slice.select(range(5)), tmp_path / "five.json"))],
            "name, --version-1": ["--dataset", "squad_v2", "--data-dir", str(data_dir), "--max-examples", "5",
                                  "--version-1"]}
    found = {}
    for label, data in runs.items():
        out = tmp_path / label.replace(",", "").replace(" ", "_")
        assert main(["predict", *common, "--output-dir", str(out), *data]) == 0
        found[label] = (json.loads(capsys.readouterr().out)["version_2"], (out / "null_odds.json").exists())
    assert found == {"name": (True, True), "file": (False, False), "name, --version-1": (False, False)}


# ---------------------------------------------------------------------------------------------------------------
# Flags: one spelling per setting, the pipeline's as aliases, the same defaults for every command that cuts windows


ANSWER = ["answer", "Where is Normandy?", "--context", "Normandy is a region in France."]


@pytest.mark.parametrize("command", [["predict"], ["evaluate"], ANSWER, ["train"]])
def test_window_flag_aliases_parse_to_the_same_values(command):
    parse = build_parser().parse_args
    named = parse([*command, "--max-length", "200", "--doc-stride", "50"])
    alias = parse([*command, "--max-seq-len", "200", "--doc-stride", "50"])
    assert (named.max_length, named.doc_stride) == (alias.max_length, alias.doc_stride) == (200, 50)
    if command != ["train"]:
        assert parse([*command, "--max-answer-len", "7"]).max_answer_length == 7
        assert parse([*command, "--max-answer-length", "7"]).max_answer_length == 7


def test_answer_predict_and_evaluate_share_their_defaults():
    parse = build_parser().parse_args
    settings = {name: (args.max_length, args.doc_stride, args.max_answer_length, args.device)
                for name, args in (("answer", parse(ANSWER)), ("predict", parse(["predict"])),
                                   ("evaluate", parse(["evaluate"])))}
    assert settings == dict.fromkeys(("answer", "predict", "evaluate"), (384, 128, 30, None))
    train = parse(["train"])
    assert (train.max_length, train.doc_stride, train.device) == (None, None, None)  # the profile's
    assert parse(["train", "--device", "cuda:1"]).device == "cuda:1"


def test_tiny_model_output_aliases():
    parse = build_parser().parse_args
    assert parse(["tiny-model", "--output", "x/y"]).output_dir == parse(["tiny-model", "--output-dir", "x/y"]).output_dir
    assert parse(["tiny-model", "--output-dir", "x/y"]).output_dir == "x/y"


@pytest.mark.realdata
def test_tiny_model_writes_to_output_dir(data_dir, tmp_path, capsys):
    folder = tmp_path / "nested" / "tiny"
    assert main(["tiny-model", "--data-dir", str(data_dir), "--max-examples", "20", "--output-dir", str(folder),
                 "--hidden-size", "32", "--vocab-size", "500"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["model"] == str(folder) and printed["trained_on_contexts"] >= 1
    assert {"config.json", "model.safetensors", "tokenizer.json"} <= {p.name for p in folder.iterdir()}
    assert json.loads((folder / "config.json").read_text())["hidden_size"] == 32


# ---------------------------------------------------------------------------------------------------------------
# main: explained failures in one line (exit 1); bugs keep their traceback


def _command_raising(error_factory, seen):
    """A stand-in for cmd_answer that raises what ``error_factory`` raises, and records it in ``seen``."""
    def run(args):
        try:
            error_factory()
        except BaseException as err:
            seen.append(err)
            raise
        raise AssertionError("error_factory raised nothing")
    return run


def _raise(err):
    raise err


def _datasets_value_error():
    import datasets

    datasets.Dataset.from_dict({"a": [1]}).select_columns(["no_such_column"])  # ValueError inside `datasets`


@pytest.mark.parametrize("error_factory, error_type", [
    (lambda: _raise(TypeError("a bug")), TypeError),
    (lambda: _raise(ValueError("raised outside qa_tutorial")), ValueError),
    (_datasets_value_error, ValueError),
    (lambda: _raise(KeyError("missing")), KeyError),
], ids=["TypeError", "ValueError-here", "ValueError-in-datasets", "KeyError"])
def test_bugs_propagate_with_their_traceback(monkeypatch, capsys, error_factory, error_type):
    seen = []
    monkeypatch.setattr(cli, "cmd_answer", _command_raising(error_factory, seen))
    with pytest.raises(error_type) as raised:
        main(ANSWER)
    assert raised.value is seen[0]
    assert not cli.explained(seen[0])
    assert capsys.readouterr().err == ""  # no one-line report of a bug


def _qa_tutorial_value_error():
    from qa_tutorial.data import mirror_file

    mirror_file("no_such_dataset", "validation", data_dir="/nonexistent")


def _qa_tutorial_runtime_error():
    from qa_tutorial.devices import resolve_device

    resolve_device("cuda")  # torch.cuda.is_available is patched to False


@pytest.mark.parametrize("error_factory, needle", [
    (lambda: _raise(cli.CommandError("explained here")), "explained here"),
    (_qa_tutorial_value_error, "unknown dataset 'no_such_dataset'"),
    (_qa_tutorial_runtime_error, "torch sees no CUDA device"),
    (lambda: _raise(FileNotFoundError(2, "No such file or directory", "absent.json")), "absent.json"),
], ids=["CommandError", "ValueError-from-qa_tutorial", "RuntimeError-from-qa_tutorial", "OSError"])
def test_explained_failures_exit_1_in_one_line(monkeypatch, capsys, error_factory, needle):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    seen = []
    monkeypatch.setattr(cli, "cmd_answer", _command_raising(error_factory, seen))
    assert main(ANSWER) == 1
    captured = capsys.readouterr()
    assert captured.err == f"qa-tutorial answer: error: {seen[0]}\n" and needle in captured.err
    assert captured.out == ""
    with pytest.raises(type(seen[0])):  # --verbose keeps the traceback of explained failures too
        main(["--verbose", *ANSWER])


def test_interrupt_exits_130(monkeypatch, capsys):
    monkeypatch.setattr(cli, "cmd_answer", lambda args: _raise(KeyboardInterrupt()))
    assert main(ANSWER) == 130
    assert "interrupted" in capsys.readouterr().err


@pytest.mark.realdata
@pytest.mark.parametrize("command", ["train", "predict"])
def test_an_unknown_dataset_name_exits_1(data_dir, tmp_path, capsys, monkeypatch, command):
    monkeypatch.setenv("QA_TUTORIAL_PROFILE", "quick")
    argv = [command, "--dataset", "no_such_dataset", "--data-dir", str(data_dir), "--output-dir", str(tmp_path / "o")]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"qa-tutorial {command}: error: ") and err.count("\n") == 1
    assert "no_such_dataset" in err and "squad_v2" in err  # names the known datasets
    assert not (tmp_path / "o").exists()


@pytest.mark.realdata
@pytest.mark.slow
def test_quick_train_on_covid_qa_without_a_model_exits_1_before_training(data_dir, tmp_path, capsys, monkeypatch):
    import qa_tutorial.checkpoints
    import qa_tutorial.models
    import qa_tutorial.training

    def must_not_run(*args, **kwargs):
        raise AssertionError("no model is loaded, built or trained before the check")

    for module, name in ((qa_tutorial.training, "train_qa"), (qa_tutorial.models, "build_tiny_qa_model"),
                         (qa_tutorial.checkpoints, "load_qa_model")):
        monkeypatch.setattr(module, name, must_not_run)
    monkeypatch.setenv("QA_TUTORIAL_PROFILE", "quick")
    out = tmp_path / "covid"
    assert main(["train", "--dataset", "covid_qa", "--data-dir", str(data_dir), "--output-dir", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("qa-tutorial train: error: ") and err.count("\n") == 1
    assert "longformer_from_bert" in err and "--model" in err
    assert not out.exists()


class _Stop(Exception):
    """Raised by a stand-in train_qa once it has seen its arguments (not explained: main lets it through)."""


@pytest.mark.realdata
@pytest.mark.slow
def test_train_passes_its_flags_to_train_qa(tiny_folder, data_dir, tmp_path, monkeypatch):
    import qa_tutorial.training

    seen = {}

    def record(model, tokenizer, train, validation, **kwargs):
        seen.update(kwargs, n_train=len(train), n_validation=len(validation))
        raise _Stop

    monkeypatch.setattr(qa_tutorial.training, "train_qa", record)
    monkeypatch.setenv("QA_TUTORIAL_PROFILE", "quick")
    with pytest.raises(_Stop):
        main(["train", "--model", str(tiny_folder), "--data-dir", str(data_dir), "--output-dir", str(tmp_path / "m"),
              "--gradient-accumulation-steps", "4", "--batch-size", "8", "--device", "cpu", "--max-seq-len", "96",
              "--doc-stride", "24", "--max-steps", "3", "--learning-rate", "1e-4", "--seed", "7"])
    assert {k: seen[k] for k in ("gradient_accumulation_steps", "per_device_train_batch_size", "device", "max_length",
                                 "doc_stride", "max_steps", "learning_rate", "seed", "version_2_with_negative")} == {
        "gradient_accumulation_steps": 4, "per_device_train_batch_size": 8, "device": "cpu", "max_length": 96,
        "doc_stride": 24, "max_steps": 3, "learning_rate": 1e-4, "seed": 7, "version_2_with_negative": False}
    # given values are honoured, 0 included (a zero stride is valid), and --max-examples is not ignored
    seen.clear()
    with pytest.raises(_Stop):
        main(["train", "--model", str(tiny_folder), "--data-dir", str(data_dir), "--output-dir", str(tmp_path / "m"),
              "--max-length", "96", "--doc-stride", "0", "--max-examples", "7", "--max-eval-examples", "5"])
    assert (seen["doc_stride"], seen["n_train"], seen["n_validation"]) == (0, 7, 5)


@pytest.mark.realdata
def test_scoring_a_null_odds_file_applies_no_second_threshold(data_dir, tmp_path, capsys):
    """predict's null_odds.json are unbounded scores whose answers already applied --null-threshold: scoring the
    file must not treat odds above the official script's 1.0 as "no answer" (evaluate --model does not)."""
    from qa_tutorial.data import first_n, load_squad
    from qa_tutorial.metrics import references_from_examples, squad_v2

    rows = first_n(load_squad("squad_v2", data_dir=data_dir), 6)
    references = references_from_examples(rows)
    predictions = {r["id"]: (r["answers"]["text"][0] if r["answers"]["text"] else "") for r in references}
    odds = dict.fromkeys(predictions, 1.5)  # confident spans that a threshold of 1.0 would throw away
    (tmp_path / "p.json").write_text(json.dumps(predictions))
    (tmp_path / "o.json").write_text(json.dumps(odds))
    args = ["evaluate", "--dataset", "squad_v2", "--data-dir", str(data_dir), "--max-examples", "6",
            "--predictions", str(tmp_path / "p.json"), "--na-probs", str(tmp_path / "o.json")]
    assert main(args) == 0
    scored = json.loads(capsys.readouterr().out)
    assert scored["exact"] == 100.0  # every prediction is the gold answer
    assert scored == {"rules": "SQuAD v2.0",
                      **squad_v2(predictions, references, na_probs=odds, na_prob_thresh=float("inf"))}
    assert main([*args, "--na-prob-thresh", "1.0"]) == 0  # the official script's rule, when asked for
    official = json.loads(capsys.readouterr().out)
    assert official == {"rules": "SQuAD v2.0", **squad_v2(predictions, references, na_probs=odds)}
    assert official["exact"] < 100.0


def test_train_flags_have_train_qas_names():
    parse = build_parser().parse_args
    long = parse(["train", "--num-train-epochs", "2", "--per-device-train-batch-size", "8"])
    short = parse(["train", "--epochs", "2", "--batch-size", "8"])
    assert (long.epochs, long.batch_size) == (short.epochs, short.batch_size) == (2.0, 8)



# --- bad input, through the command as a user runs it (subprocess) ----------------------------------------------------

def _run(*args, cwd=None):
    """Run ``qa-tutorial ARGS`` in a fresh process; (exit code, stdout, stderr)."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    done = subprocess.run([sys.executable, "-m", "qa_tutorial.cli", *map(str, args)], capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=300, check=False)
    return done.returncode, done.stdout, done.stderr


@pytest.mark.parametrize("argv, needle", [
    (["train", "--batch-size", "0"], "--per-device-train-batch-size/--batch-size: must be >= 1, got 0"),
    (["train", "--gradient-accumulation-steps", "0"], "--gradient-accumulation-steps: must be >= 1, got 0"),
    (["train", "--learning-rate", "0"], "--learning-rate: must be > 0, got 0"),
    (["train", "--epochs", "0"], "--num-train-epochs/--epochs: must be > 0, got 0"),
    (["train", "--max-steps", "0"], "--max-steps: must be -1"),
    (["train", "--split", "train"], "unrecognized arguments: --split train"),
    (["train", "--doc-stride", "-1"], "--doc-stride: must be >= 0, got -1"),
    (["predict", "--max-examples", "0"], "--max-examples: must be >= 1, got 0"),
    (["predict", "--max-length", "0"], "--max-length/--max-seq-len: must be >= 1, got 0"),
    (["predict", "--batch-size", "0"], "--batch-size: must be >= 1, got 0"),
    (["predict", "--n-best-size", "-3"], "--n-best-size: must be >= 1, got -3"),
    (["evaluate", "--null-threshold", "nan"], "--null-threshold: must be a number, got nan"),
    (["evaluate", "--na-prob-thresh", "abc"], "--na-prob-thresh: invalid float value: 'abc'"),
    (["answer", "Who?", "--context", "Bob.", "--max-seq-len", "-10"], "--max-length/--max-seq-len: must be >= 1"),
    (["answer", "Who?", "--context", "Bob.", "--top-k", "2.5"], "--top-k: '2.5' is not a whole number"),
    (["tiny-model", "--vocab-size", "0"], "--vocab-size: must be >= 1, got 0"),
])
def test_bad_values_exit_2_naming_the_flag_before_any_work(argv, needle):
    code, out, err = _run(*argv)
    assert code == 2 and needle in err and "Traceback" not in err and out == ""


@pytest.mark.realdata
@pytest.mark.slow
def test_window_settings_are_checked_against_the_model_before_any_work(tiny_folder, data_dir, tmp_path):
    common = ["--model", tiny_folder, "--data-dir", data_dir, "--max-examples", "3"]
    code, _, err = _run("predict", *common, "--max-length", "1024", "--output-dir", tmp_path / "a")
    assert code == 2 and "--max-length=1024 is longer than the 512 positions of model" in err
    assert "Traceback" not in err
    code, _, err = _run("evaluate", *common, "--max-length", "100")  # the default stride of 128 does not fit
    assert code == 2 and "--doc-stride 128 leaves no room" in err and "--max-length 100" in err
    code, _, err = _run("predict", *common, "--max-length", "3", "--doc-stride", "0", "--output-dir", tmp_path / "b")
    assert code == 2 and "--max-length 3 is too short" in err
    (tmp_path / "file").write_text("")
    code, _, err = _run("predict", *common, "--output-dir", tmp_path / "file")
    assert code == 2 and "--output-dir" in err and "a file is in the way" in err


@pytest.mark.realdata
@pytest.mark.slow
def test_a_model_folder_without_its_tokenizer_exits_1(tiny_folder, tmp_path):
    bare = tmp_path / "bare"
    bare.mkdir()
    for name in ("config.json", "model.safetensors"):
        (bare / name).write_bytes((tiny_folder / name).read_bytes())
    code, out, err = _run("answer", "Who?", "--context", "Bob went home.", "--model", bare)
    assert code == 1 and "has no tokenizer files" in err and out == ""


@pytest.mark.realdata
@pytest.mark.slow
def test_nan_weights_exit_1_naming_the_model_and_print_no_nan(tiny_folder, tmp_path):
    from safetensors.torch import load_file, save_file

    broken = tmp_path / "broken"
    broken.mkdir()
    for path in tiny_folder.iterdir():
        if path.is_file():
            (broken / path.name).write_bytes(path.read_bytes())
    weights = load_file(broken / "model.safetensors")
    weights["qa_outputs.weight"].fill_(float("nan"))
    save_file(weights, broken / "model.safetensors", metadata={"format": "pt"})
    code, out, err = _run("answer", "Who?", "--context", "Bob went home.", "--model", broken)
    assert code == 1 and f"model {str(broken)!r} gives NaN or infinite logits" in err and "NaN" not in out


@pytest.mark.realdata
def test_an_empty_data_file_exits_1(tiny_folder, tmp_path, capsys):
    for payload in ("[]", '{"data": []}'):
        (tmp_path / "empty.json").write_text(payload)
        assert main(["predict", "--dataset", str(tmp_path / "empty.json"), "--model", str(tiny_folder),
                     "--output-dir", str(tmp_path / "out")]) == 1
        assert "empty.json: no examples" in capsys.readouterr().err


@pytest.mark.realdata
def test_answer_offsets_index_a_crlf_file(tiny_folder, tmp_path, capsys):
    path = tmp_path / "crlf.txt"
    path.write_bytes(b"First line.\r\nThe Normans gave their name to Normandy.\r\nIt is in France.\r\n")
    assert main(["answer", "Where is Normandy?", "--context-file", str(path), "--model", str(tiny_folder),
                 "--top-k", "5"]) == 0
    text = path.read_bytes().decode("utf-8")
    answers = json.loads(capsys.readouterr().out)
    assert answers and all(text[a["start"]:a["end"]] == a["answer"] for a in answers)
    assert any(a["start"] > text.index("\r\n") for a in answers)  # past a CRLF: a shifted offset would show


def _squad_file(path, context, questions):
    qas = [{"id": f"q{i}", "question": q, "answers": [{"text": a, "answer_start": context.index(a)}] if a else [],
            **({"is_impossible": True} if not a else {})} for i, (q, a) in enumerate(questions)]
    path.write_text(json.dumps({"version": "2.0", "data": [{"title": "T", "paragraphs": [{"context": context,
                                                                                         "qas": qas}]}]}))
    return path


@pytest.mark.realdata
def test_predict_offsets_index_the_files_own_context(tiny_folder, tmp_path, capsys):
    import html

    raw = "  Tom &amp; Jerry &quot;live&quot; in Normandy &amp; Paris, in France.  "
    data = _squad_file(tmp_path / "d.json", raw, [("Where do they live?", "Paris"), ("Who?", "Tom &amp; Jerry")])
    assert main(["predict", "--dataset", str(data), "--model", str(tiny_folder), "--output-dir", str(tmp_path / "o"),
                 "--version-1"]) == 0
    nbest = json.loads((tmp_path / "o" / "nbest_predictions.json").read_text())
    entries = [entry for entries in nbest.values() for entry in entries]
    assert len(entries) > 5 and any("&" in entry["text"] or "\"" in entry["text"] for entry in entries)
    for entry in entries:
        start, end = entry["offsets"]
        assert html.unescape(raw[start:end]) == entry["text"]


@pytest.mark.realdata
def test_predict_writes_one_set_with_no_stale_files_and_the_users_mode(tiny_folder, data_dir, tmp_path, capsys):
    out = tmp_path / "out"
    common = ["--model", str(tiny_folder), "--data-dir", str(data_dir), "--max-examples", "4", "--output-dir", str(out)]
    assert main(["predict", "--dataset", "squad_v2", *common]) == 0
    assert (out / "null_odds.json").exists()
    (out / "predictions.json").chmod(0o640)
    (out / ".nbest_predictions.json.k1ll3d.tmp").write_text("{")  # what a SIGKILL mid-write leaves
    assert main(["predict", "--dataset", "squad", *common]) == 0
    printed = json.loads(capsys.readouterr().out.split("\n}\n")[-2] + "\n}")
    assert printed["rules"] == "SQuAD v1.1"
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "nbest_predictions.json", "predictions.json"]
    assert stat.S_IMODE((out / "predictions.json").stat().st_mode) == 0o640
    manifest = json.loads((out / "manifest.json").read_text())
    assert set(manifest["files"]) == {"predictions.json", "nbest_predictions.json"}


@pytest.mark.realdata
def test_evaluate_says_which_rules_it_used(tiny_folder, data_dir, capsys):
    for dataset, rules in (("squad", "SQuAD v1.1"), ("squad_v2", "SQuAD v2.0")):
        assert main(["evaluate", "--dataset", dataset, "--model", str(tiny_folder), "--data-dir", str(data_dir),
                     "--max-examples", "3"]) == 0
        assert json.loads(capsys.readouterr().out)["rules"] == rules


@pytest.mark.realdata
def test_train_accepts_a_squad_file_and_carves_it_by_article(tiny_folder, data_dir, tmp_path, monkeypatch, capsys):
    """--help says a SQuAD-format file works as --dataset: it did not (the profile's splits know only names)."""
    import qa_tutorial.training
    from qa_tutorial.data import mirror_file, read_squad_json

    document = json.loads(gzip.open(mirror_file("squad", "validation", data_dir=data_dir), "rt").read())
    articles = [{"title": a["title"], "paragraphs": a["paragraphs"][:2]} for a in document["data"][:5]]
    own = tmp_path / "my-squad.json"
    own.write_text(json.dumps({"version": "1.1", "data": articles}))
    seen = {}

    def record(model, tokenizer, train, validation, **kwargs):
        seen.update(train=set(train["title"]), validation=set(validation["title"]),
                    n=len(train) + len(validation), max_length=kwargs["max_length"])
        raise _Stop

    monkeypatch.setattr(qa_tutorial.training, "train_qa", record)
    monkeypatch.setenv("QA_TUTORIAL_PROFILE", "quick")
    with pytest.raises(_Stop):
        main(["train", "--dataset", str(own), "--model", str(tiny_folder), "--output-dir", str(tmp_path / "m"),
              "--max-length", "96", "--doc-stride", "24"])
    assert seen["n"] == len(read_squad_json(own)["id"])  # every question, on one side or the other
    assert seen["train"] and seen["validation"] and not seen["train"] & seen["validation"]
    one_article = tmp_path / "one.json"
    one_article.write_text(json.dumps({"version": "1.1", "data": articles[:1]}))
    capsys.readouterr()
    assert main(["train", "--dataset", str(one_article), "--model", str(tiny_folder),
                 "--output-dir", str(tmp_path / "m")]) == 1
    assert "1 article title(s), needs 2" in capsys.readouterr().err


@pytest.mark.realdata
@pytest.mark.parametrize(("dataset", "published"), [("squad", "distilbert/distilbert-base-cased-distilled-squad"),
                                                    ("squad_v2", "deepset/roberta-base-squad2")])
def test_full_profile_scores_the_published_model_without_model(data_dir, tmp_path, capsys, monkeypatch, dataset,
                                                              published):
    """Without --model and without a trained runs/quick-model, the full profile uses its published checkpoint
    (offline here, so the load fails, naming it) instead of looking for the quick profile's folder."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("QA_TUTORIAL_PROFILE", "full")
    code = main(["evaluate", "--dataset", dataset, "--data-dir", str(data_dir), "--max-examples", "2"])
    error = capsys.readouterr().err
    assert code == 1 and published in error and "quick-model" not in error
    monkeypatch.setenv("QA_TUTORIAL_PROFILE", "quick")
    assert main(["evaluate", "--dataset", dataset, "--data-dir", str(data_dir), "--max-examples", "2"]) == 1
    assert "runs/quick-model" in capsys.readouterr().err


@pytest.mark.realdata
def test_full_profile_without_a_published_model_asks_for_one_instead_of_training(data_dir, tmp_path, capsys,
                                                                                 monkeypatch):
    """No published Portuguese SQuAD v2.0 model exists: evaluate says how to make one rather than fine-tuning (an
    hour on a GPU) by itself, or scoring a v1.1 model that never learnt to abstain."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("QA_TUTORIAL_PROFILE", "full")
    code = main(["evaluate", "--dataset", "squad_v2_pt", "--data-dir", str(data_dir), "--max-examples", "2"])
    error = capsys.readouterr().err
    assert code == 1 and "no published model follows squad_v2_pt's rules" in error
    assert "qa-tutorial train --dataset squad_v2_pt" in error and "pierreguillou" not in error
    assert not list(tmp_path.iterdir())  # nothing trained, nothing written
