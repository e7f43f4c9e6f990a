"""Load SQuAD-format data (Hub names, an offline mirror, nested or flat JSON) and split it by article.

Loaders return the Hub layout, one row per question: id, title, context, question, answers = {"text": [...],
"answer_start": [...]} (empty lists: no answer). `load_squad` also cleans (`qa_tutorial.cleaning`) and reports.
"""

from __future__ import annotations

import dataclasses
import gzip
import json
import logging
import os
import random
import warnings
from pathlib import Path
from typing import Any

import datasets

from qa_tutorial.cleaning import CleaningReport, SquadFormatError, clean_squad, normalize_answers

__all__ = ["DATASETS", "SQUAD_FEATURES", "KnownDataset", "SquadFormatError", "first_n", "flatten_squad",
           "load_from_hub", "load_squad", "mirror_file", "read_squad_json", "split_by_article"]

logger = logging.getLogger(__name__)

SQUAD_FEATURES = datasets.Features({  # the Hub's "squad" features; explicit, so empty answer lists keep their types
    **{name: datasets.Value("string") for name in ("id", "title", "context", "question")},
    "answers": {"text": datasets.Sequence(datasets.Value("string")),
                "answer_start": datasets.Sequence(datasets.Value("int32"))},
})
DATA_DIR_ENV = "QA_TUTORIAL_DATA_DIR"
SPLIT_ALIASES = {"dev": "validation", "val": "validation", "eval": "validation"}


@dataclasses.dataclass(frozen=True)
class KnownDataset:
    """A dataset known by name: its Hub id and its files in the mirror folder, by split."""

    hub_id: str
    mirror: dict[str, str]  # split -> path inside the mirror folder
    about: str


DATASETS: dict[str, KnownDataset] = {
    "squad": KnownDataset("rajpurkar/squad", {"validation": "squad-v1.1/dev.json.gz"},
                          "SQuAD v1.1 (English); the mirror has the official dev file only"),
    "squad_v2": KnownDataset("rajpurkar/squad_v2", {"validation": "squad-v2.0/dev.reconstructed.json.gz"},
                             "SQuAD v2.0 (English); the mirror has dev, rebuilt without plausible_answers"),
    "squad_pt": KnownDataset("nunorc/squad_v1_pt", {"train": "squad-pt-v1.1/train-sample.json.gz"},
                             "SQuAD v1.1 machine-translated to Portuguese; the mirror has the first 10 train articles"),
    "squad_v2_pt": KnownDataset("piEsposito/squad_20_ptbr", {"validation": "squad-pt-v2.0/dev.json.gz"},
                                "SQuAD v2.0 translated to Portuguese; the mirror has dev (cjaniake/squad_v2.0_pt)"),
    "faquad": KnownDataset("eraldoluis/faquad", {"train": "faquad-pt/train.json.gz",
                                                 "validation": "faquad-pt/dev.json.gz"},
                           "FaQuAD, native Brazilian Portuguese; the mirror has train and dev (= validation)"),
    "covid_qa": KnownDataset("deepset/covid_qa_deepset", {"train": "covid-qa/covid-qa-200423.json.gz"},
                             "COVID-QA, whole scientific articles; the mirror has the 2020-04-23 release as train"),
}


def mirror_file(name: str, split: str = "validation", data_dir: str | os.PathLike | None = None) -> Path | None:
    """The mirror file of a known dataset split, or None when no mirror folder is set.

    Args:
        name: a key of `DATASETS`; split: "train" or "validation" ("dev" means "validation");
        data_dir: the mirror folder (default: the environment variable ``QA_TUTORIAL_DATA_DIR``).

    Returns:
        The file's path (not checked for existence), or None; a split the mirror lacks raises ValueError.

    >>> mirror_file("faquad", "dev", data_dir="/data").as_posix()
    '/data/faquad-pt/dev.json.gz'
    """
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; known names: {sorted(DATASETS)} (or give a path to a file)")
    folder = data_dir if data_dir is not None else os.environ.get(DATA_DIR_ENV) or None
    if folder is None:
        return None
    known = DATASETS[name]
    split = SPLIT_ALIASES.get(split, split)
    if split not in known.mirror:
        raise ValueError(f"the mirror has no {split!r} split of {name!r}; it has {sorted(known.mirror)} "
                         f"({known.about}). The Hub copy {known.hub_id!r} may have more: load it without a mirror.")
    return Path(folder) / known.mirror[split]


def load_from_hub(hub_id: str, split: str, *, cache_dir: str | os.PathLike | None = None) -> datasets.Dataset:
    """`datasets.load_dataset` from the Hub, reduced to `SQUAD_FEATURES` (needs network or the HF cache).

    Args:
        hub_id: e.g. "rajpurkar/squad"; split: "train" or "validation"; cache_dir: default the HF cache.

    Returns:
        The split as a `datasets.Dataset`; raises `ConnectionError` naming the id and the mirror variable.
    """
    try:
        dataset = datasets.load_dataset(hub_id, split=split, cache_dir=None if cache_dir is None else str(cache_dir))
    except Exception as err:  # offline, unknown id or split: datasets raises several types
        raise ConnectionError(
            f"could not load {hub_id!r} split {split!r} from the Hugging Face Hub ({type(err).__name__}: {err}). "
            f"HF_HUB_OFFLINE={os.environ.get('HF_HUB_OFFLINE', '')!r}. To work offline, point {DATA_DIR_ENV} "
            "(or data_dir=) at a mirror folder such as ../shared/data.") from err
    if "title" not in dataset.column_names:  # COVID-QA on the Hub has a document_id instead
        ids = dataset["document_id"] if "document_id" in dataset.column_names else [""] * len(dataset)
        dataset = dataset.add_column("title", [str(i) for i in ids])
    return dataset.select_columns(list(SQUAD_FEATURES)).cast(SQUAD_FEATURES)


def _append(columns: dict[str, list], record: Any, title: str, context: Any, where: str) -> None:
    """Check one question record and append it to ``columns``."""
    if not isinstance(record, dict):
        raise SquadFormatError(f"{where}: not a JSON object")
    missing = [k for k in ("id", "question") if k not in record]
    if missing:
        raise SquadFormatError(f"{where}: missing key(s) {missing}")
    where = f"{where}, question id {record['id']!r}"
    if not isinstance(context, str) or not context.strip():
        raise SquadFormatError(f"{where}: empty or non-text context")
    if not isinstance(record["question"], str) or not record["question"].strip():
        raise SquadFormatError(f"{where}: empty or non-text question")
    answers = normalize_answers(record.get("answers", []), where)  # no "answers" key: unanswerable
    for name, value in zip(SQUAD_FEATURES, (str(record["id"]), title, context, record["question"], answers)):
        columns[name].append(value)


def flatten_squad(document: Any, *, source: str = "<memory>") -> dict[str, list]:
    """Flatten an official nested SQuAD document into Hub columns, one row per question.

    Args:
        document: ``{"data": [{"title", "paragraphs": [{"context", "qas": [...]}]}]}``; questions without
            an ``answers`` key get empty answers; ``plausible_answers`` is ignored; a missing title becomes
            ``article-<index>`` (so that articles can still be told apart).
        source: the file name, used in error messages.

    Returns:
        A dict of lists with keys id, title, context, question, answers.

    >>> doc = {"data": [{"title": "T", "paragraphs": [{"context": "Paris is in France.",
    ...        "qas": [{"id": 7, "question": "Where?", "answers": [{"text": "France", "answer_start": 12}]}]}]}]}
    >>> flatten_squad(doc)["answers"], flatten_squad(doc)["id"]
    ([{'text': ['France'], 'answer_start': [12]}], ['7'])
    """
    if not isinstance(document, dict) or not isinstance(document.get("data"), list):
        raise SquadFormatError(f"{source}: expected a JSON object with a 'data' list of articles")
    columns: dict[str, list] = {name: [] for name in SQUAD_FEATURES}
    for a, article in enumerate(document["data"]):
        title = article.get("title", f"article-{a}") if isinstance(article, dict) else None
        where = f"{source}: article {a} ({title!r})"
        if not isinstance(article, dict) or not isinstance(article.get("paragraphs"), list):
            raise SquadFormatError(f"{where}: missing 'paragraphs' list")
        for p, paragraph in enumerate(article["paragraphs"]):
            if not (isinstance(paragraph, dict) and isinstance(paragraph.get("qas"), list) and "context" in paragraph):
                raise SquadFormatError(f"{where}, paragraph {p}: needs 'context' and a 'qas' list")
            for q, record in enumerate(paragraph["qas"]):
                _append(columns, record, str(title), paragraph["context"], f"{where}, paragraph {p}, question {q}")
    return columns


def _flatten_records(records: list, source: str) -> dict[str, list]:
    """Flat records (one per question, Hub layout, answers as a dict of lists or a list of dicts) to columns."""
    columns: dict[str, list] = {name: [] for name in SQUAD_FEATURES}
    for i, record in enumerate(records):
        get = record.get if isinstance(record, dict) else {}.get
        _append(columns, record, str(get("title", "")), get("context"), f"{source}: record {i}")
    return columns


def read_squad_json(path: str | os.PathLike) -> dict[str, list]:
    """Read a nested SQuAD JSON, or flat JSON / JSON lines, plain or gzipped, into Hub columns.

    Args:
        path: a ``.json``, ``.jsonl`` or ``.json.gz`` file.

    Returns:
        A dict of lists with keys id, title, context, question, answers (not cleaned).
    """
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rt", encoding="utf-8") as handle:
            text = handle.read()
    except (UnicodeDecodeError, gzip.BadGzipFile, EOFError) as err:
        raise SquadFormatError(f"{path}: cannot read as UTF-8 text ({err})") from err
    try:
        document = json.loads(text)
    except json.JSONDecodeError as err:
        if err.msg != "Extra data":
            raise SquadFormatError(f"{path}: not JSON ({err.msg} at line {err.lineno}, column {err.colno})") from err
        document = []
        for n, line in enumerate(text.splitlines(), start=1):
            try:
                document.extend([json.loads(line)] if line.strip() else [])
            except json.JSONDecodeError as line_err:
                raise SquadFormatError(f"{path}: line {n} is not JSON ({line_err.msg})") from line_err
    if isinstance(document, dict) and "question" in document:  # JSON lines with a single record
        document = [document]
    if isinstance(document, list):
        return _flatten_records(document, str(path))
    return flatten_squad(document, source=str(path))


def load_squad(source: str | os.PathLike, split: str = "validation", *, data_dir: str | os.PathLike | None = None,
               clean: bool = True, strict: bool = False, return_report: bool = False):
    """Load SQuAD-format data as a `datasets.Dataset` in the Hub layout, cleaned and reported by default.

    Args:
        source: a name in `DATASETS` ("squad", "squad_v2", "squad_pt", "squad_v2_pt", "faquad", "covid_qa"),
            or a path to a nested SQuAD JSON or a flat JSON / JSON-lines file (``.gz`` allowed).
        split: the split of a named dataset ("dev" means "validation"); ignored for a path.
        data_dir: the mirror folder (default: ``$QA_TUTORIAL_DATA_DIR``); without one, names load from the Hub.
        clean: run `qa_tutorial.cleaning.clean_squad` and log its summary.
        strict: with ``clean``, raise on answers that do not match their context instead of repairing them.
        return_report: return ``(dataset, report)``; ``report`` is None when ``clean`` is False.

    Returns:
        The dataset with features `SQUAD_FEATURES`, or ``(dataset, report)``.
    """
    name = os.fspath(source)
    dataset: datasets.Dataset | None = None
    if name in DATASETS:
        path = mirror_file(name, split, data_dir)
        if path is None:
            dataset = load_from_hub(DATASETS[name].hub_id, SPLIT_ALIASES.get(split, split))
        label = f"{DATASETS[name].hub_id} ({split})" if path is None else str(path)
    elif Path(name).exists() or name.endswith((".json", ".jsonl", ".gz")):
        path, label = Path(name), name
    else:
        raise ValueError(f"{name!r} is neither a known dataset {sorted(DATASETS)} nor an existing file")
    loaded: dict[str, list] | datasets.Dataset = read_squad_json(path) if dataset is None else dataset
    report: CleaningReport | None = None
    if clean:
        loaded, report = clean_squad(loaded, source=label, strict=strict)
        logger.log(logging.WARNING if report.changed else logging.INFO, "%s", report.summary())
    if isinstance(loaded, dict):
        loaded = datasets.Dataset.from_dict(loaded, features=SQUAD_FEATURES)
    return (loaded, report) if return_report else loaded


def split_by_article(dataset: datasets.Dataset, *, eval_fraction: float = 0.2, seed: int = 0) -> datasets.DatasetDict:
    """Split into "train" and "validation" by article title, so that no article is in both.

    Args:
        dataset: examples with a ``title`` column.
        eval_fraction: the fraction of **articles** (not examples) that goes to "validation".
        seed: the shuffle seed; the same seed gives the same split.

    Returns:
        A `datasets.DatasetDict` with "train" and "validation".

    >>> parts = split_by_article(datasets.Dataset.from_dict({"title": list("aabcde")}), eval_fraction=0.4)
    >>> train, held_out = set(parts["train"]["title"]), set(parts["validation"]["title"])
    >>> len(train & held_out), len(held_out), len(parts["train"]) + len(parts["validation"])
    (0, 2, 6)
    """
    if not 0 < eval_fraction < 1:
        raise ValueError(f"eval_fraction must be between 0 and 1, got {eval_fraction}")
    titles = dataset.select_columns(["title"]).to_dict()["title"]  # a list: iterating a Column is slow
    articles = list(dict.fromkeys(titles))
    if len(articles) < 2:
        raise ValueError(f"cannot split by article: the dataset has {len(articles)} article title(s), needs 2")
    random.Random(seed).shuffle(articles)
    n_eval = min(max(1, round(eval_fraction * len(articles))), len(articles) - 1)
    held_out = set(articles[:n_eval])
    train = [i for i, title in enumerate(titles) if title not in held_out]
    evaluation = [i for i, title in enumerate(titles) if title in held_out]
    return datasets.DatasetDict(train=dataset.select(train), validation=dataset.select(evaluation))


def first_n(dataset: datasets.Dataset, n: int) -> datasets.Dataset:
    """The first ``n`` examples (all of them, with a warning, when there are fewer).

    Args:
        dataset: any `datasets.Dataset`; n: how many examples, a positive integer.

    Returns:
        ``dataset.select(range(n))``, or ``dataset`` itself when ``n`` exceeds its length.

    >>> len(first_n(datasets.Dataset.from_dict({"x": [1, 2, 3]}), 2))
    2
    """
    if isinstance(n, bool) or not isinstance(n, int) or n <= 0:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    if n > len(dataset):
        warnings.warn(f"asked for the first {n} examples but there are only {len(dataset)}: using all", stacklevel=2)
        return dataset
    return dataset.select(range(n))
