"""The chapters' checked outputs hold nothing that changes with the machine, the day or a release (tests/notebook_lint.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from notebook_lint import CHECK_COMMENT, CHECK_TAG, is_checked, lint_notebook, long_code_lines

from qa_tutorial import INSTALL_SOURCE

BOOK = Path(__file__).resolve().parents[1] / "book"
CHAPTERS = sorted(BOOK.glob("*.ipynb"))


def test_there_are_chapters_to_lint():
    assert len(CHAPTERS) >= 11


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_checked_outputs_hold_no_version_path_timing_or_date(chapter):
    assert lint_notebook(chapter) == []


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_code_fits_the_rendered_column(chapter):
    assert long_code_lines(chapter) == []


def test_checked_cells_are_marked_by_tag_not_by_a_comment_that_renders():
    for chapter in CHAPTERS:
        cells = json.loads(chapter.read_text(encoding="utf-8"))["cells"]
        assert any(is_checked(c) for c in cells), chapter.name
        assert not [i for i, c in enumerate(cells) if CHECK_COMMENT in "".join(c["source"])], chapter.name


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_the_colab_cell_installs_the_package_from_its_one_setting(chapter):
    # the cell runs before the package is installed, so it cannot import INSTALL_SOURCE: it spells it, checked here
    cells = json.loads(chapter.read_text(encoding="utf-8"))["cells"]
    first_code = next(c for c in cells if c["cell_type"] == "code")
    source = "".join(first_code["source"])
    assert f'%pip install -q "{INSTALL_SOURCE}"' in source
    assert source.count("%pip install") == 1


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_every_chapter_ends_with_exercises_whose_solutions_check_themselves(chapter):
    cells = json.loads(chapter.read_text(encoding="utf-8"))["cells"]
    starts = [i for i, c in enumerate(cells)
              if c["cell_type"] == "markdown" and "".join(c["source"]).startswith("## Your turn")]
    assert len(starts) == 1, "one 'Your turn' section"
    solutions = [c for c in cells[starts[0]:] if c["cell_type"] == "code"]
    assert len(solutions) >= 2
    for cell in solutions:
        # collapsed on the page, run by the notebook tests, and failing loudly when the claim is wrong
        assert "hide-cell" in cell["metadata"].get("tags", []), "".join(cell["source"])[:80]
        assert "assert " in "".join(cell["source"]), "".join(cell["source"])[:80]
    assert all(c["cell_type"] in ("markdown", "code") for c in cells[starts[0]:])


def _notebook(tmp_path: Path, source: str, text: str, checked: bool = True, by_comment: bool = False) -> Path:
    cell = {"cell_type": "code", "metadata": {"tags": [CHECK_TAG] if checked and not by_comment else []},
            "execution_count": 1, "source": (CHECK_COMMENT + "\n" if by_comment else "") + source,
            "outputs": [{"output_type": "stream", "name": "stdout", "text": text}]}
    path = tmp_path / "chapter.ipynb"
    path.write_text(json.dumps({"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    return path


@pytest.mark.parametrize(("text", "kind"), [
    ("transformers 5.23.0 default report_to: []\n", "version"),  # the cell that broke make test
    ("torch 2.13.0+cpu\n", "version"),
    ("Cleaning /work/shared/data/squad-v1.1/dev.json.gz: 10570 examples in\n", "absolute path"),
    ("Loaded /tmp/tmpwihzu2d8/distil into DistilBertForQuestionAnswering\n", "absolute path"),
    ("one epoch in 12.5 s\n", "timing"),
    ("elapsed 0:01:23\n", "timing"),
    ("built on 2026-12-01\n", "date"),
])
def test_the_lint_catches_each_kind(tmp_path, text, kind):
    problems = lint_notebook(_notebook(tmp_path, "print(x)", text))
    assert [p.split(": ")[2] for p in problems] == [kind]


@pytest.mark.parametrize("text", ["SQuAD v1.1 dev: 10,570 questions\n", "EM 83.0 / F1 88.25\n",
                                  "Beyoncé in the 1920s\n", "ratio 1.64x, 2 windows\n", "answer_start 177\n"])
def test_the_lint_lets_stable_text_through(tmp_path, text):
    assert lint_notebook(_notebook(tmp_path, "print(x)", text)) == []


def test_unchecked_cells_and_version_lookups_in_source(tmp_path):
    assert lint_notebook(_notebook(tmp_path, "print(v)", "torch 2.13.0\n", checked=False)) == []
    problems = lint_notebook(_notebook(tmp_path, "print(transformers.__version__.split('.')[0])", "5\n"))
    assert problems and "in the source" in problems[0]


def test_the_comment_mark_counts_as_checked_too(tmp_path):  # nbval honours both marks, so the lint does
    problems = lint_notebook(_notebook(tmp_path, "print(v)", "torch 2.13.0\n", by_comment=True))
    assert [p.split(": ")[2] for p in problems] == ["version"]


def test_nbval_checks_the_cells_the_tag_marks():  # a misspelt tag would silently turn every check off
    from nbval.plugin import find_metadata_tags

    assert dict(find_metadata_tags({"tags": [CHECK_TAG]})) == {"check": True}
