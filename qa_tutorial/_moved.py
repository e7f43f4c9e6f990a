"""Old import paths of modules and functions that moved after 0.1, kept working for one release with a warning.

The book's scaffolding moved into `qa_tutorial.book`, and some modules got names that say what they do. Code
written against 0.1 (``from qa_tutorial.profiles import QUICK``, ``from qa_tutorial.models import load_qa_model``)
still runs, and a `DeprecationWarning` names the new path. Nothing here is imported by the package itself, except
by the finder that `qa_tutorial/__init__.py` registers for the old module names.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import warnings
from types import ModuleType
from typing import Any

# old module -> new module
MOVED_MODULES = {
    "qa_tutorial.analysis": "qa_tutorial.book.analysis",
    "qa_tutorial.environment": "qa_tutorial.book.environment",
    "qa_tutorial.files": "qa_tutorial.atomic_files",
    "qa_tutorial.finetuned": "qa_tutorial.book.finetuned",
    "qa_tutorial.loop": "qa_tutorial.pytorch_loop",
    "qa_tutorial.padding": "qa_tutorial.book.padding_costs",
    "qa_tutorial.plots": "qa_tutorial.book.plots",
    "qa_tutorial.plots.decoding": "qa_tutorial.book.plots.decoding",
    "qa_tutorial.plots.evaluation": "qa_tutorial.book.plots.evaluation",
    "qa_tutorial.plots.lengths": "qa_tutorial.book.plots.lengths",
    "qa_tutorial.plots.longformer": "qa_tutorial.book.plots.longformer",
    "qa_tutorial.plots.portuguese": "qa_tutorial.book.plots.portuguese",
    "qa_tutorial.plots.training": "qa_tutorial.book.plots.training",
    "qa_tutorial.plots.windows": "qa_tutorial.book.plots.windows",
    "qa_tutorial.profiles": "qa_tutorial.book.profiles",
    "qa_tutorial.spans": "qa_tutorial.decoding",
}


def _warn(old: str, new: str, stacklevel: int = 3) -> None:
    warnings.warn(f"{old} moved to {new}; the old path goes in the next release", DeprecationWarning, stacklevel=stacklevel)


def moved_attribute(module: str, name: str, new_module: str) -> Any:
    """``new_module.name``, with a warning that ``module.name`` is its old path (for a module's ``__getattr__``).

    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     found = moved_attribute("qa_tutorial.models", "load_qa_model", "qa_tutorial.checkpoints")
    >>> found.__module__, "qa_tutorial.checkpoints" in str(caught[0].message)
    ('qa_tutorial.checkpoints', True)
    """
    _warn(f"{module}.{name}", f"{new_module}.{name}", stacklevel=4)
    return getattr(importlib.import_module(new_module), name)


class _Alias(importlib.abc.Loader):
    """Loads an old module name as the module that replaced it (the same module object, under both names)."""

    def __init__(self, new: str) -> None:
        self.new = new

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        _warn(spec.name, self.new)
        return importlib.import_module(self.new)

    def exec_module(self, module: ModuleType) -> None:  # already executed under its new name
        return None


class MovedModuleFinder(importlib.abc.MetaPathFinder):
    """Finds the old names in `MOVED_MODULES` (and nothing else)."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> importlib.machinery.ModuleSpec | None:
        new = MOVED_MODULES.get(fullname)
        if new is None:
            return None
        return importlib.machinery.ModuleSpec(fullname, _Alias(new))


def install() -> None:
    """Register `MovedModuleFinder` once, first: under an old package name (``qa_tutorial.plots``) the path finder
    would otherwise load a second copy of each submodule."""
    if not any(isinstance(finder, MovedModuleFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, MovedModuleFinder())
