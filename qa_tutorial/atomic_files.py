"""Write result files atomically: a reader sees the old file or the whole new one, never half of it."""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["write_bytes_atomic", "write_json_atomic", "write_text_atomic"]


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
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


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
    return write_text_atomic(path, json.dumps(_finite(data), indent=indent, ensure_ascii=False, allow_nan=False))
