"""Scaling out: the same `qa-tutorial train` on two CPU processes with torchrun (DDP over gloo)."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from qa_tutorial.cli import main

SETTINGS = ["--max-steps", "6", "--max-length", "128", "--doc-stride", "32", "--batch-size", "8", "--seed", "1"]


def _last_epoch(folder: Path) -> float:
    rows = list(csv.DictReader((folder / "history.csv").open()))
    return max(float(row["epoch"]) for row in rows if row.get("epoch"))


@pytest.mark.realdata
@pytest.mark.slow
def test_two_processes_share_the_data(tmp_path, data_dir):
    torchrun = shutil.which("torchrun", path=str(Path(sys.executable).parent))
    assert torchrun, "torchrun comes with torch"
    model = tmp_path / "tiny"
    assert main(["tiny-model", "--data-dir", str(data_dir), "--max-examples", "400", "--output", str(model),
                 "--hidden-size", "32"]) == 0
    env = {**os.environ, "QA_TUTORIAL_DATA_DIR": str(data_dir), "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    single = tmp_path / "one"
    assert main(["train", "--model", str(model), "--output-dir", str(single), "--data-dir", str(data_dir),
                 *SETTINGS]) == 0
    double = tmp_path / "two"
    run = subprocess.run([torchrun, "--nproc_per_node", "2", "-m", "qa_tutorial.cli", "train", "--model", str(model),
                          "--output-dir", str(double), *SETTINGS], env=env, capture_output=True, text=True,
                         timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    assert (double / "model.safetensors").exists() and (double / "README.md").exists()
    assert json.loads((double / "eval_results.json").read_text())["f1"] >= 0
    # the same number of steps covers twice the data: each process trains on its own half of every batch
    assert _last_epoch(double) == pytest.approx(2 * _last_epoch(single), rel=0.05)


@pytest.mark.parametrize(("processes", "gpus", "refused"), [(2, 1, True), (2, 2, False), (1, 1, False)])
def test_more_torchrun_processes_than_gpus_is_refused_with_the_way_out(monkeypatch, processes, gpus, refused):
    """On a one-GPU Colab, `torchrun --nproc_per_node 2` put both ranks on cuda:0, and NCCL refused deep inside
    the first step; the package says so before training, and names the two ways out."""
    import torch

    from qa_tutorial.training import _device_arguments

    monkeypatch.setenv("TORCHELASTIC_RUN_ID", "test")  # what torchrun sets
    monkeypatch.setenv("LOCAL_WORLD_SIZE", str(processes))
    monkeypatch.setattr(torch.cuda, "device_count", lambda: gpus)
    cuda = torch.device("cuda")  # a device name only: nothing runs on it here
    if refused:
        with pytest.raises(ValueError, match=r"2 processes .* 1 GPU.*--nproc_per_node 1.*cpu"):
            _device_arguments(cuda)
    else:
        assert _device_arguments(cuda) == {}
    assert _device_arguments(torch.device("cpu")) == {"use_cpu": True, "ddp_backend": "gloo"}  # gloo: any count
