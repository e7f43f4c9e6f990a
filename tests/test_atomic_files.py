"""Tests for qa_tutorial.atomic_files: atomic writes leave no half-written file behind."""

from __future__ import annotations

import json

import pytest

from qa_tutorial.atomic_files import write_json_atomic


def test_failed_write_keeps_the_old_file_and_no_temporaries(tmp_path, monkeypatch):
    target = tmp_path / "predictions.json"
    write_json_atomic(target, {"q1": "old"})

    from qa_tutorial import atomic_files as files

    def interrupted_fsync(fd):
        raise KeyboardInterrupt

    monkeypatch.setattr(files.os, "fsync", interrupted_fsync)
    with pytest.raises(KeyboardInterrupt):
        write_json_atomic(target, {"q1": "new", "q2": "x" * 100_000})
    assert json.loads(target.read_text()) == {"q1": "old"}
    assert [p.name for p in tmp_path.iterdir()] == ["predictions.json"]


def test_nan_is_refused(tmp_path):
    with pytest.raises(ValueError):
        write_json_atomic(tmp_path / "x.json", {"a": float("nan")})
    assert not list(tmp_path.iterdir())


def test_unicode_is_kept(tmp_path):
    path = write_json_atomic(tmp_path / "x.json", {"q": "São Paulo"})
    assert "São Paulo" in path.read_text(encoding="utf-8")
