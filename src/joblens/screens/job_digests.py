"""The job view's two readers of the log besides the plan, each fed as lines arrive and shown
at a steady pace: an apply's resources (the header's progress, the Resources panel) and every
diagnostic (the Errors panel, the banner's offer of it).

Apart from the screen because each keeps its own pacing state (a timer, when it was last shown,
what it last showed) and its own rules for when the log is read; the screen only tells them that
lines came, were taken back, or that the job's row changed.
"""

from __future__ import annotations

import asyncio
from time import monotonic
from typing import TYPE_CHECKING, Any

from joblens.errors import JoblensError
from joblens.models import Job, JobType, LogChunk
from joblens.plan_digest import read_metadata
from joblens.resources import ResourceTracker, planned_operations
from joblens.screens.job_plan import PLAN_REFRESH_SECONDS
from joblens.screens.pacing import Paced
from joblens.widgets.banner import StatusBanner
from joblens.widgets.error_digest import DigestReader, ErrorsPanel
from joblens.widgets.header import JobHeader
from joblens.widgets.resources import ResourcesPanel

if TYPE_CHECKING:
    from joblens.screens.job_screen import JobScreen

#: The pause between slices of the resource tracker's catching up (``work_out``): a key or a
#: frame can always come between two.
WORK_OUT_PAUSE = 0.001
#: An ended job's log is taken to be whole once no line came for this long (its last
#: diagnostic, often ended only by the end of the log, then fails its resource).
RESOURCES_SETTLE_SECONDS = 1.0


class ResourcesFeed:
    """An apply's resources (any job but a PLAN), fed the lines as they arrive
    (joblens.resources), shown at the plan's cadence."""

    def __init__(self, screen: JobScreen) -> None:
        self._screen = screen
        #: None for a PLAN: its resources are in its plan.
        self.tracker = ResourceTracker() if screen.job.job_type != JobType.PLAN else None
        self._pace = Paced(screen, self._show)
        self._shown: Any = None  # what the header and panel show of the resources
        self._settle: Any = None  # the timer that ends an ended job's log
        self._planned = False  # a DEPLOY's source plan asked for
        self._catch_up: Any = None  # the timer of the tracker's next slice (work_out)

    def feed(self, chunks: list[LogChunk], at: int) -> None:
        """New lines (or older ones, at a lower ``at``) to the resource tracker: one regex
        search per chunk, Python only for the lines about resources."""
        tracker = self.tracker
        if tracker is None:
            return
        if tracker.feed_chunks(((c.text, c.stream) for c in chunks), at):
            self.changed()
        self._settle_log()

    def rewind(self, mark: int) -> None:
        """The feed took back the lines after ``mark``: so does the tracker."""
        if self.tracker is not None and self.tracker.rewind(mark):
            self.changed()

    def job_changed(self, job: Job) -> None:
        """A newer row: a DEPLOY's plan gives what is pending (once); an ended job's log
        ends once it has all been read."""
        if self.tracker is None:
            return
        if job.plan_job_id and not self._planned:
            self._planned = True  # asked once
            self._screen.run_worker(
                self._expect_plan(job.plan_job_id), group="resources-plan", exit_on_error=False
            )
        self._settle_log()
        self.changed()  # "no resources yet" becomes "none" once the job has ended

    async def _expect_plan(self, plan_job_id: str) -> None:
        """The source PLAN's resources (from its metadata) are pending until the log says more,
        and its total counts where this log prints no ``Plan:`` line (a saved plan's apply)."""
        try:
            plan = await self._screen.backend.get_job(plan_job_id)
        except JoblensError:
            return  # the log alone, then
        found = await asyncio.to_thread(read_metadata, plan.execution_metadata)
        tracker = self.tracker
        if found is not None and found.resources is not None and tracker is not None:
            tracker.expect(planned_operations(found.resources))
            self.changed()

    def _settle_log(self) -> None:
        """Once the job has ended and its log been read, and no line came for
        RESOURCES_SETTLE_SECONDS, the log is whole: its last diagnostic is complete."""
        if self._settle is not None:
            self._settle.stop()
            self._settle = None
        screen = self._screen
        if screen.job.is_terminal and screen.is_attached:
            self._settle = screen.set_timer(RESOURCES_SETTLE_SECONDS, self._log_whole)

    def _log_whole(self) -> None:
        self._settle = None
        feed = self._screen.feed
        if not (feed.backfilled.is_set() and feed.history_loaded.is_set()):
            self._settle_log()  # not all read yet: look again later
        elif self.tracker is not None and self.tracker.close():
            self.changed()

    def changed(self) -> None:
        """Show the resources now, or when due (``pacing.Paced``)."""
        if self._catch_up is None:
            self._pace.request()

    def _caught_up(self) -> None:
        self._catch_up = None
        self._show()

    def _show(self) -> None:
        tracker, screen = self.tracker, self._screen
        if tracker is None or not screen.showing or not screen.feed.history_loaded.is_set():
            return  # (older pages still coming: shown once, when the last is in; JobScreen)
        if not tracker.work_out():
            # A long log's events, worked out again a slice at a time between keys; what
            # was shown stays until they all are.
            self._catch_up = screen.set_timer(WORK_OUT_PAUSE, self._caught_up)
            return
        version, progress = tracker.version, tracker.progress_text()
        finished = screen.job.is_terminal
        shown = (version, progress, finished)
        if shown == self._shown:
            return  # a poll that changed nothing of the resources
        first = progress is not None and (self._shown or (None, None))[1] is None
        self._shown = shown
        screen.query_one(JobHeader).show_resources(progress)
        for panel in screen.query(ResourcesPanel):
            panel.show(lambda: tracker.resources, version, progress, finished=finished)
        if first:
            screen.refresh_bindings()  # R, now that the panel shows (for any job)


class ErrorsFeed:
    """Every diagnostic in the log, for the Errors panel, read from the pane's lines
    (widgets.error_digest) at the plan's cadence, off the path lines arrive by."""

    def __init__(self, screen: JobScreen) -> None:
        self._screen = screen
        self.reader = DigestReader()
        self._timer: Any = None
        self._read_at = float("-inf")
        self._shown: Any = None  # what the panel and banner show of the digest

    def rewind(self, mark: int) -> None:
        """The feed took back the lines after ``mark``: the digest forgets them."""
        self.reader.rewind(mark)
        self.due()

    def due(self) -> None:
        """Lines came (or were taken back): read them for the Errors panel soon, at most every
        PLAN_REFRESH_SECONDS, and never on the path the lines arrive by."""
        if self._timer is not None or not self._screen.is_attached:
            return
        wait = self._read_at + PLAN_REFRESH_SECONDS - monotonic()
        # (Textual's timers divide by their interval: never 0.)
        self._timer = self._screen.set_timer(max(wait, 0.001), self._read)

    def _read(self) -> None:
        """Read a slice of new lines; show the digest if that changed it."""
        self._timer = None
        self._read_at = monotonic()
        screen = self._screen
        if not screen.showing or not screen.feed.history_loaded.is_set():
            return  # a pass now would begin again with each older page; JobScreen asks again
        if not self.reader.read(screen.pane):
            self.due()  # a large log: the rest in the next slices
        diagnostics = self.reader.diagnostics
        if diagnostics is self._shown or diagnostics == self._shown:
            return
        self._shown = diagnostics
        for panel in screen.query(ErrorsPanel):
            panel.show(diagnostics)
        screen.query_one(StatusBanner).offer_digest(bool(diagnostics))
