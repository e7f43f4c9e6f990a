"""The headless Chromium that the browser tests drive (tests/test_book_html.py, tests/test_demo.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

# Debian's package (make chromium installs it); Playwright drives it instead of downloading a browser of its own
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def chromium_or_fail() -> str:
    """The path of the Chromium executable; the test fails (it does not skip) when there is none."""
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is not installed (Debian package chromium; make chromium installs it)")
    return CHROMIUM
