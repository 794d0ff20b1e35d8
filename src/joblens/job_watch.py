"""One job's row watched to its end, with one policy for the view and plain mode.

The row changes reach joblens two ways: live (``JobChanged`` through the log feed, see
docs/SUPABASE.md) and from the 3 s poll, the web page's figure, which stays as the fallback
for a change that was never delivered. Both go through :meth:`JobWatch.seen`: a version of
the row older than the one shown is dropped (the two can cross), names are kept from the
last full read (a live row has no embeds), and a job put back in the queue is a new attempt
(:mod:`joblens.attempts`).

The policy, the same wherever the job is watched:

- a server that does not answer (a timeout, a 5xx, no network) is not a failure of the job:
  retry with back-off (1 s, doubling, at most 30 s) and say so, for as long as
  ``give_up_after`` (10 minutes) passes without one answer; only then give up
  (``BackendUnavailable``);
- a refused token ends the watch (``AuthError``): it will not get better by itself;
- a job that is gone (deleted, or no longer visible) ends the watch (``JobNotFound``);
- a terminal status ends it, except CANCELLED when ``cancel_is_final`` is off: a running
  Tendril may not have seen the cancel, and the job can come back (docs/PLATFORM.md, "Cancel").
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from joblens.attempts import AttemptTracker, Requeue, is_older
from joblens.backends.base import POLL_SECONDS, Backend
from joblens.errors import AuthError, BackendUnavailable, JobNotFound
from joblens.models import ACTIVE_STATUSES, Job, JobStatus
from joblens.waits import wait_set

#: Without one answer from the server for this long, the watch gives up (plain mode exits 7).
GIVE_UP_AFTER = 600.0
#: While a job runs, its full row (metadata, Tendril) is re-read every this many polls.
FULL_READ_EVERY = 5


class Backoff:
    """The wait between retries after an error: 1 s, doubling, at most 30 s."""

    FIRST_SECONDS = 1.0
    MAX_SECONDS = 30.0

    def __init__(self) -> None:
        self.delay = self.FIRST_SECONDS

    def reset(self) -> None:
        self.delay = self.FIRST_SECONDS

    def next(self) -> float:
        """The wait before the next retry (and double the one after)."""
        delay = self.delay
        self.delay = min(self.delay * 2, self.MAX_SECONDS)
        return delay

    async def wait(self) -> None:
        await asyncio.sleep(self.next())


def _ignore(_: object) -> None:
    return None


class JobWatch:
    """The latest known version of one job's row, kept up to date until the job ends."""

    def __init__(
        self,
        backend: Backend,
        job: Job,
        *,
        poll_seconds: float = POLL_SECONDS,
        on_job: Callable[[Job], None] = _ignore,
        on_requeue: Callable[[Requeue], None] = _ignore,
        on_problem: Callable[[str | None], None] = _ignore,
        cancel_is_final: bool = True,
        give_up_after: float = GIVE_UP_AFTER,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.backend = backend
        self.job = job
        self.poll_seconds = poll_seconds
        self.attempts = AttemptTracker(job)
        self._on_job = on_job
        self._on_requeue = on_requeue
        self._on_problem = on_problem
        self._cancel_is_final = cancel_is_final
        self._give_up_after = give_up_after
        self._clock = clock
        self._ended = asyncio.Event()  # set when a version of the row ends the watch
        self._asked_names: set[str | None] = {job.worker_id}
        self._polls = 0

    @property
    def finished(self) -> bool:
        """The job reached a status this watch ends on."""
        if not self.job.is_terminal:
            return False
        return self._cancel_is_final or self.job.status != JobStatus.CANCELLED

    def seen(self, job: Job) -> None:
        """A newer version of the row: a live UPDATE, or a read of the poll."""
        if is_older(job, self.job):
            return  # a poll's read that crossed a newer live change
        job = job.with_names_from(self.job)
        self.job = job
        requeue = self.attempts.observe(job)
        if requeue is not None:
            self._on_requeue(requeue)
        self._on_job(job)
        if self.finished:
            self._ended.set()

    async def look(self) -> None:
        """One poll: the state, and the full row when it changed (or names are missing)."""
        self._polls += 1
        job_id = self.job.id
        state = await self.backend.get_job_state(job_id)
        running = self.job.status in ACTIVE_STATUSES
        if (
            state != self.job.state
            or self._needs_names()
            or (running and self._polls % FULL_READ_EVERY == 0)
        ):
            job = await self.backend.get_job(job_id)
            self._asked_names.add(job.worker_id)
            self.seen(job)

    def _needs_names(self) -> bool:
        """A live UPDATE named a Tendril no full read of the row has named yet."""
        return self.job.missing_names and self.job.worker_id not in self._asked_names

    async def run(self) -> Job:
        """Poll until the job ends; the final version of the row.

        Raises JobNotFound (the job is gone), AuthError, or BackendUnavailable once the server
        has not answered for ``give_up_after`` seconds.
        """
        backoff = Backoff()
        answered = self._clock()
        while not self.finished:
            try:
                await self.look()
            except (JobNotFound, AuthError):
                raise
            except BackendUnavailable as error:
                if self._clock() - answered > self._give_up_after:
                    raise
                self._on_problem(error.message)
                await self._pause(backoff.next())
                continue
            answered = self._clock()
            backoff.reset()
            self._on_problem(None)
            if not self.finished:
                await self._pause(self.poll_seconds)
        return self.job

    async def _pause(self, seconds: float) -> None:
        """Wait for the next poll, or less if a live change ended the job meanwhile."""
        self._ended.clear()
        if self.finished:
            return
        await wait_set(self._ended, seconds)
