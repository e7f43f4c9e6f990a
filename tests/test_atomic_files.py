"""Tests for qa_tutorial.atomic_files: atomic writes leave no half-written file behind."""

from __future__ import annotations

import hashlib
import json
import os
import stat

import pytest

from qa_tutorial.atomic_files import write_json_atomic, write_result_set


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


def test_a_rewritten_file_keeps_its_mode_and_a_new_one_follows_the_umask(tmp_path):
    target = tmp_path / "predictions.json"
    write_json_atomic(target, {"q1": "a"})
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~mask
    target.chmod(0o644)
    write_json_atomic(target, {"q1": "b"})
    write_result_set(tmp_path, {"predictions.json": {"q1": "c"}})
    assert stat.S_IMODE(target.stat().st_mode) == 0o644


def _names(folder):
    return sorted(p.name for p in folder.iterdir())


def test_a_result_set_replaces_the_previous_one_whole(tmp_path):
    write_result_set(tmp_path, {"predictions.json": {"q": "v2"}, "nbest_predictions.json": {}, "null_odds.json": {}})
    written = write_result_set(tmp_path, {"predictions.json": {"q": "v1"}, "nbest_predictions.json": {"q": []}},
                               replaces=["null_odds.json"])
    assert _names(tmp_path) == ["manifest.json", "nbest_predictions.json", "predictions.json"]
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert set(manifest["files"]) == {"predictions.json", "nbest_predictions.json"}
    for path in written[:-1]:
        assert manifest["files"][path.name]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_set_cut_off_while_writing_leaves_the_previous_set_and_no_temporaries(tmp_path, monkeypatch):
    from qa_tutorial import atomic_files as files

    write_result_set(tmp_path, {"predictions.json": {"q": "old"}, "nbest_predictions.json": {"q": ["old"]}})
    before = {name: (tmp_path / name).read_bytes() for name in _names(tmp_path)}
    calls = []

    def full_disk(fd):
        calls.append(fd)
        if len(calls) == 2:  # the second file of the new set
            raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "fsync", full_disk)
    with pytest.raises(OSError, match="No space"):
        write_result_set(tmp_path, {"predictions.json": {"q": "new"}, "nbest_predictions.json": {"q": ["new"]}})
    assert {name: (tmp_path / name).read_bytes() for name in _names(tmp_path)} == before


def test_temporaries_of_killed_runs_are_cleared_by_the_next_set(tmp_path):
    (tmp_path / ".run-abc.tmp").mkdir()
    (tmp_path / ".run-abc.tmp" / "predictions.json").write_text("{")
    (tmp_path / ".predictions.json.x1y2.tmp").write_text("{")
    (tmp_path / "notes.txt").write_text("the user's own file")
    write_result_set(tmp_path, {"predictions.json": {}})
    assert _names(tmp_path) == ["manifest.json", "notes.txt", "predictions.json"]
