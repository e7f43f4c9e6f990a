"""The benchmark scripts run, on small slices, and their own checks pass (identical outputs, same losses).

Timings are not asserted here (they belong in the scripts' printed ratios, BENCHMARKS.md). What is asserted is
what would be false if a script or the package broke: each method still gives the same features, answers or
loss as its reference, and the GPU scripts still run end to end (as CPU smoke tests).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

import numpy as np
import pytest
import torch
from conftest import REPO

pytestmark = [pytest.mark.realdata, pytest.mark.slow]


def run_script(name: str, *args: str, data_dir) -> str:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false",
           "QA_TUTORIAL_DATA_DIR": str(data_dir), "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, str(REPO / "benchmarks" / name), *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, f"{name} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


@pytest.mark.slow
def test_features_identical_to_the_seeds_loop(data_dir):
    out = run_script("features.py", "--limit", "300", "--repeat", "1", data_dir=data_dir)
    assert "identical features (seeds vs package" in out and out.rstrip().endswith("True")
    assert "package speed-up vs seeds" in out and "labelling cost over the floor" in out


@pytest.mark.slow
def test_features_unpadded(data_dir):
    out = run_script("features.py", "--limit", "300", "--repeat", "1", "--no-padding", data_dir=data_dir)
    assert "padding=False" in out and out.rstrip().endswith("True")


@pytest.mark.slow
def test_eval_features_identical_to_run_qa(data_dir):
    out = run_script("eval_features.py", "--limit", "300", "--repeat", "1", "--map", data_dir=data_dir)
    assert "package / reference, end to end" in out and "through Dataset.map" in out
    assert out.rstrip().endswith("offset_mapping): True")


@pytest.mark.slow
def test_evaluation_ways_give_the_same_logits(data_dir):
    out = run_script("evaluation.py", "--examples", "40", "--model", "sentence-transformers/all-MiniLM-L6-v2",
                     data_dir=data_dir)
    rows = re.findall(r"^(seeds|package): .*?\s(\d+)\s+([\d.]+)%", out, re.MULTILINE)
    assert [name for name, _, _ in rows] == ["seeds", "package"]
    (_, seeds_windows, seeds_pad), (_, package_windows, package_pad) = rows
    assert seeds_windows == package_windows and float(package_pad) < float(seeds_pad)
    assert out.rstrip().endswith("True") and "same answers:" in out


@pytest.mark.slow
def test_finetune_recipes_train_on_the_same_windows(data_dir):
    out = run_script("finetune.py", "--train-examples", "32", "--eval-examples", "8", "--max-steps", "2",
                     "--eval-steps", "1", "--target-f1", "101", data_dir=data_dir)
    rows = re.findall(r"^(seeds|package): .*?\s(\d+)\s+(\d+)\s+([\d.]+)%", out, re.MULTILINE)
    assert [name for name, *_ in rows] == ["seeds", "package"]
    assert {(steps, windows) for _, steps, windows, _ in rows} == {("2", "32")}  # 2 steps of 16 windows each
    assert float(rows[1][3]) < float(rows[0][3])  # the package feeds less padding
    assert out.count("held-out F1 by step") == 2 and "package vs seeds:" in out


@pytest.mark.slow
def test_training_feeds_every_window_once(data_dir):
    out = run_script("training.py", "--examples", "40", "--hidden-size", "32", data_dir=data_dir)
    rows = dict(re.findall(r"^(max_length \(seeds\)|dynamic \+ group_by_length|dynamic)\s+\d+\s+(\d+)", out, re.MULTILINE))
    fed = {name.split()[-1]: int(tokens) for name, tokens in rows.items()}  # (seeds), group_by_length, dynamic
    assert set(fed) == {"(seeds)", "dynamic", "group_by_length"}
    assert fed["dynamic"] <= fed["(seeds)"] and fed["group_by_length"] <= fed["(seeds)"]  # padding only shrinks
    assert "faster per epoch" in out


@pytest.mark.slow
def test_answering_same_answers_for_every_batch_size(data_dir):
    out = run_script("answering.py", "--questions", "2", "--repeat", "1", "--batch-sizes", "1,4",
                     "--model", "tiny", "--hidden-size", "32", data_dir=data_dir)
    assert "identical answers to batch 1: batch 4: True" in out


@pytest.mark.slow
def test_gpu_training_cpu_smoke_with_saved_lengths(data_dir, tmp_path):
    lengths = tmp_path / "lengths.npy"
    out = run_script("gpu_training.py", "--save-lengths", str(lengths), "--length-examples", "200",
                     data_dir=data_dir)
    saved = np.load(lengths)
    assert f"wrote {len(saved)} window lengths" in out
    assert len(saved) >= 200 and saved.min() > 0 and saved.max() <= 384
    out = run_script("gpu_training.py", "--allow-cpu", "--steps", "2", "--lengths-file", str(lengths),
                     "--ablation", "--epoch-features", "2000", data_dir=data_dir)
    rows = [line for line in out.splitlines() if line.startswith(("seeds:", "  +", "ours:"))]
    assert len(rows) == 5  # seeds, three cumulative changes, ours
    assert "ours vs seeds:" in out
    out = run_script("gpu_training.py", "--allow-cpu", "--steps", "2", "--lengths-file", str(lengths), "--shape",
                     "minilm", "--fp16", "--epoch-features", "2000", data_dir=data_dir)
    assert "model: BERT QA, hidden 32, 2 layers, vocab 30522" in out  # the quick encoder's shape, made tiny
    settings = [line.split(",")[0] for line in out.splitlines() if line.startswith(("seeds:", "ours")) and "  " in line]
    assert settings == ["seeds: fp16+scaler", "ours: bf16", "ours in fp16+scaler"]
    assert "ours, bf16 vs fp16+scaler:" in out


@pytest.mark.slow
def test_gpu_training_refuses_without_cuda_unless_asked(data_dir):
    if torch.cuda.is_available():
        pytest.skip("a CUDA device is present")
    env = {**os.environ, "PYTHONPATH": str(REPO), "QA_TUTORIAL_DATA_DIR": str(data_dir)}
    done = subprocess.run([sys.executable, str(REPO / "benchmarks" / "gpu_training.py")], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode != 0 and "--allow-cpu" in (done.stdout + done.stderr)


@pytest.mark.slow
def test_longformer_checkpointing_same_loss(data_dir):
    out = run_script("longformer_memory.py", "--device", "cpu", "--repeat", "1", data_dir=data_dir)
    assert "same first-step loss with and without checkpointing: True" in out
    out = run_script("longformer_memory.py", "--device", "cpu", "--repeat", "1", "--full-size", "--shape", "converted",
                     "--length", "512", data_dir=data_dir)
    assert "6 layers, hidden 384, window 256, vocab 30522, 26.6M parameters" in out  # longformer_from_bert's MiniLM
    assert "same first-step loss with and without checkpointing: True" in out
