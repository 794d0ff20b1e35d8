"""The Textual application: opens a job, or the jobs list, and hosts their screens."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from rich.text import Text
from textual import events, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import HelpPanel, LoadingIndicator, Static

from joblens.backends.base import POLL_SECONDS, Backend
from joblens.clipboard import copy_text
from joblens.display import SHORT_BELOW
from joblens.end_notice import DesktopNotifier
from joblens.errors import ExitCode, JoblensError
from joblens.models import Job
from joblens.prefs import ViewPrefs
from joblens.screens.help import HELP_KEYS, HelpScreen
from joblens.screens.job_list import JobListScreen, ListQuery
from joblens.screens.job_screen import JobScreen
from joblens.view_memory import ViewMemory

STYLES = Path(__file__).parent / "styles"


class ConnectingScreen(Screen[None]):
    """Shown while the backend connects and the job is looked up."""

    def __init__(self, message: str) -> None:
        super().__init__()
        self._message = message

    def compose(self) -> ComposeResult:
        yield Static(Text(self._message), id="connecting-message")
        yield LoadingIndicator()


class JoblensApp(App[None]):
    """``joblens <job-id>``: one job, live; Apply and Re-run open the new job on top.
    ``joblens`` (no id, ``job_ref`` None): the jobs list, whose Enter opens a job on top."""

    TITLE = "joblens"
    CSS_PATH = STYLES / "app.tcss"  # the log view brings its own CSS (widgets/log/, DEFAULT_CSS)
    # Ctrl+C copies the text selected with the mouse, and otherwise quits, as in any log
    # viewer (Textual's default only explains Ctrl+Q), with 130 as an interrupted command
    # does (README, "Exit codes"); q quits with 0.
    BINDINGS = [
        Binding("q", "quit", "Quit"),
        Binding("ctrl+c", "copy_or_quit", "Copy or quit", show=False, priority=True),
        # Not a priority: typed into the search and filter fields, "?" is text.
        Binding(HELP_KEYS, "show_help", "Keys (this help)", show=False),
        # Esc closes Textual's keys panel (palette: "Keys") before it means anything else, such
        # as going back to the previous job; with no panel open the key passes on.
        Binding("escape", "hide_keys_panel", show=False, priority=True, system=True),
    ]

    def __init__(
        self,
        backend: Backend,
        job_ref: str | None,
        *,
        list_query: ListQuery = ListQuery(),  # noqa: B008 (frozen: sharing one is safe)
        clock: Callable[[], datetime] | None = None,
        poll_seconds: float = POLL_SECONDS,
        prefs: ViewPrefs = ViewPrefs(),  # noqa: B008 (frozen: sharing one is safe)
        notifier: DesktopNotifier | None = None,
        exit_on_end: bool = False,
        memory: ViewMemory | None = None,
    ) -> None:
        """``prefs`` sets the theme, and how each job view's log pane starts (wrap, times).

        A job that ends while shown rings the bell (``prefs.bell``) and is told to ``notifier``,
        the desktop's (``prefs.desktop_notify``; the launcher finds it, tests pass a fake).
        ``exit_on_end``: quit with the first job's exit code once it has ended.
        ``list_query``: what the jobs list follows; ``clock``: what its ages count from.
        ``memory``: where a theme, wrap or timestamps changed in the view is kept for the next
        run (``joblens.view_memory``; the launcher gives the user's, tests their own or none).

        A ``prefs.theme`` Textual does not know raises ``textual.app.InvalidThemeError``
        (``joblens.prefs.theme_names`` lists the ones it knows).
        """
        super().__init__()
        self.backend = backend
        self.job_ref = job_ref
        #: How often each job's row is polled (the fallback for an UPDATE realtime lost).
        self.poll_seconds = poll_seconds
        #: How the views start: every job view opened (the first, Apply, Re-run) uses them.
        self.prefs = prefs
        if prefs.theme is not None:
            self.theme = prefs.theme
        #: The error that ended the app, re-raised by the launcher as a one-line message.
        self.fatal_error: JoblensError | None = None
        self.notifier = notifier if prefs.desktop_notify else None
        self.exit_on_end = exit_on_end
        self.list_query = list_query
        self.clock = clock
        self.memory = memory

    def on_resize(self, event: events.Resize) -> None:
        self.set_class(event.size.height < SHORT_BELOW, "-short")

    def on_mount(self) -> None:
        self.theme_changed_signal.subscribe(self, lambda theme: self.remember("theme", theme.name))
        if self.job_ref is None:
            self.push_screen(ConnectingScreen(f"Reading your jobs ({self.backend.name})…"))
            self._open_list()
            return
        self.push_screen(ConnectingScreen(f"Opening job {self.job_ref} ({self.backend.name})…"))
        self._open_first_job(self.job_ref)

    @work(exclusive=True, group="open")
    async def _open_list(self) -> None:
        try:
            await self.backend.connect()
        except JoblensError as error:
            await self.fail(error)
            return
        await self.switch_screen(JobListScreen(self.backend, self.list_query, clock=self.clock))

    @work(exclusive=True, group="open")
    async def _open_first_job(self, job_ref: str) -> None:
        try:
            await self.backend.connect()
            job_id = await self.backend.resolve_job_id(job_ref)
            job = await self.backend.get_job(job_id)
        except JoblensError as error:
            await self.fail(error)
            return
        await self.switch_screen(self._job_screen(job, exit_on_end=self.exit_on_end))
        # Everything built so far lives as long as the app: keep it out of the cyclic
        # collector, whose full passes over it stalled live lines by ~100 ms (measured in
        # benchmarks/live_latency.py: p99 INSERT-to-paint 145 ms without, 65 ms with).
        gc.freeze()

    async def fail(self, error: JoblensError) -> None:
        """End the app with ``error`` (the launcher shows it as one line, with its code)."""
        self.fatal_error = error
        await self.backend.close()
        self.exit(return_code=int(error.exit_code))

    def open_job(self, job: Job) -> None:
        """Show another job (a new DEPLOY or re-run) on top; Esc goes back."""
        self.push_screen(self._job_screen(job))

    def _job_screen(self, job: Job, *, exit_on_end: bool = False) -> JobScreen:
        return JobScreen(
            self.backend,
            job,
            poll_seconds=self.poll_seconds,
            wrap=self.prefs.wrap,
            timestamps=self.prefs.timestamps,
            bell=self.prefs.bell,
            notifier=self.notifier,
            exit_on_end=exit_on_end,
        )

    def remember(self, name: str, value: str | bool) -> None:
        """The user changed a look in the view (theme, wrap, timestamps): the job views opened
        from now on start with it, and so does the next run (``memory``)."""
        if getattr(self.prefs, name) == value:
            return
        self.prefs = replace(self.prefs, **{name: value})  # type: ignore[arg-type]
        if self.memory is not None:
            self.memory.remember(name, value)

    async def exit_with(self, code: int) -> None:
        """Quit with ``code`` (a job's exit code: ``--exit-on-end``, ``Q``)."""
        await self.backend.close()
        self.exit(return_code=code)

    async def action_copy_or_quit(self) -> None:
        selected = self.screen.get_selected_text()
        if not selected:
            await self.exit_with(int(ExitCode.INTERRUPTED))
            return
        where = copy_text(self, selected)
        lines = selected.count("\n") + 1
        noun = "line" if lines == 1 else "lines"
        self.notify(f"Copied {lines:,} {noun} to the {where}.", title="Copied", markup=False)
        self.screen.clear_selection()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "hide_keys_panel":  # (False, not SkipAction: the footer keeps its "esc")
            return bool(self.screen.query(HelpPanel))
        return True

    def action_hide_keys_panel(self) -> None:
        self.action_hide_help_panel()

    def action_show_help(self) -> None:
        """Every key, by where it works (``screens/help.py``), over whatever is shown."""
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    async def action_quit(self) -> None:
        await self.backend.close()
        self.exit()

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        if isinstance(screen, JobScreen):
            yield from screen.palette_commands()
        yield from super().get_system_commands(screen)
