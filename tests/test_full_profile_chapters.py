"""Every chapter, top to bottom, in the full profile (what a Colab reader runs), offline through the seeded Hub cache.

The ``full_hub`` fixture (conftest.py) gives the chapters no data mirror, a Hub cache holding every dataset and
checkpoint the full profile names (stand-in weights: `full_profile_hub`), and ``QA_TUTORIAL_MAX_EXAMPLES`` so that
each trains and scores on a few hundred questions. A chapter passes when every cell runs without an error, except
the cells tagged ``raises-exception``, which must raise. What the real weights would print is not checked here.

One download is not on the Hub: chapter 1 reads the official SQuAD v1.1 dev file from the SQuAD site. The kernel's
``urlretrieve`` gives that one address the mirror's copy of the same file; any other address goes to the network.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

pytestmark = [pytest.mark.realdata, pytest.mark.slow]

BOOK = Path(__file__).resolve().parents[1] / "book"
CHAPTERS = sorted(BOOK.glob("*.ipynb"))
OFFICIAL_DEV = "https://rajpurkar.github.io/SQuAD-explorer/dataset/dev-v1.1.json"

_OFFLINE_URLRETRIEVE = '''
import gzip, shutil, urllib.request
_network = urllib.request.urlretrieve
def _urlretrieve(url, filename=None, *args, **kwargs):
    if url != {url!r}:
        return _network(url, filename, *args, **kwargs)
    with gzip.open({copy!r}) as source, open(filename, "wb") as target:
        shutil.copyfileobj(source, target)
    return str(filename), None
urllib.request.urlretrieve = _urlretrieve
'''


def _errors(notebook) -> tuple[list[str], list[int]]:
    """Errors of cells that should not raise, and the indexes of ``raises-exception`` cells that did not."""
    unexpected, silent = [], []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        raised = [out for out in cell.get("outputs", []) if out.get("output_type") == "error"]
        if "raises-exception" in cell.metadata.get("tags", []):
            if not raised:
                silent.append(index)
        elif raised:
            unexpected += [f"cell {index}: {out['ename']}: {out['evalue'][:300]}\n{cell.source[:300]}"
                           for out in raised]
    return unexpected, silent


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_the_chapter_runs_in_the_full_profile(chapter, full_hub, data_dir, tmp_path):
    env, _ = full_hub
    notebook = nbformat.read(chapter, as_version=4)
    patch = nbformat.v4.new_code_cell(_OFFLINE_URLRETRIEVE.format(
        url=OFFICIAL_DEV, copy=str(data_dir / "squad-v1.1" / "dev.json.gz")))
    notebook.cells.insert(0, patch)
    client = NotebookClient(notebook, timeout=900, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(BOOK)}})
    client.execute(env={**env, "TMPDIR": str(tmp_path)})
    unexpected, silent = _errors(notebook)
    assert not unexpected, "\n\n".join(unexpected)
    assert not silent, f"cells tagged raises-exception that did not raise: {silent}"
    shown = "".join(out.get("text", "") for out in notebook.cells[2].get("outputs", []))
    assert "full" in shown, shown  # the chapter's first cell reports the profile it runs
