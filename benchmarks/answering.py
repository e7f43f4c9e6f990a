"""Answering questions about one long COVID-QA article: windows forwarded in batches vs one window at a time.

``qa_tutorial.answering.QuestionAnswerer`` cuts the article into 384-token windows (stride 128) for every question
and forwards them through the model; its ``batch_size`` option sets how many windows go in one forward pass.
The script answers several questions of the longest COVID-QA article (9,528 words) with ``batch_size=1`` (one
window at a time) and with larger batches, and prints the windows per question, the median latency per question
(over ``--repeat`` calls) for each batch size and the ratio. Every batch size must give identical answers (text,
start, end; scores equal to a relative 1e-4): the script exits with status 1 otherwise.

The model is by default the quick profile's fine-tuned SQuAD model (all-MiniLM-L6-v2 with a trained QA head, 22.7 M
parameters, from the cache ``make models`` fills), the model chapter 7 answers with; ``--model PATH`` takes any QA
model folder or Hub id, and ``--model tiny`` an untrained tiny BERT QA (hidden ``--hidden-size``) with a WordPiece
tokenizer trained offline on the COVID-QA articles (a smoke test: latency does not depend on weight values).

    HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false QA_TUTORIAL_DATA_DIR=../shared/data \
        .venv/bin/python benchmarks/answering.py [--questions 10] [--repeat 5] [--batch-sizes 1,8,32] [--device cpu] \
        [--model quick|tiny|PATH]
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import statistics
import time
from typing import Any

import torch
import transformers

from qa_tutorial.answering import QuestionAnswerer
from qa_tutorial.book.finetuned import finetuned_model
from qa_tutorial.book.profiles import QUICK
from qa_tutorial.checkpoints import load_qa_model
from qa_tutorial.data import load_squad
from qa_tutorial.features import tokenize_windows
from qa_tutorial.models import build_tiny_bert_qa
from qa_tutorial.tokenizers_offline import train_wordpiece_tokenizer


def same_answers(a: Any, b: Any) -> bool:
    """Equal text and character offsets; scores equal to a relative 1e-4 (batch shapes change float sums)."""
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(map(same_answers, a, b))
    return ((a["answer"], a["start"], a["end"]) == (b["answer"], b["start"], b["end"])
            and math.isclose(a["score"], b["score"], rel_tol=1e-4, abs_tol=1e-12))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=10, help="questions of the article to answer")
    parser.add_argument("--repeat", type=int, default=5, help="timed calls per question and batch size (median)")
    parser.add_argument("--batch-sizes", default="1,8,32", help="comma-separated; the first is the baseline")
    parser.add_argument("--max-length", type=int, default=384)
    parser.add_argument("--doc-stride", type=int, default=128)
    parser.add_argument("--top-k", type=int, default=1)
    parser.add_argument("--model", default="quick", help="quick (the quick SQuAD model), tiny, or a folder/Hub id")
    parser.add_argument("--hidden-size", type=int, default=QUICK.tiny_hidden_size, help="of --model tiny")
    parser.add_argument("--vocab-size", type=int, default=QUICK.tiny_vocab_size, help="of --model tiny")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    sizes = [int(s) for s in args.batch_sizes.split(",")]
    device = torch.device(args.device)

    covid = load_squad("covid_qa", "train", data_dir=os.environ.get("QA_TUTORIAL_DATA_DIR"))
    contexts = covid["context"]
    article = max(set(contexts), key=lambda c: (len(c.split()), c))
    questions = [q for q, c in zip(covid["question"], contexts) if c == article][:args.questions]
    if args.model == "tiny":
        tokenizer = train_wordpiece_tokenizer(sorted(set(contexts)), vocab_size=args.vocab_size)
        model = build_tiny_bert_qa(tokenizer, hidden_size=args.hidden_size).to(device)
        label = f"untrained tiny BERT hidden {args.hidden_size}, vocab {len(tokenizer)}"
    else:
        name = (finetuned_model("quick", "squad", data_dir=os.environ.get("QA_TUTORIAL_DATA_DIR"))
                if args.model == "quick" else args.model)
        model, tokenizer, _ = load_qa_model(name, device=device)
        label = f"{os.path.basename(str(name).rstrip('/'))} ({sum(p.numel() for p in model.parameters()) / 1e6:.1f} M)"
    windows = [len(tokenize_windows({"question": [q], "context": [article]}, tokenizer, max_length=args.max_length,
                                    doc_stride=args.doc_stride, padding=False)["input_ids"]) for q in questions]

    latencies: dict[int, list[float]] = {}
    answers: dict[int, list[Any]] = {}
    for size in sizes:
        answerer = QuestionAnswerer(model, tokenizer, device=device, max_length=args.max_length,
                                    doc_stride=args.doc_stride, top_k=args.top_k, batch_size=size)
        answerer(question=questions[0], context=article)  # warm-up
        latencies[size], answers[size] = [], []
        for q in questions:
            times = []
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                result = answerer(question=q, context=article)
                if device.type == "cuda":
                    torch.cuda.synchronize(device)
                times.append(time.perf_counter() - t0)
            latencies[size].append(statistics.median(times))
            answers[size].append(result)

    base = sizes[0]
    identical = {s: all(map(same_answers, answers[base], answers[s])) for s in sizes}
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__} "
          f"({torch.get_num_threads()} threads), transformers {transformers.__version__}, "
          f"python {platform.python_version()}; device: {device}"
          + (f" ({torch.cuda.get_device_name(device)})" if device.type == "cuda" else ""))
    n_tokens = len(tokenizer(article, verbose=False)["input_ids"])
    print(f"article: COVID-QA, {len(article.split())} words, {n_tokens} tokens; "
          f"{len(questions)} questions; windows of {args.max_length} tokens, stride {args.doc_stride}; "
          f"model {label}; median of {args.repeat} calls")
    header = "".join(f" {f'batch {s} ms':>12}" for s in sizes) + "".join(f" {f'x (b{s})':>8}" for s in sizes[1:])
    print(f"{'question':<9} {'windows':>7}{header}")
    for i, n in enumerate(windows):
        cells = "".join(f" {latencies[s][i] * 1000:12.1f}" for s in sizes)
        ratios = "".join(f" {latencies[base][i] / latencies[s][i]:7.2f}x" for s in sizes[1:])
        print(f"{i:<9} {n:7d}{cells}{ratios}")
    medians = {s: statistics.median(latencies[s]) for s in sizes}
    cells = "".join(f" {medians[s] * 1000:12.1f}" for s in sizes)
    ratios = "".join(f" {medians[base] / medians[s]:7.2f}x" for s in sizes[1:])
    print(f"{'median':<9} {statistics.median(windows):7.0f}{cells}{ratios}")
    for i, (q, result) in enumerate(zip(questions[:3], answers[base])):
        best = result[0] if isinstance(result, list) else result
        print(f"question {i}: {q!r} -> {best['answer'][:80]!r} (score {best['score']:.3f})")
    print("identical answers to batch " + f"{base}: " + ", ".join(f"batch {s}: {identical[s]}" for s in sizes[1:]))
    if not all(identical.values()):
        for s in sizes:
            for i, (a, b) in enumerate(zip(answers[base], answers[s])):
                if not same_answers(a, b):
                    print(f"  question {i}, batch {s}: {b!r} vs batch {base}: {a!r}")
        raise SystemExit(1)


if __name__ == "__main__":
    main()
