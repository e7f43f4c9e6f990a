"""The rendered book, opened in headless Chromium: every chapter shows its figures and no unexpected errors.

Runs after the notebook tests and ``tests/build_book.py`` (``make test`` does both), on the HTML they produced:
``QA_TUTORIAL_BOOK_HTML`` names the folder (default ``_build/tested-book/source/_build/html``). A full-page
screenshot of each chapter is written to ``QA_TUTORIAL_SCREENSHOTS`` (default ``_build/screenshots``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import nbformat
import pytest
import yaml
from browser import FLAGS, chromium_or_fail

pytestmark = pytest.mark.book

ROOT = Path(__file__).resolve().parent.parent
HTML = Path(os.environ.get("QA_TUTORIAL_BOOK_HTML", ROOT / "_build" / "tested-book" / "source" / "_build" / "html"))
SOURCE = HTML.parent.parent  # the staged sources the HTML was built from (executed notebooks)
SHOTS = Path(os.environ.get("QA_TUTORIAL_SCREENSHOTS", ROOT / "_build" / "screenshots"))
# Chapters whose text promises figures (issue 4's list); each must show at least one.
NEEDS_FIGURES = {"book/01_data", "book/02_tokenization", "book/04_training", "book/05_decoding",
                 "book/06_evaluation", "book/08_portuguese", "book/09_longformer"}


def _toc_entries() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    return [c["file"] for part in toc["parts"] for c in part["chapters"]]


def _chapters() -> list[str]:
    """The notebook chapters of the table of contents (the executed ones)."""
    return [name for name in _toc_entries() if (ROOT / f"{name}.ipynb").exists()]


def _markdown_pages() -> list[str]:
    """The pages of the table of contents written in Markdown (Getting started)."""
    return [name for name in _toc_entries() if (ROOT / f"{name}.md").exists()]


def _png_outputs(name: str) -> int:
    """How many PNG figures the executed notebook holds in its outputs."""
    nb = nbformat.read(SOURCE / f"{name}.ipynb", as_version=4)
    return sum("image/png" in o.get("data", {}) for c in nb.cells if c.cell_type == "code" for o in c.outputs)


@pytest.fixture(scope="module")
def browser():
    if not (HTML / "index.html").exists():
        pytest.fail(f"no rendered book at {HTML}: run the notebook tests and tests/build_book.py first (make test)")
    chromium_path = chromium_or_fail()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=chromium_path, args=FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def pages(browser):
    """Open every chapter once: its screenshot and what the page says about its outputs."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    seen = {}
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    for name in ["book/intro", *_markdown_pages(), *_chapters()]:
        page.goto((HTML / f"{name}.html").as_uri())
        page.wait_for_load_state("load")
        page.screenshot(path=str(SHOTS / f"{Path(name).name}.png"), full_page=True)
        seen[name] = page.evaluate("""() => {
            const images = [...document.querySelectorAll('.cell_output img')];
            const outside = '.cell:not(.tag_raises-exception)';
            return {
              title: document.title,
              figures: images.length,
              loaded: images.filter(i => i.complete && i.naturalWidth > 0).length,
              tracebacks: document.querySelectorAll(`${outside} .output.traceback`).length,
              expected_tracebacks: document.querySelectorAll('.cell.tag_raises-exception .output.traceback').length,
              raising_cells: document.querySelectorAll('.cell.tag_raises-exception').length,
              stderr: [...document.querySelectorAll(`${outside} .output.stderr`)].map(e => e.innerText),
              colab: document.querySelectorAll('a[href*="colab.research.google.com"]').length,
              text: document.querySelector('main') ? document.querySelector('main').innerText.length : 0,
              tables: document.querySelectorAll('main table').length,
            };
        }""")
    page.close()
    (SHOTS / "pages.json").write_text(json.dumps(seen, indent=1))
    return seen


def test_getting_started_is_in_the_book_with_its_table(pages):
    assert _markdown_pages() == ["book/getting_started"]
    seen = pages["book/getting_started"]
    assert "Getting started" in seen["title"] and seen["text"] > 3000 and seen["tables"] >= 2


@pytest.mark.parametrize("name", _chapters())
def test_chapter_shows_its_figures(pages, name):
    found = pages[name]
    expected = _png_outputs(name)
    assert found["figures"] >= expected, f"{name}: {found['figures']} images on the page, {expected} in the notebook"
    assert found["loaded"] == found["figures"], f"{name}: {found['figures'] - found['loaded']} images did not load"
    if name in NEEDS_FIGURES:
        assert expected >= 1, f"{name} shows no figure"


@pytest.mark.parametrize("name", _chapters())
def test_chapter_has_no_error_output(pages, name):
    found = pages[name]
    assert found["tracebacks"] == 0, f"{name}: {found['tracebacks']} tracebacks outside raises-exception cells"
    bad = [s for s in found["stderr"] if "Traceback" in s or "Error" in s]
    assert not bad, f"{name}: error text on stderr: {bad[0][:300]}"
    assert found["expected_tracebacks"] == found["raising_cells"], f"{name}: a raises-exception cell did not raise"


@pytest.mark.parametrize("name", _chapters())
def test_chapter_has_a_colab_button_and_text(pages, name):
    found = pages[name]
    assert found["colab"] >= 1, f"{name}: no Open-in-Colab link"
    assert found["text"] > 2000, f"{name}: the page has almost no text"


def test_pitfalls_chapter_shows_the_errors_it_reproduces(pages):
    assert pages["book/10_pitfalls"]["expected_tracebacks"] >= 3
