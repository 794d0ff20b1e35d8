"""The fields under the log pane: ``/`` finds, ``f`` filters; Enter acts, Escape closes.

Each field sits in a row (``QueryRow``) after a short label that says what it does and how it
reads what is typed: as text (smart case: a capital letter makes it exact) or, after Ctrl+R,
as a regular expression. The row is shown only while open (the ``-open`` class, on the row and
on its field).
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Input, Static


class LogSearchBar(Input):
    """A one-line field for what to find in the log; ``LogView`` acts on its messages.

    ``Input.Submitted`` carries the text; ``regex`` says how to read it (Ctrl+R toggles it);
    ``Closed`` says Escape was pressed.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "submit", "Search"),
        Binding("escape", "close", "Close"),
        Binding("ctrl+r", "toggle_regex", "Regex", tooltip="Read the text as a regex"),
    ]

    regex: reactive[bool] = reactive(False)
    """Read what is typed as a regular expression (else as text)."""

    #: What the label says, as text and as a regular expression.
    LABELS = ("Find", "Find regex")
    PLACEHOLDER = "text (a capital letter makes it exact) · Ctrl+R regex · Enter · then n / N"

    class Closed(Message):
        """The field was closed without acting."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(placeholder=self.PLACEHOLDER, compact=True, id=id)

    @property
    def label(self) -> str:
        return self.LABELS[self.regex]

    def action_close(self) -> None:
        self.post_message(self.Closed())

    def action_toggle_regex(self) -> None:
        self.regex = not self.regex

    def watch_regex(self, regex: bool) -> None:
        if self.parent is not None and isinstance(self.parent, QueryRow):
            self.parent.show_label(self.label)


class LogFilterBar(LogSearchBar):
    """The field for the filter: only lines that match are shown; ``!`` first inverts."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "submit", "Filter"),
    ]
    LABELS = ("Filter", "Filter regex")
    PLACEHOLDER = (
        "show only lines with this text · !text hides them · Ctrl+R regex · empty: all lines"
    )


class QueryRow(Horizontal):
    """A field and its label, one row, shown while the field is open."""

    DEFAULT_CSS = """
    QueryRow {
        display: none;
        height: 1;
        &.-open {
            display: block;
        }
        & > .query-row--label {
            width: auto;
            padding: 0 1;
            background: $primary-muted;
            color: $text;
            text-style: bold;
        }
        & > Input {
            width: 1fr;
            display: none;  /* with its row: a closed field is not there, even to focus */
            &.-open {
                display: block;
            }
        }
    }
    """

    def __init__(self, bar: LogSearchBar, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.bar = bar
        self._label = Static(bar.label, classes="query-row--label")

    def compose(self) -> ComposeResult:
        yield self._label
        yield self.bar

    def show_label(self, text: str) -> None:
        self._label.update(text)

    def open(self, value: str) -> None:
        """Show the row with ``value`` in the field, and type into it."""
        self.bar.value = value
        self.bar.cursor_position = len(value)
        self.add_class("-open")
        self.bar.add_class("-open")
        self.bar.focus()

    def close(self) -> None:
        self.remove_class("-open")
        self.bar.remove_class("-open")
