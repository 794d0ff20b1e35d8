"""One policy for watching a job's row, whether the view or plain mode watches it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from itertools import count

import pytest

from joblens.backends.demo import DemoBackend
from joblens.errors import BackendUnavailable, JobNotFound
from joblens.job_watch import Backoff, JobWatch
from joblens.models import Job, JobState


@pytest.fixture(autouse=True)
def quick_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Backoff, "FIRST_SECONDS", 0.001)
    monkeypatch.setattr(Backoff, "MAX_SECONDS", 0.004)


class HangingDemo(DemoBackend):
    """Answers the status poll with a timeout ``hangs`` times, then as the demo does."""

    def __init__(self, hangs: int) -> None:
        super().__init__(speed=100.0, seed=21, simulate=False)
        self.hangs = hangs

    async def get_job_state(self, job_id: str) -> JobState:
        if self.hangs:
            self.hangs -= 1
            raise BackendUnavailable("cannot reach SUPABASE_URL http://x: timed out")
        return await super().get_job_state(job_id)


def ticking_clock(step: float) -> Callable[[], float]:
    """A clock that moves ``step`` seconds each time it is read."""
    ticks = count()
    return lambda: next(ticks) * step


async def started(backend: DemoBackend, status: str = "PROCESSING") -> Job:
    job_id = backend.start_scenario("plan")
    backend.store.update_job(job_id, {"status": status})
    return await backend.get_job(job_id)


async def test_a_server_that_hangs_a_while_is_not_a_failure_of_the_job() -> None:
    backend = HangingDemo(hangs=8)  # 8 failed polls, 10 s apart on the watch's clock
    job = await started(backend)
    problems: list[str | None] = []
    watch = JobWatch(
        backend, job, poll_seconds=0.01, on_problem=problems.append, clock=ticking_clock(10.0)
    )
    backend.store.update_job(job.id, {"status": "SUCCESS"})
    final = await asyncio.wait_for(watch.run(), 5)
    assert final.status == "SUCCESS"
    assert problems[0] is not None and "timed out" in problems[0]
    assert problems[-1] is None


async def test_the_watch_gives_up_only_when_the_server_has_not_answered_for_long() -> None:
    backend = HangingDemo(hangs=10_000)
    job = await started(backend)
    watch = JobWatch(
        backend, job, poll_seconds=0.01, give_up_after=600.0, clock=ticking_clock(60.0)
    )
    with pytest.raises(BackendUnavailable):
        await asyncio.wait_for(watch.run(), 5)
    assert backend.hangs > 10_000 - 15  # about ten minutes of retries, not five polls


async def test_a_deleted_job_ends_the_watch() -> None:
    backend = DemoBackend(speed=100.0, seed=22, simulate=False)
    job = await started(backend)
    del backend.store.jobs[job.id]
    with pytest.raises(JobNotFound):
        await asyncio.wait_for(JobWatch(backend, job, poll_seconds=0.01).run(), 5)


async def test_a_live_terminal_change_ends_the_watch_without_waiting_for_the_poll() -> None:
    backend = DemoBackend(speed=100.0, seed=23, simulate=False)
    job = await started(backend)
    watch = JobWatch(backend, job, poll_seconds=60.0)
    runner = asyncio.create_task(watch.run())
    await asyncio.sleep(0.05)
    watch.seen(replace(job, status="SUCCESS", updated_at=datetime.now(UTC)))
    final = await asyncio.wait_for(runner, 1)
    assert final.status == "SUCCESS"


async def test_an_older_read_never_undoes_a_newer_live_change() -> None:
    backend = DemoBackend(speed=100.0, seed=24, simulate=False)
    job = await started(backend)
    now = datetime.now(UTC)
    watch = JobWatch(backend, replace(job, updated_at=now))
    watch.seen(replace(job, status="SUCCESS", updated_at=now + timedelta(seconds=2)))
    watch.seen(replace(job, status="PROCESSING", updated_at=now + timedelta(seconds=1)))
    assert watch.job.status == "SUCCESS"


async def test_the_view_keeps_watching_a_cancelled_job_plain_mode_does_not() -> None:
    backend = DemoBackend(speed=100.0, seed=25, simulate=False)
    job = await started(backend, "CANCELLED")
    assert JobWatch(backend, job).finished
    view = JobWatch(backend, job, poll_seconds=0.01, cancel_is_final=False)
    assert not view.finished
    runner = asyncio.create_task(view.run())
    await asyncio.sleep(0.05)
    assert not runner.done()  # a Tendril that ignored the cancel may still finish the job
    backend.store.update_job(job.id, {"status": "SUCCESS"})
    assert (await asyncio.wait_for(runner, 2)).status == "SUCCESS"
