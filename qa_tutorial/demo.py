"""A web demo of a QA model: a Gradio app around `QuestionAnswerer`, and the files that make a model folder a Space.

The app has a context box and a question box; it shows the best answer highlighted in the context with its score,
and the next best answers in a table. `demo_answers` is what the app runs on each question (a plain function, so a
notebook or a test can call it without a browser); `build_demo` lays out the page; `write_space_files` saves an
``app.py`` and a ``requirements.txt`` into a model folder, which is then all a Hugging Face Space (Gradio SDK) needs
besides the model to serve it.

Gradio is imported only by `build_demo`: the rest of the package works without it (``pip install gradio``, or the
package's ``demo`` extra).
"""

from __future__ import annotations

import html
import os
from importlib import metadata
from pathlib import Path
from typing import Any

from qa_tutorial import INSTALL_SOURCE
from qa_tutorial.atomic_files import write_text_atomic

__all__ = ["ANSWER_COLUMNS", "SPACE_FILES", "build_demo", "demo_answers", "highlight_answer", "space_requirements",
           "write_space_files"]

ANSWER_COLUMNS = ["rank", "answer", "score", "start", "end"]
SPACE_FILES = ("app.py", "requirements.txt")
# The libraries the app imports, pinned to the versions that wrote it (the Space installs exactly these).
SPACE_LIBRARIES = ("torch", "transformers", "tokenizers", "safetensors", "gradio")
MARK_STYLE = "background-color: #ffe066; padding: 0 2px; border-radius: 3px"


def highlight_answer(context: str, start: int, end: int) -> str:
    """The context as HTML, with the characters ``context[start:end]`` inside ``<mark class="qa-answer">``.

    Everything is escaped, so a context that holds ``<`` or ``&`` shows as written.

    >>> highlight_answer("Paris <b> France", 0, 5).replace(MARK_STYLE, "...")
    '<p class="qa-context"><mark class="qa-answer" style="...">Paris</mark> &lt;b&gt; France</p>'
    """
    if isinstance(start, bool) or isinstance(end, bool) or not 0 <= start <= end <= len(context):
        raise ValueError(f"answer span {start!r}..{end!r} is not inside a context of {len(context)} characters")
    before, answer, after = (html.escape(part) for part in (context[:start], context[start:end], context[end:]))
    marked = f'<mark class="qa-answer" style="{MARK_STYLE}">{answer}</mark>' if answer else ""
    return f'<p class="qa-context">{before}{marked}{after}</p>'


def demo_answers(answerer: Any, question: str, context: str, top_k: int = 3) -> tuple[str, list[list[Any]]]:
    """What the app shows for one question: the context as HTML with the best answer highlighted (and its score),
    and a table of the ``top_k`` best answers (`ANSWER_COLUMNS`: rank, text, score, character offsets).

    Args:
        answerer: a `qa_tutorial.answering.QuestionAnswerer` (or anything called the same way).
        question, context: the reader's text; surrounding whitespace of the question is ignored.
        top_k: how many answers the table lists (the answerer checks it: a whole number, at least 1).

    Raises:
        ValueError: an empty question or context, or ``top_k`` below 1; TypeError: ``top_k`` not a whole number
            (the app shows either message).
    """
    if not isinstance(question, str) or not question.strip():
        raise ValueError("Type a question.")
    if not isinstance(context, str) or not context.strip():
        raise ValueError("Paste a context: the text the answer is to be found in.")
    found = answerer(question=question.strip(), context=context, top_k=top_k)
    answers = [found] if isinstance(found, dict) else list(found)
    answers = [a for a in answers if a]  # {} when a question has no candidate at all
    if not answers:
        return (f'<p class="qa-verdict">No answer found in the context.</p>{highlight_answer(context, 0, 0)}', [])
    best = answers[0]
    verdict = (f'<p class="qa-verdict">Answer: <b class="qa-best">{html.escape(best["answer"])}</b> '
               f'(score <span class="qa-score">{best["score"]:.3f}</span>)</p>')
    rows = [[rank, a["answer"], round(float(a["score"]), 4), int(a["start"]), int(a["end"])]
            for rank, a in enumerate(answers, start=1)]
    return verdict + highlight_answer(context, int(best["start"]), int(best["end"])), rows


def build_demo(answerer: Any, *, title: str = "Extractive question answering", description: str = "",
               examples: list[tuple[str, str]] | None = None) -> Any:
    """A Gradio app (``gradio.Blocks``) that answers questions about a pasted context with ``answerer``.

    Call ``.launch()`` on it to serve it (in a notebook it shows inline; on a Space, ``app.py`` does it).

    Args:
        answerer: a `qa_tutorial.answering.QuestionAnswerer`.
        title, description: shown at the top of the page (Markdown).
        examples: (context, question) pairs the reader can click to fill the boxes.
    """
    import gradio as gr

    def answer(context: str, question: str, top_k: float) -> tuple[str, list[list[Any]]]:
        try:
            return demo_answers(answerer, question, context, top_k=int(top_k))
        except (ValueError, TypeError) as err:  # the reader's input: shown as a message, not a traceback
            raise gr.Error(str(err)) from err

    with gr.Blocks(title=title) as demo:
        gr.Markdown(f"# {title}" + (f"\n\n{description}" if description else ""))
        with gr.Row():
            with gr.Column():
                context = gr.Textbox(label="Context", lines=10, elem_id="qa-context-input",
                                     placeholder="Paste the text to search for the answer")
                question = gr.Textbox(label="Question", elem_id="qa-question-input",
                                      placeholder="Ask a question about the context, then press Enter")
                top_k = gr.Slider(1, 10, value=3, step=1, label="Answers to list")
                button = gr.Button("Answer", variant="primary", elem_id="qa-answer-button")
            with gr.Column():
                shown = gr.HTML(elem_id="qa-answer-html")
                table = gr.Dataframe(headers=ANSWER_COLUMNS, label="Best answers", interactive=False, wrap=True,
                                     column_widths=["9%", "55%", "14%", "11%", "11%"], elem_id="qa-answer-table")
        if examples:
            gr.Examples(examples=[list(pair) for pair in examples], inputs=[context, question])
        for trigger in (button.click, question.submit):
            trigger(answer, inputs=[context, question, top_k], outputs=[shown, table])
    return demo


def space_requirements() -> list[str]:
    """The ``requirements.txt`` lines of a Space: this package from `INSTALL_SOURCE`, and the libraries the app
    imports at the versions installed here.

    Raises:
        ModuleNotFoundError: one of those libraries is not installed (gradio, most likely).
    """
    lines = [INSTALL_SOURCE]
    for name in SPACE_LIBRARIES:
        try:
            version = metadata.version(name)
        except metadata.PackageNotFoundError as err:
            raise ModuleNotFoundError(f"{name} is not installed: the Space's requirements pin the versions that "
                                      f"run here (pip install {name})") from err
        lines.append(f"{name}=={version.split('+')[0]}")  # 2.13.0+cpu -> 2.13.0: a Space picks its own build
    return lines


APP_TEMPLATE = '''\
"""A Gradio app that answers questions with the model in this folder (written by qa_tutorial.demo)."""

from pathlib import Path

from qa_tutorial.answering import QuestionAnswerer
from qa_tutorial.checkpoints import load_qa_model
from qa_tutorial.demo import build_demo

HERE = Path(__file__).resolve().parent
model, tokenizer, _ = load_qa_model(str(HERE), allow_new_head=False)
answerer = QuestionAnswerer(model, tokenizer, **{settings!r})
demo = build_demo(answerer, title={title!r}, description={description!r}, examples={examples!r})

if __name__ == "__main__":
    demo.launch()
'''


def write_space_files(folder: str | os.PathLike, answerer: Any, *, title: str = "Extractive question answering",
                      description: str = "", examples: list[tuple[str, str]] | None = None) -> list[Path]:
    """Write ``app.py`` and ``requirements.txt`` into a model folder, so that the folder can become a Space.

    ``app.py`` loads the model from its own folder and serves `build_demo` with the answerer's settings
    (``max_length``, ``doc_stride``, ``max_answer_length``, ``handle_impossible_answer``); pushed to a Space with
    the Gradio SDK, it is the app. A model card ``README.md`` in the folder (`qa_tutorial.sharing`) gets the two
    metadata keys a Space reads, ``sdk: gradio`` and ``app_file: app.py``. Nothing is loaded here: the folder must
    already hold the model and tokenizer.

    Returns:
        The paths written: ``app.py``, ``requirements.txt`` and, when there is one, ``README.md``.
    """
    folder = Path(folder)
    if not (folder / "config.json").is_file():
        raise FileNotFoundError(f"{folder} holds no model (no config.json): save the model there first")
    settings = {name: answerer.defaults[name] for name in
                ("max_length", "doc_stride", "max_answer_length", "handle_impossible_answer")}
    app = APP_TEMPLATE.format(settings=settings, title=title, description=description,
                              examples=[list(pair) for pair in examples] if examples else None)
    compile(app, str(folder / "app.py"), "exec")  # a template bug fails here, not on the Space
    written = [write_text_atomic(folder / "app.py", app),
               write_text_atomic(folder / "requirements.txt", "\n".join(space_requirements()) + "\n")]
    card = folder / "README.md"
    if card.is_file():  # a Space reads its settings from the README's metadata; a model page ignores these keys
        from huggingface_hub import ModelCard

        loaded = ModelCard.load(card)
        loaded.data.sdk, loaded.data.app_file = "gradio", "app.py"
        written.append(write_text_atomic(card, str(loaded)))
    return written
