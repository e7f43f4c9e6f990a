"""A pytest plugin that keeps what nbval executed, so the book is rendered from the same run as the tests.

Used as ``pytest -p tests.nbcapture --nbval-lax --nb-capture DIR book``: every cell's outputs, as the kernel
produced them under nbval, are written into a copy of its notebook under ``DIR`` (the same relative path),
with ``DIR/timings.json`` giving each notebook's execution time. ``tests/build_book.py`` then renders
those notebooks without executing them again.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import nbformat
import pytest

_RUNS: dict[str, dict] = {}  # notebook path -> {"nb": ..., "seconds": ..., "failed": [...]}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--nb-capture", default=None, metavar="DIR",
                     help="write the notebooks nbval executed, with their outputs, under DIR")


def _notebook_of(item: pytest.Item) -> tuple[str, object] | None:
    parent = getattr(item, "parent", None)
    if parent is None or not hasattr(item, "test_outputs") or not hasattr(parent, "nb"):
        return None
    return str(parent.fspath), parent


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    if call.when != "call" or not item.config.getoption("--nb-capture"):
        return
    found = _notebook_of(item)
    if found is None:
        return
    path, parent = found
    run = _RUNS.setdefault(path, {"nb": parent.nb, "seconds": 0.0, "failed": [], "count": 0,
                                  "started": time.time()})
    run["seconds"] += call.duration
    run["count"] += 1
    outputs = item.test_outputs or []
    for output in outputs:
        if output.get("output_type") == "execute_result":
            output["execution_count"] = run["count"]
    item.cell.outputs = [nbformat.from_dict(dict(o)) for o in outputs]
    item.cell.execution_count = run["count"]
    if outcome.get_result().failed:
        run["failed"].append(item.name)


def pytest_sessionfinish(session: pytest.Session) -> None:
    target = session.config.getoption("--nb-capture")
    if not target or not _RUNS:
        return
    root = Path(session.config.rootpath)
    out = Path(target)
    timings = {}
    for path, run in _RUNS.items():
        relative = Path(path).resolve().relative_to(root)
        destination = out / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(run["nb"], destination)
        timings[str(relative)] = {"seconds": round(run["seconds"], 1), "cells": run["count"],
                                  "failed_cells": run["failed"]}
    (out / "timings.json").write_text(json.dumps(timings, indent=1) + "\n")


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    if not config.getoption("--nb-capture") or not _RUNS:
        return
    terminalreporter.section("notebook execution times")
    root = Path(config.rootpath)
    for path, run in sorted(_RUNS.items()):
        status = f"{len(run['failed'])} failed cells" if run["failed"] else "ok"
        terminalreporter.write_line(f"{Path(path).resolve().relative_to(root)}: {run['seconds']:.1f} s, "
                                    f"{run['count']} code cells, {status}")
