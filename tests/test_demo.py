"""Tests of qa_tutorial.demo: the highlighted answer, the app's answers against the answerer's, the Space files, and
the app itself served on localhost and driven in headless Chromium (``-m browser``, run by ``make test-browser``)."""

from __future__ import annotations

import html
import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from browser import FLAGS, chromium_or_fail

from qa_tutorial.answering import QuestionAnswerer
from qa_tutorial.demo import (ANSWER_COLUMNS, SPACE_FILES, build_demo, demo_answers, highlight_answer,
                              space_requirements, write_space_files)
from qa_tutorial.models import build_tiny_bert_qa

ROOT = Path(__file__).resolve().parent.parent
SHOTS = Path(os.environ.get("QA_TUTORIAL_SCREENSHOTS", ROOT / "_build" / "screenshots"))
CONTEXT = ("Super Bowl 50 was an American football game to determine the champion of the National Football League "
           "(NFL) for the 2015 season. The American Football Conference (AFC) champion Denver Broncos defeated the "
           "National Football Conference (NFC) champion Carolina Panthers 24-10 to earn their third Super Bowl "
           "title. The game was played on February 7, 2016, at Levi's Stadium in Santa Clara, California.")
QUESTION = "Which NFL team represented the AFC at Super Bowl 50?"
MARKED = re.compile(r'<mark class="qa-answer" style="[^"]*">(.*?)</mark>', re.S)


def _text_of(page_html: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", page_html))


@given(st.text(min_size=1, max_size=60), st.data())
def test_the_highlight_marks_exactly_the_span_and_keeps_the_text(context, data):
    start = data.draw(st.integers(0, len(context)))
    end = data.draw(st.integers(start, len(context)))
    shown = highlight_answer(context, start, end)
    marked = MARKED.findall(shown)
    assert [html.unescape(m) for m in marked] == ([context[start:end]] if end > start else [])
    assert _text_of(shown) == context  # every character once, escaped: "<b>" in a context is text, not markup


@pytest.mark.parametrize(("start", "end"), [(-1, 2), (3, 2), (0, 99), (True, 2)])
def test_the_highlight_refuses_spans_outside_the_context(start, end):
    with pytest.raises(ValueError, match="not inside a context of 5 characters"):
        highlight_answer("Paris", start, end)


@pytest.fixture(scope="module")
def answerer(squad_tokenizer):
    return QuestionAnswerer(build_tiny_bert_qa(squad_tokenizer, seed=3).eval(), squad_tokenizer, max_length=64,
                            doc_stride=16)


def test_the_app_shows_the_answerers_answers(answerer):
    shown, rows = demo_answers(answerer, f"  {QUESTION} ", CONTEXT, top_k=4)
    expected = answerer(question=QUESTION, context=CONTEXT, top_k=4)
    assert [r[1] for r in rows] == [a["answer"] for a in expected]
    assert [r[0] for r in rows] == [1, 2, 3, 4] and len(rows[0]) == len(ANSWER_COLUMNS)
    assert [(r[3], r[4]) for r in rows] == [(a["start"], a["end"]) for a in expected]
    assert [html.unescape(m) for m in MARKED.findall(shown)] == [expected[0]["answer"]]
    assert f"score <span class=\"qa-score\">{expected[0]['score']:.3f}</span>" in shown
    assert CONTEXT[rows[0][3]:rows[0][4]] == rows[0][1]


@pytest.mark.parametrize(("question", "context", "top_k", "message"), [
    ("   ", CONTEXT, 3, "Type a question"),
    (QUESTION, "\n", 3, "Paste a context"),
    (QUESTION, CONTEXT, 0, "top_k must be >= 1, got 0"),
    (QUESTION, CONTEXT, 2.5, r"top_k must be a whole number, got 2\.5"),
])
def test_the_app_explains_bad_input(answerer, question, context, top_k, message):
    # one check per option: the answerer's, with its message
    with pytest.raises((ValueError, TypeError), match=message):
        demo_answers(answerer, question, context, top_k=top_k)


def test_build_demo_wires_the_boxes_to_the_answerer(answerer):
    demo = build_demo(answerer, title="Ask the tiny model", examples=[(CONTEXT, QUESTION)])
    config = demo.get_config_file()
    ids = {c["props"].get("elem_id") for c in config["components"]}
    assert {"qa-context-input", "qa-question-input", "qa-answer-button", "qa-answer-html"} <= ids
    assert len([d for d in config["dependencies"] if d["targets"]]) >= 2  # the button and Enter in the question


def test_the_space_files_make_an_app_that_answers_as_the_notebook_does(answerer, squad_tokenizer, tmp_path):
    from huggingface_hub import ModelCard

    from qa_tutorial.sharing import save_for_sharing

    folder = save_for_sharing(answerer.model, squad_tokenizer, tmp_path / "model", model_name="tiny",
                              metrics={"exact_match": 1.0, "f1": 2.0}, dataset_type="squad",
                              dataset_name="SQuAD v1.1", settings={"epochs": 1})
    with pytest.raises(FileNotFoundError, match="holds no model"):
        write_space_files(tmp_path / "empty", answerer)
    written = write_space_files(folder, answerer, title="Tiny", examples=[(CONTEXT, QUESTION)])
    assert [p.name for p in written] == [*SPACE_FILES, "README.md"]
    card = ModelCard.load(folder / "README.md")
    assert (card.data.sdk, card.data.app_file, card.data.model_name) == ("gradio", "app.py", "tiny")
    assert card.data.eval_results[1].metric_value == 2.0  # the model card's results are still there
    requirements = (folder / "requirements.txt").read_text().splitlines()
    assert requirements == space_requirements() and requirements[0].startswith("qa-tutorial")
    assert any(re.fullmatch(r"gradio==\d+\.\d+\.\d+", line) for line in requirements)
    probe = ("import json, runpy, sys; ns = runpy.run_path(sys.argv[1]); a = ns['answerer']; "
             "print(json.dumps([a.defaults, a(question=sys.argv[2], context=sys.argv[3], top_k=2)]))")
    done = subprocess.run([sys.executable, "-c", probe, str(folder / "app.py"), QUESTION, CONTEXT],
                          capture_output=True, text=True, cwd=tmp_path, timeout=300,
                          env={**os.environ, "GRADIO_ANALYTICS_ENABLED": "False"})
    assert done.returncode == 0, done.stderr[-2000:]
    defaults, answers = json.loads(done.stdout.strip().splitlines()[-1])
    assert defaults["max_length"] == 64 and defaults["doc_stride"] == 16
    assert answers == json.loads(json.dumps(answerer(question=QUESTION, context=CONTEXT, top_k=2)))


# --- the app in a browser -----------------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.browser
@pytest.mark.realdata
def test_the_app_answers_in_a_browser(data_dir, monkeypatch):
    """The quick model's app on localhost, in headless Chromium: type a question, read the highlighted answer."""
    from playwright.sync_api import sync_playwright

    from qa_tutorial.book.finetuned import finetuned_model
    from qa_tutorial.book.profiles import QUICK
    from qa_tutorial.checkpoints import load_qa_model

    monkeypatch.setenv("GRADIO_ANALYTICS_ENABLED", "False")
    model, tokenizer, _ = load_qa_model(finetuned_model(QUICK, "squad", data_dir=data_dir), allow_new_head=False)
    quick = QuestionAnswerer(model, tokenizer, max_length=QUICK.max_length, doc_stride=QUICK.doc_stride)
    expected_html, expected_rows = demo_answers(quick, QUESTION, CONTEXT, top_k=3)
    demo = build_demo(quick, title="qa-tutorial quick model")
    port = _free_port()
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    chromium = chromium_or_fail()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=FLAGS)
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            # nothing leaves the machine: fonts and other outside requests fail fast instead of timing out
            page.route(re.compile(r"^(?!http://127\.0\.0\.1)"), lambda route: route.abort())
            page.goto(f"http://127.0.0.1:{port}/")
            page.locator("#qa-question-input textarea").fill("")
            page.locator("#qa-answer-button").click()
            page.get_by_text("Type a question.").first.wait_for(timeout=30_000)  # the error, as a message
            page.reload()
            page.locator("#qa-context-input textarea").fill(CONTEXT)
            page.locator("#qa-question-input textarea").fill(QUESTION)
            page.locator("#qa-question-input textarea").press("Enter")
            mark = page.locator("#qa-answer-html mark.qa-answer")
            mark.wait_for(timeout=60_000)
            assert mark.inner_text() == expected_rows[0][1]
            assert page.locator("#qa-answer-html .qa-best").inner_text() == expected_rows[0][1]
            cells = page.locator("#qa-answer-table").inner_text()
            assert all(row[1] in cells for row in expected_rows)
            SHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SHOTS / "demo.png"), full_page=True)
            browser.close()
    finally:
        demo.close()
