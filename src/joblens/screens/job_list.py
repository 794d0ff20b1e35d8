"""The jobs list (``joblens``, ``joblens list``): the user's newest jobs, live, filtered and
searched; Enter opens one in the job view, whose Esc comes back here.

The screen follows ``Backend.follow_jobs`` for its whole life (live changes, and the table read
again every 10 s and whenever the live stream comes back: ``backends/jobs_follow.py``), keeps
the jobs by id, and hands the rows its filters keep to the table (``widgets/job_table.py``).
The filters are the screen's own (``s``: status, ``t``: type, ``/``: id, vine or Tendril);
``--status``, ``--type`` and ``--limit`` choose what is followed at all.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Footer, Input, OptionList, Static

from joblens.backends.base import (
    JOBS_LISTED,
    LIST_REREAD_SECONDS,
    Backend,
    JobChanged,
    JobsListed,
    JobsUnread,
    LiveStarted,
)
from joblens.display import type_label
from joblens.errors import JoblensError
from joblens.models import ACTIVE_STATUSES, Job, JobStatus, JobType, Tendril
from joblens.queue_wait import TENDRIL_REFRESH_SECONDS, read_tendrils, waiting_for
from joblens.widgets.job_table import JobTable

if TYPE_CHECKING:
    from joblens.app import JoblensApp

#: The status filter's steps (``s``): a name, and the statuses it keeps (empty: all).
STATUS_FILTERS: tuple[tuple[str, frozenset[str]], ...] = (
    ("all", frozenset()),
    ("active", frozenset(ACTIVE_STATUSES)),
    ("failed", frozenset({JobStatus.FAILED})),
    ("succeeded", frozenset({JobStatus.SUCCESS})),
    ("cancelled", frozenset({JobStatus.CANCELLED})),
)


#: The list's own keys: none of them while the search field has the focus.
_LIST_KEYS = frozenset({"cycle_status", "cycle_type", "open_job", "reread", "search"})


@dataclass(frozen=True, slots=True)
class ListQuery:
    """What the list follows (``joblens list --status --type --limit``): empty is any."""

    statuses: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    limit: int = JOBS_LISTED


def matches(job: Job, text: str) -> bool:
    """Whether the search ``text`` is in the job's id (with or without hyphens), its vine's
    name or a Tendril's name; any case."""
    needle = text.strip().lower()
    if not needle:
        return True
    haystack = (
        job.id,
        job.id.replace("-", ""),
        job.vine_name,
        job.worker_name,
        job.assigned_worker_name,
    )
    return any(needle in value.lower() for value in haystack if value)


_UNPUBLISHED = "job changes do not come live (the jobs table is not in the realtime publication)"


class JobListScreen(Screen[None]):
    """The user's jobs, newest first, live. Only this screen talks to the backend for them."""

    #: Esc in a job view opened from here comes back (``JobScreen.action_back``).
    ESC_RETURNS_HERE: ClassVar[bool] = True

    DEFAULT_CSS = """
    JobListScreen {
        & > #list-top {
            height: 1;
            background: $panel;
            & > #list-title { width: 1fr; text-style: bold; padding: 0 1; }
            & > #list-link { width: auto; color: $text-success; padding: 0 1; }
            & > #list-link.-problem { color: $text-warning; }
        }
        & > #list-titles { height: 1; padding: 0 1; color: $text-muted; text-style: bold; }
        & > #list-empty { height: auto; padding: 1 2; color: $text-muted; }
        & > #list-search { display: none; }
        & > #list-search.-open { display: block; }
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open_job", "Open"),
        Binding("slash", "search", "Search", key_display="/"),
        Binding("s", "cycle_status", "Status"),
        Binding("t", "cycle_type", "Type"),
        Binding("escape", "clear", "Clear"),
        Binding("r", "reread", "Read again", show=False),
    ]

    def __init__(
        self,
        backend: Backend,
        query: ListQuery = ListQuery(),
        *,
        clock: Callable[[], datetime] | None = None,
        reread_every: float = LIST_REREAD_SECONDS,
    ) -> None:
        """``clock``: what ages and running durations count from (tests fix it)."""
        super().__init__()
        self.backend = backend
        self.query_spec = query
        self.clock = clock or (lambda: datetime.now(UTC))
        self.reread_every = reread_every
        self.jobs: dict[str, Job] = {}
        self.loaded = False
        self.status_filter = 0
        self.type_filter: str | None = None
        self.search_text = ""
        #: Whether job changes come live: None until the stream is up, False while it is
        #: down (``link_problem`` says why) or carries none (the table is not published).
        self.live: bool | None = None
        self.link_problem: str | None = None
        self.read_problem: str | None = None  # the last re-read failed: the list may be old
        self.reads_only: str | None = None  # why only the re-reads bring changes
        self._read_now = asyncio.Event()  # "r": the follow reads the table at once
        self._link_shown: tuple[str, str | None] | None = None  # the link's words, tooltip
        #: The Tendrils the user can see, read while a queued job is listed (None: not yet):
        #: a queued job nothing alive can claim is marked (``widgets/job_table.py``).
        self.tendrils: list[Tendril] | None = None
        self._reading_tendrils = False

    def compose(self) -> ComposeResult:
        with Horizontal(id="list-top"):
            yield Static(id="list-title")
            yield Static(id="list-link")
        yield Static(id="list-titles")
        yield JobTable(id="job-table")
        yield Static(id="list-empty")
        yield Input(
            placeholder="id, vine or Tendril (Enter: keep, Esc: clear)",
            id="list-search",
            compact=True,
        )
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self._show()
        self.table.focus()
        self.set_interval(1.0, self._tick)
        self.set_interval(TENDRIL_REFRESH_SECONDS, self._read_tendrils)
        self._follow()

    @property
    def table(self) -> JobTable:
        return self.query_one(JobTable)

    # -- the jobs, as they come ----------------------------------------------------------------

    @work(exclusive=True, group="jobs")
    async def _follow(self) -> None:
        query = self.query_spec
        try:
            async for event in self.backend.follow_jobs(
                query.statuses,
                query.types,
                query.limit,
                reread_every=self.reread_every,
                read_now=self._read_now,
            ):
                if isinstance(event, JobsListed):
                    self.jobs = {job.id: job for job in event.jobs}
                    self.loaded = True
                    self.read_problem = None
                    if self.tendrils is None:
                        self._read_tendrils()  # (a queued job's mark need not wait 15 s)
                elif isinstance(event, JobChanged):
                    self._changed(event.job)
                elif isinstance(event, JobsUnread):
                    self.read_problem = event.reason
                elif isinstance(event, LiveStarted):
                    self.live, self.link_problem = event.jobs, None
                    self.reads_only = None if event.jobs else _UNPUBLISHED
                elif event.ended:  # the stream gave up: the re-reads alone from now on
                    self.live, self.link_problem, self.reads_only = False, None, event.reason
                else:  # down for now
                    self.live, self.link_problem = False, event.reason
                self._show()
        except JoblensError as error:
            app: JoblensApp = self.app  # type: ignore[assignment]
            await app.fail(error)

    def _changed(self, job: Job) -> None:
        """A live change: a job of what is followed is added or updated, another dropped."""
        query = self.query_spec
        wanted = (not query.statuses or str(job.status) in query.statuses) and (
            not query.types or str(job.job_type) in query.types
        )
        if not wanted:
            self.jobs.pop(job.id, None)
            return
        self.jobs[job.id] = job
        if len(self.jobs) > query.limit:  # the oldest goes, as the next read would say
            oldest = min(self.jobs.values(), key=_created)
            del self.jobs[oldest.id]

    def _read_tendrils(self) -> None:
        """Read the Tendrils again, while a queued job is listed (and none is being read)."""
        if self._reading_tendrils or not any(
            job.status == JobStatus.QUEUED for job in self.jobs.values()
        ):
            return
        self._reading_tendrils = True
        self._fetch_tendrils()

    @work(group="tendrils")
    async def _fetch_tendrils(self) -> None:
        try:
            tendrils = await read_tendrils(self.backend)
        finally:
            self._reading_tendrils = False
        if tendrils is not None:  # (not read: the marks stay as they were)
            self.tendrils = tendrils
            self._show()

    def stuck_jobs(self, jobs: list[Job]) -> frozenset[str]:
        """The ids of the queued ``jobs`` that nothing alive can claim (joblens.queue_wait)."""
        tendrils = self.tendrils
        if tendrils is None:
            return frozenset()
        return frozenset(
            job.id
            for job in jobs
            if (waiting := waiting_for(job, tendrils)) is not None and waiting.stuck
        )

    def shown_jobs(self) -> list[Job]:
        """The jobs the filters and the search keep, newest first."""
        statuses = STATUS_FILTERS[self.status_filter][1]
        return sorted(
            (
                job
                for job in self.jobs.values()
                if (not statuses or job.status in statuses)
                and (self.type_filter is None or str(job.job_type) == self.type_filter)
                and matches(job, self.search_text)
            ),
            key=_created,
            reverse=True,
        )

    def _tick(self) -> None:
        """Ages and running durations move on: repaint the rows in place."""
        self.table.show(self.table.jobs, self.clock())
        self._show_link()

    def _show(self) -> None:
        shown = self.shown_jobs()
        self.table.stuck = self.stuck_jobs(shown)
        self.table.show(shown, self.clock())
        self._show_title(len(shown))
        self._show_link()
        empty = self.query_one("#list-empty", Static)
        empty.display = not shown
        if not self.loaded:
            empty.update(Text("Reading your jobs…"))
        elif not self.jobs:
            empty.update(Text("No jobs yet."))
        else:
            empty.update(Text("No job matches: Esc clears the filters.", style="italic"))

    def _show_title(self, shown: int) -> None:
        parts = [f"Jobs · {shown} of {len(self.jobs)}" if self.loaded else "Jobs"]
        status_name = STATUS_FILTERS[self.status_filter][0]
        if status_name != "all":
            parts.append(status_name)
        if self.type_filter is not None:
            parts.append(type_label(self.type_filter))
        if self.search_text.strip():
            parts.append(f'"{self.search_text.strip()}"')
        self.query_one("#list-title", Static).update(Text(" · ".join(parts)))

    def _show_link(self) -> None:
        """How the list keeps up: ``● live``, or each re-read alone (``↻ every 10s``: the
        jobs table is not in the realtime publication), ``reconnecting`` while the stream is
        down, and ``⚠ not read`` once a re-read failed (the tooltip says why)."""
        problem = self.read_problem or self.link_problem
        troubled = problem is not None
        if not self.loaded:
            words = ""
        elif self.read_problem:
            words = "⚠ not read"
        elif self.link_problem:
            words = "reconnecting"
        elif self.live:
            words = "● live"
        elif self.reads_only:
            words = f"↻ every {self.reread_every:g}s"
            problem = f"{self.reads_only}: the list is read again every {self.reread_every:g} s"
        else:
            words = "connecting"
        if (words, problem) == self._link_shown:
            return  # (asked every second, with the ages)
        self._link_shown = (words, problem)
        link = self.query_one("#list-link", Static)
        link.set_class(troubled, "-problem")
        link.update(Text(words))
        link.tooltip = problem

    @on(JobTable.Laid)
    def _titles(self, event: JobTable.Laid) -> None:
        self.query_one("#list-titles", Static).update(Text(event.titles))

    # -- keys ----------------------------------------------------------------------------------

    def action_open_job(self) -> None:
        job = self.table.highlighted_job
        if job is not None:
            self._open(job.id)

    @on(OptionList.OptionSelected, "#job-table")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None:
            self._open(event.option.id)

    @work(exclusive=True, group="open")
    async def _open(self, job_id: str) -> None:
        """The whole job (its configuration and metadata too, which the list does not read),
        then the job view on top of the list."""
        try:
            job = await self.backend.get_job(job_id)
        except JoblensError as error:
            self.notify(error.message, title="Cannot open the job", severity="error", markup=False)
            return
        app: JoblensApp = self.app  # type: ignore[assignment]
        app.open_job(job)

    def action_search(self) -> None:
        field = self.query_one("#list-search", Input)
        field.add_class("-open")
        field.focus()

    @on(Input.Changed, "#list-search")
    def _searched(self, event: Input.Changed) -> None:
        self.search_text = event.value
        self._show()

    @on(Input.Submitted, "#list-search")
    def _search_kept(self) -> None:
        field = self.query_one("#list-search", Input)
        if not field.value.strip():
            field.remove_class("-open")
        self.table.focus()

    def action_cycle_status(self) -> None:
        self.status_filter = (self.status_filter + 1) % len(STATUS_FILTERS)
        self._show()

    def action_cycle_type(self) -> None:
        """All types, then each type the jobs have, in the platform's order."""
        present = {str(job.job_type) for job in self.jobs.values()}
        order = [str(t) for t in JobType if str(t) in present]
        order += sorted(present - set(order))
        steps: list[str | None] = [None, *order]
        at = steps.index(self.type_filter) if self.type_filter in steps else 0
        self.type_filter = steps[(at + 1) % len(steps)]
        self._show()

    def action_clear(self) -> None:
        """Esc: the search field's text and every filter go; the table has the focus again."""
        field = self.query_one("#list-search", Input)
        field.value = ""
        field.remove_class("-open")
        self.search_text = ""
        self.status_filter = 0
        self.type_filter = None
        self.table.focus()
        self._show()

    def action_reread(self) -> None:
        """Read the table now (the follow goes on: a failed read is told, never fatal)."""
        self._read_now.set()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Typed into the search field, "s" and "t" are text.
        return not (action in _LIST_KEYS and self._typing())

    def _typing(self) -> bool:
        return isinstance(self.focused, Input)


def _created(job: Job) -> datetime:
    return job.created_at or datetime.min.replace(tzinfo=UTC)
