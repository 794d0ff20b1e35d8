"""The job view's log: where the feed's lines go. Each batch goes to the log pane, then to the
readers of the log (the plan, the resources, the errors) at the same marks, so that a rewind
(a late row put in its place) takes the same lines back from all of them.

Apart from the screen because it is the one path lines take; the screen builds the feed with
:meth:`JobLog.output` and the sinks here. Once the view is being taken down (the app quitting,
or the screen closed) while the feed still hands over what it had, that is dropped.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from joblens.log_output import PaneOutput
from joblens.models import LogChunk

if TYPE_CHECKING:
    from joblens.screens.job_digests import ErrorsFeed, ResourcesFeed
    from joblens.screens.job_plan import JobPlan
    from joblens.screens.job_screen import JobScreen
    from joblens.widgets.log import LogPane


class JobLog:
    """The feed's sinks for ``screen``: the pane and the three readers."""

    def __init__(
        self, screen: JobScreen, plan: JobPlan, resources: ResourcesFeed, errors: ErrorsFeed
    ) -> None:
        self._screen = screen
        self._plan = plan
        self._resources = resources
        self._errors = errors

    def output(self) -> PaneOutput:
        """What the feed writes through (``joblens.log_output``)."""
        return PaneOutput(
            self.write_chunks,
            on_note=self.write_note,
            mark=lambda: None if (pane := self.live_pane()) is None else pane.append_mark(),
            rewind=self.rewind,
            start=lambda: None if (pane := self.live_pane()) is None else pane.start_mark(),
        )

    def live_pane(self) -> LogPane | None:
        """The log pane, or None once the view is being taken down."""
        view = self._screen.log_view
        return None if view is None else view.pane

    def write_chunks(self, chunks: list[LogChunk]) -> None:
        pane = self.live_pane()
        if pane is None:
            return
        at = pane.append_mark()  # where these lines begin: the readers forget them on a rewind
        pane.write_chunks(chunks)
        self._plan.feed(chunks, at)
        self._resources.feed(chunks, at)
        self._errors.due()

    def prepend_chunks(self, chunks: list[LogChunk]) -> None:
        """Older lines (a history page, read newest first), before every line so far."""
        pane = self.live_pane()
        if pane is None:
            return
        pane.prepend_chunks(chunks)
        self._plan.feed(chunks, pane.start_mark())  # before every line fed so far
        self._resources.feed(chunks, pane.start_mark())
        self._errors.due()  # (the error digest reads the log again from its new first line)

    def rewind(self, mark: int) -> None:
        """The feed takes back the lines after ``mark`` (to put a late row in its place)."""
        pane = self.live_pane()
        if pane is None:
            return
        pane.rewind(mark)
        self._plan.rewind(mark)
        self._resources.rewind(mark)
        self._errors.rewind(mark)

    def show_open_lines(self, chunks: list[LogChunk]) -> None:
        """The streams' unfinished last lines, shown until their newline comes."""
        pane = self.live_pane()
        if pane is not None:
            pane.show_open_lines(chunks)

    def write_note(self, text: str) -> None:
        """A line of joblens's own (an attempt ended)."""
        pane = self.live_pane()
        if pane is not None:
            pane.write_note(text)
