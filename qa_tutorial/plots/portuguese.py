"""The defects of the Portuguese SQuAD-format files, counted by `qa_tutorial.cleaning.clean_squad`, as bars.

`defect_counts` picks the six counts of a `CleaningReport` that are defects of the data (not consequences of
a repair); `plot_defects` draws them for several files side by side, one group of bars per defect type.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from matplotlib.figure import Figure

from qa_tutorial.cleaning import CleaningReport

__all__ = ["DEFECTS", "defect_counts", "plot_defects"]

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
