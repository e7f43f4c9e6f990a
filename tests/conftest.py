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
