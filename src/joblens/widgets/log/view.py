"""The log view: a job's log pane, its ``/`` search field and its follow indicator, wired.

What a screen puts where the log goes. The pane (``pane.py``) holds and paints the lines; the
search field (``search_bar.py``) opens under it on ``open_search``; the indicator
(``follow.py``) says whether the view follows new lines, how many arrived while paused, and
what is searched for. The view keeps the three in step, so its host only writes lines to
``pane`` and says when the job ended (``show_ended``).
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input

from joblens.widgets.log.follow import LogFollowIndicator
from joblens.widgets.log.pane import LogPane
from joblens.widgets.log.search import no_match_message
from joblens.widgets.log.search_bar import LogSearchBar


class LogView(Vertical):
    """The pane (``#log``), the search field (``#search``, hidden until opened) and the follow
    indicator (``#follow-indicator``), top to bottom."""

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
        self._indicator = LogFollowIndicator(id="follow-indicator")

    def compose(self) -> ComposeResult:
        yield self._pane
        yield self._search_bar
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
    def search_has_focus(self) -> bool:
        """Keys are being typed into the search field (so "/" and the like are text)."""
        return self._search_bar.has_focus

    def show_ended(self, outcome: str | None) -> None:
        """The job ended (``outcome``, such as "the job succeeded"), or None: it is running."""
        self._indicator.show_ended(outcome)

    # -- searching ------------------------------------------------------------------------

    def open_search(self) -> None:
        """Open the search field, holding the search in use (to edit), and type into it."""
        bar = self._search_bar
        bar.value = self._pane.search_text or ""
        bar.add_class("-open")
        bar.focus()

    def close_search(self) -> None:
        """Close the search field (any search stays highlighted) and go back to the pane."""
        self._search_bar.remove_class("-open")
        self._pane.focus()

    @on(Input.Submitted, "LogSearchBar")
    def _search_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.close_search()
        if not event.value:
            self._pane.clear_search()
        elif not self._pane.search(event.value):
            self.notify(no_match_message(event.value), severity="warning", markup=False)

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
        self._indicator.show_search(event.text)
