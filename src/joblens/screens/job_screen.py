"""The job view: header, live log pane, status banner, detail panels and the actions."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterable
from functools import partial
from pathlib import Path
from time import monotonic
from typing import TYPE_CHECKING, Any

from textual import events, on
from textual.app import ComposeResult, SuspendNotSupported, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Button, Collapsible, Footer

from joblens.actions import (
    ACTION_BY_NAME,
    ACTION_SPECS,
    ActionSpec,
    JobAction,
    available_actions,
    unavailable_reason,
)
from joblens.attempts import Requeue
from joblens.backends.base import POLL_SECONDS, Backend
from joblens.clipboard import copy_text
from joblens.end_notice import DesktopNotifier, exit_code_for, just_ended, notice_for
from joblens.errors import AuthError, JoblensError, JobNotFound
from joblens.feed import LogFeed
from joblens.job_watch import Backoff, JobWatch
from joblens.json_doc import JsonDoc
from joblens.log_export import page_lines, save_path, write_lines
from joblens.log_output import PaneOutput
from joblens.models import ACTIVE_STATUSES, Job, JobStatus, JobType, LogChunk
from joblens.plan_digest import Action, MetadataPlan, PlanDigest, PlanSummary, read_metadata
from joblens.resources import ResourceTracker, planned_operations
from joblens.screens.confirm import ConfirmScreen
from joblens.screens.tendril_picker import TendrilPicker
from joblens.widgets.banner import StatusBanner
from joblens.widgets.details import DetailsPanels
from joblens.widgets.error_digest import DigestReader, ErrorsPanel
from joblens.widgets.header import SIGNED_OUT, JobHeader
from joblens.widgets.log import LogPane, LogView
from joblens.widgets.log.log_filter import STREAM_CODES
from joblens.widgets.plan import PlanPanel
from joblens.widgets.resources import ResourcesPanel

if TYPE_CHECKING:
    from joblens.app import JoblensApp

#: Terminals narrower than this get the compact footer.
COMPACT_FOOTER_BELOW = 100
#: The plan's figures and panel are shown again at most this often as lines stream.
PLAN_REFRESH_SECONDS = 0.25
#: An ended job's log is taken to be whole once no line came for this long (its last
#: diagnostic, often ended only by the end of the log, then fails its resource).
RESOURCES_SETTLE_SECONDS = 1.0
#: Apply waits at most this long for the log to be read before its destroy confirmation.
PLAN_READ_SECONDS = 5.0
#: The resources (or DEPLOY jobs) an Apply confirmation names before "and N more".
SHOWN_IN_PROMPT = 5
#: With --exit-on-end (or Q), the final banner shows this long before joblens quits.
EXIT_AFTER_SECONDS = 1.0


#: What the follow indicator says of the log of a job that ended.
_ENDED: dict[str, str] = {
    JobStatus.SUCCESS: "the job succeeded",
    JobStatus.FAILED: "the job failed",
    JobStatus.CANCELLED: "the job was cancelled",
}


#: The panels every job has, for the command palette: (id, title, help).
_PANELS = (
    ("job-details", "Show the job details", "Status, times, Tendril, vine and ids (d)"),
    ("config-snapshot", "Show the config snapshot", "The configuration the job ran with (s)"),
    (
        "execution-metadata",
        "Show the execution metadata",
        "What the Tendril recorded of the run (m)",
    ),
)


def _sentence(reason: str) -> str:
    """One of ``joblens.actions``' reasons as a toast says it."""
    return reason[0].upper() + reason[1:] + "."


class JobScreen(Screen[None]):
    """One job, live. Widgets receive state from here; only this screen talks to the backend."""

    BINDINGS = [
        *(Binding(spec.key, spec.name, spec.label) for spec in ACTION_SPECS),
        Binding("slash", "search", "Search", key_display="/"),
        # The header's "Copy id (y)" button shows this key; the footer has no room at 80 columns.
        Binding("y", "copy_id", "Copy id", show=False),
        Binding("Y", "copy_visible", "Copy the lines in view", show=False),
        Binding("S", "save_log", "Save the log", show=False),
        Binding("vertical_line", "page_log", "Log in $PAGER", show=False, key_display="|"),
        Binding("o", "open_plan", "Open plan", show=False),
        Binding("d", "toggle_panel('job-details')", "Details"),
        Binding("s", "toggle_panel('config-snapshot')", "Config snapshot", show=False),
        Binding("m", "toggle_panel('execution-metadata')", "Metadata", show=False),
        Binding("p", "toggle_panel('plan')", "Plan", show=False),
        Binding("R", "toggle_panel('resources')", "Resources", show=False),
        Binding("x", "toggle_errors", "Errors", show=False),
        Binding("Q", "toggle_exit_on_end", "Quit when the job ends", show=False),
        Binding("escape", "back", "Back"),
        # A key whose action does not apply now (hidden by check_action) falls through to
        # these, which say why in a toast (system: kept out of the footer, help and key panel).
        *(Binding(spec.key, f"explain('{spec.name}')", system=True) for spec in ACTION_SPECS),
        Binding("o", "explain('open_plan')", system=True),
        Binding("p", "explain('toggle_panel', 'plan')", system=True),
        Binding("R", "explain('toggle_panel', 'resources')", system=True),
    ]

    def __init__(
        self,
        backend: Backend,
        job: Job,
        *,
        poll_seconds: float = POLL_SECONDS,
        wrap: bool = False,
        timestamps: bool = False,
        bell: bool = False,
        notifier: DesktopNotifier | None = None,
        exit_on_end: bool = False,
    ) -> None:
        """``wrap`` and ``timestamps`` say how the log pane starts (its keys toggle them).
        When the job ends while shown, ``bell`` rings and ``notifier`` tells the desktop;
        ``exit_on_end`` quits with its exit code then (``Q`` toggles it)."""
        super().__init__()
        self.backend = backend
        self.job = job
        self._bell = bell
        self._notifier = notifier
        #: Quit with the job's exit code once it has ended (--exit-on-end, Q).
        self.exit_on_end = exit_on_end
        self._exit_timer: Any = None
        self._log_wrap = wrap
        self._log_timestamps = timestamps
        self._busy: set[JobAction] = set()
        self._seen_cancelled = False
        self._banner_note: str | None = None
        self._problems: dict[str, str | None] = {"feed": "connecting", "poll": None}
        # A PLAN's figures and resources, fed the lines as they arrive (joblens.plan_digest).
        self.plan_digest = PlanDigest() if job.job_type == JobType.PLAN else None
        self._plan_timer: Any = None
        self._plan_shown_at = float("-inf")
        self._plan_shown: Any = None  # what the header and panel show of the plan
        self._plan_reads = 0  # reads of large metadata started (the newest one counts)
        # Every diagnostic in the log, for the Errors panel, read from the pane's lines
        # (widgets.error_digest) at the plan's cadence, off the path lines arrive by.
        self.digest = DigestReader()
        self._digest_timer: Any = None
        self._digest_read_at = float("-inf")
        self._digest_shown: Any = None  # what the panel and banner show of the digest
        # An apply's resources (any job but a PLAN), fed the lines as they arrive
        # (joblens.resources), shown at the plan's cadence.
        self.resource_tracker = ResourceTracker() if job.job_type != JobType.PLAN else None
        self._resources_timer: Any = None
        self._resources_shown_at = float("-inf")
        self._resources_shown: Any = None  # what the header and panel show of the resources
        self._resources_settle: Any = None  # the timer that ends an ended job's log
        self._resources_planned = False  # a DEPLOY's source plan asked for
        #: The DEPLOY jobs applying this PLAN, newest first, once asked (None: not yet).
        self.deploys: list[Job] | None = None
        # A cancelled job may come back to life (docs/PLATFORM.md, "Cancel"): keep watching it.
        self.job_watch = JobWatch(
            backend,
            job,
            on_job=self._show_job,
            on_requeue=self._mark_requeue,
            on_problem=lambda problem: self._set_problem("poll", problem),
            cancel_is_final=False,
            poll_seconds=poll_seconds,
        )
        self.feed = LogFeed(
            backend,
            job.id,
            PaneOutput(
                self._write_chunks,
                on_note=lambda text: self._pane.write_note(text),
                mark=lambda: self._pane.append_mark(),
                rewind=self._rewind,
                start=lambda: self._pane.start_mark(),
            ),
            on_link=self._link_changed,
            older_sink=self._prepend_chunks,
            on_open=self._show_open_lines,
            on_job=self._job_changed,
        )

    @property
    def joblens_app(self) -> JoblensApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield JobHeader(self.job, id="header")
        yield LogView(wrap=self._log_wrap, timestamps=self._log_timestamps, id="log-area")
        yield StatusBanner(id="banner")
        yield DetailsPanels(self.job, id="details")
        yield Footer()

    def on_resize(self, event: events.Resize) -> None:
        # At 80 columns the keys fit in the footer only without its padding.
        self.query_one(Footer).compact = event.size.width < COMPACT_FOOTER_BELOW
        # ... and without e / E (which work all the same; the palette and a failed job's
        # banner offer them).
        self._pane.show_error_keys = event.size.width >= COMPACT_FOOTER_BELOW

    def on_mount(self) -> None:
        self.sub_title = f"{self.job.job_type} #{self.job.short_id}"
        self._show_job(self.job)
        self._set_problem("feed", "connecting")
        self._pane.focus()
        self.run_worker(self._follow_logs(), group="feed", exclusive=True)
        self.run_worker(self._watch_job(), group="watch", exclusive=True)

    # -- data in -------------------------------------------------------------------------

    @property
    def _pane(self) -> LogPane:
        return self.query_one(LogView).pane

    def _write_chunks(self, chunks: list[LogChunk]) -> None:
        pane = self._pane
        at = pane.append_mark()  # where these lines begin: the digest forgets them on a rewind
        pane.write_chunks(chunks)
        self._feed_plan(chunks, at)
        self._feed_resources(chunks, at)
        self._digest_due()

    def _prepend_chunks(self, chunks: list[LogChunk]) -> None:
        pane = self._pane
        pane.prepend_chunks(chunks)
        self._feed_plan(chunks, pane.start_mark())  # before every line fed so far
        self._feed_resources(chunks, pane.start_mark())
        self._digest_due()  # (the error digest reads the log again from its new first line)

    def _rewind(self, mark: int) -> None:
        """The feed takes back the lines after ``mark`` (to put a late row in its place)."""
        self._pane.rewind(mark)
        if self.plan_digest is not None and self.plan_digest.rewind(mark):
            self._plan_changed()
        if self.resource_tracker is not None and self.resource_tracker.rewind(mark):
            self._resources_changed()
        self.digest.rewind(mark)
        self._digest_due()

    def _show_open_lines(self, chunks: list[LogChunk]) -> None:
        self._pane.show_open_lines(chunks)

    def _job_changed(self, job: Job) -> None:
        """A live UPDATE of the job's row: shown at once, names kept from the last full read."""
        if not self.is_attached:
            return
        self.job_watch.seen(job)
        if self.job_watch.job.missing_names:
            # Claimed by another Tendril: its name needs the full row.
            self.run_worker(self._refresh_job(), group="refresh-job", exclusive=True)

    def _link_changed(self, problem: str | None) -> None:
        was_down = self._problems["feed"] not in (None, "connecting")
        if self._showing:
            # The header counts from when the data was last confirmed, not from the notice.
            self.query_one(JobHeader).quiet_for = self.feed.quiet_for if problem else 0.0
        self._set_problem("feed", problem)
        if problem is None and was_down and self.is_attached:
            # Live again: UPDATEs of the job made while the stream was down are not replayed.
            # (Not on first going live: the row was read just before, and may be 10 MB.)
            self.run_worker(self._refresh_job(), group="refresh-job", exclusive=True)

    def _set_problem(self, source: str, problem: str | None) -> None:
        """The header's link indicator: live unless the log stream or the poll has a problem."""
        self._problems[source] = problem
        if self._showing:
            self.query_one(JobHeader).link_problem = (
                self._problems["poll"] or self._problems["feed"]
            )

    async def _follow_logs(self) -> None:
        """Run the log feed for the life of the screen, retrying with back-off on errors."""
        backoff = Backoff()
        while True:
            try:
                await self.feed.run()
                return
            except AuthError as error:
                self._link_changed(SIGNED_OUT)
                self.notify(
                    error.message,
                    title="Log stream stopped",
                    severity="error",
                    markup=False,
                    timeout=30,
                )
                return
            except JoblensError as error:
                self._link_changed(error.message)
            await backoff.wait()

    async def _watch_job(self) -> None:
        """The job's row to its end (job_watch.py has the policy); say why if it stops early."""
        try:
            await self.job_watch.run()
        except JobNotFound as error:
            self._set_problem("poll", "gone")
            self.notify(
                f"{error.message}. It may have been deleted.",
                title="Job gone",
                severity="error",
                markup=False,
                timeout=60,
            )
        except AuthError as error:
            self._set_problem("poll", SIGNED_OUT)
            self.notify(
                error.message,
                title="Status poll stopped",
                severity="error",
                markup=False,
                timeout=30,
            )

    @property
    def _showing(self) -> bool:
        """The screen's widgets are there to update: not yet composed, or already taken down
        as the screen closes or the app quits, a late result is dropped."""
        return self.is_attached and bool(self.query(JobHeader)) and bool(self.query(StatusBanner))

    def _show_job(self, job: Job) -> None:
        if not self._showing:
            return  # a result that arrived as the screen closed (or the app quit): drop it
        previous = self.job
        self.job = job
        if job.status == JobStatus.CANCELLED:
            self._seen_cancelled = True
        elif previous.status == JobStatus.CANCELLED and job.status in ACTIVE_STATUSES:
            # Running Tendrils do not watch for cancellation (docs/PLATFORM.md, "Cancel").
            self.notify(
                f"The Tendril kept running after the cancel: the job is {job.status} again.",
                title="Still running",
                severity="warning",
                markup=False,
                timeout=15,
            )
        self._banner_note = (
            "finished after it was cancelled"
            if self._seen_cancelled and job.is_terminal and job.status != JobStatus.CANCELLED
            else None
        )
        self.query_one(JobHeader).update_job(job)
        self.query_one(StatusBanner).show_job(job, self._banner_note, self._pane.has_errors)
        # A finished job's log has no new lines to follow (a cancelled one may come back).
        ended = _ENDED.get(str(job.status)) if job.is_terminal else None
        self.query_one(LogView).show_ended(ended)
        self.query_one(DetailsPanels).update_job(job)
        self._plan_job(job)
        self._resources_job(job)
        self.refresh_bindings()
        if just_ended(previous, job):
            self._announce_end(job)
        if self.exit_on_end and job.is_terminal:
            self._exit_soon()

    async def _refresh_job(self) -> None:
        self.job_watch.seen(await self.backend.get_job(self.job.id))

    def _mark_requeue(self, requeue: Requeue) -> None:
        """The job went back to the queue: end the dead attempt's lines and mark the place."""
        self.feed.note(requeue.separator())  # the dead attempt's unfinished lines end there
        self.query_one(JobHeader).show_attempt(requeue.attempt, self.job_watch.attempts.first_start)
        self.notify(
            f"The Tendril stopped responding; the job is queued again (attempt {requeue.attempt}).",
            title="Requeued",
            severity="warning",
            markup=False,
            timeout=10,
        )

    # -- when the job ends ----------------------------------------------------------------

    def _announce_end(self, job: Job) -> None:
        """The job ended while shown: a toast, the bell and the desktop's notification (in a
        thread: the notifier may take up to its timeout)."""
        notice = notice_for(job)
        self.notify(notice.summary, title="Job ended", severity=notice.severity, markup=False)
        if self._bell:
            self.app.bell()
        notifier = self._notifier
        if notifier is not None:
            self.run_worker(
                partial(notifier.send, notice), thread=True, group="end-notice", exit_on_error=False
            )

    def _exit_soon(self) -> None:
        """Quit with the job's code once the final banner has shown for EXIT_AFTER_SECONDS."""
        if self._exit_timer is None:
            self._exit_timer = self.set_timer(EXIT_AFTER_SECONDS, self._exit_if_ended)

    async def _exit_if_ended(self) -> None:
        self._exit_timer = None
        if self.exit_on_end and self.job.is_terminal:  # (a cancelled job may have come back)
            await self.joblens_app.exit_with(int(exit_code_for(self.job.status)))

    def action_toggle_exit_on_end(self) -> None:
        """Q: quit (with the job's exit code) when this job ends, or no longer."""
        name = f"job #{self.job.short_id}"
        if self.job.is_terminal and not self.exit_on_end:
            self.notify(
                f"Job #{self.job.short_id} has already ended ({self.job.status}): q quits.",
                severity="warning",
                markup=False,
            )
            return
        self.exit_on_end = not self.exit_on_end
        if self.exit_on_end:
            self.notify(
                f"joblens will quit when {name} ends, with its exit code (Q again to stay).",
                title="Quit when it ends",
                markup=False,
            )
            if self.job.is_terminal:
                self._exit_soon()
            return
        if self._exit_timer is not None:
            self._exit_timer.stop()
            self._exit_timer = None
        self.notify(f"joblens will stay open when {name} ends.", markup=False)

    # -- actions ---------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "back":
            return self._previous_job_screen() is not None
        if action == "search":  # not while typing in the search field ("/" is text there)
            return not any(view.search_has_focus for view in self.query(LogView))
        # Hidden (False, not dimmed) when it does not apply: only what applies is in the footer,
        # and the key falls through to its "explain" binding.
        return self.why_not(action, parameters) is None

    def why_not(self, action: str, parameters: tuple[object, ...] = ()) -> str | None:
        """Why ``action`` does not apply to this job now (a sentence, for a toast), or None
        when it does (or is never refused)."""
        job = self.job
        wanted = ACTION_BY_NAME.get(action)
        if wanted is not None:
            reason = unavailable_reason(wanted, job)
            return None if reason is None else _sentence(reason)
        if action == "open_plan" and job.plan_job_id is None and not self.deploys:
            # (a DEPLOY's plan, or a PLAN's newest DEPLOY)
            if job.job_type == JobType.PLAN:
                return "No DEPLOY to open: none applies this PLAN yet."
            return f"No plan to open: this {job.job_type} has no source PLAN."
        if action == "toggle_panel" and parameters == ("plan",) and self.plan_digest is None:
            return f"No Plan panel: only a PLAN has one, and this job is a {job.job_type}."
        if action == "toggle_panel" and parameters == ("resources",):
            if any(panel.display for panel in self.query(ResourcesPanel)):
                return None
            if self.plan_digest is not None:
                return "A PLAN has no Resources panel: its resources are in the Plan panel (p)."
            return f"No Resources panel: this {job.job_type}'s log has applied no resource."
        return None

    def action_explain(self, action: str, *parameters: str) -> None:
        """A key whose action does not apply now: say why."""
        reason = self.why_not(action, parameters)
        if reason is not None:
            self.notify(reason, severity="warning", markup=False)

    def _previous_job_screen(self) -> JobScreen | None:
        stack = self.app.screen_stack
        if len(stack) >= 2 and stack[-1] is self and isinstance(stack[-2], JobScreen):
            return stack[-2]
        return None

    def _start(self, action: JobAction, flow: Callable[[], Awaitable[None]]) -> None:
        """Run an action's flow once: a key pressed again while it runs sends nothing."""
        reason = unavailable_reason(action, self.job)
        if reason is not None:
            self.notify(_sentence(reason), severity="warning", markup=False)
            return
        if action in self._busy:
            self.notify(f"{action.title()} is already in progress.", markup=False)
            return
        self._busy.add(action)
        self.query_one(JobHeader).show_busy(frozenset(self._busy))

        async def guarded() -> None:
            try:
                await flow()
            except JoblensError as error:
                self.notify(
                    error.message,
                    title=f"{action.title()} failed",
                    severity="error",
                    markup=False,
                    timeout=10,
                )
            finally:
                self._busy.discard(action)
                if self.is_attached:
                    self.query_one(JobHeader).show_busy(frozenset(self._busy))

        self.run_worker(guarded(), group=f"action-{action}")

    def action_cancel_job(self) -> None:
        self._start(JobAction.CANCEL, self._cancel_flow)

    async def _cancel_flow(self) -> None:
        confirmed = await self.app.push_screen_wait(
            ConfirmScreen(
                "Cancel this job?",
                f"{self.job.job_type} #{self.job.short_id} is {self.job.status}. It will be "
                "marked CANCELLED; a Tendril already running it may carry on, and joblens "
                "keeps watching.",
                confirm_label="Cancel job (Enter)",
            )
        )
        if not confirmed:
            return
        if await self.backend.cancel_job(self.job.id):
            self.notify(
                "Job cancelled. joblens keeps watching in case the Tendril carries on.",
                title="Cancelled",
                markup=False,
            )
        else:
            self.notify(
                "The job had already finished; nothing was cancelled.",
                severity="warning",
                markup=False,
            )
        await self._refresh_job()

    def action_apply_plan(self) -> None:
        self._start(JobAction.APPLY, self._apply_flow)

    async def _apply_flow(self) -> None:
        if not await self._confirm_applying_again() or not await self._confirm_destroying():
            return
        tendrils = await self.backend.list_tendrils()
        choice = await self.app.push_screen_wait(
            TendrilPicker(tendrils, f"Apply plan #{self.job.short_id} on which Tendril?")
        )
        if choice is None:
            return
        deploy = await self.backend.apply_plan(self.job, choice.tendril_id)
        self.deploys = [deploy, *(self.deploys or [])]
        self._plan_changed()
        self.notify(
            f"Deploy #{deploy.short_id} queued on {choice.label}.", title="Applying", markup=False
        )
        self.joblens_app.open_job(deploy)

    def action_rerun_job(self) -> None:
        self._start(JobAction.RERUN, self._rerun_flow)

    async def _rerun_flow(self) -> None:
        confirmed = await self.app.push_screen_wait(
            ConfirmScreen(
                "Re-run this job?",
                f"A new {self.job.job_type} job is queued with the same configuration "
                f"as #{self.job.short_id}.",
                confirm_label="Re-run (Enter)",
            )
        )
        if not confirmed:
            return
        new_job = await self.backend.rerun_job(self.job)
        self.notify(f"{new_job.job_type} #{new_job.short_id} queued.", title="Re-run", markup=False)
        self.joblens_app.open_job(new_job)

    # -- saving and sharing the log -------------------------------------------------------

    def action_copy_visible(self) -> None:
        text = self._pane.visible_text()
        if not text:
            self.notify("No lines in view to copy", severity="warning", markup=False)
            return
        where = copy_text(self.app, text)
        count = text.count("\n") + 1
        self.notify(f"Copied the {count:,} lines in view to the {where}.", markup=False)

    def action_save_log(self) -> None:
        """Save the log (or what the filter shows) as plain text in the working directory."""
        path = save_path(self.job, Path.cwd())
        lines = self._pane.export_lines()
        what = "the filtered lines" if self._pane.filter is not None else "the log"

        def save() -> None:
            try:
                written = write_lines(path, lines)
            except OSError as error:
                message = f"Could not save {what}: {error.strerror or error}"
                self.app.call_from_thread(self.notify, message, severity="error", markup=False)
                return
            message = f"Saved {what} ({written:,} lines) to {path}"
            self.app.call_from_thread(self.notify, message, title="Saved", markup=False)

        self.run_worker(save, thread=True, group="save-log")

    def action_page_log(self) -> None:
        """Open the log (or what the filter shows) in ``$PAGER`` (``less`` without one)."""
        lines = list(self._pane.export_lines())
        try:
            with self.app.suspend():
                problem = page_lines(lines)
        except SuspendNotSupported:
            problem = "this terminal cannot hand the screen to a pager"
        if problem:
            self.notify(f"Could not open the pager: {problem}", severity="error", markup=False)

    def action_copy_id(self) -> None:
        where = copy_text(self.app, self.job.id)
        self.notify(f"Copied job id {self.job.id} to the {where}.", title="Copied", markup=False)

    def action_open_plan(self) -> None:
        if self.job.plan_job_id is None:
            if self.deploys:  # a PLAN: the newest DEPLOY applying it
                self._open_job_by_id(self.deploys[0].id)
            return

        async def open_plan() -> None:
            try:
                plan = await self.backend.get_job(self.job.plan_job_id or "")
            except JoblensError as error:
                self.notify(error.message, severity="error", markup=False)
                return
            self.joblens_app.open_job(plan)

        self.run_worker(open_plan(), group="open-plan", exclusive=True)

    def action_toggle_panel(self, panel_id: str) -> None:
        """Expand or collapse one of the panels under the logs."""
        panel = self.query_one(f"#{panel_id}", Collapsible)
        panel.collapsed = not panel.collapsed
        if not panel.collapsed:
            self.query_one("#details-scroll").scroll_to_widget(panel, animate=False)

    def action_back(self) -> None:
        if self._previous_job_screen() is not None:
            self.app.pop_screen()

    # -- the plan ------------------------------------------------------------------------

    def _feed_plan(self, chunks: list[LogChunk], at: int) -> None:
        """A PLAN's new lines to its digest: one regex pass per batch, in C, not per line."""
        digest = self.plan_digest
        if digest is None or not digest.needs_log:  # (the metadata already says it all)
            return
        if digest.feed_texts((c.text for c in chunks), at):
            self._plan_changed()

    def _plan_job(self, job: Job) -> None:
        """A newer row: the plan in its metadata, and (once it can be applied) its DEPLOYs."""
        digest = self.plan_digest
        if digest is None:
            return
        metadata = job.execution_metadata
        if isinstance(metadata, JsonDoc):  # large: read in a thread (read_metadata's figures)
            self._plan_reads += 1
            read, key = self._plan_reads, digest.metadata_key

            def read_in_thread() -> None:
                found = read_metadata(metadata, key)
                if found is not None:
                    with contextlib.suppress(RuntimeError):  # the app has closed meanwhile
                        self.app.call_from_thread(self._use_metadata, found, read)

            self.run_worker(read_in_thread, thread=True, group="plan-metadata", exit_on_error=False)
        elif digest.set_metadata(metadata):
            self._plan_changed()
        if job.status == JobStatus.SUCCESS and self.deploys is None:
            self.deploys = []  # asked once; Apply asks again
            self.run_worker(self._load_deploys(), group="deploys", exclusive=True)
        self._plan_changed()  # "no plan yet" becomes "no plan found" once the job has ended

    def _use_metadata(self, found: MetadataPlan, read: int) -> None:
        """What a thread read of the metadata, unless a newer row's is being read."""
        digest = self.plan_digest
        if read == self._plan_reads and digest is not None and digest.use(found):
            self._plan_changed()

    def _plan_changed(self) -> None:
        """Show the plan now, or (if it was shown less than PLAN_REFRESH_SECONDS ago) then."""
        if self._plan_timer is not None or not self.is_attached:
            return
        wait = self._plan_shown_at + PLAN_REFRESH_SECONDS - monotonic()
        if wait <= 0:
            self._show_plan()
        else:
            self._plan_timer = self.set_timer(wait, self._show_plan)

    def _show_plan(self) -> None:
        self._plan_timer = None
        self._plan_shown_at = monotonic()
        if self.plan_digest is None or not self._showing:
            return
        summary = self.plan_digest.summary()
        shown = (summary, self.job.is_terminal, self.deploys)
        if shown == self._plan_shown:
            return  # a poll that changed nothing of the plan
        self._plan_shown = shown
        self.query_one(JobHeader).show_plan(summary)
        for panel in self.query(PlanPanel):
            panel.show(summary, finished=self.job.is_terminal, deploys=self.deploys)

    async def _load_deploys(self) -> None:
        try:
            self.deploys = await self.backend.list_deploys(self.job.id)
        except JoblensError:
            return  # not known: Apply asks again
        self._plan_changed()
        self.refresh_bindings()

    async def _plan_as_read(self) -> PlanSummary:
        """The plan, once the log has been read (when it comes from the log: the metadata's is
        complete), waiting at most PLAN_READ_SECONDS."""
        assert self.plan_digest is not None
        if self.plan_digest.summary().source != "metadata":
            try:
                async with asyncio.timeout(PLAN_READ_SECONDS):
                    await self.feed.backfilled.wait()
                    await self.feed.history_loaded.wait()
            except TimeoutError:
                pass
        return self.plan_digest.summary()

    async def _confirm_applying_again(self) -> bool:
        """Say first that DEPLOY jobs already apply this plan; True to go on."""
        self.deploys = deploys = await self.backend.list_deploys(self.job.id)
        self._plan_changed()
        if not deploys:
            return True
        named = ", ".join(f"DEPLOY #{d.short_id} ({d.status})" for d in deploys[:SHOWN_IN_PROMPT])
        if len(deploys) > SHOWN_IN_PROMPT:
            named += f" and {len(deploys) - SHOWN_IN_PROMPT} more"
        running = any(d.status in ACTIVE_STATUSES for d in deploys)
        done = "is already being applied" if running else "was already applied"
        confirmed = await self.app.push_screen_wait(
            ConfirmScreen(
                "Apply this plan again?",
                f"Plan #{self.job.short_id} {done} by {named} — apply again?",
                confirm_label="Apply again (Enter)",
            )
        )
        return bool(confirmed)

    async def _confirm_destroying(self) -> bool:
        """When the plan destroys or replaces anything, ask, naming them; True to go on."""
        summary = await self._plan_as_read()
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
        confirmed = await self.app.push_screen_wait(
            ConfirmScreen(
                "This plan destroys resources",
                f"Applying plan #{self.job.short_id} {what}:\n"
                + "\n".join(lines)
                + "\nApply it anyway?",
                confirm_label="Apply, destroying them (Enter)",
            )
        )
        return bool(confirmed)

    def _open_job_by_id(self, job_id: str) -> None:
        async def open_job() -> None:
            try:
                job = await self.backend.get_job(job_id)
            except JoblensError as error:
                self.notify(error.message, severity="error", markup=False)
                return
            self.joblens_app.open_job(job)

        self.run_worker(open_job(), group="open-job", exclusive=True)

    # -- resources during an apply ---------------------------------------------------------

    def _feed_resources(self, chunks: list[LogChunk], at: int) -> None:
        """New lines (or older ones, at a lower ``at``) to the resource tracker: one regex
        search per chunk, Python only for the lines about resources."""
        tracker = self.resource_tracker
        if tracker is None:
            return
        if tracker.feed_chunks(((c.text, c.stream) for c in chunks), at):
            self._resources_changed()
        self._settle_resources()

    def _resources_job(self, job: Job) -> None:
        """A newer row: a DEPLOY's plan gives what is pending (once); an ended job's log
        ends once it has all been read."""
        if self.resource_tracker is None:
            return
        if job.plan_job_id and not self._resources_planned:
            self._resources_planned = True  # asked once
            self.run_worker(
                self._expect_plan(job.plan_job_id), group="resources-plan", exit_on_error=False
            )
        self._settle_resources()
        self._resources_changed()  # "no resources yet" becomes "none" once the job has ended

    async def _expect_plan(self, plan_job_id: str) -> None:
        """The source PLAN's resources (from its metadata) are pending until the log says more,
        and its total counts where this log prints no ``Plan:`` line (a saved plan's apply)."""
        try:
            plan = await self.backend.get_job(plan_job_id)
        except JoblensError:
            return  # the log alone, then
        found = await asyncio.to_thread(read_metadata, plan.execution_metadata)
        tracker = self.resource_tracker
        if found is not None and found.resources is not None and tracker is not None:
            tracker.expect(planned_operations(found.resources))
            self._resources_changed()

    def _settle_resources(self) -> None:
        """Once the job has ended and its log been read, and no line came for
        RESOURCES_SETTLE_SECONDS, the log is whole: its last diagnostic is complete."""
        if self._resources_settle is not None:
            self._resources_settle.stop()
            self._resources_settle = None
        if self.job.is_terminal and self.is_attached:
            self._resources_settle = self.set_timer(RESOURCES_SETTLE_SECONDS, self._log_whole)

    def _log_whole(self) -> None:
        self._resources_settle = None
        if not (self.feed.backfilled.is_set() and self.feed.history_loaded.is_set()):
            self._settle_resources()  # not all read yet: look again later
        elif self.resource_tracker is not None and self.resource_tracker.close():
            self._resources_changed()

    def _resources_changed(self) -> None:
        """Show the resources now, or (if shown less than PLAN_REFRESH_SECONDS ago) then."""
        if self._resources_timer is not None or not self.is_attached:
            return
        wait = self._resources_shown_at + PLAN_REFRESH_SECONDS - monotonic()
        if wait <= 0:
            self._show_resources()
        else:
            self._resources_timer = self.set_timer(wait, self._show_resources)

    def _show_resources(self) -> None:
        self._resources_timer = None
        self._resources_shown_at = monotonic()
        tracker = self.resource_tracker
        if tracker is None or not self._showing:
            return
        resources, progress = tracker.resources, tracker.progress_text()
        shown = (resources, progress, self.job.is_terminal)
        if shown == self._resources_shown:
            return  # a poll that changed nothing of the resources
        first = progress is not None and (self._resources_shown or (None, None))[1] is None
        self._resources_shown = shown
        self.query_one(JobHeader).show_resources(progress)
        for panel in self.query(ResourcesPanel):
            panel.show(resources, progress, finished=self.job.is_terminal)
        if first:
            self.refresh_bindings()  # R, now that the panel shows (for any job)

    # -- the error digest ------------------------------------------------------------------

    def _digest_due(self) -> None:
        """Lines came (or were taken back): read them for the Errors panel soon, at most every
        PLAN_REFRESH_SECONDS, and never on the path the lines arrive by."""
        if self._digest_timer is not None or not self.is_attached:
            return
        wait = self._digest_read_at + PLAN_REFRESH_SECONDS - monotonic()
        # (Textual's timers divide by their interval: never 0.)
        self._digest_timer = self.set_timer(max(wait, 0.001), self._read_digest)

    def _read_digest(self) -> None:
        """Read a slice of new lines; show the digest if that changed it."""
        self._digest_timer = None
        self._digest_read_at = monotonic()
        if not self._showing:
            return
        if not self.digest.read(self._pane):
            self._digest_due()  # a large log: the rest in the next slices
        diagnostics = self.digest.diagnostics
        if diagnostics is self._digest_shown or diagnostics == self._digest_shown:
            return
        self._digest_shown = diagnostics
        for panel in self.query(ErrorsPanel):
            panel.show(diagnostics)
        self.query_one(StatusBanner).offer_digest(bool(diagnostics))

    def action_toggle_errors(self) -> None:
        """Open the Errors panel with its list in focus (Enter goes to an entry, c copies
        it); close it, back to the log."""
        panel = self.query_one("#errors", ErrorsPanel)
        self.action_toggle_panel("errors")
        if not panel.collapsed and panel.diagnostics:
            panel.entries.focus()
        elif panel.collapsed:
            self._pane.focus()

    @on(ErrorsPanel.DiagnosticSelected)
    def _go_to_diagnostic(self, event: ErrorsPanel.DiagnosticSelected) -> None:
        pane = self._pane
        if not pane.go_to_line(event.diagnostic.first - pane.start_mark()):
            self.notify("That line is no longer in the log.", severity="warning", markup=False)

    # -- searching the log ---------------------------------------------------------------

    def action_search(self) -> None:
        self.query_one(LogView).open_search()  # the view handles the field from there on

    def action_filter(self) -> None:
        self.query_one(LogView).open_filter()

    # -- errors in the log -----------------------------------------------------------------

    def action_first_error(self) -> None:
        """The failed job's banner offers this (clicked, or ``e`` while the view follows)."""
        if self._pane.first_error() is None:
            self.notify("No errors", severity="warning", markup=False)
        self._pane.focus()

    @on(LogPane.ErrorsChanged)
    def _errors_changed(self, event: LogPane.ErrorsChanged) -> None:
        if self._showing:
            banner = self.query_one(StatusBanner)
            banner.show_job(self.job, self._banner_note, event.present)

    @on(Button.Pressed, "#header-actions Button")
    def _button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        handlers: dict[str, Callable[[], Any]] = {
            f"action-{spec.action}": self._action_method(spec) for spec in ACTION_SPECS
        }
        handlers["action-copy"] = self.action_copy_id
        handler = handlers.get(event.button.id or "")
        if handler is not None:
            handler()
        self._pane.focus()

    def _action_method(self, spec: ActionSpec) -> Callable[[], Any]:
        """The screen's ``action_<name>`` method for a job action."""
        method: Callable[[], Any] = getattr(self, f"action_{spec.name}")
        return method

    def _log_commands(self) -> Iterable[SystemCommand]:
        """The log view's own keys, for the command palette."""
        pane = self._pane
        yield SystemCommand(
            "Filter the log",
            "Show only lines with a text or regex; !text hides them (f; Esc clears)",
            self.action_filter,
        )
        kept = (pane.filter.streams if pane.filter else None) or frozenset(STREAM_CODES)
        for key, name in enumerate(STREAM_CODES, start=1):
            verb = "Hide" if name in kept else "Show"
            yield SystemCommand(
                f"{verb} {name} lines",
                f"{verb} the log's {name} lines ({key})",
                lambda name=name: pane.action_toggle_stream(name),
            )
        on_off = {True: "Stop", False: "Start"}
        yield SystemCommand(
            "Unfold all noise" if pane.folding else "Fold the noise",
            "Fold provider downloads, Refreshing state and Still creating runs into one line (z)",
            pane.action_toggle_folding,
        )
        yield SystemCommand(
            f"{on_off[pane.wrap]} wrapping long lines",
            "Wrap long log lines (w)",
            pane.action_toggle_wrap,
        )
        yield SystemCommand(
            f"{on_off[pane.timestamps]} showing timestamps",
            "When each line was written (t)",
            pane.action_toggle_timestamps,
        )
        yield SystemCommand(
            f"{on_off[pane.line_numbers]} showing line numbers",
            "Each line's number in the log (#)",
            pane.action_toggle_line_numbers,
        )
        yield SystemCommand(
            "Follow the end", "Scroll to the newest line and stay there (End, G)", pane.follow
        )

    def palette_commands(self) -> Iterable[SystemCommand]:
        """The actions available now, for the command palette."""
        available = available_actions(self.job)
        for spec in ACTION_SPECS:
            if spec.action in available:
                yield SystemCommand(spec.title, spec.help, self._action_method(spec))
        yield SystemCommand("Copy job id", "Copy the full job id (y)", self.action_copy_id)
        if self.exit_on_end or not self.job.is_terminal:
            yield SystemCommand(
                "Stay open when the job ends" if self.exit_on_end else "Quit when the job ends",
                "Quit with the job's exit code once it ends: 0 success, 1 failed, 3 cancelled (Q)",
                self.action_toggle_exit_on_end,
            )
        yield SystemCommand(
            "Search the log", "Find text in the log (/, then n / N)", self.action_search
        )
        yield from self._log_commands()
        yield SystemCommand(
            "Copy the lines in view",
            "The log's lines on screen, as shown (Y)",
            self.action_copy_visible,
        )
        yield SystemCommand(
            "Save the log",
            "As plain text in the working directory; with a filter, the lines it shows (S)",
            self.action_save_log,
        )
        yield SystemCommand(
            "Open the log in $PAGER",
            "less without one; joblens comes back after (|)",
            self.action_page_log,
        )
        if self._pane.has_errors:
            pane = self._pane
            yield SystemCommand(
                "Next error", "Go to the next diagnostic or STDERR line (e)", pane.action_next_error
            )
            yield SystemCommand(
                "Previous error",
                "Go to the previous diagnostic or STDERR line (E)",
                pane.action_previous_error,
            )
            yield SystemCommand(
                "First error", "Go to the log's first error", self.action_first_error
            )
        if self.job.plan_job_id:
            yield SystemCommand(
                "Open source plan", "Open the PLAN this job applies", self.action_open_plan
            )
        if self.plan_digest is not None:
            yield SystemCommand(
                "Show the plan",
                "What this plan adds, changes, destroys and replaces, by module (p)",
                lambda: self.action_toggle_panel("plan"),
            )
        if self.check_action("toggle_panel", ("resources",)):
            yield SystemCommand(
                "Show the resources",
                "Each resource the apply changes: its state, time and id (R)",
                lambda: self.action_toggle_panel("resources"),
            )
        yield SystemCommand(
            "Show the errors",
            "Errors: every Terraform error and warning in the log, to go to and copy (x)",
            self.action_toggle_errors,
        )
        for panel_id, title, help_text in _PANELS:
            yield SystemCommand(
                title, help_text, lambda panel_id=panel_id: self.action_toggle_panel(panel_id)
            )
        yield SystemCommand(
            "Show the keys",
            "Every key, by where it works (?, F1)",
            self.joblens_app.action_show_help,
        )
        for deploy in (self.deploys or [])[:SHOWN_IN_PROMPT]:
            yield SystemCommand(
                f"Open DEPLOY #{deploy.short_id}",
                "A DEPLOY that applies this plan",
                lambda job_id=deploy.id: self._open_job_by_id(job_id),
            )
