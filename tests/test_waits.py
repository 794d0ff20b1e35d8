"""A cancel that arrives together with what a task waits for still stops the task.

Python 3.11's ``asyncio.wait_for`` drops such a cancel (CPython gh-86296): the demo's
flaky-realtime follower, cancelled as a row arrived, ran on for ever and hung a CI run.
These tests cancel at every loop step around the arrival; with ``wait_for`` in place of
``asyncio.timeout`` some step lets the task run on.
"""

from __future__ import annotations

import asyncio

import pytest

from joblens.backends.demo import DemoBackend
from joblens.waits import wait_set

STEPS = range(8)


async def _cancelled_or_finished_first(task: asyncio.Task[object], steps: int) -> None:
    """Let ``steps`` loop steps pass, cancel, and check the cancel was not swallowed."""
    for _ in range(steps):
        await asyncio.sleep(0)
    was_done = task.done()
    task.cancel()
    async with asyncio.timeout(2):
        await asyncio.gather(task, return_exceptions=True)
    assert was_done or task.cancelled()


@pytest.mark.parametrize("steps", STEPS)
async def test_a_cancel_as_the_event_is_set_is_kept(steps: int) -> None:
    event = asyncio.Event()

    async def waiter() -> None:
        while True:  # a task that waits again and again, like every watcher in joblens
            await wait_set(event, 5.0)
            event.clear()

    task: asyncio.Task[object] = asyncio.create_task(waiter())
    await asyncio.sleep(0)
    event.set()
    await _cancelled_or_finished_first(task, steps)


async def test_wait_set_says_whether_the_event_came() -> None:
    event = asyncio.Event()
    assert not await wait_set(event, 0.01)
    event.set()
    assert await wait_set(event, 0.01)
    assert await wait_set(event, None)


@pytest.mark.parametrize("steps", STEPS)
async def test_a_demo_follower_cancelled_as_a_row_arrives_stops(steps: int) -> None:
    demo = DemoBackend(speed=400.0, seed=3, simulate=False)
    try:
        job_id = demo.start_scenario("flaky-realtime")  # drops are on: the follower waits timed
        events = demo.follow_logs(job_id)

        async def follow() -> None:
            async for _ in events:
                pass

        task: asyncio.Task[object] = asyncio.create_task(follow())
        async with asyncio.timeout(2):
            while demo.store.subscriber_count(job_id) == 0:
                await asyncio.sleep(0)
        await asyncio.sleep(0.01)  # past LiveStarted: waiting for a row
        demo.store.insert_log(job_id, "a line\n", "STDOUT")
        await _cancelled_or_finished_first(task, steps)
        await events.aclose()
    finally:
        await demo.close()
