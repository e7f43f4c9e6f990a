import shutil
from pathlib import Path

import pytest

from qa_tutorial import INSTALL_SOURCE, REPOSITORY
from qa_tutorial.book.repository import colab_url, install_line, write_repository

ROOT = Path(__file__).resolve().parents[2]
CHAPTERS = sorted((ROOT / "book").glob("*.ipynb"))


def _copy(tmp_path: Path) -> Path:
    (tmp_path / "book").mkdir()
    for chapter in CHAPTERS:
        shutil.copy(chapter, tmp_path / "book" / chapter.name)
    shutil.copy(ROOT / "_config.yml", tmp_path / "_config.yml")
    return tmp_path


def test_the_checkout_already_names_the_one_setting(tmp_path):
    assert INSTALL_SOURCE == f"qa-tutorial @ git+{REPOSITORY}"
    assert write_repository(_copy(tmp_path)) == []  # nothing to rewrite: badges, cells and config agree
    for chapter in CHAPTERS:
        text = chapter.read_text(encoding="utf-8")
        assert colab_url(chapter.name) in text and install_line().replace('"', '\\"') in text, chapter.name
    assert f"  url: {REPOSITORY}\n" in (ROOT / "_config.yml").read_text()


def test_a_new_repository_is_written_everywhere_and_only_once(tmp_path):
    root = _copy(tmp_path)
    fork = "https://github.com/someone/qa-fork"
    changed = write_repository(root, fork)
    assert sorted(p.name for p in changed) == sorted([c.name for c in CHAPTERS] + ["_config.yml"])
    for chapter in sorted((root / "book").glob("*.ipynb")):
        text = chapter.read_text(encoding="utf-8")
        assert REPOSITORY.removeprefix("https://") not in text, chapter.name
        assert f"colab.research.google.com/github/someone/qa-fork/blob/main/book/{chapter.name}" in text
        assert 'install -q \\"qa-tutorial @ git+https://github.com/someone/qa-fork\\"' in text
    assert "  url: https://github.com/someone/qa-fork\n" in (root / "_config.yml").read_text()
    assert write_repository(root, fork) == []


def test_colab_needs_a_github_address(tmp_path):
    with pytest.raises(ValueError, match="not https://github.com/OWNER/NAME"):
        write_repository(_copy(tmp_path), "https://gitlab.com/someone/qa-fork/extra")
    assert write_repository(tmp_path) == []  # the refusal came before anything was written
