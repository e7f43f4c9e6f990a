"""The defects of the Portuguese SQuAD-format files, counted by `qa_tutorial.cleaning.clean_squad`, as bars, and
how well a tokenizer's vocabulary fits a language.

`defect_counts` picks the six counts of a `CleaningReport` that are defects of the data (not consequences of
a repair); `plot_defects` draws them for several files side by side, one group of bars per defect type.
`vocabulary_fit` measures what a tokenizer does to the words of a text: how many it splits, into how many pieces,
how many become ``[UNK]`` and how many lose their accents.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from qa_tutorial.cleaning import CleaningReport

__all__ = ["DEFECTS", "defect_counts", "plot_defects", "vocabulary_fit"]

# Defect label -> the CleaningReport fields whose counts it sums (the order of the bars, top to bottom).
DEFECTS: dict[str, tuple[str, ...]] = {
    "duplicate ids": ("duplicate_ids_removed",),
    "answer_start -1 (outside)": ("answers_dropped_bad_start",),
    "answer not in context": ("answers_dropped_not_found",),
    "HTML entities (texts)": ("contexts_unescaped", "questions_unescaped", "answers_unescaped"),
    "shifted start repaired": ("answer_starts_repaired",),
    "empty answer text": ("answers_dropped_empty",),
}


def defect_counts(report: CleaningReport) -> dict[str, int]:
    """The defect counts of one cleaning report, keyed by the labels of `DEFECTS`.

    "HTML entities (texts)" adds distinct contexts, questions and answers that held an entity.

    Args:
        report: what `clean_squad` returned for one file.

    Returns:
        ``{label: count}`` in the order of `DEFECTS`.

    >>> counts = defect_counts(CleaningReport(answers_dropped_not_found=3, contexts_unescaped=2, answers_unescaped=1))
    >>> counts["answer not in context"], counts["HTML entities (texts)"], counts["duplicate ids"]
    (3, 3, 0)
    """
    return {label: sum(int(getattr(report, name)) for name in fields) for label, fields in DEFECTS.items()}


def plot_defects(reports: Mapping[str, CleaningReport | Mapping[str, int]], *, log: bool = False,
                 title: str = "Defects found and repaired or dropped, per file",
                 figsize: tuple[float, float] = (8, 4.5)) -> Figure:
    """Grouped horizontal bars: one group per defect type, one bar (and colour) per file, non-zero counts written.

    Args:
        reports: file label -> a `CleaningReport`, or a mapping of defect label -> count (missing labels
            count 0; labels outside `DEFECTS` raise ValueError).
        log: a logarithmic count axis (for counts of very different sizes).
        title: the axes title.
        figsize: the figure size in inches.

    Returns:
        The figure (one axes; ``ax.containers[i]`` holds the bars of the i-th file, top group first).
    """
    if not reports:
        raise ValueError("give at least one file's report")
    labels = list(DEFECTS)
    table: dict[str, list[int]] = {}
    for name, report in reports.items():
        counts = defect_counts(report) if isinstance(report, CleaningReport) else dict(report)
        unknown = sorted(set(counts) - set(labels))
        if unknown:
            raise ValueError(f"{name}: unknown defect label(s) {unknown}; known: {labels}")
        table[name] = [int(counts.get(label, 0)) for label in labels]
    fig = Figure(figsize=figsize, layout="constrained")
    ax = fig.add_subplot()
    n_files = len(table)
    height = 0.8 / n_files
    rows = np.arange(len(labels))  # one row (group) per defect type, top to bottom after invert_yaxis
    largest = max(max(values) for values in table.values()) or 1
    for k, (name, values) in enumerate(table.items()):
        bars = ax.barh(rows - 0.4 + height * (k + 0.5), values, height=height, label=name)
        ax.bar_label(bars, labels=[str(v) if v else "" for v in values], padding=2, fontsize=7)
    ax.set_yticks(rows, labels)
    ax.invert_yaxis()
    if log:
        ax.set_xscale("log")
        ax.set_xlim(0.8, largest * 4)
    else:
        ax.set_xlim(0, largest * 1.15)
    ax.set_xlabel("count" + (" (log scale)" if log else ""))
    ax.set_title(title)
    ax.legend(fontsize=8, loc="lower right")
    return fig


_WORDS = re.compile(r"[^\W\d_]+")  # runs of letters, accented ones included


def vocabulary_fit(texts: Iterable[str], tokenizer: Any) -> dict[str, float]:
    """What ``tokenizer`` makes of the words of ``texts``, counted over every occurrence of every word.

    A vocabulary learnt on another language splits more words into pieces (longer inputs, less meaning per
    token), maps more characters to ``[UNK]`` and, if it is uncased, strips accents that carry meaning.

    Args:
        texts: the texts (contexts, questions) to measure on.
        tokenizer: a fast tokenizer (its normaliser shows what the model reads).

    Returns:
        ``words`` (occurrences counted), ``pieces per word``, ``% split`` (words cut into two pieces or more),
        ``% unknown`` (words with an ``[UNK]`` piece) and ``% accents lost`` (words that the normaliser changes beyond
        their case, as an uncased BERT's does when it strips accents).

    >>> from tokenizers import Tokenizer, models, normalizers, pre_tokenizers
    >>> from transformers import PreTrainedTokenizerFast
    >>> raw = Tokenizer(models.WordPiece({"[UNK]": 0, "a": 1, "##cao": 2, "e": 3}, unk_token="[UNK]"))
    >>> raw.normalizer = normalizers.BertNormalizer(lowercase=True, strip_accents=True)
    >>> raw.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    >>> fit = vocabulary_fit(["A ação é boa"], PreTrainedTokenizerFast(tokenizer_object=raw, unk_token="[UNK]"))
    >>> fit["words"], fit["% split"], fit["% unknown"], fit["% accents lost"]
    (4, 25.0, 25.0, 50.0)
    """
    counts = Counter(word for text in texts for word in _WORDS.findall(text))
    if not counts:
        raise ValueError("no words in texts")
    words = list(counts)
    pieces = tokenizer(words, add_special_tokens=False)["input_ids"]
    normalizer = tokenizer.backend_tokenizer.normalizer
    unknown = tokenizer.unk_token_id
    total = sum(counts.values())

    def share(flags: Iterable[bool]) -> float:
        return 100 * sum(counts[w] for w, flag in zip(words, flags) if flag) / total

    return {"words": total,
            "pieces per word": sum(counts[w] * len(ids) for w, ids in zip(words, pieces)) / total,
            "% split": share(len(ids) > 1 for ids in pieces),
            "% unknown": share(unknown in ids for ids in pieces),
            "% accents lost": share(normalizer is not None and normalizer.normalize_str(w).lower() != w.lower()
                                    for w in words)}
