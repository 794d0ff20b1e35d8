"""The job view: header, live log pane, status banner, detail panels and the actions.

The screen composes the view, starts the feed and the row's watch, and hands what they bring to
its parts, each in its own module: the link's health (``job_link.py``), where the feed's lines
go (``job_log.py``), the plan (``job_plan.py``), the resources and errors readers
(``job_digests.py``), what a queued job waits for (``job_queue.py``), the actions
(``job_actions.py``), the end of the job (``job_end.py``), copying and saving the log
(``log_sharing.py``) and the palette's commands (``job_palette.py``). Its ``action_*`` methods,
which the bindings name, delegate to them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from textual import events, on, work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Button, Collapsible

from joblens.actions import ACTION_SPECS
from joblens.attempts import Requeue
from joblens.backends.base import POLL_SECONDS, Backend
from joblens.end_notice import DesktopNotifier
from joblens.feed import LogFeed
from joblens.job_watch import JobWatch
from joblens.models import ACTIVE_STATUSES, Job, JobStatus
from joblens.plan_digest import PlanDigest
from joblens.resources import ResourceTracker
from joblens.screens import log_sharing
from joblens.screens.job_actions import JobActions, action_method
from joblens.screens.job_digests import ErrorsFeed, ResourcesFeed
from joblens.screens.job_end import EXIT_AFTER_SECONDS as EXIT_AFTER_SECONDS
from joblens.screens.job_end import JobEnd
from joblens.screens.job_link import JobLink
from joblens.screens.job_log import JobLog
from joblens.screens.job_palette import palette_commands
from joblens.screens.job_plan import PLAN_REFRESH_SECONDS as PLAN_REFRESH_SECONDS
from joblens.screens.job_plan import JobPlan
from joblens.screens.job_queue import QueueWait
from joblens.screens.log_screen import LogScreen
from joblens.widgets.banner import StatusBanner
from joblens.widgets.details import DetailsPanels
from joblens.widgets.error_digest import DigestReader, ErrorsPanel
from joblens.widgets.footer import FittingFooter
from joblens.widgets.header import JobHeader
from joblens.widgets.log import LogPane, LogView

if TYPE_CHECKING:
    from joblens.app import JoblensApp

#: Terminals narrower than this get the compact footer.
COMPACT_FOOTER_BELOW = 100


#: What the follow indicator says of the log of a job that ended.
_ENDED: dict[str, str] = {
    JobStatus.SUCCESS: "the job succeeded",
    JobStatus.FAILED: "the job failed",
    JobStatus.CANCELLED: "the job was cancelled",
}


class JobScreen(LogScreen):
    """One job, live. Widgets receive state from here; only this screen talks to the backend.

    The log's keys work from any focus, and drags select what is under the pointer
    (``screens/log_screen.py``)."""

    #: Esc in a job view opened on top of this one (Apply, Re-run) comes back.
    ESC_RETURNS_HERE = True

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
        self._log_wrap = wrap
        self._log_timestamps = timestamps
        self._seen_cancelled = False
        self._parts: tuple[Widget, ...] = ()  # header, log view, banner (compose)
        self._banner_note: str | None = None
        self._link = JobLink(self)
        self._end = JobEnd(self, bell=bell, notifier=notifier, exit_on_end=exit_on_end)
        self._plan = JobPlan(self)
        self._resources = ResourcesFeed(self)
        self._errors = ErrorsFeed(self)
        self._queue = QueueWait(self)
        self._actions = JobActions(self, self._plan)
        # A cancelled job may come back to life (docs/PLATFORM.md, "Cancel"): keep watching it.
        self.job_watch = JobWatch(
            backend,
            job,
            on_job=self._show_job,
            on_requeue=self._mark_requeue,
            on_problem=lambda problem: self._link.set_problem("poll", problem),
            cancel_is_final=False,
            poll_seconds=poll_seconds,
        )
        self._log = JobLog(self, self._plan, self._resources, self._errors)
        self.feed = LogFeed(
            backend,
            job.id,
            self._log.output(),
            on_link=self._link.feed_changed,
            older_sink=self._log.prepend_chunks,
            on_open=self._log.show_open_lines,
            on_job=self._job_changed,
        )

    @property
    def joblens_app(self) -> JoblensApp:
        return self.app  # type: ignore[return-value]

    # -- what the parts hold, by the names tests and the app read --------------------------

    @property
    def plan_digest(self) -> PlanDigest | None:
        """A PLAN's figures and resources, fed the lines as they arrive (joblens.plan_digest)."""
        return self._plan.digest

    @property
    def deploys(self) -> list[Job] | None:
        """The DEPLOY jobs applying this PLAN, newest first, once asked (None: not yet)."""
        return self._plan.deploys

    @property
    def resource_tracker(self) -> ResourceTracker | None:
        """An apply's resources (any job but a PLAN), fed the lines as they arrive."""
        return self._resources.tracker

    @property
    def digest(self) -> DigestReader:
        """Every diagnostic in the log, for the Errors panel (widgets.error_digest)."""
        return self._errors.reader

    @property
    def exit_on_end(self) -> bool:
        """Quit with the job's exit code once it has ended (--exit-on-end, Q)."""
        return self._end.exit_on_end

    @exit_on_end.setter
    def exit_on_end(self, value: bool) -> None:
        self._end.exit_on_end = value

    def compose(self) -> ComposeResult:
        header = JobHeader(self.job, id="header")
        view = LogView(wrap=self._log_wrap, timestamps=self._log_timestamps, id="log-area")
        banner = StatusBanner(id="banner")
        self._parts = (header, view, banner)
        yield header
        yield view
        yield banner
        yield DetailsPanels(self.job, id="details")
        yield FittingFooter()

    def on_resize(self, event: events.Resize) -> None:
        # At 80 columns the keys fit in the footer only without its padding.
        self.query_one(FittingFooter).compact = event.size.width < COMPACT_FOOTER_BELOW
        # ... and without e / E (which work all the same; the palette and a failed job's
        # banner offer them).
        self.pane.show_error_keys = event.size.width >= COMPACT_FOOTER_BELOW
        self.query_one(StatusBanner).refit()  # (its lines follow the terminal's height)

    def on_mount(self) -> None:
        self.sub_title = f"{self.job.job_type} #{self.job.short_id}"
        self._show_job(self.job)
        self._link.set_problem("feed", "connecting")
        self.pane.focus()
        self.remember_looks()
        self.run_worker(self._link.follow_logs(), group="feed", exclusive=True)
        self.run_worker(self._link.watch_job(), group="watch", exclusive=True)
        self.run_worker(self._history_loaded(), group="history", exclusive=True)

    # -- data in -------------------------------------------------------------------------

    async def _history_loaded(self) -> None:
        """The resources and errors readers wait for the log's older pages (read newest
        first): each page put before the others would make them read it all again. Once the
        last is in, they read the whole log once."""
        await self.feed.history_loaded.wait()
        self._resources.changed()
        self._errors.due()

    @property
    def pane(self) -> LogPane:
        """The log pane (inside the log view)."""
        return self.log_pane

    @property
    def log_pane(self) -> LogPane:
        """The pane the log's keys act on: the composed view's, without a query (the readers
        and every batch of lines ask for it)."""
        view = self.log_view
        return view.pane if view is not None else super().log_pane  # (raises: no view)

    @property
    def log_view(self) -> LogView | None:
        """The log view composed, while it is in the DOM (None before, and once it is taken
        down as the screen closes or the app quits)."""
        view = self._parts[1] if self._parts else None
        return view if isinstance(view, LogView) and view.is_attached else None

    @property
    def showing(self) -> bool:
        """The screen's widgets are there to update: not yet composed, or already taken down
        as the screen closes or the app quits, a late result is dropped."""
        # The parts composed, each still in the DOM (a widget taken down is detached from
        # its parent): a walk up from each, where querying the screen for them walked every
        # widget, three times (1-2 ms a call, and the readers ask on every pass).
        parts = self._parts  # (the log view too: a shown job asks the pane about its errors)
        return bool(parts) and self.is_attached and all(part.is_attached for part in parts)

    def _job_changed(self, job: Job) -> None:
        """A live UPDATE of the job's row: shown at once, names kept from the last full read."""
        if not self.is_attached:
            return
        self.job_watch.seen(job)
        if self.job_watch.job.missing_names:
            # Claimed by another Tendril: its name needs the full row.
            self.refresh_job_soon()

    def _show_job(self, job: Job) -> None:
        if not self.showing:
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
        self.query_one(StatusBanner).show_job(job, self._banner_note, self.pane.has_errors)
        # A finished job's log has no new lines to follow (a cancelled one may come back).
        ended = _ENDED.get(str(job.status)) if job.is_terminal else None
        self.query_one(LogView).show_ended(ended)
        self.query_one(DetailsPanels).update_job(job)
        self._plan.job_changed(job)
        self._resources.job_changed(job)
        self._queue.job_changed(job)
        self.refresh_bindings()
        self._end.job_shown(previous, job)

    async def refresh_job(self) -> None:
        """Read the job's row again (its watch shows it if it is newer)."""
        self.job_watch.seen(await self.backend.get_job(self.job.id))

    @work(group="refresh-job", exclusive=True)
    async def refresh_job_soon(self) -> None:
        """``refresh_job`` in a worker, the last asked for only. (The coroutine is made when
        the worker starts: one handed to run_worker and cancelled by the next request before
        it started was never awaited, and Python warned of it.)"""
        await self.refresh_job()

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

    # -- keys and buttons: what applies, and the parts that do it -------------------------

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
        return self._actions.why_not(action, parameters)

    def action_explain(self, action: str, *parameters: str) -> None:
        """A key whose action does not apply now: say why."""
        reason = self.why_not(action, parameters)
        if reason is not None:
            self.notify(reason, severity="warning", markup=False)

    def _previous_job_screen(self) -> Screen[Any] | None:
        """The job view or the jobs list this view was opened on top of (Esc goes back)."""
        stack = self.app.screen_stack
        if len(stack) >= 2 and stack[-1] is self and getattr(stack[-2], "ESC_RETURNS_HERE", False):
            return stack[-2]
        return None

    def action_cancel_job(self) -> None:
        self._actions.cancel()

    def action_apply_plan(self) -> None:
        self._actions.apply()

    def action_rerun_job(self) -> None:
        self._actions.rerun()

    def action_open_plan(self) -> None:
        self._actions.open_plan()

    def action_toggle_exit_on_end(self) -> None:
        """Q: quit (with the job's exit code) when this job ends, or no longer."""
        self._end.toggle()

    def action_copy_visible(self) -> None:
        log_sharing.copy_visible(self)

    def action_save_log(self) -> None:
        """Save the log (or what the filter shows) as plain text in the working directory."""
        log_sharing.save_log(self)

    def action_page_log(self) -> None:
        """Open the log (or what the filter shows) in ``$PAGER`` (``less`` without one)."""
        log_sharing.page_log(self)

    def action_copy_id(self) -> None:
        log_sharing.copy_id(self)

    def action_toggle_panel(self, panel_id: str) -> None:
        """Expand or collapse one of the panels under the logs."""
        panel = self.query_one(f"#{panel_id}", Collapsible)
        panel.collapsed = not panel.collapsed
        if not panel.collapsed:
            self.query_one("#details-scroll").scroll_to_widget(panel, animate=False)

    def action_back(self) -> None:
        if self._previous_job_screen() is not None:
            self.app.pop_screen()

    def action_toggle_errors(self) -> None:
        """Open the Errors panel with its list in focus (Enter goes to an entry, c copies
        it); close it, back to the log."""
        panel = self.query_one("#errors", ErrorsPanel)
        self.action_toggle_panel("errors")
        if not panel.collapsed and panel.diagnostics:
            panel.entries.focus()
        elif panel.collapsed:
            self.pane.focus()

    @on(ErrorsPanel.DiagnosticSelected)
    def _go_to_diagnostic(self, event: ErrorsPanel.DiagnosticSelected) -> None:
        pane = self.pane
        if not pane.go_to_line(event.diagnostic.first - pane.start_mark()):
            self.notify("That line is no longer in the log.", severity="warning", markup=False)

    def action_search(self) -> None:
        self.query_one(LogView).open_search()  # the view handles the field from there on

    def action_filter(self) -> None:
        self.query_one(LogView).open_filter()

    def action_first_error(self) -> None:
        """The failed job's banner offers this (clicked, or ``e`` while the view follows)."""
        if self.pane.first_error() is None:
            self.notify("No errors", severity="warning", markup=False)
        self.pane.focus()

    @on(LogPane.ErrorsChanged)
    def _errors_changed(self, event: LogPane.ErrorsChanged) -> None:
        if self.showing:
            banner = self.query_one(StatusBanner)
            banner.show_job(self.job, self._banner_note, event.present)

    @on(Button.Pressed, "#header-actions Button")
    def _button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        handlers: dict[str, Callable[[], Any]] = {
            f"action-{spec.action}": action_method(self, spec) for spec in ACTION_SPECS
        }
        handlers["action-copy"] = self.action_copy_id
        handler = handlers.get(event.button.id or "")
        if handler is not None:
            handler()
        self.pane.focus()

    def palette_commands(self) -> Iterable[SystemCommand]:
        """The actions available now, for the command palette (screens/job_palette.py)."""
        return palette_commands(self, self._actions.open_job_by_id)
