"""The ``qa-tutorial`` command: build a tiny model, train, evaluate, predict and answer, offline by default.

Exit codes: 0 success, 1 a failure the message explains in one line (bad file, bad data, missing model), 2 a bad
argument or value (found before any inference), 130 interrupted (Ctrl-C or SIGTERM). Anything else is a bug, and
keeps its traceback. Result files are written atomically, a run's files as one set (`write_result_set`). Every
command that cuts windows takes ``--max-length``, ``--doc-stride`` and ``--max-answer-length``, the names the package
uses (``--max-seq-len`` and ``--max-answer-len``, the question-answering pipeline's, also work).
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import signal
import sys
from pathlib import Path
from typing import Any

from qa_tutorial.atomic_files import write_json_atomic, write_result_set, write_text_atomic

DEFAULT_RUNS = Path("runs")
DEFAULT_MODEL = DEFAULT_RUNS / "quick-model"
MODEL_HELP = (f"model folder or Hub id (default: {DEFAULT_MODEL}, what train writes; without it, in the full profile, "
              "the published fine-tuned model for the data)")


class CommandError(Exception):
    """A failure to report in one line (exit code 1)."""


class UsageError(CommandError):
    """A bad argument value found after parsing, before any work (exit code 2, as argparse's own errors)."""


def _number(kind: type, lowest: float, *, strict: bool = False) -> Any:
    """An argparse ``type`` for numbers of ``kind`` >= ``lowest`` (> with ``strict``): bad values exit 2 at once."""
    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {'a whole number' if kind is int else 'a number'}"
                                             ) from None
        if math.isnan(value) or (value <= lowest if strict else value < lowest):  # NaN, or out of range
            raise argparse.ArgumentTypeError(f"must be {'>' if strict else '>='} {lowest:g}, got {text}")
        return value
    parse.__name__ = kind.__name__  # argparse names the type in some messages
    return parse


POSITIVE = _number(int, 1)
NON_NEGATIVE = _number(int, 0)
POSITIVE_FLOAT = _number(float, 0.0, strict=True)


def _max_steps(text: str) -> int:
    value = _number(int, -1)(text)
    if value == 0:
        raise argparse.ArgumentTypeError("must be -1 (train for --num-train-epochs) or >= 1, got 0")
    return value


def _finite_float(text: str) -> float:  # argparse says "invalid float value" for text that is no number
    value = float(text)
    if math.isnan(value):
        raise argparse.ArgumentTypeError("must be a number, got nan")
    return value


_finite_float.__name__ = "float"


def explained(err: BaseException) -> bool:
    """Whether ``err`` is a failure whose message says what went wrong (reported in one line), not a bug.

    Explained: `CommandError`; missing files, folders and connections (``OSError``, ``ConnectionError``); the
    package's data and checkpoint errors; and a ``ValueError`` or ``RuntimeError`` raised by the package's own checks
    (the innermost frame is in ``qa_tutorial``). A ``TypeError``, or an error from inside another library,
    is a bug and keeps its traceback.
    """
    from qa_tutorial.checkpoints import CheckpointMismatchError
    from qa_tutorial.cleaning import SquadFormatError
    from qa_tutorial.sharing import HubUnavailableError

    if isinstance(err, (CommandError, OSError, ConnectionError, SquadFormatError, CheckpointMismatchError,
                        HubUnavailableError)):
        return True
    if type(err) not in (ValueError, RuntimeError) or err.__traceback__ is None:
        return False
    frame = err.__traceback__
    while frame.tb_next is not None:
        frame = frame.tb_next
    return frame.tb_frame.f_globals.get("__name__", "").startswith("qa_tutorial.")


def _load_examples(args: argparse.Namespace) -> Any:
    from qa_tutorial.data import first_n, load_squad

    try:
        examples = load_squad(args.dataset, args.split, data_dir=args.data_dir)
    except ValueError as err:  # an unknown name or split: the message lists the known ones
        raise CommandError(str(err)) from None
    return first_n(examples, args.max_examples) if args.max_examples is not None else examples


def _rules(version_2: bool) -> str:
    """How every command says which SQuAD rules it used."""
    return "SQuAD v2.0" if version_2 else "SQuAD v1.1"


def _check_output_dir(path: str | Path) -> Path:
    """The output folder, checked before any work (a file in the way, or no permission to write, exits 2 now rather
    than after the whole inference); it is created only when results are written."""
    folder = Path(path)
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"--output-dir {folder}: a file is in the way (it must be a folder)")
    existing = folder
    while not existing.exists():  # the nearest folder that exists decides whether the rest can be made
        existing = existing.parent
    if not existing.is_dir():
        raise UsageError(f"--output-dir {folder}: {existing} is a file, not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise UsageError(f"--output-dir {folder}: no permission to write in {existing}")
    return folder


def _check_windows(args: argparse.Namespace, model: Any, tokenizer: Any, *, as_answerer: bool = False) -> None:
    """--max-length against the model's positions, then --doc-stride against the window: exit 2 before any work.

    ``as_answerer``: the settings as `QuestionAnswerer` uses them (max_length capped at the tokenizer's
    ``model_max_length``, doc_stride at max_length // 2, as the question-answering pipeline did)."""
    from qa_tutorial.features import check_window_settings
    from qa_tutorial.inference import check_window_length

    max_length, doc_stride = args.max_length, args.doc_stride
    if as_answerer:
        max_length = min(max_length, tokenizer.model_max_length)
        doc_stride = min(doc_stride, max_length // 2)
    try:
        check_window_length(model, max_length, name="--max-length")
        check_window_settings(tokenizer, max_length, doc_stride)
    except ValueError as err:
        raise UsageError(str(err).replace("max_length=", "--max-length ").replace("doc_stride=", "--doc-stride ")
                         .replace("doc_stride ", "--doc-stride ")) from None


def _version_2(args: argparse.Namespace, examples: Any) -> bool:
    """--version-2 / --version-1 when given; else the registry's word for a known dataset (`KnownDataset`), and
    for a file whether it has unanswerable questions."""
    from qa_tutorial.data import DATASETS

    if args.version_2 is not None:
        return args.version_2
    if args.dataset in DATASETS:
        return DATASETS[args.dataset].version_2
    return any(len(a["text"]) == 0 for a in examples.select_columns(["answers"]).to_dict()["answers"])


def _default_model(dataset: str | None) -> str:
    """The model a command uses without ``--model``: what ``train`` wrote to `DEFAULT_MODEL` when it is there; else,
    in a profile that uses published checkpoints (full), the fine-tuned one for the data (a file, or no data at
    all, is read as English SQuAD); else `DEFAULT_MODEL`, whose absence the error then explains."""
    from qa_tutorial.book.finetuned import published_model
    from qa_tutorial.book.profiles import get_profile
    from qa_tutorial.data import DATASETS

    profile = get_profile(None)
    if DEFAULT_MODEL.exists() or not profile.published_finetuned:
        return str(DEFAULT_MODEL)
    name = dataset if dataset in DATASETS else "squad"
    published = published_model(name)
    if published is None:  # fine-tuning one is a long job that a scoring command should not start by itself
        raise CommandError(f"no published model follows {name}'s rules (SQuAD v2.0: it must have learnt to abstain); "
                           f"train one with `qa-tutorial train --dataset {name} --output-dir DIR`, then pass "
                           "--model DIR")
    return published


def _load_model(path: str | None, dataset: str | None = None) -> tuple[Any, Any]:
    from qa_tutorial.checkpoints import load_qa_model

    path = _default_model(dataset) if path is None else path
    try:
        model, tokenizer, _ = load_qa_model(path, allow_new_head=False)
    except (OSError, ValueError) as err:
        if Path(path).exists():
            raise
        raise CommandError(f"model {path!r}: no such folder, and it could not be loaded from the Hub "
                           f"({type(err).__name__}). Build one with `qa-tutorial tiny-model --output-dir {path}`."
                           ) from None
    return model, tokenizer


def cmd_tiny_model(args: argparse.Namespace) -> dict:
    from qa_tutorial.models import build_tiny_qa_model

    examples = _load_examples(args)
    texts = sorted(set(examples.select_columns(["context"]).to_dict()["context"]))
    extra = {"hidden_size": args.hidden_size} if args.hidden_size else {}
    folder = build_tiny_qa_model(texts, args.output_dir, architecture=args.architecture, lowercase=args.lowercase,
                                 vocab_size=args.vocab_size, seed=args.seed, **extra)
    return {"model": str(folder), "architecture": args.architecture, "trained_on_contexts": len(texts)}


def _decode_and_score(args: argparse.Namespace) -> tuple[dict, Any, bool, Any]:
    from qa_tutorial.inference import evaluate_qa

    examples = _load_examples(args)
    version_2 = _version_2(args, examples)
    model, tokenizer = _load_model(args.model, args.dataset)
    _check_windows(args, model, tokenizer)  # before any inference
    metrics, decoded = evaluate_qa(model, tokenizer, examples, version_2_with_negative=version_2,
                                   max_length=args.max_length, doc_stride=args.doc_stride,
                                   batch_size=args.batch_size, n_best_size=args.n_best_size,
                                   max_answer_length=args.max_answer_length,
                                   null_score_diff_threshold=args.null_threshold, device=args.device or "auto")
    return metrics, decoded, version_2, examples


def _is_main_process() -> bool:
    """Under torchrun, only rank 0 writes the model and result files."""
    return int(os.environ.get("RANK", "0")) == 0


def _file_splits(path: str) -> Any:
    """Train and validation parts of a SQuAD-format file, carved by article with `split_by_article`'s defaults
    (20% of articles held out, seed 0), as `qa_tutorial.book.profiles.load_profile_splits` carves a known dataset
    that has one split; a file of one article is refused there."""
    from qa_tutorial.data import load_squad, split_by_article

    try:
        parts = split_by_article(load_squad(path))
    except ValueError as err:
        raise CommandError(f"{path}: {err}") from None
    logging.getLogger(__name__).info("%s: train and validation carved by article", path)
    return parts


def cmd_train(args: argparse.Namespace) -> dict:
    from qa_tutorial.book.profiles import TINY, check_trainable, get_profile, load_profile_splits
    from qa_tutorial.checkpoints import load_qa_model
    from qa_tutorial.data import DATASETS, first_n
    from qa_tutorial.models import build_tiny_qa_model
    from qa_tutorial.sharing import save_for_sharing
    from qa_tutorial.training import train_qa

    profile = get_profile(args.profile)
    output = _check_output_dir(args.output_dir)
    if args.dataset in DATASETS:
        splits, like = load_profile_splits(profile, args.dataset, data_dir=args.data_dir), args.dataset
    else:  # a file: its articles are carved into train and validation; read as English SQuAD (or pass --model)
        splits, like = _file_splits(args.dataset), "squad"
    for split, limit in (("train", args.max_examples), ("validation", args.max_eval_examples)):
        if limit is not None:
            splits[split] = first_n(splits[split], limit)
    version_2 = _version_2(args, splits["validation"])
    checkpoint = args.model or profile.checkpoint_for(like)
    try:
        check_trainable(checkpoint, like)
    except ValueError as err:
        raise CommandError(f"{err}; or pass --model") from None
    built_offline = checkpoint == TINY
    if built_offline:
        if int(os.environ.get("WORLD_SIZE", "1")) > 1:
            raise CommandError("several processes would each build a different tiny tokenizer: build the model "
                               "once with `qa-tutorial tiny-model --output-dir DIR` and pass `--model DIR`")
        texts = sorted(set(splits["train"].select_columns(["context"]).to_dict()["context"]))
        checkpoint = str(build_tiny_qa_model(texts, output / "initial", vocab_size=profile.tiny_vocab_size,
                                             hidden_size=profile.tiny_hidden_size, seed=args.seed))
    model, tokenizer, _ = load_qa_model(checkpoint)

    def chosen(value: Any, default: Any) -> Any:  # a flag's value when given (0 included), else the profile's
        return default if value is None else value

    args.max_length = chosen(args.max_length, profile.max_length_for(like))
    args.doc_stride = chosen(args.doc_stride, profile.doc_stride)
    _check_windows(args, model, tokenizer)
    max_length, doc_stride = args.max_length, args.doc_stride
    settings = {"profile": profile.name, "base": checkpoint, "train_examples": len(splits["train"]),
                "max_length": max_length, "doc_stride": doc_stride,
                "num_train_epochs": chosen(args.epochs, profile.num_train_epochs), "max_steps": args.max_steps,
                "learning_rate": chosen(args.learning_rate, profile.learning_rate),
                "per_device_train_batch_size": chosen(args.batch_size, profile.per_device_train_batch_size),
                "warmup_ratio": profile.warmup_ratio, "seed": args.seed,
                "group_by_length": args.group_by_length or profile.group_by_length,
                "gradient_accumulation_steps": args.gradient_accumulation_steps}
    result = train_qa(model, tokenizer, splits["train"], splits["validation"], output_dir=output / "checkpoints",
                      version_2_with_negative=version_2, max_length=max_length, doc_stride=doc_stride,
                      num_train_epochs=settings["num_train_epochs"], max_steps=args.max_steps,
                      learning_rate=settings["learning_rate"],
                      per_device_train_batch_size=settings["per_device_train_batch_size"], seed=args.seed,
                      warmup_ratio=profile.warmup_ratio, group_by_length=settings["group_by_length"],
                      report_to=args.report_to,
                      resume_from_checkpoint=True if args.resume else None, logging_steps=args.logging_steps,
                      mixed_precision=profile.mixed_precision,
                      gradient_accumulation_steps=args.gradient_accumulation_steps,
                      device=args.device or profile.device)
    metrics = {k.removeprefix("eval_"): v for k, v in result.metrics.items()}
    if _is_main_process():
        note = ("Quick profile: a small model fine-tuned briefly on a slice of the data on a CPU; a full fine-tune "
                "of a larger model scores higher." if profile.name == "quick" else "")
        dataset_type = args.dataset if args.dataset in DATASETS else Path(args.dataset).name.split(".")[0]
        save_for_sharing(result.model, tokenizer, output, model_name=output.name, metrics=metrics,
                         dataset_type=dataset_type, dataset_name=Path(args.dataset).name, settings=settings,
                         base_model=None if built_offline else checkpoint, notes=note)
        write_text_atomic(output / "history.csv", result.history.to_csv(index=False))
        write_json_atomic(output / "eval_results.json", metrics)
    return {"model": str(output), "steps": result.global_step, "version_2": version_2, "rules": _rules(version_2),
            **metrics}


PREDICTION_FILES = ("predictions.json", "nbest_predictions.json", "null_odds.json")  # null odds: SQuAD v2.0 only


def _raw_offsets(args: argparse.Namespace, nbest: dict[str, list[dict]]) -> dict[str, list[dict]]:
    """The n-best offsets moved from the cleaned contexts decoding saw to the contexts as the data gives them
    (entities escaped, whitespace not stripped), so that they index the user's text."""
    from qa_tutorial.cleaning import original_offsets
    from qa_tutorial.data import load_squad

    raw = load_squad(args.dataset, args.split, data_dir=args.data_dir, clean=False).select_columns(["id", "context"])
    contexts = dict(zip(map(str, raw["id"]), raw["context"]))  # a repeated id: the last, as cleaning keeps
    moved = {}
    for qid, entries in nbest.items():
        spans = original_offsets(contexts[qid], [tuple(entry["offsets"]) for entry in entries])
        moved[qid] = [{**entry, "offsets": list(span) if entry["text"] else [0, 0]}
                      for entry, span in zip(entries, spans)]
    return moved


def cmd_predict(args: argparse.Namespace) -> dict:
    out = _check_output_dir(args.output_dir)
    _, decoded, version_2, _ = _decode_and_score(args)
    files = {"predictions.json": decoded.predictions, "nbest_predictions.json": _raw_offsets(args, decoded.nbest)}
    if version_2:
        files["null_odds.json"] = decoded.null_odds
    written = write_result_set(out, files, replaces=PREDICTION_FILES)
    return {"files": [str(p) for p in written], "examples": len(decoded.predictions), "version_2": version_2,
            "rules": _rules(version_2), "offsets": "index each context as the data file gives it"}


def cmd_evaluate(args: argparse.Namespace) -> dict:
    from qa_tutorial.metrics import references_from_examples, squad_v1, squad_v2

    if args.output_dir:
        _check_output_dir(args.output_dir)
    if args.predictions:
        examples = _load_examples(args)
        version_2 = _version_2(args, examples)
        predictions = _read_json(args.predictions)
        na_probs = _read_json(args.na_probs) if args.na_probs else None
        references = references_from_examples(examples)
        metrics = squad_v2(predictions, references, na_probs=na_probs, na_prob_thresh=args.na_prob_thresh) if version_2 \
            else squad_v1(predictions, references)
    else:
        metrics, _, version_2, _ = _decode_and_score(args)
    metrics = {"rules": _rules(version_2), **metrics}
    if args.output_dir:
        write_json_atomic(Path(args.output_dir) / "eval_results.json", metrics)
    return metrics


def cmd_answer(args: argparse.Namespace) -> Any:
    from qa_tutorial.answering import QuestionAnswerer

    if args.context_file:
        try:
            context = Path(args.context_file).read_bytes().decode("utf-8")  # no newline translation: offsets
            # index the file's own characters (CRLF included)
        except FileNotFoundError:
            raise CommandError(f"{args.context_file}: no such file") from None
        except UnicodeDecodeError:
            raise CommandError(f"{args.context_file}: not UTF-8 text") from None
    else:
        context = args.context
    model, tokenizer = _load_model(args.model)
    _check_windows(args, model, tokenizer, as_answerer=True)
    answerer = QuestionAnswerer(model, tokenizer, device=args.device or "auto", max_length=args.max_length,
                                doc_stride=args.doc_stride, max_answer_length=args.max_answer_length,
                                top_k=args.top_k, handle_impossible_answer=args.handle_impossible_answer)
    return answerer(question=args.question, context=context)


def cmd_data_download(args: argparse.Namespace) -> dict:
    from qa_tutorial.data import DATA_DIR_ENV, download_mirror

    names = [name.strip() for name in args.datasets.split(",") if name.strip()] if args.datasets else None
    status = download_mirror(args.to, names, overwrite=args.overwrite, progress=True)
    failed = {f"{name} ({split})": why for name, splits in status.items() for split, why in splits.items()
              if why.startswith("failed")}
    if failed:
        done = sum(why in ("written", "kept") for splits in status.values() for why in splits.values())
        raise CommandError(f"{len(failed)} file(s) could not be downloaded ({done} are in {args.to}): "
                           + "; ".join(f"{key}: {why}" for key, why in failed.items()))
    return {"mirror": str(args.to), "files": status, "use it with": f"export {DATA_DIR_ENV}={Path(args.to).resolve()}"}


def _read_json(path: str) -> Any:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CommandError(f"{path}: no such file") from None
    except json.JSONDecodeError as err:
        raise CommandError(f"{path}: not JSON ({err.msg} at line {err.lineno})") from None


def _data_arguments(parser: argparse.ArgumentParser, split: str | None = "validation") -> None:
    parser.add_argument("--dataset", default="squad",
                        help="a known name (squad, squad_v2, squad_pt, squad_v2_pt, faquad, covid_qa) or a "
                             "SQuAD-format JSON file (default: squad)")
    if split is not None:
        parser.add_argument("--split", default=split, help=f"split of a named dataset (default: {split})")
    parser.add_argument("--data-dir", default=os.environ.get("QA_TUTORIAL_DATA_DIR") or None,
                        help="offline mirror folder (default: $QA_TUTORIAL_DATA_DIR; without one, the Hub)")
    parser.add_argument("--max-examples", type=POSITIVE, default=None,
                        help="use only the first N examples" + (" for training" if split is None else ""))


def _window_arguments(parser: argparse.ArgumentParser, *, default: int | None = 384) -> None:
    """--max-length and --doc-stride: one spelling and one default for every command (the pipeline's spelling
    --max-seq-len is an alias)."""
    parser.add_argument("--max-length", "--max-seq-len", dest="max_length", type=POSITIVE, default=default,
                        help="tokens per window" + (f" (default: {default})" if default else " (default: the profile's)"))
    parser.add_argument("--doc-stride", type=NON_NEGATIVE, default=128 if default else None,
                        help="tokens shared by consecutive windows" + (" (default: 128)" if default
                                                                      else " (default: the profile's)"))


def _answer_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--max-answer-length", "--max-answer-len", dest="max_answer_length", type=POSITIVE,
                        default=30,
                        help="longest answer, in tokens (default: 30)")
    parser.add_argument("--device", default=None, help="auto, cpu, cuda, ... (default: auto, a GPU when there is one)")


def _decoding_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", default=None, help=MODEL_HELP)
    parser.add_argument("--version-2", dest="version_2", action="store_true", default=None,
                        help="SQuAD v2.0 rules (default: a known dataset's kind, or whether a file has unanswerable "
                             "questions)")
    parser.add_argument("--version-1", dest="version_2", action="store_false", help="SQuAD v1.1 rules")
    _window_arguments(parser)
    parser.add_argument("--batch-size", type=POSITIVE, default=32, help="windows per forward pass (default: 32)")
    parser.add_argument("--n-best-size", type=POSITIVE, default=20)
    _answer_arguments(parser)
    parser.add_argument("--null-threshold", type=_finite_float, default=0.0, help="null_score_diff_threshold (SQuAD v2.0)")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``qa-tutorial`` (one subparser per subcommand)."""
    parser = argparse.ArgumentParser(prog="qa-tutorial", description=__doc__.splitlines()[0])
    parser.add_argument("--verbose", action="store_true", help="log details (and show tracebacks on errors)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    tiny = commands.add_parser("tiny-model", help="build a tiny QA model offline from the data's own text")
    _data_arguments(tiny)
    tiny.add_argument("--output-dir", "--output", dest="output_dir", default=str(DEFAULT_RUNS / "tiny-model"),
                      help="folder to write")
    tiny.add_argument("--architecture", choices=["bert", "longformer"], default="bert")
    tiny.add_argument("--vocab-size", type=POSITIVE, default=2000)
    tiny.add_argument("--hidden-size", type=POSITIVE, default=None)
    tiny.add_argument("--lowercase", action="store_true", help="uncased WordPiece (bert only)")
    tiny.add_argument("--seed", type=int, default=0)
    tiny.set_defaults(run=cmd_tiny_model)

    train = commands.add_parser("train", help="fine-tune a QA model (quick profile: all-MiniLM-L6-v2, offline)")
    _data_arguments(train, split=None)
    train.add_argument("--max-eval-examples", type=POSITIVE, default=None,
                       help="use only the first N validation examples (default: the profile's)")
    train.add_argument("--profile", default=None, help="quick or full (default: $QA_TUTORIAL_PROFILE, else quick)")
    train.add_argument("--model", default=None, help="checkpoint to fine-tune (default: the profile's)")
    train.add_argument("--output-dir", default=str(DEFAULT_MODEL), help=f"where the model goes ({DEFAULT_MODEL})")
    train.add_argument("--version-2", dest="version_2", action="store_true", default=None,
                       help="SQuAD v2.0 rules (default: when the data has unanswerable questions)")
    train.add_argument("--version-1", dest="version_2", action="store_false", help="SQuAD v1.1 rules")
    train.add_argument("--num-train-epochs", "--epochs", dest="epochs", type=POSITIVE_FLOAT, default=None,
                       help="as train_qa's num_train_epochs (default: the profile's)")
    train.add_argument("--max-steps", type=_max_steps, default=-1, help="stop after this many steps (overrides epochs)")
    train.add_argument("--learning-rate", type=POSITIVE_FLOAT, default=None, help="(default: the profile's)")
    train.add_argument("--per-device-train-batch-size", "--batch-size", dest="batch_size", type=POSITIVE,
                       default=None,
                       help="windows per batch on each process (default: the profile's)")
    train.add_argument("--gradient-accumulation-steps", type=POSITIVE, default=1,
                       help="batches whose gradients are added up before each optimisation step (default: 1)")
    _window_arguments(train, default=None)
    train.add_argument("--device", default=None, help="auto, cpu, cuda, ... (default: the profile's)")
    train.add_argument("--seed", type=int, default=42)
    train.add_argument("--group-by-length", action="store_true",
                       help="batch windows of similar length (the quick profile always does)")
    train.add_argument("--logging-steps", type=POSITIVE, default=10)
    train.add_argument("--report-to", default="none", help="tracker for the Trainer (default: none)")
    train.add_argument("--resume", action="store_true", help="resume from the latest checkpoint in --output-dir")
    train.set_defaults(run=cmd_train)

    predict = commands.add_parser("predict", help="write predictions.json, nbest_predictions.json (and null_odds.json)")
    _data_arguments(predict)
    _decoding_arguments(predict)
    predict.add_argument("--output-dir", default=str(DEFAULT_RUNS / "predictions"))
    predict.set_defaults(run=cmd_predict)

    evaluate = commands.add_parser("evaluate", help="score a model, or a predictions file, with the SQuAD metrics")
    _data_arguments(evaluate)
    _decoding_arguments(evaluate)
    evaluate.add_argument("--predictions", default=None, help="score this predictions.json instead of a model")
    evaluate.add_argument("--na-probs", default=None, help="null odds / no-answer probabilities file (SQuAD v2.0)")
    evaluate.add_argument("--na-prob-thresh", type=_finite_float, default=float("inf"),
                          help="count a question as unanswered when its --na-probs value is above this (default: inf, "
                               "for predict's null_odds.json, whose answers already applied --null-threshold; the "
                               "official script's 1.0 suits files of probabilities)")
    evaluate.add_argument("--output-dir", default=None, help="also write eval_results.json here")
    evaluate.set_defaults(run=cmd_evaluate)

    data = commands.add_parser("data", help="offline data: build a mirror folder from the Hub")
    actions = data.add_subparsers(dest="action", required=True, metavar="ACTION")
    download = actions.add_parser("download", help="download the known datasets into a mirror folder (needs the "
                                                   "network once; afterwards point QA_TUTORIAL_DATA_DIR at it)")
    download.add_argument("--to", required=True, metavar="DIR", help="the mirror folder to fill")
    download.add_argument("--datasets", default=None,
                          help="comma-separated names (default: all: squad, squad_v2, squad_pt, squad_v2_pt, "
                               "faquad, covid_qa)")
    download.add_argument("--overwrite", action="store_true", help="replace files that are already there")
    download.set_defaults(run=cmd_data_download)

    answer = commands.add_parser("answer", help="answer a question about a context string or a text file")
    answer.add_argument("question", help="the question")
    source = answer.add_mutually_exclusive_group(required=True)
    source.add_argument("--context", help="the context, as a string")
    source.add_argument("--context-file", help="a UTF-8 text file holding the context (any length)")
    answer.add_argument("--model", default=None, help=MODEL_HELP)
    answer.add_argument("--top-k", type=POSITIVE, default=1)
    _window_arguments(answer)
    _answer_arguments(answer)
    answer.add_argument("--handle-impossible-answer", action="store_true", help="allow the empty answer")
    answer.set_defaults(run=cmd_answer)
    return parser


def _terminated(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    """Run the command; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(message)s")
    previous = signal.signal(signal.SIGTERM, _terminated)  # `kill`: clean up (temporary files) as for Ctrl-C
    try:
        result = args.run(args)
    except KeyboardInterrupt:
        print("qa-tutorial: interrupted", file=sys.stderr)
        return 130
    except Exception as err:
        if args.verbose or not explained(err):
            raise
        print(f"qa-tutorial {args.command}: error: {err}", file=sys.stderr)
        return 2 if isinstance(err, UsageError) else 1
    finally:
        signal.signal(signal.SIGTERM, previous)
    print(json.dumps(result, indent=2, ensure_ascii=False, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
