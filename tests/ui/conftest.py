"""Fixtures for the job view's Pilot tests: the demo backend with jobs in chosen states."""

from __future__ import annotations

import os
import time

import pytest

from support.demo import StaticWorld
from support.views import QUICK_POLL

# Timestamps in snapshots and assertions read the same on every machine.
os.environ["TZ"] = "UTC"
time.tzset()


@pytest.fixture(autouse=True)
def no_system_clipboard(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Never touch the developer's real clipboard; record what pyperclip was asked to copy."""
    import pyperclip

    copied: list[str] = []
    monkeypatch.setattr(pyperclip, "copy", copied.append)
    return copied


@pytest.fixture
def static_world() -> StaticWorld:
    """Jobs that change only when the test says; its apps poll every 0.1 s (joblens: 3 s)."""
    return StaticWorld(poll_seconds=QUICK_POLL)
