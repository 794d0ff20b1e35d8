"""Waiting with a time limit, without losing a cancellation.

On Python 3.11, ``asyncio.wait_for`` returns the awaited result when a cancel reaches the
waiting task in the same loop step as that result, and the cancel is gone (CPython
gh-86296; 3.12 rebuilt ``wait_for`` on ``asyncio.timeout``). A follower cancelled just as a
row arrived then ran on for ever: the demo's flaky-realtime test hung that way in CI. Every
timed wait in joblens goes through ``asyncio.timeout``, which counts cancels and never
swallows one; ruff bans ``asyncio.wait_for`` in ``src/`` (``pyproject.toml``).
"""

from __future__ import annotations

import asyncio


async def wait_set(event: asyncio.Event, seconds: float | None) -> bool:
    """Wait until ``event`` is set, at most ``seconds`` (None: no limit). True if it was."""
    try:
        async with asyncio.timeout(seconds):
            await event.wait()
    except TimeoutError:
        return event.is_set()
    return True
