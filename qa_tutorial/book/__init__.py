"""The book's scaffolding: what the chapters need around the pipeline, and a reader's coursework does not.

- ``profiles`` the quick / full run settings (chosen by ``QA_TUTORIAL_PROFILE``) and their data splits.
- ``finetuned`` a fine-tuned model per profile: a published checkpoint (full), or trained once per machine and
  cached (quick); ``python -m qa_tutorial.book.finetuned`` trains the book's models before a build.
- ``environment`` each chapter's first cell: versions, profile, device, inline figures.
- ``plots`` the figures (matplotlib, functions that return figures) and highlighted spans (HTML).
- ``analysis`` error analysis by question word and answer length; F1 against the null threshold.
- ``padding_costs`` how much padding each batching strategy adds, and what it costs in time.
- ``long_documents`` one Longformer pass against many short windows: windows, tokens, time, peak memory.
"""
