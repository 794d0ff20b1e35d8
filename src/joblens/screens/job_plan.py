"""A PLAN in the job view: its plan digest fed the log and the metadata and shown at a steady
pace (the header's figures, the Plan panel), the DEPLOY jobs applying it, and the questions
Apply asks of it first (apply again? destroy these?).

Apart from the screen because it concerns a PLAN only and keeps its own state (the pacing
timer, what was last shown, which metadata read is the newest): the screen hands it lines and
rows, and asks it whether Apply may go on.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING, Any

from joblens.errors import JoblensError
from joblens.json_doc import JsonDoc
from joblens.models import ACTIVE_STATUSES, Job, JobStatus, JobType, LogChunk
from joblens.plan_digest import Action, MetadataPlan, PlanDigest, PlanSummary, read_metadata
from joblens.screens.confirm import ConfirmScreen
from joblens.screens.pacing import SHOW_EVERY_SECONDS, Paced
from joblens.widgets.header import JobHeader
from joblens.widgets.plan import PlanPanel

if TYPE_CHECKING:
    from joblens.screens.job_screen import JobScreen

#: The plan's figures and panel are shown again at most this often as lines stream.
PLAN_REFRESH_SECONDS = SHOW_EVERY_SECONDS
#: Apply waits at most this long for the log to be read before its destroy confirmation.
PLAN_READ_SECONDS = 5.0
#: The resources (or DEPLOY jobs) an Apply confirmation names before "and N more".
SHOWN_IN_PROMPT = 5


class JobPlan:
    """The plan of the job ``screen`` shows (for a job that is no PLAN, ``digest`` is None and
    every call does nothing)."""

    def __init__(self, screen: JobScreen) -> None:
        self._screen = screen
        #: A PLAN's figures and resources, fed the lines as they arrive (joblens.plan_digest).
        self.digest = PlanDigest() if screen.job.job_type == JobType.PLAN else None
        #: The DEPLOY jobs applying this PLAN, newest first, once asked (None: not yet).
        self.deploys: list[Job] | None = None
        self._pace = Paced(screen, self._show)
        self._shown: Any = None  # what the header and panel show of the plan
        self._reads = 0  # reads of large metadata started (the newest one counts)

    def feed(self, chunks: list[LogChunk], at: int) -> None:
        """A PLAN's new lines to its digest: one regex pass per batch, in C, not per line."""
        digest = self.digest
        if digest is None or not digest.needs_log:  # (the metadata already says it all)
            return
        if digest.feed_texts((c.text for c in chunks), at):
            self.changed()

    def rewind(self, mark: int) -> None:
        """The feed took back the lines after ``mark``: so does the digest."""
        if self.digest is not None and self.digest.rewind(mark):
            self.changed()

    def job_changed(self, job: Job) -> None:
        """A newer row: the plan in its metadata, and (once it can be applied) its DEPLOYs."""
        digest = self.digest
        if digest is None:
            return
        screen = self._screen
        metadata = job.execution_metadata
        if isinstance(metadata, JsonDoc):  # large: read in a thread (read_metadata's figures)
            self._reads += 1
            read, key = self._reads, digest.metadata_key

            def read_in_thread() -> None:
                found = read_metadata(metadata, key)
                if found is not None:
                    with contextlib.suppress(RuntimeError):  # the app has closed meanwhile
                        screen.app.call_from_thread(self._use_metadata, found, read)

            screen.run_worker(
                read_in_thread, thread=True, group="plan-metadata", exit_on_error=False
            )
        elif digest.set_metadata(metadata):
            self.changed()
        if job.status == JobStatus.SUCCESS and self.deploys is None:
            self.deploys = []  # asked once; Apply asks again
            screen.run_worker(self._load_deploys(), group="deploys", exclusive=True)
        self.changed()  # "no plan yet" becomes "no plan found" once the job has ended

    def deploy_added(self, deploy: Job) -> None:
        """Apply queued ``deploy``: the newest of this plan's DEPLOY jobs."""
        self.deploys = [deploy, *(self.deploys or [])]
        self.changed()

    def _use_metadata(self, found: MetadataPlan, read: int) -> None:
        """What a thread read of the metadata, unless a newer row's is being read."""
        digest = self.digest
        if read == self._reads and digest is not None and digest.use(found):
            self.changed()

    def changed(self) -> None:
        """Show the plan now, or when due (``pacing.Paced``)."""
        self._pace.request()

    def _show(self) -> None:
        screen = self._screen
        if self.digest is None or not screen.showing:
            return
        summary = self.digest.summary()
        shown = (summary, screen.job.is_terminal, self.deploys)
        if shown == self._shown:
            return  # a poll that changed nothing of the plan
        self._shown = shown
        screen.query_one(JobHeader).show_plan(summary)
        for panel in screen.query(PlanPanel):
            panel.show(summary, finished=screen.job.is_terminal, deploys=self.deploys)

    async def _load_deploys(self) -> None:
        screen = self._screen
        try:
            self.deploys = await screen.backend.list_deploys(screen.job.id)
        except JoblensError:
            return  # not known: Apply asks again
        self.changed()
        screen.refresh_bindings()

    # -- what Apply asks first -------------------------------------------------------------

    async def confirm_apply(self) -> bool:
        """Ask whatever applying this plan needs asked first; True to go on."""
        return await self._confirm_applying_again() and await self._confirm_destroying()

    async def _as_read(self) -> PlanSummary:
        """The plan, once the log has been read (when it comes from the log: the metadata's is
        complete), waiting at most PLAN_READ_SECONDS."""
        assert self.digest is not None
        feed = self._screen.feed
        if self.digest.summary().source != "metadata":
            try:
                async with asyncio.timeout(PLAN_READ_SECONDS):
                    await feed.backfilled.wait()
                    await feed.history_loaded.wait()
            except TimeoutError:
                pass
        return self.digest.summary()

    async def _confirm_applying_again(self) -> bool:
        """Say first that DEPLOY jobs already apply this plan; True to go on."""
        screen = self._screen
        self.deploys = deploys = await screen.backend.list_deploys(screen.job.id)
        self.changed()
        if not deploys:
            return True
        named = ", ".join(f"DEPLOY #{d.short_id} ({d.status})" for d in deploys[:SHOWN_IN_PROMPT])
        if len(deploys) > SHOWN_IN_PROMPT:
            named += f" and {len(deploys) - SHOWN_IN_PROMPT} more"
        running = any(d.status in ACTIVE_STATUSES for d in deploys)
        done = "is already being applied" if running else "was already applied"
        confirmed = await screen.app.push_screen_wait(
            ConfirmScreen(
                "Apply this plan again?",
                f"Plan #{screen.job.short_id} {done} by {named} — apply again?",
                confirm_label="Apply again (Enter)",
            )
        )
        return bool(confirmed)

    async def _confirm_destroying(self) -> bool:
        """When the plan destroys or replaces anything, ask, naming them; True to go on."""
        summary = await self._as_read()
        counts, doomed = summary.counts, summary.destructive
        if counts is None or (not counts.destroy and not counts.replace and not doomed):
            return True
        destroys = max(counts.destroy, len(doomed))
        what = f"destroys {destroys} resource{'s' if destroys != 1 else ''}"
        if counts.replace:
            what += f" ({counts.replace} of them replaced: created again)"
        lines = [
            f"  {'replace' if r.action is Action.REPLACE else 'destroy'}  {r.address}"
            for r in doomed[:SHOWN_IN_PROMPT]
        ]
        if len(doomed) > SHOWN_IN_PROMPT:
            lines.append(f"  and {len(doomed) - SHOWN_IN_PROMPT} more")
        if not doomed:
            lines.append("  (their names are not in what was read of the plan's log)")
        confirmed = await self._screen.app.push_screen_wait(
            ConfirmScreen(
                "This plan destroys resources",
                f"Applying plan #{self._screen.job.short_id} {what}:\n"
                + "\n".join(lines)
                + "\nApply it anyway?",
                confirm_label="Apply, destroying them (Enter)",
            )
        )
        return bool(confirmed)
