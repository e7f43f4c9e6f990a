"""Write result files atomically: a reader sees the old file or the whole new one, never half of it."""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import stat
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

__all__ = ["MANIFEST", "write_bytes_atomic", "write_json_atomic", "write_result_set", "write_text_atomic"]


def write_bytes_atomic(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same folder and ``os.replace``.

    A crash or Ctrl-C while writing leaves the previous file (or none) in place, never a truncated one.

    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "a.bin"
    >>> write_bytes_atomic(target, b"hello").read_bytes()
    b'hello'
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, _mode_for(path))  # mkstemp makes 0600 files; keep the mode a plain write would give
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def _mode_for(path: Path) -> int:
    """The permission bits of the file at ``path``, or for a new file what ``open`` would give (0666 less umask)."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        mask = os.umask(0)
        os.umask(mask)
        return 0o666 & ~mask


def write_text_atomic(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically (`write_bytes_atomic`).

    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "a.txt"
    >>> write_text_atomic(target, "hello").read_text()
    'hello'
    """
    return write_bytes_atomic(path, text.encode("utf-8"))


def _finite(value: Any) -> Any:
    """Replace infinities (null odds with no candidate span) by +-1e30 so the file stays standard JSON."""
    if isinstance(value, float) and math.isinf(value):
        return math.copysign(1e30, value)
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def write_json_atomic(path: str | os.PathLike, data: Any, *, indent: int | None = 2) -> Path:
    """Write ``data`` as standard JSON (UTF-8, no NaN/Infinity), atomically.

    >>> import tempfile, pathlib, json
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "odds.json"
    >>> json.loads(write_json_atomic(target, {"q": float("inf")}).read_text())
    {'q': 1e+30}
    """
    return write_bytes_atomic(path, _json_bytes(data, indent))


def _json_bytes(data: Any, indent: int | None = 2) -> bytes:
    """``data`` as standard JSON in UTF-8: the one serialisation of every result file."""
    return json.dumps(_finite(data), indent=indent, ensure_ascii=False, allow_nan=False).encode("utf-8")


MANIFEST = "manifest.json"


def write_result_set(folder: str | os.PathLike, files: dict[str, Any], *, replaces: Iterable[str] = ()) -> list[Path]:
    """Write a run's result files (name -> JSON data) into ``folder`` as one set, never mixed with another run's.

    The files are written into a temporary folder inside ``folder`` first: a crash, a full disk or Ctrl-C there
    leaves the previous set untouched. Then the previous run's ``manifest.json`` goes, each new file replaces its
    old one (``os.replace``), files of ``replaces`` that this run does not write are removed (a SQuAD v1.1 run
    leaves no v2.0 ``null_odds.json`` behind), and a new ``manifest.json`` naming the files with their SHA-256 comes
    last. A folder with a manifest therefore holds exactly one run's set; one without was cut off while swapping.
    Temporary files that killed runs left behind are removed first. Replaced files keep their permission bits.

    Returns:
        The paths written, manifest last.

    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = write_result_set(folder, {"a.json": {"x": 1}, "b.json": [2]})
    >>> [p.name for p in write_result_set(folder, {"a.json": {"x": 3}}, replaces=["b.json"])]
    ['a.json', 'manifest.json']
    >>> sorted(p.name for p in folder.iterdir()), json.loads((folder / "manifest.json").read_text())["files"].keys()
    (['a.json', 'manifest.json'], dict_keys(['a.json']))
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    names = set(files) | set(replaces) | {MANIFEST}
    for leftover in folder.glob(".*.tmp"):  # from runs killed while writing (SIGKILL runs no cleanup)
        if leftover.is_dir() and leftover.name.startswith(".run-"):
            shutil.rmtree(leftover, ignore_errors=True)
        elif any(leftover.name.startswith(f".{name}.") for name in names):
            leftover.unlink(missing_ok=True)
    staging = Path(tempfile.mkdtemp(dir=folder, prefix=".run-", suffix=".tmp"))
    try:
        digests = {}
        for name, data in files.items():
            text = _json_bytes(data)
            digests[name] = hashlib.sha256(text).hexdigest()
            write_bytes_atomic(staging / name, text)
        (folder / MANIFEST).unlink(missing_ok=True)
        written = []
        for name in files:
            target = folder / name
            os.chmod(staging / name, _mode_for(target))
            os.replace(staging / name, target)
            written.append(target)
        for name in set(replaces) - set(files):
            (folder / name).unlink(missing_ok=True)
        written.append(write_json_atomic(folder / MANIFEST, {"files": {name: {"sha256": digests[name]}
                                                                       for name in files}}))
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return written
