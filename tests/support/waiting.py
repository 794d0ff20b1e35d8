"""Waiting in a test: for a condition (polled), for an app's condition, for a stream's event."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

from textual.pilot import Pilot

E = TypeVar("E")


async def _poll(
    condition: Callable[[], object], timeout: float, pause: Callable[[], Awaitable[None]]
) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for the condition")
        await pause()


async def until(
    condition: Callable[[], object], timeout: float = 15.0, *, every: float = 0.02
) -> None:
    """Poll ``condition()`` every ``every`` seconds until it holds; fail after ``timeout``."""
    await _poll(condition, timeout, lambda: asyncio.sleep(every))


async def wait_for(
    pilot: Pilot[Any], condition: Callable[[], object], timeout: float = 5.0
) -> None:
    """Let the app run until ``condition()`` holds; fail with a clear message after ``timeout``."""
    await _poll(condition, timeout, lambda: pilot.pause(0.02))


async def next_event(events: AsyncIterator[E], timeout: float = 15.0) -> E:
    """The next item of a stream (a backend's ``follow_logs``); TimeoutError after ``timeout``."""
    return await asyncio.wait_for(anext(events), timeout)
