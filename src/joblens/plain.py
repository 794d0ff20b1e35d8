"""Plain mode: a job's log lines on stdout, for scripts and pipes.

``joblens logs JOB`` prints every line written so far and exits 0. With ``--follow`` it keeps
printing until the job reaches a terminal status and every line is printed, then exits with
the job's outcome: 0 for SUCCESS, 1 for FAILED (the error message goes to stderr as one line),
3 for CANCELLED (see :class:`joblens.errors.ExitCode`). A line is printed when its newline
arrives (chunks end mid-line, see :mod:`joblens.lines`); each stream's unfinished rest when
the job ends. When the job is requeued, the dead attempt's unfinished lines end there and a
separator goes to stderr, so stdout holds only the job's own lines. Errors propagate as
:class:`joblens.errors.JoblensError` for the command line to report. Text is sanitised by the
feed; colour is kept only when asked for (``always``) or when stdout is a terminal (``auto``).
A reader that goes away (``| head``) ends the output quietly.

With ``--errors`` only the Terraform/OpenTofu diagnostics are printed (:mod:`joblens.diagnostics`):
each block's lines as the log has them, a blank line between blocks, in the log's order; a
block is printed once it is complete (the end of the log, or of an attempt, completes any still
open). The exit code is the same as without it. When no block is printed, stdout stays empty
and stderr says why (no diagnostics, or none the filter shows).

Following a queued job that nothing alive can claim (its Tendril offline, or none online),
stderr says so once as it starts (:mod:`joblens.queue_wait`).

``--grep``/``--invert``/``--stream`` print only the lines a :class:`joblens.line_filter.LineFilter`
shows (live too: it looks at each line as it is printed); with ``--errors``, the diagnostic
blocks it shows (of a chosen stream, any line matching, or with ``--invert`` none).
``--line-numbers`` and ``--timestamps`` put each line's number in the whole log and its
chunk's time before it (:mod:`joblens.line_gutter`), with ``--errors`` too. Without any of
these, lines are written a chunk at a time, as before (the fast path). The writers are in
:mod:`joblens.plain_output`; this module runs the feed and decides the exit code.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Callable
from typing import TextIO

from joblens.attempts import Requeue
from joblens.backends.base import POLL_SECONDS, Backend
from joblens.end_notice import exit_code_for
from joblens.errors import BackendUnavailable, ExitCode
from joblens.feed import LogFeed
from joblens.job_watch import Backoff, JobWatch
from joblens.line_filter import LineFilter
from joblens.line_gutter import Gutter
from joblens.log_output import HeldOutput
from joblens.models import JobState, JobStatus, LogChunk
from joblens.plain_output import (
    DiagnosticWriter,
    LineWriter,
    ReaderGone,
    render_line,
    silence_stdout,
    use_colour,
)
from joblens.queue_wait import say_if_stuck
from joblens.sanitize import plain_text
from joblens.secrets import mask_text

__all__ = ["LineWriter", "print_logs", "render_line", "use_colour"]

#: How often plain mode checks its lines against the table while rows arrive: lines are
#: printed once checked, so this is how long a line may wait.
PLAIN_VERIFY_SECONDS = 1.0
#: Checks at the job's end, each of which may recover rows, before printing the rest.
FINAL_CHECKS = 5


def _one_line(text: str) -> str:
    return " ".join(plain_text(text).split())


def _masked(error_message: str | None) -> str:
    """The job's error message sanitised with its secrets masked, its lines still apart (a
    kubeconfig's ``token:`` line is recognised by where it starts)."""
    return mask_text(plain_text(error_message or ""))


async def print_logs(
    backend: Backend,
    job_ref: str,
    *,
    follow: bool,
    color: str,
    out: TextIO | None = None,
    err: TextIO | None = None,
    poll_seconds: float = POLL_SECONDS,
    errors: bool = False,
    select: LineFilter | None = None,
    numbers: bool = False,
    times: bool = False,
    utc: bool = False,
) -> int:
    """Print a job's log lines (with ``errors``, its diagnostics only; with ``select``, those it
    shows, or with ``errors`` the blocks it shows), each after its number in the log
    (``numbers``) and its time (``times``, in UTC with ``utc``: :mod:`joblens.line_gutter`);
    with ``follow``, until it finishes. Returns the exit code."""
    out = sys.stdout if out is None else out
    err = sys.stderr if err is None else err
    colour = use_colour(color, out)
    gutter = Gutter(numbers=numbers, times=times, utc=utc, colour=colour)
    lines = LineWriter(out, colour, None if errors else select, gutter)
    diagnostics = DiagnosticWriter(lines, select) if errors else None
    writer: Callable[[list[LogChunk]], None] = lines if diagnostics is None else diagnostics
    try:
        await backend.connect()
        job_id = await backend.resolve_job_id(job_ref)  # JobNotFound before printing anything
        if not follow:
            feed = LogFeed(backend, job_id, writer, on_link=_link_reporter(err))
            await feed.backfill()
            feed.close_open_lines()  # the log as written so far, to its last character
            if diagnostics is not None:
                _end_diagnostics(diagnostics, err)
            return int(ExitCode.OK)
        job = await backend.get_job(job_id)
        await say_if_stuck(backend, job, lambda line: _say(err, line))

        def requeued(requeue: Requeue) -> None:
            feed.note(requeue.separator())  # the dead attempt's last lines end here

        watch = JobWatch(
            backend,
            job,
            poll_seconds=poll_seconds,
            on_requeue=requeued,
            on_problem=_problem_reporter(err, "the status poll"),
        )

        def noted(text: str) -> None:
            if diagnostics is not None:
                diagnostics.note()  # the attempt's open blocks end with it
            lines.note()  # a line of the log in the view: the numbers after it count it
            _say(err, f"joblens: {text}")

        # Lines wait (a second or so) until checked against the table: what is printed
        # cannot be taken back should a missed row turn up (joblens.log_output).
        output = HeldOutput(writer, noted)
        feed = LogFeed(
            backend,
            job_id,
            output,
            on_link=_link_reporter(err),
            on_job=watch.seen,
            verify_every=PLAIN_VERIFY_SECONDS,
        )
        if not watch.finished:
            await _follow_until_terminal(feed, watch, err)
        await _finish(feed)
        if diagnostics is not None:
            _end_diagnostics(diagnostics, err)
        return _report_outcome(job_id, watch.job.state, err)
    except ReaderGone:
        silence_stdout(out)
        return int(ExitCode.OK)
    finally:
        await backend.close()


def _end_diagnostics(diagnostics: DiagnosticWriter, err: TextIO) -> None:
    """The log ended: the blocks still open are printed; when none was, stderr says why
    (stdout stays empty and the exit code the same, for scripts)."""
    diagnostics.end()
    why = diagnostics.why_nothing()
    if why is not None:
        _say(err, f"joblens: {why}")


async def _finish(feed: LogFeed) -> None:
    """Everything committed before the job's end, checked against the table, then printed."""
    await feed.backfill()
    for _ in range(FINAL_CHECKS):
        if not await feed.verify() and not feed.replay_pending:
            break
    feed.close_open_lines()
    feed.release()


async def _follow_until_terminal(feed: LogFeed, watch: JobWatch, err: TextIO) -> None:
    """Run the live feed while the watch follows the job's row; stop both at its end.

    The policy for a server that does not answer is the watch's (job_watch.py), the same as
    the view's: a feed that fails that way is restarted with back-off (it resumes after the
    last line printed); anything else that ends the feed ends the command.
    """
    follower = asyncio.create_task(_keep_following(feed, err), name="joblens-plain-feed")
    watcher = asyncio.create_task(watch.run(), name="joblens-plain-watch")
    try:
        done, _ = await asyncio.wait({follower, watcher}, return_when=asyncio.FIRST_COMPLETED)
        if watcher in done:
            watcher.result()  # JobNotFound, AuthError, or a server silent for too long
            return
        follower.result()  # raises what ended the feed (AuthError, ReaderGone...)
        raise BackendUnavailable("the live log stream ended unexpectedly: try again")
    finally:
        for task in (follower, watcher):
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await asyncio.gather(follower, watcher)


async def _keep_following(feed: LogFeed, err: TextIO) -> None:
    """The feed, restarted with back-off while the server cannot be reached."""
    backoff = Backoff()
    while True:
        try:
            await feed.run()
            return
        except BackendUnavailable as error:
            _say(err, f"joblens: {_one_line(str(error))}; retrying")
            await backoff.wait()


def _say(err: TextIO, line: str) -> None:
    with contextlib.suppress(OSError, ValueError):
        err.write(line + "\n")
        err.flush()


def _problem_reporter(err: TextIO, what: str) -> Callable[[str | None], None]:
    """Tell stderr once when ``what`` starts failing, and when it answers again."""
    return _reporter(err, "{}; retrying", f"{what} answers again")


def _link_reporter(err: TextIO) -> Callable[[str | None], None]:
    """Tell stderr when the live stream drops and when it is back."""
    return _reporter(err, "{}", "live stream back; catching up")


def _reporter(err: TextIO, down: str, back: str) -> Callable[[str | None], None]:
    """A callback that writes ``down`` (with the problem) once when a problem starts, and
    ``back`` once when it ends (None)."""
    failing = False

    def report(problem: str | None) -> None:
        nonlocal failing
        if problem is not None and not failing:
            failing = True
            _say(err, "joblens: " + down.format(_one_line(problem)))
        elif problem is None and failing:
            failing = False
            _say(err, f"joblens: {back}")

    return report


def _report_outcome(job_id: str, state: JobState, err: TextIO) -> int:
    code = exit_code_for(state.status)
    with contextlib.suppress(OSError, ValueError):
        if state.status == JobStatus.FAILED:
            message = _one_line(_masked(state.error_message)) or "no error message"
            err.write(f"joblens: job {job_id[:8]} failed: {message}\n")
        elif state.status == JobStatus.CANCELLED:
            message = _one_line(_masked(state.error_message)) or "cancelled"
            err.write(f"joblens: job {job_id[:8]} was cancelled: {message}\n")
        err.flush()
    return int(code)
