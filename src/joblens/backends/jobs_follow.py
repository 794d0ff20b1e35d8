"""The jobs list, followed: a backend's live changes merged with periodic re-reads of the table.

Every backend gets ``Backend.follow_jobs`` from here, built on its ``list_jobs`` and
``job_changes``. Realtime delivers changes in commit order but may drop some while its socket
stays up (docs/SUPABASE.md, "No delivery guarantee"), and replays nothing missed while down;
only a read of the table is the truth (docs/PLATFORM.md, "Delivery"). So:

- the list is read at once (the user waits for nothing), again whenever the live stream
  (re)starts (what it missed meanwhile is then in the table), and every ``reread_every``
  seconds (a change dropped on a healthy socket is seen then);
- changes queued before a read starts are dropped (they were committed before it, so the read
  has them); those arriving during the read are applied after it, in order, so the last one
  for a job wins, as in the table;
- a change carries the row alone (realtime has no embeds): the names are kept from the version
  already known, and a row still missing one (a new job, another Tendril) is read again once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncGenerator, Collection
from contextlib import aclosing
from dataclasses import dataclass
from typing import TYPE_CHECKING

from joblens.backends.base import (
    ChangeEvent,
    JobChanged,
    JobsEvent,
    JobsListed,
    JobsUnread,
    LiveInterrupted,
    LiveStarted,
)
from joblens.errors import AuthError, ConfigError, JoblensError
from joblens.models import Job

if TYPE_CHECKING:
    from joblens.backends.base import Backend

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class _Ended:
    """The change stream stopped with ``error``."""

    error: BaseException


@dataclass(frozen=True, slots=True)
class _ReadNow:
    """The caller asked for a read now (``read_now`` was set)."""


def needs_names(job: Job) -> bool:
    """Whether a job is shown without a name its ids point to (the Tendril's, the vine's)."""
    return job.missing_names or bool(job.vine_id and job.vine_name is None)


async def follow_jobs(
    backend: Backend,
    statuses: Collection[str],
    types: Collection[str],
    limit: int,
    *,
    reread_every: float,
    read_now: asyncio.Event | None = None,
) -> AsyncGenerator[JobsEvent, None]:
    """See ``Backend.follow_jobs``. The first read's error is raised (nothing to show without
    it); a later one is told as JobsUnread and tried again at the next re-read, unless
    it is an AuthError or ConfigError, which no retry mends."""
    queue: asyncio.Queue[ChangeEvent | _Ended | _ReadNow] = asyncio.Queue()

    async def nudged(read_now: asyncio.Event) -> None:
        while True:
            await read_now.wait()
            read_now.clear()
            queue.put_nowait(_ReadNow())

    async def pump() -> None:
        try:
            async with aclosing(backend.job_changes()) as changes:
                async for event in changes:
                    queue.put_nowait(event)
        except asyncio.CancelledError:
            raise
        except BaseException as error:
            queue.put_nowait(_Ended(error))

    loop = asyncio.get_running_loop()
    task = loop.create_task(pump(), name="joblens-job-changes")
    running = [task]
    if read_now is not None:
        running.append(loop.create_task(nudged(read_now), name="joblens-jobs-read-now"))
    known: dict[str, Job] = {}
    read_due = loop.time()
    first = True
    try:
        while True:
            wait = read_due - loop.time()
            if wait <= 0:
                started = _drop_changes(queue)  # committed before this read: the read has them
                try:
                    jobs = await backend.list_jobs(statuses, types, limit)
                except (AuthError, ConfigError):
                    raise
                except JoblensError as error:
                    if first:
                        raise
                    yield JobsUnread(f"could not read the jobs ({error})")
                else:
                    first = False
                    known = {job.id: job for job in jobs}
                    yield JobsListed(tuple(jobs))
                if started is not None:
                    yield started  # (after the read it brought: the list is whole and live)
                read_due = loop.time() + reread_every
                continue
            try:
                async with asyncio.timeout(wait):
                    item = await queue.get()
            except TimeoutError:
                continue
            if isinstance(item, _Ended):
                if isinstance(item.error, (AuthError, ConfigError)) or not isinstance(
                    item.error, JoblensError
                ):
                    raise item.error
                # The live stream gave up: the re-reads alone keep the list true from now on.
                log.warning("job changes stopped: %s", item.error)
                yield LiveInterrupted(f"live changes stopped ({item.error})", ended=True)
            elif isinstance(item, LiveStarted):
                queue.put_nowait(item)  # told after the read it brings (_drop_changes)
                read_due = loop.time()
            elif isinstance(item, _ReadNow):
                read_due = loop.time()
            elif isinstance(item, LiveInterrupted):
                yield item
            else:
                job = await _with_names(backend, item.job, known.get(item.job.id))
                known[job.id] = job
                yield JobChanged(job)
    finally:
        for each in running:
            each.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await each


def _drop_changes(queue: asyncio.Queue[ChangeEvent | _Ended | _ReadNow]) -> LiveStarted | None:
    """Forget the queued changes and starts (the read about to happen covers them); keep the
    rest (an interruption, the stream's end) in order. The last start forgotten, if it came
    after any interruption kept: the stream is up once that read is told."""
    kept: list[ChangeEvent | _Ended | _ReadNow] = []
    started: LiveStarted | None = None
    while not queue.empty():
        item = queue.get_nowait()
        if isinstance(item, LiveStarted):
            started = item
        elif not isinstance(item, (JobChanged, _ReadNow)):
            kept.append(item)
            started = None  # (down again after it)
    for item in kept:
        queue.put_nowait(item)
    return started


async def _with_names(backend: Backend, job: Job, older: Job | None) -> Job:
    """``job`` with the display names of the version known, or read again when it lacks one."""
    if older is not None:
        job = job.with_names_from(older)
    if not needs_names(job):
        return job
    try:
        return await backend.get_job(job.id)
    except (AuthError, ConfigError):
        raise
    except JoblensError as error:  # shown without the name until the next re-read
        log.info("could not read job %s's names: %s", job.short_id, error)
        return job
