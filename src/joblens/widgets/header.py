"""The job header: type, animated status, duration, short id, Tendril, created time, actions."""

from __future__ import annotations

from datetime import UTC, datetime
from time import monotonic

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.reactive import reactive
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Button, Static

from joblens.actions import ACTION_SPECS, JobAction, available_actions
from joblens.display import (
    SPINNER,
    duration_phase,
    format_created,
    format_duration,
    status_class,
    status_icon,
    type_icon,
    type_label,
)
from joblens.models import Job, JobStatus
from joblens.plan_digest import PlanSummary
from joblens.widgets.plan import figures_tooltip, plan_figures
from joblens.widgets.resources import ResourceProgress


def update_in_place(widget: Static, text: Text) -> None:
    """Show ``text``, laying the screen out again only if it is not as wide as what it replaces:
    the same width repaints this widget alone."""
    widget.update(text, layout=text.cell_len != widget.content_size.width)


#: The link problem of a session the server no longer accepts (no reconnection will help).
SIGNED_OUT = "signed-out"
#: After this many seconds without an answer, "reconnecting" becomes "offline".
OFFLINE_AFTER = 60.0
#: Narrower than this, the created time is short (``14:03 UTC · 5m ago``): with the Tendril's
#: name it fits whole on one line at 60 columns.
SHORT_CREATED_BELOW = 80
#: Narrower than this (a split pane), the top line keeps what matters whole: the type as its
#: icon alone, the duration without its label (the status says what it counts), one space
#: between the parts, a live link as its dot (the words in the tooltip): the status, the
#: duration and the short id fit at 40 columns.
NARROW_BELOW = 60
#: How often "42s ago" is brought up to date; repainted only when its words change (every
#: second for a minute, then every minute, then every hour). Every 20 s, "10s ago" had stood
#: for 20 s.
CREATED_EVERY = 1.0


class StatusBadge(Static):
    """The status, with a spinner while the job is claimed or processing."""

    frame: reactive[int] = reactive(0)

    def __init__(self, status: str, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.status = status
        self.stale = False
        self._timer: Timer | None = None

    def on_mount(self) -> None:
        self.set_status(self.status)

    def set_stale(self, stale: bool) -> None:
        """The server is not answering: the status shown may be out of date, so say so."""
        if stale != self.stale:
            self.stale = stale
            self.set_status(self.status)

    def set_status(self, status: str) -> None:
        self.status = status
        self.set_classes(status_class(status))
        self.set_class(self.stale, "-stale")
        # A spinner says "running now": not while nothing confirms it.
        animated = status in (JobStatus.CLAIMED, JobStatus.PROCESSING) and not self.stale
        if animated and self._timer is None:
            self._timer = self.set_interval(1 / 5, self._advance)
        elif not animated and self._timer is not None:
            self._timer.stop()
            self._timer = None
        self._paint()

    def _advance(self) -> None:
        self.frame = (self.frame + 1) % len(SPINNER)

    def watch_frame(self) -> None:
        self._paint()

    def _paint(self) -> None:
        animated = self._timer is not None
        icon = SPINNER[self.frame] if animated else status_icon(self.status)
        mark = "?" if self.stale else ""
        # A spinner frame has the width of the last one: no layout five times a second.
        update_in_place(self, Text(f" {icon} {self.status}{mark} "))


class JobHeader(Widget):
    """Everything the seed page's header shows, for the job on screen."""

    link_problem: reactive[str | None] = reactive(None, init=False)

    def __init__(self, job: Job, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.job = job
        self._busy: frozenset[JobAction] = frozenset()
        self._attempt = 1
        self._first_start: datetime | None = None
        self._created_words = ""  # what the created time last said
        self._down_since: float | None = None  # when the server last stopped answering
        #: How long the link had already been silent when its problem was noticed (set
        #: before ``link_problem``): "reconnecting · 5s" counts from the last sign of life.
        self.quiet_for = 0.0
        self._link_timer: Timer | None = None

    def compose(self) -> ComposeResult:
        with Horizontal(id="header-top"):
            yield Static(id="job-type")
            yield StatusBadge(self.job.status, id="status-badge")
            yield Static(id="duration")
            yield Static(id="job-id")
            yield Static(id="link-state")
        with Horizontal(id="header-meta"):
            yield Static(id="tendril")
            yield Static(id="created")
        with Horizontal(id="header-actions"):
            for spec in ACTION_SPECS:
                yield Button(f"{spec.label} ({spec.key})", id=f"action-{spec.action}", compact=True)
            yield Button("Copy id (y)", id="action-copy", compact=True)
            yield Static(id="plan-figures")
            yield ResourceProgress(id="resource-progress")

    def on_mount(self) -> None:
        self._clock = self.set_interval(1.0, self._tick, pause=True)
        self.set_interval(CREATED_EVERY, self._show_created)
        self.update_job(self.job)
        self.watch_link_problem(self.link_problem)

    def update_job(self, job: Job) -> None:
        """Show a newer version of the job."""
        self.job = job
        self._show_type()
        self.query_one(StatusBadge).set_status(job.status)
        self.query_one("#job-id", Static).update(Text(f"#{job.short_id}"))
        self.query_one("#tendril", Static).update(self._tendril_text(job))
        self._show_created()
        # A finished job's duration is fixed: nothing needs to wake up every second.
        if job.is_terminal:
            self._clock.pause()
        else:
            self._clock.resume()
        self._tick()
        self.refresh_actions()

    def on_resize(self) -> None:
        narrow = self.outer_size.width < NARROW_BELOW  # (the terminal's width: padding too)
        if narrow != self.has_class("-narrow"):
            self.set_class(narrow, "-narrow")
            self._show_type()
            self._show_link()
            self._tick()
        self._show_created()

    def _show_type(self) -> None:
        """``▲ Deploy``; the icon alone on a narrow terminal (the label in its tooltip)."""
        job_type = self.job.job_type
        title = Text()
        widget = self.query_one("#job-type", Static)
        if self.has_class("-narrow"):
            title.append(type_icon(job_type), style="bold")
            widget.tooltip = Text(type_label(job_type))  # (an unknown type is the server's text)
        else:
            title.append(f"{type_icon(job_type)} ", style="bold")
            title.append(type_label(job_type), style="bold")
            widget.tooltip = None
        widget.update(title)

    def _show_created(self) -> None:
        """``created 2026-12-01 14:03:56 UTC (5m ago)``, shorter on a narrow terminal."""
        short = self.size.width < SHORT_CREATED_BELOW
        words = f"created {format_created(self.job.created_at, short=short)}"
        if words != self._created_words:
            self._created_words = words
            update_in_place(self.query_one("#created", Static), Text(words))

    def show_attempt(self, attempt: int, first_start: datetime | None) -> None:
        """The job was requeued: show which attempt runs, and the time since the first."""
        self._attempt, self._first_start = attempt, first_start
        self.query_one("#tendril", Static).update(self._tendril_text(self.job))
        self._tick()

    def show_busy(self, busy: frozenset[JobAction]) -> None:
        """Disable the buttons of the actions whose requests are in flight."""
        self._busy = busy
        self.refresh_actions()

    def refresh_actions(self) -> None:
        available = available_actions(self.job)
        for spec in ACTION_SPECS:
            button = self.query_one(f"#action-{spec.action}", Button)
            button.display = spec.action in available
            button.disabled = spec.action in self._busy

    def show_plan(self, summary: PlanSummary) -> None:
        """A PLAN's figures, right of the actions: ``+9 ~1 -2 ±1  $520.91/mo (+$504.12)``."""
        figures = self.query_one("#plan-figures", Static)
        text = plan_figures(summary)
        figures.display = bool(text)
        figures.tooltip = figures_tooltip(summary)
        update_in_place(figures, text)

    def show_resources(self, text: str | None) -> None:
        """An apply's progress, right of the actions: ``3/12 resources, 1 failed`` (None: no
        resource seen yet)."""
        self.query_one(ResourceProgress).show(text)

    def _tendril_text(self, job: Job) -> Text:
        text = Text("Tendril ", style="dim")
        requested = job.assigned_worker_name or (
            f"#{job.assigned_worker_id[:8]}" if job.assigned_worker_id else "any available"
        )
        if job.worker_id:
            running = job.worker_name or f"#{job.worker_id[:8]}"
            text.append(running, style="bold")
            if job.assigned_worker_id and job.assigned_worker_id != job.worker_id:
                text.append(f" (requested {requested})", style="dim")
        else:
            text.append(requested)
            text.append(" (requested)", style="dim")
        if self._attempt > 1:
            text.append(f"  attempt {self._attempt}", style="bold")
        return text

    def _tick(self, now: datetime | None = None) -> None:
        now = now or datetime.now(UTC)
        phase = duration_phase(self.job, now)
        widget = self.query_one("#duration", Static)
        if phase is None:
            widget.update("")
            return
        label, seconds = phase
        if self.has_class("-narrow"):  # (the status says what the time is: the time alone)
            update_in_place(widget, Text(format_duration(seconds)))
            return
        text = Text.assemble((f"{label} ", "dim"), format_duration(seconds))
        if self._attempt > 1:  # requeued: this attempt's time, then the job's
            start = self._first_start or self.job.created_at
            if start is not None:
                end = (self.job.completed_at or now) if self.job.is_terminal else now
                total = format_duration((end - start).total_seconds())
                text.append(f" · {total} in all", style="dim")
        # A layout only when the width changes (9s -> 10s), not every second.
        update_in_place(widget, text)

    def watch_link_problem(self, problem: str | None) -> None:
        """Live only while the server answers; otherwise for how long it has not (the user
        can always tell a quiet job from a job that is not being heard)."""
        down = problem is not None and problem not in ("connecting", "gone")
        if not down:
            self._down_since = None
            if self._link_timer is not None:
                self._link_timer.stop()
                self._link_timer = None
        elif self._down_since is None:
            self._down_since = monotonic() - self.quiet_for
            self._link_timer = self.set_interval(1.0, self._show_link)
        self.query_one(StatusBadge).set_stale(down)
        # A Text, not a str: a str tooltip is read as markup, and the reason may hold the
        # server's words (already made safe text, see joblens.errors).
        self.query_one("#link-state", Static).tooltip = Text(problem) if problem else None
        self._show_link()

    def _show_link(self) -> None:
        problem = self.link_problem
        state = self.query_one("#link-state", Static)
        state.set_class(problem is not None, "-down")
        if problem is None:
            label = "●" if self.has_class("-narrow") else "● live"
            state.tooltip = Text("live: changes come as they are written")
        elif problem == "connecting":
            label = "○ connecting"
        elif problem == "gone":
            label = "✕ job gone"
        elif problem == SIGNED_OUT:
            label = "✕ signed out"  # nothing will reconnect: the toast says what to do
        else:
            silent = monotonic() - (self._down_since or monotonic())
            word = "reconnecting" if silent < OFFLINE_AFTER else "offline"
            label = f"○ {word} · {format_duration(silent)}"
        update_in_place(state, Text(label))
