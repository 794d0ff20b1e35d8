"""The one-line "following / paused" indicator shown under a log pane, with the search in use."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


class LogFollowIndicator(Static):
    """One line under a LogPane: "⏸ Paused · 42 new lines · End to follow", or "Following",
    then the search in use and its keys.

    ``LogView`` feeds it the pane's ``FollowingChanged`` (``show_state``) and ``SearchChanged``
    (``show_search``).
    """

    # "⏸ Paused · 42 new lines · End to follow" stands out; "Following" stays quiet.
    DEFAULT_CSS = """
    LogFollowIndicator {
        height: 1;
        padding: 0 1;
        color: $text-muted;
        background: $surface;
        &.-paused {
            color: $text-warning;
            background: $warning-muted;
            text-style: bold;
        }
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._following = True
        self._unseen = 0
        self._search: str | None = None
        self._ended: str | None = None

    def on_mount(self) -> None:
        self._show()

    def show_state(self, following: bool, unseen: int) -> None:
        """Show whether the pane follows and how many lines arrived while paused."""
        self._following, self._unseen = following, unseen
        self._show()

    def show_ended(self, outcome: str | None) -> None:
        """The job ended (``outcome``, such as "Succeeded"): no new lines will come, so the
        view does not say it follows them."""
        self._ended = outcome
        self._show()

    def show_search(self, text: str | None) -> None:
        """Show what the pane's matches are highlighted for (None: no search)."""
        self._search = text
        self._show()

    def _show(self) -> None:
        self.set_class(not self._following, "-paused")
        if self._following and self._ended is not None:
            line = Text(f"■ End of the log · {self._ended}")
        elif self._following:
            line = Text("↓ Following new lines")
        else:
            noun = "line" if self._unseen == 1 else "lines"
            line = Text(f"⏸ Paused · {self._unseen:,} new {noun} · End to follow")
        if self._search is not None:
            line.append(f"   /{self._search}", style="bold")
            line.append(" · n next · N previous · Esc clear")
        self.update(line, layout=False)  # always one full-width row: no layout needed
