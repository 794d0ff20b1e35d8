"""The log view: a job's log pane, its ``/`` search and ``f`` filter fields and its follow
indicator, wired.

What a screen puts where the log goes. The pane (``pane.py``) holds and paints the lines; the
search and filter fields (``search_bar.py``) open under it on ``open_search`` and
``open_filter``; the indicator (``follow.py``) says whether the view follows new lines, how
many arrived while paused, what is searched for (match 3 of 45) and what the filter shows. The
view keeps them in step, so its host only writes lines to ``pane`` and says when the job ended
(``show_ended``).
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Input

from joblens.widgets.log.follow import LogFollowIndicator
from joblens.widgets.log.log_filter import LogFilter
from joblens.widgets.log.pane import LogPane
from joblens.widgets.log.search import BadPattern, no_match_message
from joblens.widgets.log.search_bar import LogFilterBar, LogSearchBar, QueryRow


class LogView(Vertical):
    """The pane (``#log``), the search field (``#search``, hidden until opened) and the follow
    indicator (``#follow-indicator``), top to bottom."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f", "open_filter", "Filter", show=False),
    ]

    DEFAULT_CSS = """
    LogView {
        height: 1fr;
    }
    LogView > LogPane {
        height: 1fr;
    }
    """

    def __init__(
        self,
        *,
        wrap: bool = False,
        timestamps: bool = False,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        """``wrap`` and ``timestamps`` are how the pane starts (``LogPane``'s reactives)."""
        super().__init__(name=name, id=id, classes=classes)
        self._pane = LogPane(wrap=wrap, timestamps=timestamps, id="log")
        self._search_bar = LogSearchBar(id="search")
        self._filter_bar = LogFilterBar(id="filter")
        self._search_row = QueryRow(self._search_bar, id="search-row")
        self._filter_row = QueryRow(self._filter_bar, id="filter-row")
        self._indicator = LogFollowIndicator(id="follow-indicator")

    def compose(self) -> ComposeResult:
        yield self._pane
        yield self._search_row
        yield self._filter_row
        yield self._indicator

    @property
    def pane(self) -> LogPane:
        """The log lines: write to it, scroll it, focus it."""
        return self._pane

    @property
    def search_bar(self) -> LogSearchBar:
        return self._search_bar

    @property
    def indicator(self) -> LogFollowIndicator:
        return self._indicator

    @property
    def filter_bar(self) -> LogFilterBar:
        return self._filter_bar

    @property
    def search_has_focus(self) -> bool:
        """Keys are being typed into the search or filter field (so "/" and the like are
        text)."""
        return self._search_bar.has_focus or self._filter_bar.has_focus

    def show_ended(self, outcome: str | None) -> None:
        """The job ended (``outcome``, such as "the job succeeded"), or None: it is running."""
        self._indicator.show_ended(outcome)

    # -- searching ------------------------------------------------------------------------

    def open_search(self) -> None:
        """Open the search field, holding the search in use (to edit), and type into it."""
        self._filter_row.close()
        self._search_row.open(self._pane.search_text or "")

    def close_search(self) -> None:
        """Close the search and filter fields (a search stays highlighted, a filter applied)
        and go back to the pane."""
        self._search_row.close()
        self._filter_row.close()
        self._pane.focus()

    def open_filter(self) -> None:
        """Open the filter field, holding the filter in use (to edit), and type into it."""
        self._search_row.close()
        current = self._pane.filter
        text = ""
        if current is not None and current.text:
            text = ("!" if current.invert else "") + current.text
            self._filter_bar.regex = current.regex
        self._filter_row.open(text)

    def action_open_filter(self) -> None:
        self.open_filter()

    def set_filter(self, log_filter: LogFilter) -> bool:
        """Apply ``log_filter`` (keeping every line, it clears the filter); False, with the
        reason shown, when its regular expression does not compile."""
        try:
            self._pane.set_filter(None if log_filter.passes_all else log_filter)
        except BadPattern as error:
            self.notify(f"Not a regular expression: {error}", severity="error", markup=False)
            return False
        return True

    @on(Input.Submitted, "#search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.close_search()
        if not event.value:
            self._pane.clear_search()
            return
        try:
            found = self._pane.search(event.value, regex=self._search_bar.regex)
        except BadPattern as error:
            self.notify(f"Not a regular expression: {error}", severity="error", markup=False)
            return
        if not found:
            self.notify(no_match_message(event.value), severity="warning", markup=False)

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value
        invert = text.startswith("!")
        if invert:
            text = text[1:]
        current = self._pane.filter or LogFilter()
        wanted = LogFilter(text, self._filter_bar.regex, invert and bool(text), current.streams)
        if self.set_filter(wanted):
            self.close_search()

    @on(LogSearchBar.Closed)
    def _search_closed(self, event: LogSearchBar.Closed) -> None:
        event.stop()
        self.close_search()

    # -- the indicator --------------------------------------------------------------------

    @on(LogPane.FollowingChanged)
    def _following_changed(self, event: LogPane.FollowingChanged) -> None:
        # Not stopped: the host may watch the pane's state too.
        self._indicator.show_state(event.following, event.unseen)

    @on(LogPane.SearchChanged)
    def _search_changed(self, event: LogPane.SearchChanged) -> None:
        self._indicator.show_search(event.text, self._pane.search_count)

    @on(LogPane.FilterChanged)
    def _filter_changed(self, event: LogPane.FilterChanged) -> None:
        log_filter = self._pane.filter
        if log_filter is None:
            self._indicator.show_filter(None)
        else:
            self._indicator.show_filter(log_filter.describe(), self._pane.filter_progress)
