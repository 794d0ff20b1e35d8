"""The search field under the log pane: ``/`` opens it, Enter searches, Escape closes it."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import Input


class LogSearchBar(Input):
    """A one-line field for what to find in the log; ``LogView`` acts on its messages.

    ``Input.Submitted`` carries the text to search for; ``Closed`` says Escape was pressed.
    It is shown only while open (the ``-open`` class), between the pane and its indicator.
    """

    DEFAULT_CSS = """
    LogSearchBar {
        display: none;
        &.-open {
            display: block;
        }
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "submit", "Search"),
        Binding("escape", "close", "Close"),
    ]

    class Closed(Message):
        """The field was closed without searching."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(
            placeholder="Find in the log · Enter to search · then n / N for next / previous",
            compact=True,
            id=id,
        )

    def action_close(self) -> None:
        self.post_message(self.Closed())
