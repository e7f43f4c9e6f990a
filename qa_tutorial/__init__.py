"""qa_tutorial: extractive question answering with Hugging Face transformers.

The pipeline a student copies, one module per stage (pure functions and classes, explicit arguments, logging but
no prints, no environment variables):

- ``data`` load SQuAD-format data (Hub, nested or flat JSON, an offline mirror folder) and split it by article;
  ``cleaning`` repairs it (whitespace, HTML entities, duplicate ids, answer offsets) with a report.
- ``features`` questions and contexts to windows with offsets and start/end token labels.
- ``decoding`` start/end logits of all windows to one answer per example, n-best lists and null odds.
- ``metrics`` the official SQuAD v1.1 and v2.0 scores (``metric_modules``: the same for ``evaluate.load``).
- ``inference`` batched logits with dynamic padding; ``evaluate_qa``: features, logits, answers, scores.
- ``training`` fine-tuning with ``Trainer`` (EM/F1 inside evaluation); ``pytorch_loop`` the same in a plain loop.
- ``answering`` ``QuestionAnswerer``, the replacement for ``pipeline("question-answering")``.
- ``checkpoints`` load a QA model and tokenizer, loudly reporting missing weights; ``models`` build tiny models
  offline and make a BERT into a Longformer; ``tokenizers_offline`` train tokenizers on local text;
  ``pretrained`` the packaged encoder of the quick profile; ``longformer`` global attention and padding.
- ``sharing`` a publishable model folder with a model card, and pushing it to the Hub; ``demo`` a Gradio app
  around ``QuestionAnswerer``, and the files that make a model folder a Space.
- ``devices`` which device to run on; ``atomic_files`` write result files atomically.

``book`` holds the book's scaffolding (run profiles, cached fine-tuned models, each chapter's first cell, plots and
experiments); ``cli`` is the ``qa-tutorial`` command on top of both.
"""

from qa_tutorial import _moved

__version__ = "0.1.0"
# The repository the book and the package are published from: the one setting that the Colab badges, each
# chapter's install cell and _config.yml are written from (`python -m qa_tutorial.book.repository`).
REPOSITORY = "https://github.com/qa-tutorial/qa-tutorial"
# Where pip installs this package from outside a checkout (Colab's first cell, a Space's requirements.txt).
INSTALL_SOURCE = f"qa-tutorial @ git+{REPOSITORY}"

_moved.install()  # old import paths (qa_tutorial.profiles, qa_tutorial.loop, ...) keep working, with a warning
