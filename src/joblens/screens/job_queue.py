"""While the shown job waits in the queue: what it waits for, in the banner
(:mod:`joblens.queue_wait`), from the Tendrils read every TENDRIL_REFRESH_SECONDS.

Apart from the screen because it keeps its own timer and the Tendrils last read; the screen
only tells it when the job's row changed. Reading the Tendrils is best effort: one that fails
leaves the line as it was (the status poll reports a server that does not answer).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from textual.worker import Worker

from joblens.models import Job, JobStatus, Tendril
from joblens.queue_wait import TENDRIL_REFRESH_SECONDS, read_tendrils, waiting_for
from joblens.widgets.banner import StatusBanner

if TYPE_CHECKING:
    from joblens.screens.job_screen import JobScreen


class QueueWait:
    """What the shown job waits for while QUEUED, kept fresh; nothing in any other status."""

    def __init__(self, screen: JobScreen) -> None:
        self._screen = screen
        self._tendrils: Sequence[Tendril] | None = None
        self._timer: Any = None  # reads the Tendrils again while the job waits
        self._reading = False

    def job_changed(self, job: Job) -> None:
        """The job's newer row: start reading the Tendrils when it waits, stop when not."""
        if job.status == JobStatus.QUEUED:
            if self._timer is None and self._screen.is_attached:
                self._timer = self._screen.set_interval(TENDRIL_REFRESH_SECONDS, self._read)
                self._read()
        elif self._timer is not None:
            self._timer.stop()
            self._timer = None
        self._show()

    def _read(self) -> None:
        if not self._reading:
            self._reading = True
            # A coroutine function: the worker makes the coroutine when it starts (one made
            # here and cancelled before it started would never be awaited). The annotation
            # tells mypy which of run_worker's kinds of work this is.
            worker: Worker[None] = self._screen.run_worker(
                self._fetch, group="queue-tendrils", exit_on_error=False
            )
            del worker  # (nothing waits for it: it shows what it read itself)

    async def _fetch(self) -> None:
        try:
            tendrils = await read_tendrils(self._screen.backend)
        finally:
            self._reading = False
        if tendrils is not None:  # (not read: the line stays as it was)
            self._tendrils = tendrils
            self._show()

    def _show(self) -> None:
        screen = self._screen
        if screen.showing:
            waiting = waiting_for(screen.job, self._tendrils)
            screen.query_one(StatusBanner).show_waiting(waiting)
