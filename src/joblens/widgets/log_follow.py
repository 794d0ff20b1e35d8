"""The one-line "following / paused" indicator shown under a log pane."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


class LogFollowIndicator(Static):
    """One line under a LogPane: "⏸ Paused · 42 new lines · End to follow", or "Following".

    Feed it from the screen: ``on_log_pane_following_changed`` -> ``show_state(...)``.
    """

    def on_mount(self) -> None:
        self.show_state(True, 0)

    def show_state(self, following: bool, unseen: int) -> None:
        """Show whether the pane follows and how many lines arrived while paused."""
        self.set_class(not following, "-paused")
        if following:
            self.update(Text("↓ Following new lines"))
        else:
            noun = "line" if unseen == 1 else "lines"
            self.update(Text(f"⏸ Paused · {unseen:,} new {noun} · End to follow"))
