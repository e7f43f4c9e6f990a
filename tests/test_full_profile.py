"""The full profile (what Colab readers run) end to end, offline, through a seeded Hugging Face cache.

No data mirror: every dataset and checkpoint comes from the Hub cache under ``HF_HOME`` that
`full_profile_hub.seed_full_profile` writes (real rows, stand-in models of the real classes and file kinds), as a
reader's cache holds them after the downloads. Real `datasets.load_dataset` and ``from_pretrained``, no mocks.
``QA_TUTORIAL_MAX_EXAMPLES`` keeps training and scoring to a few hundred questions (the ``full_hub`` fixture of
conftest.py, shared with tests/test_full_profile_chapters.py). Each case runs in a fresh process,
since huggingface_hub reads ``HF_HOME`` when it is imported.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from full_profile_hub import FULL_MAX_EXAMPLES

from qa_tutorial.book.finetuned import FINETUNED, FINETUNED_V2, PUBLISHED_START, published_model
from qa_tutorial.book.profiles import FULL
from qa_tutorial.data import DATASETS, PARQUET_BRANCH

pytestmark = [pytest.mark.realdata, pytest.mark.slow]


def _python(code: str, env: dict, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=600, check=False)


def _cli(args: list[str], env: dict, cwd: Path) -> dict:
    result = subprocess.run([sys.executable, "-m", "qa_tutorial.cli", *args], env=env, cwd=cwd, capture_output=True,
                            text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout[result.stdout.rindex("{\n"):])  # the summary comes last, after Trainer logs


def test_every_registered_dataset_loads_from_the_hub_cache(full_hub):
    env, seeded = full_hub
    code = ("import json\nfrom qa_tutorial.data import DATASETS, load_squad\n"
            "print(json.dumps({name: {split: load_squad(name, split, clean=False).to_dict() "
            "for split in known.hub_splits} for name, known in DATASETS.items()}))")
    result = _python(code, env)
    assert result.returncode == 0, result.stderr[-3000:]
    assert json.loads(result.stdout.splitlines()[-1]) == seeded
    assert {name for name, known in DATASETS.items() if known.hub_revision == PARQUET_BRANCH} == {
        "squad_pt", "squad_v2_pt", "faquad"}


def test_a_script_only_main_branch_fails_with_what_datasets_said(full_hub, tmp_path):
    """What the Portuguese repos' main branches hold: a loading script, which datasets >= 4 refuses. The error
    names that, not the network."""
    from hub_cache import seed_repo

    env, _ = full_hub
    home = tmp_path / "home"
    seed_repo(home, "someone/scripted_squad", {"scripted_squad.py": b"import datasets\n"})
    code = "from qa_tutorial.data import load_from_hub\nload_from_hub('someone/scripted_squad', 'train')"
    result = _python(code, {**env, "HF_HOME": str(home)})
    assert result.returncode != 0
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("RuntimeError: the local Hub cache holds 'someone/scripted_squad' split 'train', but "
                           "datasets"), last
    assert "holds a loading script (scripted_squad.py), which datasets >= 4 no longer runs" in last
    assert "revision='refs/convert/parquet'" in last and "HF_HUB_OFFLINE" not in last


def test_full_profile_checkpoints_load_and_the_pickled_ones_are_converted_once(full_hub):
    from full_profile_hub import STAND_INS

    env, _ = full_hub
    named = {FULL.english_checkpoint, FULL.portuguese_checkpoint, FULL.long_checkpoint, *FINETUNED.values(),
             *FINETUNED_V2.values()}
    assert named == set(STAND_INS)  # the cache holds every checkpoint the full profile names, and only those
    code = ("import json\nfrom qa_tutorial.checkpoints import load_qa_model, safetensors_checkpoint\n"
            f"names = {sorted(named)!r}\nout = {{}}\n"
            "for name in names:\n"
            "    model, tokenizer, report = load_qa_model(name)\n"
            "    out[name] = [type(model).__name__, report.head_is_new, tokenizer.is_fast, "
            "safetensors_checkpoint(name) != name]\n"
            "print(json.dumps(out))")
    result = _python(code, env)
    assert result.returncode == 0, result.stderr[-3000:]
    loaded = json.loads(result.stdout.splitlines()[-1])
    for name, (architecture, model_class, pickled) in STAND_INS.items():
        qa_class = model_class.replace("ForMaskedLM", "ForQuestionAnswering").replace("ForPreTraining",
                                                                                         "ForQuestionAnswering")
        fine_tuned = model_class.endswith("ForQuestionAnswering")
        assert loaded[name] == [qa_class, not fine_tuned, True, pickled], name
    converted = list(Path(env["HF_HOME"], "hub").glob("models--*/qa_tutorial-safetensors/*/model.safetensors"))
    assert len(converted) == sum(pickled for *_, pickled in STAND_INS.values())
    again = _python(code, env)  # the second load reuses the converted folders
    assert again.returncode == 0 and sorted(converted) == sorted(
        Path(env["HF_HOME"], "hub").glob("models--*/qa_tutorial-safetensors/*/model.safetensors"))


def test_finetuned_model_in_the_full_profile(full_hub):
    """Published checkpoints where one follows the dataset's rules; the Portuguese v2.0 model is fine-tuned from the
    Portuguese v1.1 one, on (at most) FULL_MAX_EXAMPLES questions, and abstains on some held-out ones."""
    env, _ = full_hub
    code = ("import json\nfrom qa_tutorial.book.finetuned import finetuned_model\n"
            "from qa_tutorial.data import DATASETS\n"
            "print(json.dumps({name: finetuned_model(None, name) for name in DATASETS}))")
    result = _python(code, env)
    assert result.returncode == 0, result.stderr[-3000:]
    found = json.loads(result.stdout.splitlines()[-1])
    trained = Path(found.pop("squad_v2_pt"))
    assert found == {"squad": FINETUNED["english"], "squad_v2": FINETUNED_V2["english"],
                     "squad_pt": FINETUNED["portuguese"], "faquad": FINETUNED["portuguese"],
                     "covid_qa": FINETUNED["long"]}
    assert trained.parent == Path(env["QA_TUTORIAL_CACHE"]) and trained.name.startswith("finetuned-squad_v2_pt-")
    settings = json.loads((trained / "settings.json").read_text())
    assert settings["profile"] == "full" and settings["base"] == FULL.portuguese_checkpoint
    assert settings["start"] == Path(published_model(PUBLISHED_START["squad_v2_pt"])).name
    assert settings["train_examples"] == settings["eval_examples"] == int(FULL_MAX_EXAMPLES)
    results = json.loads((trained / "eval_results.json").read_text())
    assert {"eval_HasAns_f1", "eval_NoAns_f1", "eval_best_f1"} <= set(results)  # scored by the v2.0 rules


def test_the_four_commands_with_the_full_profile_defaults(full_hub, tmp_path):
    env, seeded = full_hub
    trained = _cli(["train", "--dataset", "squad", "--output-dir", "run", "--max-steps", "2"], env, tmp_path)
    assert trained["steps"] == 2 and trained["version_2"] is False
    card = json.loads((tmp_path / "run" / "config.json").read_text())
    assert card["architectures"] == ["DistilBertForQuestionAnswering"]  # distilbert-base-cased with a QA head
    (tmp_path / "run").rename(tmp_path / "trained")  # no runs/quick-model here: the defaults are the published ones
    for dataset, rules in (("squad", "SQuAD v1.1"), ("squad_v2", "SQuAD v2.0"), ("faquad", "SQuAD v1.1"),
                           ("covid_qa", "SQuAD v1.1")):
        split = "train" if dataset == "covid_qa" else "validation"
        scores = _cli(["evaluate", "--dataset", dataset, "--split", split, "--max-examples", "8"], env, tmp_path)
        assert scores["rules"] == rules and 0 <= scores["f1"] <= 100, (dataset, scores)
    predicted = _cli(["predict", "--dataset", "squad_v2", "--max-examples", "8", "--output-dir", "preds"], env,
                     tmp_path)
    predictions = json.loads((tmp_path / "preds" / "predictions.json").read_text())
    assert set(predictions) == set(seeded["squad_v2"]["validation"]["id"][:8]) and predicted["version_2"] is True
    context = seeded["squad"]["validation"]["context"][0]
    answered = _cli(["answer", seeded["squad"]["validation"]["question"][0], "--context", context], env, tmp_path)
    assert context[answered["start"]:answered["end"]] == answered["answer"] != ""
