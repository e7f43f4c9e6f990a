"""Tests for qa_tutorial.book.environment: the first cell of every chapter."""

import logging
import re

import datasets
import pytest

from qa_tutorial.book.environment import BOOK_BUILD_ENV, library_versions, show_environment
from qa_tutorial.book.profiles import FULL, QUICK
from qa_tutorial.data import CLEANING_LOGGER, load_squad


@pytest.fixture(autouse=True)
def _book_logger(monkeypatch):
    """show_environment adds a handler to the book's logger: undo it after each test."""
    book = logging.getLogger("qa_tutorial.book")
    monkeypatch.setattr(book, "handlers", [])
    monkeypatch.setattr(book, "level", book.level)
    cleaning = logging.getLogger(CLEANING_LOGGER)
    monkeypatch.setattr(cleaning, "level", cleaning.level)


def test_show_environment_shows_the_books_messages_in_the_cell(capsys):
    show_environment("quick")
    show_environment("quick")  # a chapter run twice gets one handler, not two
    capsys.readouterr()
    logging.getLogger("qa_tutorial.book.profiles").info("squad: carved by article")
    logging.getLogger("qa_tutorial.data").info("not the book's")  # the pipeline's INFO stays quiet
    assert capsys.readouterr().out == "squad: carved by article\n"


def test_cleaning_reports_show_only_where_a_chapter_asks(tmp_path, caplog):
    import json

    nested = {"data": [{"title": "T", "paragraphs": [{"context": "Fish &amp; chips.", "qas": [
        {"id": "q", "question": "What?", "answers": [{"text": "chips", "answer_start": 11}]}]}]}]}
    path = tmp_path / "entities.json"
    path.write_text(json.dumps(nested))
    reports = {}
    for asked in (False, True):
        show_environment("quick", cleaning_reports=asked)
        caplog.clear()
        with caplog.at_level(logging.INFO):
            assert load_squad(str(path))[0]["context"] == "Fish & chips."  # cleaned either way
        reports[asked] = [r.getMessage() for r in caplog.records if r.name == CLEANING_LOGGER]
    assert reports[False] == []
    assert len(reports[True]) == 1 and "contexts unescaped: 1" in reports[True][0]


def test_versions_are_the_installed_ones():
    import torch
    import transformers

    versions = library_versions()
    assert versions["torch"] == torch.__version__.split("+")[0] or versions["torch"] == torch.__version__
    assert versions["transformers"] == transformers.__version__
    assert versions["qa-tutorial"] != "not installed"


def test_show_environment_prints_profile_and_device(capsys, monkeypatch):
    monkeypatch.setenv("QA_TUTORIAL_PROFILE", "quick")
    monkeypatch.delenv(BOOK_BUILD_ENV, raising=False)
    assert show_environment() is QUICK
    out = capsys.readouterr().out
    assert "profile: quick" in out and "device: cpu" in out and "transformers" in out


def test_full_profile_without_gpu_runs_on_cpu(capsys):
    import torch

    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    assert show_environment("full") is FULL
    assert "device: cpu" in capsys.readouterr().out


def test_book_build_silences_progress_bars(monkeypatch):
    monkeypatch.setenv(BOOK_BUILD_ENV, "1")
    try:
        show_environment("quick")
        assert not datasets.utils.is_progress_bar_enabled()
    finally:
        datasets.enable_progress_bars()


def test_book_build_prints_errors_without_frames_and_paths(monkeypatch, capsys):
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    try:
        monkeypatch.setenv(BOOK_BUILD_ENV, "1")
        show_environment("quick")
        assert "reporting mode" not in capsys.readouterr().out  # the first cell shows only the environment
        shell.run_cell("raise ValueError('bad input, explained')")
        shown = capsys.readouterr()
        text = re.sub(r"\x1b\[[0-9;]*m", "", shown.out + shown.err)  # without the terminal colours
        assert "ValueError: bad input, explained" in text
        assert "Traceback" not in text and "File " not in text
    finally:
        datasets.enable_progress_bars()
        shell.InteractiveTB.set_mode(mode="Context")
        InteractiveShell.clear_instance()


def test_unknown_profile_is_refused():
    with pytest.raises(ValueError, match="unknown profile"):
        show_environment("medium")
