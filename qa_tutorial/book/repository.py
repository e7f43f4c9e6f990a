"""The book's files that name the repository it is published from, written from `qa_tutorial.REPOSITORY`.

A chapter opened in Colab comes from GitHub and installs the package before it can import it, so its badge and its
install cell must spell the address out; so must ``_config.yml`` (the book's repository button). They are all
written from the one setting: after changing ``REPOSITORY`` (a fork, a new home), run
``python -m qa_tutorial.book.repository`` in the checkout, and ``tests/test_notebook_lint.py`` checks that nothing
was left behind.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from qa_tutorial import REPOSITORY

__all__ = ["colab_url", "install_line", "write_repository"]

_GITHUB = re.compile(r"^https://github\.com/([^/]+/[^/]+?)/?$")
_BADGE = re.compile(r"https://colab\.research\.google\.com/github/[^)\s]+?/blob/main/book/[\w.-]+\.ipynb")
_INSTALL = re.compile(r'%pip install -q "qa-tutorial @ git\+[^"]+"')
_CONFIG_URL = re.compile(r"(?m)^(repository:\n  url: ).*$")


def colab_url(chapter: str, repository: str = REPOSITORY) -> str:
    """The Open-in-Colab address of ``chapter`` (a notebook file name) in the GitHub ``repository``.

    >>> colab_url("05_decoding.ipynb", "https://github.com/someone/qa-tutorial")
    'https://colab.research.google.com/github/someone/qa-tutorial/blob/main/book/05_decoding.ipynb'
    """
    match = _GITHUB.match(repository)
    if match is None:
        raise ValueError(f"Colab opens notebooks from GitHub: {repository!r} is not https://github.com/OWNER/NAME")
    return f"https://colab.research.google.com/github/{match.group(1)}/blob/main/book/{chapter}"


def install_line(repository: str = REPOSITORY) -> str:
    """The line of each chapter's first cell that installs the package in Colab.

    >>> from qa_tutorial import INSTALL_SOURCE
    >>> install_line() == f'%pip install -q "{INSTALL_SOURCE}"'
    True
    """
    return f'%pip install -q "qa-tutorial @ git+{repository}"'


def write_repository(root: str | Path, repository: str = REPOSITORY) -> list[Path]:
    """Rewrite the badges and install cells of ``root/book/*.ipynb`` and the repository URL of ``root/_config.yml``
    to name ``repository``; returns the files that changed (none when all were already right).

    Notebooks are rewritten as the repository stores them (JSON, one space of indent, a final newline).
    """
    root = Path(root)
    colab_url(Path("x.ipynb").name, repository)  # a GitHub address, or a clear error before anything is written
    changed = []
    for chapter in sorted((root / "book").glob("*.ipynb")):
        text = chapter.read_text(encoding="utf-8")
        notebook = json.loads(text)
        for cell in notebook["cells"]:
            source = "".join(cell["source"])
            if cell["cell_type"] == "markdown":
                new = _BADGE.sub(colab_url(chapter.name, repository), source)
            else:
                new = _INSTALL.sub(install_line(repository), source)
            if new != source:
                cell["source"] = new.splitlines(keepends=True)
        written = json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"
        if written != text:
            chapter.write_text(written, encoding="utf-8")
            changed.append(chapter)
    config = root / "_config.yml"
    text = config.read_text(encoding="utf-8")
    new = _CONFIG_URL.sub(lambda m: m.group(1) + repository, text)
    if new != text:
        config.write_text(new, encoding="utf-8")
        changed.append(config)
    return changed


def main() -> None:
    """Write `qa_tutorial.REPOSITORY` into the checkout's book files and print the ones that changed."""
    root = Path.cwd()
    if not (root / "_config.yml").is_file():
        raise SystemExit("run this in the book's checkout (the folder that holds _config.yml)")
    for path in write_repository(root):
        print(path.relative_to(root))


if __name__ == "__main__":
    main()
