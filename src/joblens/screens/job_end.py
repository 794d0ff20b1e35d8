"""What the job view does when its job ends: a toast, the bell and the desktop's notification
(the words are :mod:`joblens.end_notice`'s), and, with ``--exit-on-end`` or ``Q``, quitting
with the job's exit code once the final banner has shown.

Apart from the screen because it keeps its own state (the wish to quit, the timer that will)
and is told of each row the screen shows; the screen keeps the ``Q`` binding.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from joblens.end_notice import DesktopNotifier, exit_code_for, just_ended, notice_for
from joblens.models import Job

if TYPE_CHECKING:
    from joblens.screens.job_screen import JobScreen

#: With --exit-on-end (or Q), the final banner shows this long before joblens quits.
EXIT_AFTER_SECONDS = 1.0


class JobEnd:
    """The end of the job ``screen`` shows: ``bell`` rings and ``notifier`` tells the desktop
    when it ends while shown; ``exit_on_end`` quits with its exit code then."""

    def __init__(
        self,
        screen: JobScreen,
        *,
        bell: bool,
        notifier: DesktopNotifier | None,
        exit_on_end: bool,
    ) -> None:
        self._screen = screen
        self._bell = bell
        self._notifier = notifier
        #: Quit with the job's exit code once it has ended (--exit-on-end, Q).
        self.exit_on_end = exit_on_end
        self._exit_timer: Any = None

    def job_shown(self, previous: Job, job: Job) -> None:
        """The screen shows ``job``, a newer row than ``previous``."""
        if just_ended(previous, job):
            self._announce(job)
        if self.exit_on_end and job.is_terminal:
            self._exit_soon()

    def _announce(self, job: Job) -> None:
        """The job ended while shown: a toast, the bell and the desktop's notification (in a
        thread: the notifier may take up to its timeout)."""
        screen = self._screen
        notice = notice_for(job)
        screen.notify(notice.summary, title="Job ended", severity=notice.severity, markup=False)
        if self._bell:
            screen.app.bell()
        notifier = self._notifier
        if notifier is not None:
            screen.run_worker(
                partial(notifier.send, notice), thread=True, group="end-notice", exit_on_error=False
            )

    def _exit_soon(self) -> None:
        """Quit with the job's code once the final banner has shown for EXIT_AFTER_SECONDS."""
        if self._exit_timer is None:
            self._exit_timer = self._screen.set_timer(EXIT_AFTER_SECONDS, self._exit_if_ended)

    async def _exit_if_ended(self) -> None:
        self._exit_timer = None
        job = self._screen.job
        if self.exit_on_end and job.is_terminal:  # (a cancelled job may have come back)
            await self._screen.joblens_app.exit_with(int(exit_code_for(job.status)))

    def toggle(self) -> None:
        """Q: quit (with the job's exit code) when this job ends, or no longer."""
        screen = self._screen
        job = screen.job
        name = f"job #{job.short_id}"
        if job.is_terminal and not self.exit_on_end:
            screen.notify(
                f"Job #{job.short_id} has already ended ({job.status}): q quits.",
                severity="warning",
                markup=False,
            )
            return
        self.exit_on_end = not self.exit_on_end
        if self.exit_on_end:
            screen.notify(
                f"joblens will quit when {name} ends, with its exit code (Q again to stay).",
                title="Quit when it ends",
                markup=False,
            )
            if job.is_terminal:
                self._exit_soon()
            return
        if self._exit_timer is not None:
            self._exit_timer.stop()
            self._exit_timer = None
        screen.notify(f"joblens will stay open when {name} ends.", markup=False)
