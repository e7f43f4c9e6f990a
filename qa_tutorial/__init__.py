"""qa_tutorial: extractive question answering with Hugging Face transformers, one module per pipeline stage.

Modules: ``data`` (load and clean SQuAD-format data), ``features`` (windows, offsets and labels),
``decoding`` (logits to answers), ``metrics`` (official SQuAD v1.1 / v2.0 scores) and ``models``
(tiny offline models, checked checkpoint loading).
"""

__version__ = "0.1.0"
