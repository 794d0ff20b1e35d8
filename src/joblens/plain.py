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
open). The exit code is the same as without it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections import deque
from collections.abc import Callable, Sequence
from typing import TextIO

from joblens.attempts import Requeue
from joblens.backends.base import POLL_SECONDS, Backend
from joblens.diagnostics import Diagnostic, DiagnosticParser
from joblens.errors import BackendUnavailable, ExitCode
from joblens.feed import LogFeed
from joblens.job_watch import Backoff, JobWatch
from joblens.log_output import HeldOutput
from joblens.models import JobState, JobStatus, LogChunk, StreamType
from joblens.sanitize import plain_text, split_chunk, strip_sgr
from joblens.secrets import mask_text
from joblens.terraform_colour import LOOKBACK, colour_line, colour_lines

#: How often plain mode checks its lines against the table while rows arrive: lines are
#: printed once checked, so this is how long a line may wait.
PLAIN_VERIFY_SECONDS = 1.0
#: Checks at the job's end, each of which may recover rows, before printing the rest.
FINAL_CHECKS = 5

_RED = "\x1b[31m"
_BLUE = "\x1b[34m"
_RESET = "\x1b[0m"
_STREAM_COLOURS = {StreamType.STDERR: _RED, StreamType.SYSTEM: _BLUE}
_OUTCOMES = {
    JobStatus.SUCCESS: ExitCode.OK,
    JobStatus.FAILED: ExitCode.JOB_FAILED,
    JobStatus.CANCELLED: ExitCode.JOB_CANCELLED,
}


class _ReaderGone(Exception):
    """stdout's reader closed the pipe: stop printing, quietly."""


def use_colour(color: str, out: TextIO) -> bool:
    """``always``, or ``auto`` with ``out`` a terminal."""
    if color == "always":
        return True
    if color != "auto":
        return False
    try:
        return out.isatty()
    except (AttributeError, ValueError, OSError):
        return False


def _tint(stream: StreamType | str) -> str:
    return _STREAM_COLOURS.get(stream, "") if isinstance(stream, StreamType) else ""


def render_line(line: str, stream: StreamType | str, colour: bool) -> str:
    """One sanitised line as printed: its own colours, or tofu's colours (Terraform output
    carries none, see :mod:`joblens.terraform_colour`) on its stream's, or plain."""
    if not colour:
        return strip_sgr(line)
    return colour_line(line, tint=_tint(stream))


class LineWriter:
    """Writes chunks' lines to ``out``; raises _ReaderGone when the pipe closes."""

    def __init__(self, out: TextIO, colour: bool) -> None:
        self.out = out
        self.colour = colour
        # The lines printed last: a diagnostic frame's gutter takes the colour of its block.
        self._recent: deque[str] = deque(maxlen=LOOKBACK)

    def __call__(self, chunks: list[LogChunk]) -> None:
        parts: list[str] = []
        for chunk in chunks:
            lines = split_chunk(chunk.text)
            if not self.colour:
                parts += map(strip_sgr, lines)
                continue
            parts += colour_lines(lines, before=self._recent, tint=_tint(chunk.stream))
            self._recent.extend(lines)
        if not parts:
            return
        self._write("\n".join(parts) + "\n")

    def write_block(self, lines: Sequence[str], stream: StreamType | str, gap: bool) -> None:
        """Lines of one stream on their own (a diagnostic's: its frame is coloured from within
        it), after a blank line if ``gap``."""
        if self.colour:
            parts = colour_lines(lines, tint=_tint(stream))
        else:
            parts = list(map(strip_sgr, lines))
        self._write(("\n" if gap else "") + "".join(f"{part}\n" for part in parts))

    def _write(self, text: str) -> None:
        try:
            try:
                self.out.write(text)
            except UnicodeEncodeError:
                encoding = getattr(self.out, "encoding", None) or "utf-8"
                self.out.write(text.encode(encoding, "replace").decode(encoding))
            self.out.flush()
        except BrokenPipeError as error:
            raise _ReaderGone from error
        except OSError as error:
            if error.errno in (32, 22):  # EPIPE; EINVAL on Windows pipes
                raise _ReaderGone from error
            raise


class DiagnosticWriter:
    """``--errors``: takes the feed's lines like a ``LineWriter`` and prints only the
    diagnostics among them, through it, in the order of their first lines."""

    def __init__(self, writer: LineWriter) -> None:
        self._writer = writer
        self._parser = DiagnosticParser()
        self._ready: list[Diagnostic] = []  # complete, waiting for one begun before them
        self._printed = 0

    def __call__(self, chunks: list[LogChunk]) -> None:
        for chunk in chunks:
            self._ready += self._parser.feed_lines(split_chunk(chunk.text), chunk.stream)
        self._print()

    def end(self) -> None:
        """The log, or an attempt, ended: the blocks still open are complete as they are."""
        self._ready += self._parser.close()
        self._print()

    def _print(self) -> None:
        if not self._ready:
            return
        begun = self._parser.open_starts  # a block begun earlier, on another stream, goes first
        first_open = begun[0] if begun else None
        self._ready.sort(key=lambda diagnostic: diagnostic.first)
        while self._ready and (first_open is None or self._ready[0].first < first_open):
            block = self._ready.pop(0)
            stream = block.stream if isinstance(block.stream, str) else ""
            self._writer.write_block(block.lines, stream, gap=self._printed > 0)
            self._printed += 1


def _one_line(text: str) -> str:
    return " ".join(plain_text(text).split())


def _masked(error_message: str | None) -> str:
    """The job's error message sanitised with its secrets masked, its lines still apart (a
    kubeconfig's ``token:`` line is recognised by where it starts)."""
    return mask_text(plain_text(error_message or ""))


def _silence_stdout(out: TextIO) -> None:
    """After EPIPE, point stdout at /dev/null so the interpreter's final flush stays quiet."""
    if out is not sys.stdout:
        return
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, out.fileno())
        os.close(devnull)


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
) -> int:
    """Print a job's log lines (with ``errors``, its diagnostics only); with ``follow``, until
    it finishes. Returns the exit code."""
    out = sys.stdout if out is None else out
    err = sys.stderr if err is None else err
    lines = LineWriter(out, use_colour(color, out))
    diagnostics = DiagnosticWriter(lines) if errors else None
    writer: Callable[[list[LogChunk]], None] = lines if diagnostics is None else diagnostics
    try:
        await backend.connect()
        job_id = await backend.resolve_job_id(job_ref)  # JobNotFound before printing anything
        if not follow:
            feed = LogFeed(backend, job_id, writer, on_link=_link_reporter(err))
            await feed.backfill()
            feed.close_open_lines()  # the log as written so far, to its last character
            if diagnostics is not None:
                diagnostics.end()
            return int(ExitCode.OK)
        job = await backend.get_job(job_id)

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
                diagnostics.end()  # the attempt's open blocks end with it
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
            diagnostics.end()
        return _report_outcome(job_id, watch.job.state, err)
    except _ReaderGone:
        _silence_stdout(out)
        return int(ExitCode.OK)
    finally:
        await backend.close()


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
        follower.result()  # raises what ended the feed (AuthError, _ReaderGone...)
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
    code = _OUTCOMES.get(state.status) if isinstance(state.status, JobStatus) else None
    with contextlib.suppress(OSError, ValueError):
        if state.status == JobStatus.FAILED:
            message = _one_line(_masked(state.error_message)) or "no error message"
            err.write(f"joblens: job {job_id[:8]} failed: {message}\n")
        elif state.status == JobStatus.CANCELLED:
            message = _one_line(_masked(state.error_message)) or "cancelled"
            err.write(f"joblens: job {job_id[:8]} was cancelled: {message}\n")
        err.flush()
    return int(code if code is not None else ExitCode.OK)
