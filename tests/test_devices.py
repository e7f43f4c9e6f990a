"""Tests for qa_tutorial.devices: one rule for choosing the device."""

from __future__ import annotations

import pytest
import torch

from qa_tutorial.devices import resolve_device


def test_auto_and_none_pick_a_gpu_only_when_there_is_one(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert resolve_device("auto") == resolve_device(None) == torch.device("cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert resolve_device("auto") == torch.device("cuda")


def test_an_explicit_device_is_kept_or_refused(monkeypatch):
    assert resolve_device("cpu") == resolve_device(torch.device("cpu")) == torch.device("cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(RuntimeError, match="no CUDA device"):
        resolve_device("cuda:1")
    with pytest.raises(RuntimeError):
        resolve_device("tpu-that-does-not-exist")


def test_every_path_uses_it(monkeypatch):
    """train_qa, fit, predict_logits, QuestionAnswerer and the book's device_name all go through resolve_device."""
    import qa_tutorial.answering
    import qa_tutorial.book.environment
    import qa_tutorial.inference
    import qa_tutorial.pytorch_loop
    import qa_tutorial.training

    for module in (qa_tutorial.answering, qa_tutorial.book.environment, qa_tutorial.inference,
                   qa_tutorial.pytorch_loop, qa_tutorial.training):
        assert module.resolve_device is resolve_device, module.__name__
    from qa_tutorial.book.environment import device_name
    from qa_tutorial.book.profiles import FULL, QUICK

    calls = []
    monkeypatch.setattr(qa_tutorial.book.environment, "resolve_device",
                        lambda device: calls.append(device) or torch.device("cpu"))
    assert device_name(QUICK) == device_name(FULL) == "cpu"
    assert calls == [QUICK.device, FULL.device]
