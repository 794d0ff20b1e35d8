"""The jobs list's rows: one line a job, the columns that fit the width, the status coloured as
the job view's header colours it.

The cells and the fitting are :mod:`joblens.job_rows` (pure); this widget paints them and keeps
the cursor on the same job as rows come, go and change (matched by id). It receives jobs from
its screen (``screens/job_list.py``); it never fetches them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.events import Resize
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from joblens.display import status_class
from joblens.job_rows import Layout, cells, fit_columns, row_line, title_line
from joblens.models import Job, JobStatus

#: The option's padding, left and right (DEFAULT_CSS).
_PADDING = 2


class JobTable(OptionList):
    """The jobs, newest first; Enter (or a click) selects the highlighted one."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select", "Open"),  # OptionList's own, shown (the footer's first key)
        Binding("down,j", "cursor_down", "Down", show=False),
        Binding("up,k", "cursor_up", "Up", show=False),
        Binding("home,g", "first", "First job", show=False),
        Binding("end,G", "last", "Last job", show=False),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "job-table--queued",
        "job-table--running",
        "job-table--success",
        "job-table--failed",
        "job-table--cancelled",
        "job-table--unknown",
        "job-table--quiet",
        "job-table--stuck",
    }

    # The status colours are the header's badge colours (styles/app.tcss, StatusBadge), as text.
    DEFAULT_CSS = """
    JobTable {
        height: 1fr;
        max-height: 100%;
        border: none;
        padding: 0;
        scrollbar-size-vertical: 1;
        background: $surface;
        &:focus { border: none; }
        & > .option-list--option { padding: 0 1; }
        & > .job-table--queued { color: $text-secondary; }
        & > .job-table--running { color: $text-primary; text-style: bold; }
        & > .job-table--success { color: $text-success; }
        & > .job-table--failed { color: $text-error; text-style: bold; }
        & > .job-table--cancelled { color: $text-muted; }
        & > .job-table--unknown { color: $text-warning; }
        & > .job-table--quiet { color: $text-muted; }
        & > .job-table--stuck { color: $text-warning; text-style: bold; }
    }
    """

    class Laid(Message):
        """The columns were laid out again (a new width): ``titles`` is their title line."""

        def __init__(self, titles: str) -> None:
            super().__init__()
            self.titles = titles

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.jobs: tuple[Job, ...] = ()
        self._now: datetime | None = None
        self._layout: Layout | None = None
        self._rows: list[Text] = []  # what each option shows now
        #: The queued jobs nothing alive can claim (``joblens.queue_wait``): their status
        #: says so, ``◷ QUEUED ⚠``, in the warning colour. Set before ``show``.
        self.stuck: frozenset[str] = frozenset()

    @property
    def highlighted_job(self) -> Job | None:
        """The job under the cursor, if any."""
        index = self.highlighted
        if index is None or not 0 <= index < len(self.jobs):
            return None
        return self.jobs[index]

    def show(self, jobs: Sequence[Job], now: datetime) -> None:
        """Show ``jobs`` (in this order) as of ``now``; the cursor stays on its job if shown."""
        kept = self.highlighted_job
        same_rows = [job.id for job in jobs] == [job.id for job in self.jobs]
        self.jobs = tuple(jobs)
        self._now = now
        layout = self._fit()
        rows = [self._row(job, layout) for job in jobs]
        if same_rows and self.option_count == len(jobs) == len(self._rows):
            for index, row in enumerate(rows):  # in place: no jump, no new layout
                if row != self._rows[index]:  # (each second, most rows say the same)
                    self.replace_option_prompt_at_index(index, row)
            self._rows = rows
            return
        self._rows = rows
        self.set_options(Option(row, id=job.id) for row, job in zip(rows, jobs, strict=True))
        if not jobs:
            return
        ids = [job.id for job in jobs]
        self.highlighted = ids.index(kept.id) if kept is not None and kept.id in ids else 0

    def on_resize(self, _event: Resize) -> None:
        if self._now is not None:
            self.show(self.jobs, self._now)

    def _fit(self) -> Layout:
        width = max(1, self.scrollable_content_region.width - _PADDING)
        layout = fit_columns(width)
        if layout != self._layout:
            self._layout = layout
            self.post_message(self.Laid(title_line(layout)))
        return layout

    def _row(self, job: Job, layout: Layout) -> Text:
        values = cells(job, self._now)
        status_style = self._status_style(str(job.status))
        if job.id in self.stuck and job.status == JobStatus.QUEUED:
            values["status"] += " ⚠"
            status_style = self.get_component_rich_style("job-table--stuck", partial=True)
        quiet = self.get_component_rich_style("job-table--quiet", partial=True)
        text = Text(no_wrap=True, overflow="ellipsis", end="")
        for key, part in row_line(values, layout):
            if key == "status":
                text.append(part, status_style)
            elif key in ("id", "created"):
                text.append(part, quiet)
            else:
                text.append(part)
        return text

    def _status_style(self, status: str) -> Style:
        kind = status_class(status).removeprefix("-")
        if kind in ("claimed", "processing"):
            kind = "running"
        return self.get_component_rich_style(f"job-table--{kind}", partial=True)
