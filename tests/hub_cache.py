"""Seed a local Hugging Face Hub cache (the layout of ``$HF_HOME/hub``), so Hub loading code runs offline.

The layout is the one huggingface_hub writes: ``datasets--OWNER--NAME/blobs/<sha256>`` holds the bytes,
``snapshots/<commit>/<path>`` links to the blob, ``refs/main`` names the commit. With ``HF_HOME`` pointing at the
parent of ``hub`` and ``HF_HUB_OFFLINE=1``, the code under test finds the files as if it had downloaded them.
"""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq


def seed_repo(hf_home: Path, repo_id: str, files: dict[str, bytes], *, repo_type: str = "dataset",
              revision: str = "main") -> Path:
    """Put ``files`` (path in the repo -> bytes) into the Hub cache under ``hf_home`` as the commit that
    ``revision`` (a branch such as ``main`` or ``refs/convert/parquet``) points at; returns the snapshot."""
    kind = {"dataset": "datasets", "model": "models"}[repo_type]
    repo = Path(hf_home) / "hub" / f"{kind}--{repo_id.replace('/', '--')}"
    commit = hashlib.sha1(repr(sorted((k, hashlib.sha256(v).hexdigest()) for k, v in files.items()))
                          .encode()).hexdigest()
    snapshot = repo / "snapshots" / commit
    for relative, content in files.items():
        blob = repo / "blobs" / hashlib.sha256(content).hexdigest()
        blob.parent.mkdir(parents=True, exist_ok=True)
        blob.write_bytes(content)
        link = snapshot / relative
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(os.path.relpath(blob, link.parent))
    ref = repo / "refs" / revision
    ref.parent.mkdir(parents=True, exist_ok=True)
    ref.write_text(commit)
    return snapshot


def parquet_bytes(columns: dict[str, list]) -> bytes:
    """A parquet file of ``columns``, as the Hub's dataset viewer conversion stores splits."""
    buffer = io.BytesIO()
    pq.write_table(pa.table(columns), buffer)
    return buffer.getvalue()


def seed_dataset(hf_home: Path, repo_id: str, config: str, splits: dict[str, dict[str, list]], *,
                 revision: str = "main") -> Path:
    """A Hub dataset repo with one config of parquet splits. On ``main``, the layout of a parquet repo and the README
    that declares its files (as the Hub's rajpurkar/squad has: ``plain_text/validation-00000-of-00001.parquet``); on
    the viewer's conversion branch ``refs/convert/parquet``, that branch's layout (``CONFIG/SPLIT/0000.parquet``)."""
    if revision == "refs/convert/parquet":
        files = {f"{config}/{split}/0000.parquet": parquet_bytes(columns) for split, columns in splits.items()}
        return seed_repo(hf_home, repo_id, files, revision=revision)
    files = {f"{config}/{split}-00000-of-00001.parquet": parquet_bytes(columns) for split, columns in splits.items()}
    card = ["---", "configs:", f"- config_name: {config}", "  data_files:"]
    for split in splits:
        card += [f"  - split: {split}", f"    path: {config}/{split}-*"]
    files["README.md"] = ("\n".join(card + ["---", f"# {repo_id} (test copy)", ""])).encode()
    return seed_repo(hf_home, repo_id, files, revision=revision)


def seed_model(hf_home: Path, repo_id: str, folder: Path, *, pickled: bool = False) -> Path:
    """A Hub model repo holding the files of a saved model ``folder``. ``pickled``: its weights as
    ``pytorch_model.bin`` only (``torch.save`` of the state dict), as older checkpoints publish them."""
    import torch
    from safetensors.torch import load_file

    files = {path.name: path.read_bytes() for path in Path(folder).iterdir() if path.is_file()}
    if pickled:
        buffer = io.BytesIO()
        torch.save(load_file(Path(folder) / "model.safetensors"), buffer)
        del files["model.safetensors"]
        files["pytorch_model.bin"] = buffer.getvalue()
    return seed_repo(hf_home, repo_id, files, repo_type="model")
