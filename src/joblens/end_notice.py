"""What joblens says when a watched job ends, with which exit code, and who else it tells.

The view shows a toast and rings the bell when the job it shows ends while it is open, and asks
the desktop to notify too: ``notify-send`` on Linux (and the BSDs) with a display, ``osascript``
on macOS, else nothing. The notifier runs as a child process given its argv (never a shell),
with no terminal to write to, under a timeout, from a worker thread: a missing notification
daemon or a hung one must never stop or stall the view, so every failure is swallowed.

Every text passed is one line made safe by :func:`joblens.sanitize.display_text`, with the
error's secrets masked: a job's error message and its Tendril's name are written by whoever can
make a job fail, and a notification outlives the terminal (the desktop keeps a history).
``notify-send`` also reads simple HTML in the body, so ``<``, ``>`` and ``&`` are escaped
there (a hostile ``<a href>`` is shown, not linked); ``osascript`` takes the texts as the
script's arguments, never as part of its source.

``joblens wait``, ``logs --follow`` and the view's ``--exit-on-end`` take the job's exit code
from :func:`exit_code_for`, the one mapping of a final status to a code.
"""

from __future__ import annotations

import html
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

from joblens.display import duration_phase, format_duration, type_label
from joblens.errors import ExitCode
from joblens.models import Job, JobStatus
from joblens.sanitize import display_text
from joblens.secrets import mask_text

#: The exit code of each final status (``logs --follow``, ``wait``, ``--exit-on-end``).
JOB_EXIT_CODES: Mapping[str, ExitCode] = {
    JobStatus.SUCCESS: ExitCode.OK,
    JobStatus.FAILED: ExitCode.JOB_FAILED,
    JobStatus.CANCELLED: ExitCode.JOB_CANCELLED,
}
#: A notifier that has not returned after this long is killed (notify-send takes ~20 ms).
NOTIFY_TIMEOUT = 5.0
#: The most characters of the error message a notification carries (desktops cut it anyway).
DETAIL_CHARS = 200

#: A toast's severity, as Textual names them.
Severity = Literal["information", "warning", "error"]
_SEVERITIES: dict[str, Severity] = {JobStatus.FAILED: "error", JobStatus.CANCELLED: "warning"}
# Platforms whose desktops have notify-send (a freedesktop.org notification daemon).
_FREEDESKTOP = ("linux", "freebsd", "openbsd", "netbsd", "dragonfly")


def exit_code_for(status: str) -> ExitCode:
    """The exit code of a job that ended with ``status`` (OK for a status that is not final)."""
    return JOB_EXIT_CODES.get(status, ExitCode.OK)


def ended_summary(job: Job, noun: str = "Job") -> str:
    """``Job #abcd1234 FAILED after 3m 10s``: one safe line (no duration when times are missing)."""
    line = f"{noun} #{job.short_id} {job.status}"
    phase = duration_phase(job)
    if phase is not None and phase[0] in ("took", "waited"):
        line += f" after {format_duration(phase[1])}"
    return display_text(line)


def just_ended(previous: Job, job: Job) -> bool:
    """``job``, a newer version of ``previous``, has a final status that one did not have: a
    job seen finished from the start never counts, a cancelled one that ran on and ended does."""
    return job.is_terminal and job.status != previous.status


@dataclass(frozen=True)
class EndNotice:
    """What to say of a job that ended: the summary line, a detail line and the toast's
    severity (``information``, ``warning`` or ``error``)."""

    summary: str
    detail: str
    severity: Severity = "information"


def notice_for(job: Job) -> EndNotice:
    """The notice for ``job``, which has just ended: its type, Tendril and error in the detail."""
    parts = [type_label(str(job.job_type))]
    if job.worker_name:
        parts.append(f"on {job.worker_name}")
    detail = " ".join(parts)
    error = display_text(mask_text(job.error_message or ""))
    if error:
        if len(error) > DETAIL_CHARS:
            error = error[: DETAIL_CHARS - 1] + "…"
        detail += f": {error}"
    return EndNotice(
        summary=ended_summary(job),
        detail=display_text(detail),
        severity=_SEVERITIES.get(str(job.status), "information"),
    )


Runner = Callable[..., object]
"""How a notifier's command is run: :func:`subprocess.run`'s signature (tests pass a fake)."""


def _notify_send_argv(program: str, notice: EndNotice) -> list[str]:
    # The body is read as markup by most daemons; the summary never is.
    body = html.escape(notice.detail, quote=False)
    return [program, "--app-name=joblens", "--", notice.summary, body]


# The texts reach the script as its run handler's arguments: nothing in them is AppleScript.
_OSASCRIPT_SOURCE = (
    "on run argv",
    "display notification (item 2 of argv) with title (item 1 of argv)",
    "end run",
)


def _osascript_argv(program: str, notice: EndNotice) -> list[str]:
    lines = [arg for line in _OSASCRIPT_SOURCE for arg in ("-e", line)]
    return [program, *lines, notice.summary, notice.detail]


_ARGV_BUILDERS: dict[str, Callable[[str, EndNotice], list[str]]] = {
    "notify-send": _notify_send_argv,
    "osascript": _osascript_argv,
}


@dataclass(frozen=True)
class DesktopNotifier:
    """A desktop notification command found on this machine (:func:`find_notifier`)."""

    kind: str  # "notify-send" or "osascript"
    program: str  # its path
    run: Runner = subprocess.run
    timeout: float = NOTIFY_TIMEOUT

    def argv(self, notice: EndNotice) -> list[str]:
        """The command line that shows ``notice`` (every text in it sanitised again)."""
        safe = EndNotice(display_text(notice.summary), display_text(notice.detail))
        return _ARGV_BUILDERS[self.kind](self.program, safe)

    def send(self, notice: EndNotice) -> bool:
        """Show ``notice``; True if the command ran and succeeded. Never raises; blocks up to
        ``timeout`` seconds, so call it from a worker thread."""
        try:
            done = self.run(
                self.argv(notice),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                timeout=self.timeout,
                check=False,
                # Not in the terminal's process group: Ctrl+C and the tty are joblens's own.
                start_new_session=True,
            )
        except (OSError, ValueError, subprocess.SubprocessError):
            return False
        return getattr(done, "returncode", 1) == 0


def find_notifier(
    platform: str | None = None,
    environ: Mapping[str, str] | None = None,
    which: Callable[[str], str | None] = shutil.which,
) -> DesktopNotifier | None:
    """The desktop's notifier: ``notify-send`` where there is a display (X11 or Wayland) and the
    command exists, ``osascript`` on macOS, else None (over SSH, on a console, on Windows)."""
    platform = sys.platform if platform is None else platform
    env = os.environ if environ is None else environ
    if platform == "darwin":
        kind = "osascript"
    elif platform.startswith(_FREEDESKTOP) and (env.get("DISPLAY") or env.get("WAYLAND_DISPLAY")):
        kind = "notify-send"
    else:
        return None
    program = which(kind)
    return DesktopNotifier(kind, program) if program else None
