"""``joblens wait``: a job followed to its end without its logs, for scripts.

Exits with the job's code as ``logs --follow`` does (:func:`joblens.end_notice.exit_code_for`:
0 SUCCESS, 1 FAILED, 3 CANCELLED) and writes one line to stderr at the end,
``joblens: job #abcd1234 FAILED after 3m 10s`` (with a FAILED job's error, secrets masked),
unless quiet; and as it starts, a queued job that nothing alive can claim says so
(``joblens: job #abcd1234 is waiting for tendril-a to claim the job: offline, last seen 3d 4h
ago``, :mod:`joblens.queue_wait`). A job already ended exits at once. With a
timeout, a job still running then is :class:`WaitTimedOut` (exit 8).

The row is watched as plain mode watches it (:class:`joblens.job_watch.JobWatch`: the 3 s poll
and its policy for a server that does not answer), and the live stream's UPDATEs of the row
end the wait as soon as they arrive; no log is read.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from typing import TextIO

from joblens.backends.base import POLL_SECONDS, Backend, JobChanged
from joblens.display import format_duration
from joblens.end_notice import ended_summary, exit_code_for
from joblens.errors import BackendUnavailable, ExitCode, JoblensError
from joblens.job_watch import Backoff, JobWatch
from joblens.models import JobStatus
from joblens.plain import _masked, _one_line, _problem_reporter, _say
from joblens.queue_wait import say_if_stuck


class WaitTimedOut(JoblensError):
    """The job had not ended when ``wait --timeout`` ran out."""

    exit_code = ExitCode.WAIT_TIMEOUT


async def wait_for_end(
    backend: Backend,
    job_ref: str,
    *,
    timeout: float | None = None,
    quiet: bool = False,
    err: TextIO | None = None,
    poll_seconds: float = POLL_SECONDS,
) -> int:
    """Wait until the job ends (at most ``timeout`` seconds once it is found); its exit code.

    Raises what the watch raises (JobNotFound, AuthError, BackendUnavailable) and WaitTimedOut.
    """
    err = sys.stderr if err is None else err
    try:
        await backend.connect()
        job_id = await backend.resolve_job_id(job_ref)
        watch = JobWatch(
            backend,
            await backend.get_job(job_id),
            poll_seconds=poll_seconds,
            on_problem=_problem_reporter(err, "the status poll"),
        )
        if not watch.finished:
            if not quiet:
                await say_if_stuck(backend, watch.job, lambda line: _say(err, line))
            try:
                async with asyncio.timeout(timeout):
                    await _until_ended(backend, watch)
            except TimeoutError:
                job = watch.job
                raise WaitTimedOut(
                    f"job #{job.short_id} is still {job.status} after waiting "
                    f"{_seconds(timeout or 0)} (--timeout)"
                ) from None
        if not quiet:
            _say(err, f"joblens: {_outcome_line(watch)}")
        return int(exit_code_for(watch.job.status))
    finally:
        await backend.close()


def _seconds(seconds: float) -> str:
    """``0.5s`` as given under a minute, else as the header says durations (``10m 00s``)."""
    return f"{seconds:g}s" if seconds < 60 else format_duration(seconds)


def _outcome_line(watch: JobWatch) -> str:
    """``job #abcd1234 FAILED after 3m 10s``, and a FAILED job's error (secrets masked)."""
    line = ended_summary(watch.job, noun="job")
    if watch.job.status == JobStatus.FAILED:
        line += f": {_one_line(_masked(watch.job.error_message)) or 'no error message'}"
    return line


async def _until_ended(backend: Backend, watch: JobWatch) -> None:
    """The watch's poll to the job's end, told of live changes of the row meanwhile."""
    listener = asyncio.create_task(_listen(backend, watch), name="joblens-wait-live")
    try:
        await watch.run()
    finally:
        listener.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await listener


async def _listen(backend: Backend, watch: JobWatch) -> None:
    """Hand the live stream's versions of the row to the watch (its log chunks are dropped),
    reconnecting with back-off; on any other error stop, and leave it to the poll to say."""
    backoff = Backoff()
    while True:
        try:
            async for event in backend.follow_logs(watch.job.id):
                if isinstance(event, JobChanged):
                    watch.seen(event.job)
            return
        except BackendUnavailable:
            await backoff.wait()
        except JoblensError:
            return
