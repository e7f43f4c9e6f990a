"""Where spans fall in a text (HTML with highlighted spans) and how a long context is cut into windows (a diagram).

`highlight_spans_html` marks character spans of a text (answers, windows, predictions) for display with
``IPython.display.HTML``. `context_windows` reads the windows of one example off a tokenizer's encoding (made
with ``return_overflowing_tokens=True`` and ``return_offsets_mapping=True``), and `window_diagram` draws them.
"""

from __future__ import annotations

import dataclasses
import html
from collections.abc import Collection, Mapping, Sequence
from itertools import pairwise
from typing import Any

from matplotlib.figure import Figure
from matplotlib.patches import Patch

__all__ = ["PALETTE", "WindowLayout", "context_windows", "highlight_spans_html", "window_diagram"]

# Light colours that keep black text readable; labels get them in order of first appearance.
PALETTE = ("#ffe066", "#a5d8ff", "#b2f2bb", "#ffc9c9", "#d0bfff", "#ffd8a8", "#99e9f2", "#eebefa")
_STYLE = "color:#000;padding:0 1px;border-radius:3px"


def _normalise(spans: Sequence[Sequence[Any]], length: int) -> list[tuple[int, int, str]]:
    out = []
    for i, span in enumerate(spans):
        if len(span) not in (2, 3):
            raise ValueError(f"span {i} must be (start, end) or (start, end, label), got {span!r}")
        start, end = int(span[0]), int(span[1])
        label = str(span[2]) if len(span) == 3 else "span"
        if not 0 <= start <= end <= length:
            raise ValueError(f"span {i} ({start}, {end}) is not inside the text of {length} characters")
        out.append((start, end, label))
    return out


def _style(colours: list[str], outlines: list[str]) -> str:
    """CSS of one piece: its background (diagonal stripes where several spans overlap) and outline rings."""
    if not colours:
        background = "transparent"
    elif len(colours) == 1:
        background = colours[0]
    else:
        stops = ", ".join(f"{c} {8 * k}px {8 * (k + 1)}px" for k, c in enumerate(colours))
        background = f"repeating-linear-gradient(135deg, {stops})"
    rings = ", ".join(f"0 0 0 {2 * (k + 1)}px {c}" for k, c in enumerate(outlines))
    return f"background:{background};{_STYLE}" + (f";box-shadow:{rings}" if rings else "")


def highlight_spans_html(text: str, spans: Sequence[Sequence[Any]], *, colors: Mapping[str, str] | None = None,
                         outline: Collection[str] = (), margin: int | None = None, legend: bool = True) -> str:
    """The text as HTML, with each span's characters inside ``<mark>`` elements coloured by the span's label.

    Every character is HTML-escaped. The text is cut at every span boundary: each piece covered by spans
    becomes one ``<mark>`` whose ``title`` lists the labels covering it (hover to read them), so adjacent
    spans stay two marks and characters covered by several spans (overlapping windows) get striped colours.
    Labels in ``outline`` are drawn as rings instead, on top of the backgrounds.

    Args:
        text: the text, e.g. a context.
        spans: ``(start, end)`` or ``(start, end, label)`` character spans, end exclusive (Python slices).
        colors: label -> CSS colour; other labels get `PALETTE` colours in order of first appearance.
        outline: labels drawn as a coloured ring around their characters instead of a background, so that
            they stay visible on top of other spans (e.g. the answer inside overlapping windows).
        margin: show only this many characters around the spans (with "…" where text is cut); None: all.
        legend: start with one swatch per label.

    Returns:
        An HTML string for ``IPython.display.HTML``.

    >>> highlight_spans_html("Tom & Jerry", [(6, 11, "answer")], legend=False)  # doctest: +ELLIPSIS
    '<div ...>Tom &amp; <mark ... title="answer">Jerry</mark></div>'
    """
    spans_ = _normalise(spans, len(text))
    palette = dict(colors or {})
    automatic = [label for label in dict.fromkeys(label for _, _, label in spans_) if label not in palette]
    palette.update({label: PALETTE[k % len(PALETTE)] for k, label in enumerate(automatic)})
    low, high = 0, len(text)
    if margin is not None and spans_:
        low = max(0, min(s for s, _, _ in spans_) - margin)
        high = min(len(text), max(e for _, e, _ in spans_) + margin)
    cuts = sorted({low, high} | {p for s, e, _ in spans_ if s < e for p in (s, e) if low <= p <= high})
    pieces = ["…"] if low > 0 else []
    for a, b in pairwise(cuts):
        piece = html.escape(text[a:b])
        labels = list(dict.fromkeys(label for s, e, label in spans_ if s <= a and b <= e and s < e))
        if labels:
            style = _style([palette[x] for x in labels if x not in outline], [palette[x] for x in labels if x in outline])
            pieces.append(f'<mark style="{html.escape(style)}" title="{html.escape(", ".join(labels))}">{piece}</mark>')
        else:
            pieces.append(piece)
    if high < len(text):
        pieces.append("…")
    head = ""
    if legend and spans_:
        swatches = " ".join(
            f'<mark style="{html.escape(_style([], [palette[x]]) if x in outline else _style([palette[x]], []))}">'
            f"{html.escape(x)}</mark>" for x in dict.fromkeys(label for _, _, label in spans_))
        head = f'<div style="margin-bottom:0.4em;font-size:90%">{swatches}</div>'
    return f'<div style="white-space:pre-wrap;line-height:1.7;font-family:sans-serif">{head}{"".join(pieces)}</div>'


@dataclasses.dataclass
class WindowLayout:
    """The windows of one example, in positions of the context's own tokens.

    Attributes:
        tokens: per window, ``(start, end)`` (end exclusive): which tokens of the whole context it holds.
        chars: per window, the ``(start, end)`` character span of the context it covers.
        offsets: per window, the character offsets of its context tokens.
        other_tokens: tokens of a window that are not context or padding (question and special tokens).
        context_tokens: how many tokens the whole context has.
    """

    tokens: list[tuple[int, int]]
    chars: list[tuple[int, int]]
    offsets: list[list[tuple[int, int]]]
    other_tokens: int
    context_tokens: int

    def token_range(self, start_char: int, end_char: int) -> tuple[int, int] | None:
        """The context tokens (``(first, end)``, end exclusive) that overlap characters [start_char, end_char)."""
        hits = {first + k for (first, _), offs in zip(self.tokens, self.offsets)
                for k, (s, e) in enumerate(offs) if s < end_char and e > start_char}
        return (min(hits), max(hits) + 1) if hits else None


def context_windows(encoding: Any, *, sample: int = 0, context_id: int = 1) -> WindowLayout:
    """Read the windows of example ``sample`` off an encoding with overflowing tokens and offsets.

    Consecutive windows of one context share tokens; a window's first context token is found among the
    previous window's tokens by its character offsets, which gives its position in the whole context.

    Args:
        encoding: a fast tokenizer's ``BatchEncoding`` (with ``offset_mapping``; ``overflow_to_sample_mapping``
            when several examples were tokenized), or a dict of lists whose offsets are None outside the
            context (as `qa_tutorial.features.prepare_eval_features` returns).
        sample: which example of the batch.
        context_id: the sequence id of the context (1 when the question comes first, 0 otherwise).

    Returns:
        A `WindowLayout`.
    """
    mapping = encoding.get("overflow_to_sample_mapping")
    rows = [i for i, s in enumerate(mapping) if s == sample] if mapping is not None else \
        list(range(len(encoding["input_ids"])))
    if not rows:
        raise ValueError(f"no window belongs to sample {sample}")
    tokens, chars, offsets, others = [], [], [], []
    for row in rows:
        offs = encoding["offset_mapping"][row]
        if hasattr(encoding, "sequence_ids"):
            in_context = [s == context_id for s in encoding.sequence_ids(row)]
        else:
            in_context = [o is not None for o in offs]
        mask = encoding["attention_mask"][row] if "attention_mask" in encoding else [1] * len(offs)
        context = [(int(o[0]), int(o[1])) for o, c in zip(offs, in_context) if c]
        if not context:
            raise ValueError(f"window {row} has no context token")
        others.append(sum(1 for c, m in zip(in_context, mask) if not c and m))
        if tokens:
            previous_first = tokens[-1][0]
            try:
                shift = offsets[-1].index(context[0])
            except ValueError:
                raise ValueError(f"window {row} does not continue the previous window of the same context") from None
            first = previous_first + shift
        else:
            first = 0
        tokens.append((first, first + len(context)))
        chars.append((context[0][0], context[-1][1]))
        offsets.append(context)
    return WindowLayout(tokens=tokens, chars=chars, offsets=offsets, other_tokens=others[0],
                        context_tokens=tokens[-1][1])


def window_diagram(windows: Sequence[tuple[int, int]], *, question_tokens: int, context_tokens: int | None = None,
                   answer: tuple[int, int] | None = None, title: str | None = None,
                   figsize: tuple[float, float] | None = None) -> Figure:
    """Draw how a context is cut into overlapping windows: one row per window, one bar for its context part.

    Positions are token positions in the whole context. Each row starts with the part every window repeats
    (question and special tokens, drawn left of 0); hatched bars mark the tokens a window shares with the
    previous one; a band marks the answer, and each row says whether it holds the whole answer.

    Args:
        windows: per window, the ``(start, end)`` context tokens it holds (end exclusive), e.g.
            ``context_windows(encoding).tokens``.
        question_tokens: tokens before (or beside) the context in every window: question and special tokens.
        context_tokens: the whole context's length in tokens, drawn as a top row (default: the last end).
        answer: the answer's ``(start, end)`` context tokens, or None.
        title: the axes title (default: the number of windows).
        figsize: default (8, a height that grows with the number of windows, at most 4.5).

    Returns:
        A `matplotlib.figure.Figure` with one axes; its bar containers are labelled "context part",
        "question + special tokens", "overlap with previous window" and "whole context".

    >>> fig = window_diagram([(0, 100), (60, 150)], question_tokens=12, answer=(70, 75))
    >>> [c.get_label() for c in fig.axes[0].containers]
    ['whole context', 'question + special tokens', 'context part', 'overlap with previous window']
    """
    if not windows:
        raise ValueError("window_diagram needs at least one window")
    n = len(windows)
    total = context_tokens if context_tokens is not None else max(end for _, end in windows)
    fig = Figure(figsize=figsize or (8, min(4.5, 1.6 + 0.45 * (n + 1))), layout="constrained")
    ax = fig.subplots()
    rows = list(range(1, n + 1))
    ax.barh([0], [total], left=[0], height=0.5, color="#dee2e6", label="whole context")
    ax.barh(rows, [question_tokens] * n, left=[-question_tokens] * n, height=0.6, color="#adb5bd",
            label="question + special tokens")
    ax.barh(rows, [e - s for s, e in windows], left=[s for s, _ in windows], height=0.6, color="tab:blue",
            alpha=0.75, label="context part")
    shared = [(i + 1, s, windows[i - 1][1] - s) for i, (s, _) in enumerate(windows) if i and windows[i - 1][1] > s]
    if shared:
        ax.barh([r for r, _, _ in shared], [w for _, _, w in shared], left=[s for _, s, _ in shared], height=0.6,
                fill=False, hatch="///", edgecolor="black", linewidth=0.5, label="overlap with previous window")
    handles = [Patch(color="#dee2e6", label="whole context"), Patch(color="#adb5bd", label="question + special tokens"),
               Patch(color="tab:blue", alpha=0.75, label="context part")]
    if shared:
        handles.append(Patch(fill=False, hatch="///", edgecolor="black", label="overlap with previous window"))
    if answer is not None:
        ax.axvspan(answer[0], answer[1], color="tab:red", alpha=0.35, zorder=0)
        handles.append(Patch(color="tab:red", alpha=0.35, label="answer"))
        for row, (s, e) in zip(rows, windows):
            inside = s <= answer[0] and answer[1] <= e
            ax.text(e + 0.01 * (total + question_tokens), row, "answer inside" if inside else "no answer (CLS)",
                    va="center", fontsize=8, color="tab:red" if inside else "dimgray")
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_yticks([0, *rows], ["context", *(f"window {i}" for i in range(n))])
    ax.invert_yaxis()
    ax.set_xlim(-question_tokens - 0.02 * total, total * (1.22 if answer is not None else 1.02))
    ax.set_xlabel("token position in the context (question part drawn left of 0)")
    ax.set_title(title or f"{n} window{'s' if n != 1 else ''} over a context of {total} tokens")
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=len(handles), frameon=False,
              fontsize=8)
    return fig
