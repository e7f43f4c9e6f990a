"""The floors pyproject.toml declares admit no version that the libraries themselves refuse to work with."""

from __future__ import annotations

import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.version import Version

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def _floors() -> dict[str, Version]:
    """Our dependencies' lower bounds, by name."""
    floors = {}
    for line in tomllib.loads(PYPROJECT.read_text())["project"]["dependencies"]:
        requirement = Requirement(line)
        for spec in requirement.specifier:
            if spec.operator == ">=":
                floors[requirement.name] = Version(spec.version)
    return floors


def _transformers_floor(name: str) -> Version | None:
    """The lowest ``name`` that the installed transformers declares for itself (in any extra), if any."""
    found = []
    for line in metadata.requires("transformers") or []:
        requirement = Requirement(line)
        if requirement.name == name:
            found += [Version(spec.version) for spec in requirement.specifier if spec.operator == ">="]
    return max(found, default=None)


def test_torch_floor_is_one_that_transformers_runs_on():
    # transformers 5.x disables its PyTorch support below 2.6 ("PyTorch >= 2.6 is required"): torch>=2.2 admitted
    # installs where nothing of this package works
    wanted = _transformers_floor("torch")
    assert wanted is not None
    assert _floors()["torch"] >= wanted


def test_accelerate_floor_is_one_that_trainer_accepts():
    wanted = _transformers_floor("accelerate")
    assert wanted is not None
    assert _floors()["accelerate"] >= wanted
