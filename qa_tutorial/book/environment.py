"""What a chapter runs on: library versions, the profile and the device, printed in each chapter's first cell.

`show_environment` also turns off the progress bars of `datasets` and `transformers` in a rendered book,
where they would print as pages of carriage returns; in a live notebook or a terminal they stay on.
"""

from __future__ import annotations

import logging
import os
import platform
import sys
import warnings
from importlib import metadata

# Without ipywidgets, tqdm.auto warns in every notebook that it falls back to text bars; text bars are what a
# rendered book wants, so the warning is noise. It comes when tqdm.auto is first imported (by datasets, below).
warnings.filterwarnings("ignore", message="IProgress not found", category=Warning)

from qa_tutorial.book.profiles import Profile, get_profile  # noqa: E402
from qa_tutorial.data import CLEANING_LOGGER  # noqa: E402
from qa_tutorial.devices import resolve_device  # noqa: E402

__all__ = ["LIBRARIES", "device_name", "library_versions", "show_environment"]

LIBRARIES = ("qa-tutorial", "torch", "transformers", "tokenizers", "datasets", "accelerate", "numpy")
BOOK_BUILD_ENV = "QA_TUTORIAL_BOOK_BUILD"  # set by the book build and the notebook tests


def library_versions(names: tuple[str, ...] = LIBRARIES) -> dict[str, str]:
    """Installed version of each distribution in ``names`` ("not installed" when absent).

    >>> library_versions(("numpy", "no-such-package-xyz"))["no-such-package-xyz"]
    'not installed'
    """
    versions = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def device_name(profile: Profile) -> str:
    """The device a profile runs on (`qa_tutorial.devices.resolve_device` of ``profile.device``): "cuda" or "cpu".

    >>> from qa_tutorial.book.profiles import QUICK
    >>> device_name(QUICK)
    'cpu'
    """
    return resolve_device(profile.device).type


def _inline_figures() -> None:
    """In a Jupyter kernel, show a returned matplotlib figure as an image (the inline backend's formatter)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is not None and type(shell).__name__ == "ZMQInteractiveShell":
        shell.run_line_magic("matplotlib", "inline")


def _short_tracebacks() -> None:
    """In IPython, print errors as their type and message only (``%xmode Minimal``).

    The book build uses it: the chapters' deliberate errors then show what a reader needs (which error, what it
    says) and none of the frames, whose file paths are those of the machine that built the book.
    """
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is not None:
        shell.InteractiveTB.set_mode(mode="Minimal")  # what %xmode does, without printing the new mode


class _CurrentStdout(logging.StreamHandler):
    """A handler that writes to whatever ``sys.stdout`` is at the time (Jupyter swaps it per cell)."""

    @property
    def stream(self):  # type: ignore[override]
        return sys.stdout

    @stream.setter
    def stream(self, value) -> None:
        pass


def _book_messages() -> None:
    """Show the book scaffolding's INFO messages (e.g. that a split was carved by article) in the cell output."""
    book = logging.getLogger("qa_tutorial.book")
    if not any(isinstance(handler, _CurrentStdout) for handler in book.handlers):
        handler = _CurrentStdout()
        handler.setFormatter(logging.Formatter("%(message)s"))
        book.addHandler(handler)
    book.setLevel(logging.INFO)


def show_environment(profile: str | Profile | None = None, *, cleaning_reports: bool = False) -> Profile:
    """Print versions, the profile and the device; set up figures, book messages and progress bars; return the profile.

    In a Jupyter kernel it also turns on matplotlib's inline backend, so that a cell ending in a `Figure`
    (what the `qa_tutorial.book.plots` functions return) shows the figure. In the book's own build
    (``$QA_TUTORIAL_BOOK_BUILD`` set) it turns progress bars off and prints errors without their frames.

    Args:
        profile: a `Profile`, a profile name, or None for ``$QA_TUTORIAL_PROFILE`` (default "quick").
        cleaning_reports: show what `load_squad`'s cleaning changed each time a dataset is loaded. Chapters 1 and 8,
            which teach the cleaning, turn it on; elsewhere the same report on every load would only be noise.

    Returns:
        The profile, for the chapter to use.
    """
    _book_messages()
    logging.getLogger(CLEANING_LOGGER).setLevel(logging.WARNING if cleaning_reports else logging.ERROR)
    chosen = profile if isinstance(profile, Profile) else get_profile(profile)
    print(f"python {platform.python_version()} on {sys.platform}")
    for name, version in library_versions().items():
        print(f"{name:>13} {version}")
    print(f"profile: {chosen.name} (set QA_TUTORIAL_PROFILE=quick|full to change)")
    print(f"device: {device_name(chosen)}")
    _inline_figures()
    if os.environ.get(BOOK_BUILD_ENV):
        import datasets
        import transformers

        datasets.disable_progress_bars()
        transformers.utils.logging.disable_progress_bar()
        _short_tracebacks()
    return chosen
