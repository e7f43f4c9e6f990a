"""Render the book from notebooks that were already executed (by nbval, see ``tests/nbcapture.py``).

    python tests/build_book.py EXECUTED_DIR OUTPUT_DIR

copies ``_config.yml`` (with execution turned off), ``_toc.yml``, the Markdown pages and the executed notebooks
into ``OUTPUT_DIR/source`` and runs ``jupyter-book build`` there with warnings as errors, so the HTML in
``OUTPUT_DIR/source/_build/html`` shows exactly the outputs the notebook tests checked. Every chapter of the
table of contents must have been executed; a missing one is an error.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def toc_files(toc: dict) -> list[str]:
    """Every ``file`` named in a jupyter-book table of contents, the root first."""
    files = [toc["root"]]
    for part in toc.get("parts", []):
        files += [chapter["file"] for chapter in part.get("chapters", [])]
    return files


def stage(executed: Path, source: Path) -> list[str]:
    """Copy the book's configuration, pages and executed notebooks into ``source``; return the toc files."""
    if source.exists():
        shutil.rmtree(source)
    source.mkdir(parents=True)
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    config["execute"]["execute_notebooks"] = "off"
    (source / "_config.yml").write_text(yaml.safe_dump(config, sort_keys=False))
    shutil.copy(ROOT / "_toc.yml", source / "_toc.yml")
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    missing = []
    for name in toc_files(toc):
        page = ROOT / f"{name}.md"
        notebook = executed / f"{name}.ipynb"
        target = source / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if page.exists():
            shutil.copy(page, target.with_suffix(".md"))
        elif notebook.exists():
            shutil.copy(notebook, target.with_suffix(".ipynb"))
        else:
            missing.append(name)
    images = ROOT / "book" / "images"  # figures the chapters' Markdown shows (the demo's screenshot)
    if images.is_dir():
        shutil.copytree(images, source / "book" / "images")
    if missing:
        raise SystemExit(f"not executed, so the book cannot be rendered: {', '.join(missing)} "
                         f"(looked in {executed})")
    return toc_files(toc)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    executed, output = Path(argv[0]).resolve(), Path(argv[1]).resolve()
    source = output / "source"
    stage(executed, source)
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    return subprocess.call([str(jupyter_book), "build", str(source), "-W", "-n", "--keep-going"])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
