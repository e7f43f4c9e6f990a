"""Repair SQuAD-format columns and count every repair: nothing is changed silently.

The rules, applied per example (columns in the Hub layout: ``id``, ``title``, ``context``, ``question``,
``answers`` = ``{"text": [...], "answer_start": [...]}``):

1. Duplicate ids keep the **last** entry (translated sets appended corrected entries at the end).
2. HTML entities (``&quot;``, ``&amp;``, ``&#39;`` ...) are unescaped in contexts, questions and answers;
   ``answer_start`` is mapped through the unescape, character by character.
3. An answer whose ``answer_start`` does not point at its text moves to the nearest occurrence of the text
   (ties: the earlier); if the text is not in the context, the answer is dropped. Empty answers, and answers
   whose ``answer_start`` lies outside the context (``-1``: "not found" in translated sets), are dropped.
4. Whitespace is stripped from contexts, questions and answers, shifting ``answer_start`` to match.

Afterwards ``context[answer_start:answer_start + len(text)] == text`` holds for every answer.
"""

from __future__ import annotations

import dataclasses
import html
import re
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable
from typing import Any

import datasets

__all__ = ["CleaningReport", "SquadFormatError", "clean_squad", "normalize_answers", "original_offsets",
           "unescape_with_offsets"]

# Only complete entities ending in ";": "AT&T" or "Texas A&M" stay as they are.
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_MAX_NOTES = 20


class SquadFormatError(ValueError):
    """SQuAD-format data that cannot be read or repaired; the message names the file and the record."""


@dataclasses.dataclass
class CleaningReport:
    """What `clean_squad` changed, with counts; ``str(report)`` is a readable summary."""

    source: str = "<memory>"
    examples_in: int = 0
    examples_out: int = 0
    answers_in: int = 0
    answers_out: int = 0
    duplicate_ids_removed: int = 0
    contexts_unescaped: int = 0  # distinct context strings
    contexts_stripped: int = 0  # distinct context strings
    questions_unescaped: int = 0
    questions_stripped: int = 0
    answers_unescaped: int = 0
    answers_stripped: int = 0
    answer_starts_moved: int = 0  # moved only to follow an unescape or a strip (not a repair)
    answer_starts_repaired: int = 0
    repair_shifts: Counter = dataclasses.field(default_factory=Counter)  # found - given -> count
    answers_dropped_not_found: int = 0
    answers_dropped_empty: int = 0
    answers_dropped_bad_start: int = 0  # answer_start outside the context (such as -1)
    questions_left_without_answers: int = 0
    notes: list[str] = dataclasses.field(default_factory=list)  # the first few repairs, for reading

    def repair_counts(self) -> dict[str, int]:
        """Every count of a change (not the in/out totals), by field name."""
        counts = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        return {name: n for name, n in counts.items() if type(n) is int and not name.endswith(("_in", "_out"))}

    @property
    def changed(self) -> bool:
        """True when cleaning changed anything at all."""
        return self.answers_in != self.answers_out or any(self.repair_counts().values())

    def summary(self) -> str:
        """A few lines for people: examples and answers in/out, then every non-zero count."""
        lines = [f"Cleaning {self.source}: {self.examples_in} examples in, {self.examples_out} out; "
                 f"{self.answers_in} answers in, {self.answers_out} out."]
        lines += [f"  {name.replace('_', ' ')}: {n}" for name, n in self.repair_counts().items() if n]
        if self.repair_shifts:
            shifts = ", ".join(f"{k:+d}: {n}" for k, n in self.repair_shifts.most_common(5))
            more = f" (and {len(self.repair_shifts) - 5} other shifts)" if len(self.repair_shifts) > 5 else ""
            lines.append(f"  repair shifts (found - given start: count): {shifts}{more}")
        return "\n".join(lines if self.changed else lines + ["  nothing to repair."])

    def __str__(self) -> str:
        return self.summary()


def unescape_with_offsets(text: str) -> tuple[str, list[int] | None]:
    """Unescape HTML entities and say where every original character went.

    Args:
        text: a string that may contain entities such as ``&quot;``.

    Returns:
        ``(new_text, offsets)`` where ``offsets[i]`` is the position in ``new_text`` of original character
        ``i`` (characters inside an entity map to its replacement); ``offsets`` has ``len(text) + 1``
        entries, or is ``None`` when nothing changed.

    >>> new, offsets = unescape_with_offsets("say &quot;hi&quot;")
    >>> new, offsets[10], new[offsets[10]]
    ('say "hi"', 5, 'h')
    """
    pieces: list[str] = []
    offsets: list[int] = []
    done = 0  # original characters consumed
    length = 0  # characters written to the new text
    for match in _ENTITY.finditer(text):
        replacement = html.unescape(match.group())
        if replacement == match.group():
            continue
        pieces.append(text[done : match.start()])
        offsets.extend(range(length, length + match.start() - done))
        length += match.start() - done
        offsets.extend([length] * (match.end() - match.start()))
        pieces.append(replacement)
        length += len(replacement)
        done = match.end()
    if not pieces:
        return text, None
    pieces.append(text[done:])
    offsets.extend(range(length, length + len(text) - done + 1))
    return "".join(pieces), offsets


def original_offsets(raw_context: str, spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Character spans of a cleaned context (`clean_squad`: entities unescaped, whitespace stripped) as spans of the
    context it was cleaned from, so that offsets index the text the user gave.

    A span that starts or ends at an unescaped entity covers the whole entity (``&amp;``, not half of it).

    >>> raw = "  Tom &amp; Jerry"
    >>> cleaned = "Tom & Jerry"
    >>> original_offsets(raw, [(0, 5), (6, 11)])
    [(2, 11), (12, 17)]
    >>> raw[2:11], raw[12:17]
    ('Tom &amp;', 'Jerry')
    """
    unescaped, offsets = unescape_with_offsets(raw_context)
    lead = len(unescaped) - len(unescaped.lstrip())
    if offsets is None:
        return [(start + lead, end + lead) for start, end in spans]
    return [(bisect_left(offsets, start + lead), bisect_left(offsets, end + lead)) for start, end in spans]


def normalize_answers(raw: Any, where: str = "<memory>") -> dict[str, list]:
    """Answers in the Hub layout, from a dict of lists or an official list of ``{"text", "answer_start"}``.

    Args:
        raw: ``{"text": [...], "answer_start": [...]}`` or ``[{"text": ..., "answer_start": ...}, ...]``.
        where: file and record, for the error message.

    Returns:
        ``{"text": [...], "answer_start": [...]}``; raises `SquadFormatError` on missing keys or wrong types.

    >>> normalize_answers([{"text": "France", "answer_start": 12}])
    {'text': ['France'], 'answer_start': [12]}
    """
    if isinstance(raw, dict):
        texts, starts = raw.get("text"), raw.get("answer_start")
        if not isinstance(texts, list) or not isinstance(starts, list) or len(texts) != len(starts):
            raise SquadFormatError(f"{where}: answers must hold equally long 'text' and 'answer_start' lists")
    elif isinstance(raw, list):
        if not all(isinstance(a, dict) and "text" in a and "answer_start" in a for a in raw):
            raise SquadFormatError(f"{where}: every answer needs 'text' and 'answer_start', got {raw!r:.200}")
        texts, starts = [a["text"] for a in raw], [a["answer_start"] for a in raw]
    else:
        raise SquadFormatError(f"{where}: answers must be a list or a dict, got {type(raw).__name__}")
    if not all(isinstance(t, str) for t in texts) or not all(type(s) is int for s in starts):  # bool is no int
        raise SquadFormatError(f"{where}: answer texts must be strings and answer_start integers, "
                               f"got {texts!r:.100} / {starts!r:.100}")
    return {"text": texts, "answer_start": starts}


def _nearest(context: str, text: str, start: int) -> int:
    """Start of the occurrence of ``text`` nearest to ``start`` (ties: the earlier), or -1."""
    start = min(max(start, 0), len(context))
    before = context.rfind(text, 0, start + len(text) - 1)  # the last occurrence starting before `start`
    after = context.find(text, start)
    if before < 0 or (0 <= after and after - start < start - before):
        return after
    return before


def _clean_context(context: str, report: CleaningReport) -> tuple[str, list[int] | None, int]:
    """Unescaped context, its offset map (or None) and the number of leading characters stripped later."""
    unescaped, offsets = unescape_with_offsets(context)
    report.contexts_unescaped += offsets is not None
    lead = len(unescaped) - len(unescaped.lstrip())
    report.contexts_stripped += unescaped != unescaped.strip()
    return unescaped, offsets, lead


def _clean_answers(qid: Any, context: str, offsets: list[int] | None, lead: int, answers: Any,
                   report: CleaningReport, strict: bool) -> dict[str, list]:
    """One example's answers repaired against the unescaped (not yet stripped) context."""
    texts: list[str] = []
    starts: list[int] = []
    answers = normalize_answers(answers, f"{report.source}: question id {qid!r}")
    for raw_text, raw_start in zip(answers["text"], answers["answer_start"]):
        report.answers_in += 1
        text, changed = unescape_with_offsets(raw_text)
        report.answers_unescaped += changed is not None
        if not text.strip():
            if strict:
                raise SquadFormatError(f"{report.source}: question id {qid!r}: empty answer text")
            report.answers_dropped_empty += 1
            continue
        if not 0 <= raw_start < (len(context) if offsets is None else len(offsets) - 1):
            if strict:
                raise SquadFormatError(f"{report.source}: question id {qid!r}: answer_start {raw_start} is "
                                       f"outside the context")
            report.answers_dropped_bad_start += 1  # e.g. -1, "not found" in translated sets: nothing to repair
            continue
        start = raw_start if offsets is None else offsets[raw_start]
        repaired = context[start : start + len(text)] != text
        if repaired:
            if strict:
                raise SquadFormatError(
                    f"{report.source}: question id {qid!r}: answer {text!r} at answer_start {raw_start} does not "
                    f"match the context there ({context[start : start + len(text)]!r})")
            found = _nearest(context, text, start)
            if found < 0:
                report.answers_dropped_not_found += 1
                if len(report.notes) < _MAX_NOTES:
                    report.notes.append(f"{qid}: dropped {text!r} (not in the context)")
                continue
            report.answer_starts_repaired += 1
            report.repair_shifts[found - start] += 1
            if len(report.notes) < _MAX_NOTES:
                report.notes.append(f"{qid}: {text!r} moved from {start} to {found}")
            start = found
        report.answers_stripped += text != text.strip()
        start += len(text) - len(text.lstrip()) - lead  # the answer's and the context's leading whitespace
        report.answer_starts_moved += not repaired and start != raw_start
        texts.append(text.strip())
        starts.append(start)
    report.questions_left_without_answers += bool(answers["text"]) and not texts
    return {"text": texts, "answer_start": starts}


def _check_columns(columns: dict[str, list], source: str) -> int:
    missing = [k for k in ("id", "context", "question", "answers") if k not in columns]
    if missing:
        raise SquadFormatError(f"{source}: missing column(s) {missing}; got {sorted(columns)}")
    sizes = {k: len(v) for k, v in columns.items()}
    if len(set(sizes.values())) > 1:
        raise SquadFormatError(f"{source}: columns of different lengths {sizes}")
    return sizes["id"]


def clean_squad(data: dict[str, list] | datasets.Dataset, *, source: str = "<memory>",
                strict: bool = False) -> tuple[dict[str, list] | datasets.Dataset, CleaningReport]:
    """Repair SQuAD-format examples (duplicates, entities, offsets, whitespace) and report every change.

    Args:
        data: columns in the Hub layout (dict of lists) or a `datasets.Dataset` with those columns;
            other columns are kept.
        source: the file or dataset name, used in messages and in the report.
        strict: raise `SquadFormatError` (naming source and question id) on an answer whose
            ``answer_start`` does not match its text, or an empty answer, instead of repairing it.

    Returns:
        ``(cleaned, report)``: ``cleaned`` has the type of ``data``; ``report`` is a `CleaningReport`.

    >>> columns = {"id": ["a", "a"], "title": ["T", "T"], "context": ["x", "  Tom &amp; Jerry"],
    ...            "question": ["?", " Who? "], "answers": [{"text": ["x"], "answer_start": [0]},
    ...                                                     {"text": ["Jerry"], "answer_start": [12]}]}
    >>> cleaned, report = clean_squad(columns)
    >>> cleaned["context"], cleaned["question"], cleaned["answers"]
    (['Tom & Jerry'], ['Who?'], [{'text': ['Jerry'], 'answer_start': [6]}])
    >>> report.duplicate_ids_removed, report.answer_starts_moved
    (1, 1)
    """
    columns = data.to_dict() if isinstance(data, datasets.Dataset) else data
    n = _check_columns(columns, source)
    report = CleaningReport(source=source, examples_in=n)
    last = {qid: i for i, qid in enumerate(columns["id"])}  # later duplicates overwrite earlier ones
    keep = sorted(last.values())
    report.duplicate_ids_removed = n - len(keep)
    cleaned: dict[str, list] = {name: [values[i] for i in keep] for name, values in columns.items()}
    context_cache: dict[str, tuple[str, list[int] | None, int]] = {}
    for row, qid in enumerate(cleaned["id"]):
        raw_context = cleaned["context"][row]
        if raw_context not in context_cache:
            context_cache[raw_context] = _clean_context(raw_context, report)
        context, offsets, lead = context_cache[raw_context]
        question, changed = unescape_with_offsets(cleaned["question"][row])
        report.questions_unescaped += changed is not None
        report.questions_stripped += question != question.strip()
        answers = _clean_answers(qid, context, offsets, lead, cleaned["answers"][row], report, strict)
        report.answers_out += len(answers["text"])
        cleaned["context"][row] = context.strip()
        cleaned["question"][row] = question.strip()
        cleaned["answers"][row] = answers
    report.examples_out = len(keep)
    if isinstance(data, datasets.Dataset):
        return datasets.Dataset.from_dict(cleaned, features=data.features), report
    return cleaned, report
