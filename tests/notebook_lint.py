"""Find volatile text in the stored outputs that nbval checks (cells tagged ``nbval-check-output``), and code
lines wider than the rendered column.

A checked output must be the same on any machine and any day: no package version, no absolute path, no
timing and no date. Otherwise the next release of a dependency, another checkout folder or a slower machine
fails the notebook tests (or the sanitizer hides a real change). Run it as a script to list the offenders:

    python tests/notebook_lint.py book/*.ipynb
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

CHECK_TAG = "nbval-check-output"  # nbval --nbval-lax checks these cells' outputs
CHECK_COMMENT = "# NBVAL_CHECK_OUTPUT"  # nbval's other mark; it shows on the rendered page, so chapters use the tag

PATTERNS: dict[str, re.Pattern] = {
    # 5.23.0, 2.13.0+cpu, 1.0.4.post1: three numeric parts are a release, not a measurement
    "version": re.compile(r"(?<![\w.])\d+\.\d+\.\d+(?:[.+-]?(?:post|dev|rc|a|b|cpu|cu)\d*)*(?![\w.]*\d)"),
    # /tmp/..., /work/..., C:\..., ~/...: anything that names a folder on the machine that ran the cell
    "absolute path": re.compile(r"(?:(?<![\w.:/])/(?:[\w.-]+/)+[\w.-]*|\b[A-Z]:\\\\?[\w.]|(?<!\w)~/[\w.])"),
    # 12 s, 3.5 ms, 2 min, 0:01:23
    # (a bare "s" needs a space or a decimal point: "1920s" is a decade)
    "timing": re.compile(r"(?<![\w.])\d+(?:\.\d+)?\s?(?:ms|sec|secs|seconds|min|mins|minutes|h|hours)\b"
                         r"|(?<![\w.])\d+(?:\.\d+\s?|\s)s\b|\b\d+:\d{2}:\d{2}\b"),
    # 2026-12-01, 01/12/2026
    "date": re.compile(r"\b(?:19|20)\d{2}-\d{2}-\d{2}\b|\b\d{1,2}/\d{1,2}/(?:19|20)\d{2}\b"),
}
# A source line that prints a version is volatile even when the version looks like something else.
SOURCE_PATTERNS: dict[str, re.Pattern] = {"version": re.compile(r"__version__|importlib\.metadata\.version")}


def output_text(output: dict) -> str:
    """The text an output shows: stream text, or the plain-text form of a result (HTML and images are not
    compared by nbval, so they are not linted)."""
    if "text" in output:
        return "".join(output["text"])
    if output.get("output_type") == "error":
        return "\n".join(output.get("traceback", []))
    return "".join(output.get("data", {}).get("text/plain", ""))


def is_checked(cell: dict) -> bool:
    """Whether nbval compares this cell's output: a code cell tagged ``nbval-check-output`` (or, nbval's older
    way, whose source starts with ``# NBVAL_CHECK_OUTPUT``)."""
    if cell.get("cell_type") != "code":
        return False
    source = "".join(cell.get("source", ""))
    return CHECK_TAG in cell.get("metadata", {}).get("tags", []) or source.lstrip().startswith(CHECK_COMMENT)


def lint_notebook(path: str | Path) -> list[str]:
    """Problems in the checked cells of one notebook, as ``"path: cell N: kind: 'text'"`` lines.

    >>> import tempfile, os
    >>> cell = {"cell_type": "code", "source": "print(v)", "metadata": {"tags": ["nbval-check-output"]},
    ...         "outputs": [{"output_type": "stream", "name": "stdout", "text": "torch 2.13.0 in 3.2 s\\n"}]}
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     nb = os.path.join(tmp, "x.ipynb")
    ...     _ = open(nb, "w").write(json.dumps({"cells": [cell]}))
    ...     [line.split(": ", 2)[2] for line in lint_notebook(nb)]
    ["version: '2.13.0'", "timing: '3.2 s'"]
    """
    notebook = json.loads(Path(path).read_text(encoding="utf-8"))
    problems = []
    for index, cell in enumerate(notebook.get("cells", [])):
        source = "".join(cell.get("source", ""))
        if not is_checked(cell):
            continue
        for kind, pattern in SOURCE_PATTERNS.items():
            for match in pattern.finditer(source):
                problems.append(f"{path}: cell {index}: {kind}: {match.group(0)!r} in the source")
        text = "\n".join(output_text(o) for o in cell.get("outputs", []))
        for kind, pattern in PATTERNS.items():
            for match in pattern.finditer(text):
                problems.append(f"{path}: cell {index}: {kind}: {match.group(0)!r}")
    return problems


CODE_WIDTH = 88  # characters of code the rendered book's column shows without a scroll bar


def long_code_lines(path: str | Path, limit: int = CODE_WIDTH) -> list[str]:
    """Code lines wider than the rendered column, as ``"path: cell N: width W"`` lines (the page would cut them).

    >>> import tempfile, os
    >>> cell = {"cell_type": "code", "source": "x = 1\\n" + "y = " + "1 + " * 30 + "1", "metadata": {}, "outputs": []}
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     nb = os.path.join(tmp, "x.ipynb")
    ...     _ = open(nb, "w").write(json.dumps({"cells": [cell]}))
    ...     [line.split(": ", 1)[1] for line in long_code_lines(nb)]
    ['cell 0: width 125']
    """
    notebook = json.loads(Path(path).read_text(encoding="utf-8"))
    return [f"{path}: cell {index}: width {len(line)}"
            for index, cell in enumerate(notebook.get("cells", [])) if cell.get("cell_type") == "code"
            for line in "".join(cell.get("source", "")).splitlines() if len(line) > limit]


def main(paths: list[str]) -> int:
    problems = [line for path in paths for line in lint_notebook(path) + long_code_lines(path)]
    print("\n".join(problems) if problems else f"{len(paths)} notebooks: no volatile text in checked outputs")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
