"""The one-line "following / paused" indicator shown under a log pane, with the search (and
its count) and the filter in use."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from joblens.sanitize import display_text


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
        self._count: tuple[int, int, bool] | None = None
        self._filter: str | None = None
        self._filter_progress: tuple[int, int, bool] = (0, 0, True)
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

    def show_search(self, text: str | None, count: tuple[int, int, bool] | None = None) -> None:
        """Show what the pane's matches are highlighted for (None: no search), and ``count``:
        (the match moved to, matches in all, counted to the end), as ``3/45``."""
        self._search, self._count = text, count
        self._show()

    def show_filter(
        self, description: str | None, progress: tuple[int, int, bool] = (0, 0, True)
    ) -> None:
        """Show the filter in use (None: none) and ``progress``: (lines shown, lines looked
        at, looked at all)."""
        self._filter, self._filter_progress = description, progress
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
        if self._filter is not None:
            shown, looked, done = self._filter_progress
            line.append("   ▼ ", style="bold")
            line.append(display_text(self._filter), style="bold")
            noun = "line" if shown == 1 else "lines"
            line.append(f" · {shown:,} {noun}" + ("" if done else f" of {looked:,} so far…"))
        if self._search is not None:
            line.append(f"   /{display_text(self._search)}", style="bold")
            if self._count is not None:
                at, total, done = self._count
                line.append(f" {at}/{total:,}" + ("" if done else "+"), style="bold")
            line.append(" · n next · N previous · Esc clear")
        self.update(line, layout=False)  # always one full-width row: no layout needed
