"""Load SQuAD-format data (Hub names, an offline mirror, nested or flat JSON) and split it by article.

Loaders return the Hub layout, one row per question: id, title, context, question, answers = {"text": [...],
"answer_start": [...]} (empty lists: no answer). `load_squad` also cleans (`qa_tutorial.cleaning`) and reports.
A named dataset comes from the mirror folder passed as ``data_dir``, else from the Hub: nothing here reads the
environment (the book and the command line take the folder from ``QA_TUTORIAL_DATA_DIR``, `DATA_DIR_ENV`).
"""

from __future__ import annotations

import dataclasses
import gzip
import json
import logging
import os
import random
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import datasets

from qa_tutorial.cleaning import CleaningReport, SquadFormatError, clean_squad, normalize_answers

__all__ = ["DATASETS", "PARQUET_BRANCH", "SQUAD_FEATURES", "KnownDataset", "MirrorError", "SquadFormatError", "download_mirror",
           "first_n", "flatten_squad", "keep_answerable", "load_from_hub", "load_squad", "mirror_file", "mirror_folder",
           "read_squad_json", "sample_examples", "split_by_article", "to_squad_document", "write_squad_json"]

logger = logging.getLogger(__name__)
# Cleaning reports go to a logger of their own, so that an application (or the book) can quiet them alone.
CLEANING_LOGGER = f"{__name__}.cleaning"

SQUAD_FEATURES = datasets.Features({  # the Hub's "squad" features; explicit, so empty answer lists keep their types
    **{name: datasets.Value("string") for name in ("id", "title", "context", "question")},
    "answers": {"text": datasets.Sequence(datasets.Value("string")),
                "answer_start": datasets.Sequence(datasets.Value("int32"))},
})
DATA_DIR_ENV = "QA_TUTORIAL_DATA_DIR"  # where the book and the command line find the mirror folder
SPLIT_ALIASES = {"dev": "validation", "val": "validation", "eval": "validation"}
# The branch where the Hub's dataset viewer keeps a public dataset converted to parquet. The Portuguese sets are
# loading scripts on their main branch, which datasets >= 4 refuses to run; this branch has their rows.
PARQUET_BRANCH = "refs/convert/parquet"


@dataclasses.dataclass(frozen=True)
class KnownDataset:
    """A dataset known by name: its Hub id, its files in the mirror folder by split, and what it holds.

    Attributes:
        hub_id: the dataset's id on the Hugging Face Hub. mirror: split -> path inside the mirror folder.
        about: one line for messages.
        language: the language of its text ("english", "portuguese").
        version_2: it has unanswerable questions (SQuAD v2.0 rules: a model may answer "").
        long_documents: its contexts are whole documents, thousands of tokens long (a long-input model's job).
        articles_of: another known dataset whose articles these are (carve both alike).
        hub_splits: the splits its Hub copy publishes (COVID-QA: train only), so that a missing split is
            known without asking the Hub.
        hub_revision: the branch or commit of the Hub repo to read; None is ``main``. `PARQUET_BRANCH` for
            the repos whose ``main`` holds a loading script, which datasets 4 and later refuse to run.
    """

    hub_id: str
    mirror: dict[str, str]
    about: str
    language: str = "english"
    version_2: bool = False
    long_documents: bool = False
    articles_of: str | None = None
    hub_splits: tuple[str, ...] = ("train", "validation")
    hub_revision: str | None = None


DATASETS: dict[str, KnownDataset] = {
    "squad": KnownDataset("rajpurkar/squad", {"validation": "squad-v1.1/dev.json.gz"},
                          "SQuAD v1.1 (English); the mirror has the official dev file only"),
    "squad_v2": KnownDataset("rajpurkar/squad_v2", {"validation": "squad-v2.0/dev.reconstructed.json.gz"},
                             "SQuAD v2.0 (English); the mirror has dev, rebuilt without plausible_answers",
                             version_2=True, articles_of="squad"),
    "squad_pt": KnownDataset("nunorc/squad_v1_pt", {"train": "squad-pt-v1.1/train-sample.json.gz"},
                             "SQuAD v1.1 machine-translated to Portuguese; the mirror has the first 10 train articles",
                             language="portuguese", hub_revision=PARQUET_BRANCH),
    "squad_v2_pt": KnownDataset("piEsposito/squad_20_ptbr", {"validation": "squad-pt-v2.0/dev.json.gz"},
                                "SQuAD v2.0 translated to Portuguese; the mirror has dev (cjaniake/squad_v2.0_pt)",
                                language="portuguese", version_2=True, hub_revision=PARQUET_BRANCH),
    "faquad": KnownDataset("eraldoluis/faquad", {"train": "faquad-pt/train.json.gz",
                                                 "validation": "faquad-pt/dev.json.gz"},
                           "FaQuAD, native Brazilian Portuguese; the mirror has train and dev (= validation)",
                           language="portuguese", hub_revision=PARQUET_BRANCH),
    "covid_qa": KnownDataset("deepset/covid_qa_deepset", {"train": "covid-qa/covid-qa-200423.json.gz"},
                             "COVID-QA, whole scientific articles; the mirror has the April 2020 release as train",
                             long_documents=True, hub_splits=("train",)),
}


class MirrorError(FileNotFoundError):
    """The mirror folder, or one of its files, is missing; the message names it and the ways out."""


def _mirror_help(folder: Path) -> str:
    return (f"Either build the mirror there with `qa-tutorial data download --to {folder}` (needs the network "
            f"once), or pass no data_dir (unset {DATA_DIR_ENV} for the book and the command line) to load from the "
            "Hugging Face Hub.")


def _check_mirror_file(path: Path, folder: Path, name: str, split: str) -> None:
    """Raise `MirrorError` when the mirror folder or its file for (name, split) does not exist."""
    if not folder.is_dir():
        raise MirrorError(f"the data mirror folder {folder} does not exist (data_dir, or {DATA_DIR_ENV} in the book "
                          "and the command line). "
                          + _mirror_help(folder))
    if not path.is_file():
        raise MirrorError(f"the data mirror {folder} has no file {path.relative_to(folder).as_posix()} "
                          f"({name}, {split} split). " + _mirror_help(folder))


def mirror_folder(data_dir: str | os.PathLike | None = None) -> Path | None:
    """The mirror folder ``data_dir`` as a `Path`, or None (no mirror: use the Hub); "" counts as none.

    >>> mirror_folder("/data").as_posix(), mirror_folder(None)
    ('/data', None)
    """
    return Path(data_dir) if data_dir else None


def mirror_file(name: str, split: str = "validation", data_dir: str | os.PathLike | None = None) -> Path | None:
    """The mirror file of a known dataset split, or None when no mirror folder is set.

    Args:
        name: a key of `DATASETS`; split: "train" or "validation" ("dev" means "validation");
        data_dir: the mirror folder (None: no mirror).

    Returns:
        The file's path (not checked for existence), or None; a split the mirror lacks raises ValueError.

    >>> mirror_file("faquad", "dev", data_dir="/data").as_posix()
    '/data/faquad-pt/dev.json.gz'
    """
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; known names: {sorted(DATASETS)} (or give a path to a file)")
    folder = mirror_folder(data_dir)
    if folder is None:
        return None
    known = DATASETS[name]
    split = SPLIT_ALIASES.get(split, split)
    if split not in known.mirror:
        raise ValueError(f"the mirror has no {split!r} split of {name!r}; it has {sorted(known.mirror)} "
                         f"({known.about}). The Hub copy {known.hub_id!r} may have more: load it without a mirror.")
    return Path(folder) / known.mirror[split]


def _load_cached_snapshot(hub_id: str, split: str, revision: str | None) -> datasets.Dataset | None:
    """The split from the dataset repo's files in the local Hugging Face Hub cache, or None when they are not there.

    `datasets.load_dataset` offline only finds splits it prepared before; the repo's own files (which every online
    load puts in the Hub cache) are enough, as for models.
    """
    from huggingface_hub import snapshot_download

    try:
        folder = snapshot_download(hub_id, repo_type="dataset", revision=revision, local_files_only=True)
    except Exception:  # noqa: BLE001 - not cached (huggingface_hub raises several types)
        return None
    scripts = sorted(path.name for path in Path(folder).glob("*.py"))
    if scripts:  # datasets >= 4 skips them, and then finds no data files
        raise RuntimeError(f"it holds a loading script ({', '.join(scripts)}), which datasets >= 4 no longer runs"
                           + _PARQUET_HINT)
    return datasets.load_dataset(folder, split=split)


_PARQUET_HINT = f"; the Hub's parquet conversion of it may load: revision={PARQUET_BRANCH!r}"


def _is_network_error(err: BaseException) -> bool:
    """Whether ``err`` (or an error it was raised from) is about reaching the Hub, not about the repo's content."""
    seen: BaseException | None = err
    while seen is not None:
        names = [kind.__name__ for kind in type(seen).__mro__]
        if isinstance(seen, (ConnectionError, TimeoutError)) or any(
                word in name for name in names for word in ("Connect", "Timeout", "Offline")):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def load_from_hub(hub_id: str, split: str, *, revision: str | None = None,
                  cache_dir: str | os.PathLike | None = None) -> datasets.Dataset:
    """`datasets.load_dataset` from the Hub, reduced to `SQUAD_FEATURES` (needs network or the HF cache).

    Offline (``HF_HUB_OFFLINE=1``) it also reads the dataset repo's files from the local Hub cache.

    Args:
        hub_id: e.g. "rajpurkar/squad"; split: "train" or "validation"; revision: a branch or commit (None:
            ``main``; `PARQUET_BRANCH` for repos that hold a loading script); cache_dir: default the HF cache.

    Returns:
        The split as a `datasets.Dataset`.

    Raises:
        ConnectionError: the Hub could not be reached (or ``HF_HUB_OFFLINE`` is set) and the local cache lacks
            the split; the message names the id and the mirror way out.
        RuntimeError: the Hub answered but datasets could not build the split (a loading script, an unknown
            split or config); the message says what datasets reported.
    """
    where = f"{hub_id!r}" + ("" if revision is None else f" (revision {revision!r})") + f" split {split!r}"
    try:
        dataset = datasets.load_dataset(hub_id, split=split, revision=revision,
                                        cache_dir=None if cache_dir is None else str(cache_dir))
    except Exception as err:  # offline, unknown id or split, a script: datasets raises several types
        try:
            dataset = _load_cached_snapshot(hub_id, split, revision)
        except Exception as cached:  # the cached files are there, but do not load
            raise RuntimeError(f"the local Hub cache holds {where}, but datasets {datasets.__version__} cannot "
                               f"load it: {cached}") from cached
        if dataset is None:
            from huggingface_hub import constants

            if not _is_network_error(err):
                hint = _PARQUET_HINT if "script" in str(err).lower() and revision != PARQUET_BRANCH else ""
                raise RuntimeError(f"the Hub copy of {where} did not load with datasets {datasets.__version__} "
                                   f"({type(err).__name__}: {err}){hint}") from err
            offline = bool(constants.HF_HUB_OFFLINE)
            raise ConnectionError(
                f"could not load {where} from the Hugging Face Hub ({type(err).__name__}: {err})"
                + (". HF_HUB_OFFLINE is set and the local Hub cache does not hold it" if offline else "")
                + f". To work offline, point {DATA_DIR_ENV} (or data_dir=) at a mirror folder, e.g. one made by "
                "`qa-tutorial data download --to DIR`.") from err
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


def to_squad_document(columns: dict[str, list] | datasets.Dataset) -> dict:
    """Rows in the Hub layout back to an official nested SQuAD document (the inverse of `flatten_squad`).

    Rows are grouped by title, then by context, in the order they first appear; a question without answers gets
    ``"answers": []`` and ``"is_impossible": true``, as in SQuAD v2.0.

    Args:
        columns: a dict of lists or a `datasets.Dataset` with id, title, context, question, answers.

    Returns:
        ``{"data": [{"title", "paragraphs": [{"context", "qas": [...]}]}]}``.

    >>> rows = {"id": ["a", "b"], "title": ["T", "T"], "context": ["Paris is in France."] * 2,
    ...         "question": ["Where is Paris?", "Where is Rome?"],
    ...         "answers": [{"text": ["France"], "answer_start": [12]}, {"text": [], "answer_start": []}]}
    >>> document = to_squad_document(rows)
    >>> document["data"][0]["paragraphs"][0]["qas"][1]
    {'id': 'b', 'question': 'Where is Rome?', 'answers': [], 'is_impossible': True}
    >>> flatten_squad(document) == rows
    True
    """
    if isinstance(columns, datasets.Dataset):
        columns = columns.select_columns(list(SQUAD_FEATURES)).to_dict()
    articles: dict[str, dict[str, list]] = {}
    for qid, title, context, question, answers in zip(*(columns[name] for name in SQUAD_FEATURES)):
        record: dict[str, Any] = {"id": qid, "question": question,
                                  "answers": [{"text": t, "answer_start": int(s)}
                                              for t, s in zip(answers["text"], answers["answer_start"])]}
        if not record["answers"]:
            record["is_impossible"] = True
        articles.setdefault(title, {}).setdefault(context, []).append(record)
    return {"data": [{"title": title, "paragraphs": [{"context": context, "qas": qas}
                                                      for context, qas in paragraphs.items()]}
                     for title, paragraphs in articles.items()]}


def write_squad_json(columns: dict[str, list] | datasets.Dataset, path: str | os.PathLike) -> Path:
    """Write rows as a nested SQuAD JSON file, gzipped when ``path`` ends in ``.gz`` (reproducibly: no
    timestamp), atomically: an interrupted write leaves no partial file.

    >>> import tempfile
    >>> rows = {"id": ["a"], "title": ["T"], "context": ["Paris is in France."], "question": ["Where?"],
    ...         "answers": [{"text": ["France"], "answer_start": [12]}]}
    >>> path = write_squad_json(rows, Path(tempfile.mkdtemp()) / "dev.json.gz")
    >>> read_squad_json(path) == rows
    True
    """
    from qa_tutorial.atomic_files import write_bytes_atomic

    path = Path(path)
    data = json.dumps(to_squad_document(columns), ensure_ascii=False).encode("utf-8")
    if path.suffix == ".gz":
        data = gzip.compress(data, compresslevel=9, mtime=0)
    return write_bytes_atomic(path, data)


def download_mirror(folder: str | os.PathLike, names: list[str] | None = None, *, overwrite: bool = False,
                    progress: bool = False) -> dict[str, dict[str, str]]:
    """Build an offline mirror folder from the Hub: each named dataset's mirror splits, in the mirror layout.

    The files are the Hub's rows (not cleaned: `load_squad` cleans when it reads them) as nested SQuAD JSON.
    Pass the folder as ``data_dir=`` (or point ``QA_TUTORIAL_DATA_DIR`` at it, for the book and the command line)
    to work offline afterwards.

    Args:
        folder: the mirror folder to fill (created if needed).
        names: keys of `DATASETS` (default: all of them).
        overwrite: replace files that already exist (default: keep them, so an interrupted run resumes).
        progress: show a progress bar over the files.

    Returns:
        ``{name: {split: status}}``, status "written", "kept" (already there) or "failed: <reason>"; a failure
        does not stop the other datasets.
    """
    from tqdm.auto import tqdm

    names = list(DATASETS) if names is None else list(names)
    unknown = [name for name in names if name not in DATASETS]
    if unknown:
        raise ValueError(f"unknown dataset(s) {unknown}; known names: {sorted(DATASETS)}")
    folder = Path(folder)
    jobs = [(name, split, relative) for name in names for split, relative in DATASETS[name].mirror.items()]
    status: dict[str, dict[str, str]] = {}
    for name, split, relative in tqdm(jobs, desc="mirror files", unit="file", disable=not progress):
        target = folder / relative
        if target.exists() and not overwrite:
            status.setdefault(name, {})[split] = "kept"
            continue
        try:
            rows = load_from_hub(DATASETS[name].hub_id, split, revision=DATASETS[name].hub_revision)
        except (ConnectionError, RuntimeError) as err:
            logger.warning("%s (%s): %s", name, split, err)
            status.setdefault(name, {})[split] = f"failed: {err}"
            continue
        write_squad_json(rows, target)
        status.setdefault(name, {})[split] = "written"
    return status


def load_squad(source: str | os.PathLike, split: str = "validation", *, data_dir: str | os.PathLike | None = None,
               clean: bool = True, strict: bool = False, return_report: bool = False):
    """Load SQuAD-format data as a `datasets.Dataset` in the Hub layout, cleaned and reported by default.

    Args:
        source: a name in `DATASETS` ("squad", "squad_v2", "squad_pt", "squad_v2_pt", "faquad", "covid_qa"),
            or a path to a nested SQuAD JSON or a flat JSON / JSON-lines file (``.gz`` allowed).
        split: the split of a named dataset ("dev" means "validation"); ignored for a path.
        data_dir: the mirror folder; without one (None), names load from the Hub.
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
        split = SPLIT_ALIASES.get(split, split)
        if path is None:
            if split not in DATASETS[name].hub_splits:
                raise ValueError(f"{name!r} has no {split!r} split on the Hub ({DATASETS[name].hub_id!r} publishes "
                                 f"{', '.join(DATASETS[name].hub_splits)}); split it by article instead "
                                 "(qa_tutorial.data.split_by_article)")
            dataset = load_from_hub(DATASETS[name].hub_id, split, revision=DATASETS[name].hub_revision)
            label = f"{name} ({split}) from the Hub: {DATASETS[name].hub_id}"
        else:
            _check_mirror_file(path, mirror_folder(data_dir), name, split)
            label = f"{name} ({split}) from the mirror: {DATASETS[name].mirror[split]}"
    elif Path(name).exists() or name.endswith((".json", ".jsonl", ".gz")):
        path, label = Path(name), name
    else:
        raise ValueError(f"{name!r} is neither a known dataset {sorted(DATASETS)} nor an existing file")
    loaded: dict[str, list] | datasets.Dataset = read_squad_json(path) if dataset is None else dataset
    if len(loaded["id"] if isinstance(loaded, dict) else loaded) == 0:
        raise SquadFormatError(f"{label}: no examples (an empty list, or no paragraph with a question)")
    report: CleaningReport | None = None
    if clean:
        loaded, report = clean_squad(loaded, source=label, strict=strict)
        logging.getLogger(CLEANING_LOGGER).log(logging.WARNING if report.changed else logging.INFO, "%s",
                                               report.summary())
    if isinstance(loaded, dict):
        loaded = datasets.Dataset.from_dict(loaded, features=SQUAD_FEATURES)
    return (loaded, report) if return_report else loaded


def split_by_article(dataset: datasets.Dataset, *, eval_fraction: float = 0.2, seed: int = 0,
                     held_out_titles: Iterable[str] | None = None) -> datasets.DatasetDict:
    """Split into "train" and "validation" by article title, so that no article is in both.

    Args:
        dataset: examples with a ``title`` column.
        eval_fraction: the fraction of **articles** (not examples) that goes to "validation".
        seed: the shuffle seed; the same seed gives the same split.
        held_out_titles: hold out exactly these articles instead (``eval_fraction`` and ``seed`` are then not
            used). Two files that share articles (SQuAD v2.0 dev reuses 35 of v1.1 dev's 48) must be carved by
            the same titles, or a model trained on one and scored on the other has seen its test articles.

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
    if held_out_titles is not None:
        held_out = set(held_out_titles) & set(articles)
        if not held_out or held_out == set(articles):
            raise ValueError(f"held_out_titles leave {len(articles) - len(held_out)} of {len(articles)} articles "
                             "for training: both parts need at least one")
    else:
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


def keep_answerable(dataset: datasets.Dataset) -> datasets.Dataset:
    """The examples that have at least one gold answer.

    A SQuAD v1.1 model must never learn to point at ``[CLS]``, and the v1.1 metric needs a gold answer per
    question; but cleaning a translated file drops answers that no longer occur in their context (chapter 8), which
    leaves questions that look unanswerable. Keep only the answerable ones for v1.1 training and scoring.

    >>> rows = datasets.Dataset.from_dict({"id": ["a", "b"], "answers": [{"text": ["x"], "answer_start": [0]},
    ...                                                                   {"text": [], "answer_start": []}]})
    >>> list(keep_answerable(rows)["id"])
    ['a']
    """
    answers = dataset.select_columns(["answers"]).to_dict()["answers"]
    keep = [row for row, gold in enumerate(answers) if gold["text"]]
    return dataset if len(keep) == len(dataset) else dataset.select(keep)  # select: no progress bar in notebooks


def sample_examples(dataset: datasets.Dataset, n: int, *, seed: int = 0) -> datasets.Dataset:
    """``n`` examples drawn at random from the whole dataset (all its articles), kept in dataset order.

    SQuAD files list questions article by article, so the first ``n`` rows cover only the first few articles; a
    model trained on them sees a handful of topics. A seeded sample covers every article in proportion.

    Args:
        dataset: any `datasets.Dataset`; n: how many examples, a positive integer (all of them, with a
            warning, when there are fewer); seed: the same seed gives the same sample.

    Returns:
        The sample, its rows in their original order.

    >>> rows = datasets.Dataset.from_dict({"title": ["a"] * 50 + ["b"] * 50})
    >>> sorted(set(sample_examples(rows, 10, seed=1)["title"]))
    ['a', 'b']
    """
    if isinstance(n, bool) or not isinstance(n, int) or n <= 0:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    if n >= len(dataset):
        if n > len(dataset):
            warnings.warn(f"asked for {n} examples but there are only {len(dataset)}: using all", stacklevel=2)
        return dataset
    return dataset.select(sorted(random.Random(seed).sample(range(len(dataset)), n)))
