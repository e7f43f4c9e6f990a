"""Which device to run on: one rule for training, the plain loop, inference, answering and the book's profiles.

``"auto"`` (or None) means a CUDA GPU when there is one, else Apple's MPS, else the CPU; a device that is asked for and missing is an
error, not a silent fall back to the CPU.
"""

from __future__ import annotations

import torch

__all__ = ["resolve_device"]


def resolve_device(device: str | torch.device | None = "auto") -> torch.device:
    """The `torch.device` for ``device``: "auto" or None pick CUDA when available, else Apple's MPS, else the CPU.

    Args:
        device: "auto", None, "cpu", "cuda", "cuda:1", "mps" or a `torch.device`.

    Returns:
        The device. Raises RuntimeError when CUDA (or MPS) is asked for and not available.

    >>> resolve_device("cpu")
    device(type='cpu')
    >>> resolve_device("auto").type in {"cpu", "cuda", "mps"}
    True
    """
    if device is None or device == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        return torch.device("mps" if torch.backends.mps.is_available() else "cpu")
    chosen = torch.device(device)
    if chosen.type == "cuda" and not torch.cuda.is_available():
        raise RuntimeError(f"device {str(device)!r} was asked for, and torch sees no CUDA device here")
    if chosen.type == "mps" and not torch.backends.mps.is_available():
        raise RuntimeError(f"device {str(device)!r} was asked for, and torch sees no MPS device here")
    return chosen
