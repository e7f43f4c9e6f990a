"""qa_tutorial: extractive question answering with Hugging Face transformers, one module per pipeline stage.

One module per pipeline stage: ``data`` and ``cleaning`` (load and repair SQuAD-format data), ``features``
(windows, offsets and labels), ``decoding`` (logits to answers), ``metrics`` (official SQuAD v1.1 / v2.0
scores), ``models`` (tiny offline models, checked checkpoint loading), ``inference`` (batched logits and
scoring), ``profiles`` (quick / full), ``training`` and ``loop`` (fine-tuning), ``answering`` (the
question-answering pipeline replacement), ``sharing`` (model folder and card) and ``cli`` (the command).
"""

__version__ = "0.1.0"
