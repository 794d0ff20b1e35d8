"""The log pane: a job's output, live, at any size.

``LogPane`` is a ``ScrollView`` on Textual's line API, the one widget the rest of joblens uses
(``view.py`` composes it). Lines are stored packed (``store``), rendered only when visible and
cached (``render``), wrapped by counting rows from stored widths (``wrap``).

It is built in layers, each a ``ScrollView`` subclass in its own module that calls only the
layers below it (where a lower one must set off a higher one's work, it declares a hook the
higher one fills in):

- ``pane_rows``: the pane's state, and which line each row shows (wrapping, the gutter);
- ``pane_lines``: lines written, shown at a cadence (flushing), the view following the end;
- ``pane_render``: a row to a ``Strip``, and the text copied and saved;
- ``pane_folds``: runs of noise folded and opened, and showing a line wherever it is;
- ``pane_search``: the search and the filter;
- ``pane_errors``: ``e`` / ``E``;
- here: the CSS, the keys, the messages, and what resets every layer (``rewind``, ``clear``).
"""

from __future__ import annotations

from typing import ClassVar

from textual.actions import SkipAction
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive

from joblens.widgets.log.errors import ErrorMarks
from joblens.widgets.log.lens import LogLens
from joblens.widgets.log.log_filter import LogFilter
from joblens.widgets.log.pane_errors import PaneErrors
from joblens.widgets.log.search import no_match_message
from joblens.widgets.log.store import LineStore

#: Columns moved by one press of left/right (or h/l).
_HORIZONTAL_STEP = 8
#: The footer shows ``e`` and ``E`` as one entry.
_ERRORS = Binding.Group("Errors", compact=True)


class LogPane(PaneErrors, can_focus=True):
    """A job's log lines, coloured by stream, following the end while it is in view."""

    # STDOUT in the normal text colour, STDERR red, SYSTEM blue (theme variables).
    DEFAULT_CSS = """
    LogPane {
        background: $surface;
        color: $foreground;
        overflow-x: auto;
        overflow-y: scroll;
        &:focus {
            background-tint: $foreground 5%;
        }
    }
    LogPane > .log-pane--stderr {
        color: $text-error;
    }
    LogPane > .log-pane--system {
        color: $text-primary;
    }
    /* joblens's own lines in the log, such as where a requeued job's next attempt begins. */
    LogPane > .log-pane--note {
        color: $text-warning;
        text-style: bold;
    }
    /* "… (N more characters)" after a line too long to display. */
    LogPane > .log-pane--marker {
        color: $text-muted;
        text-style: italic;
    }
    /* The gutter before each line: its number and time, when shown. */
    LogPane > .log-pane--time {
        text-style: dim;
    }
    /* A folded run of noise (Refreshing state..., Still creating..., provider downloads). */
    LogPane > .log-pane--fold {
        color: $text-muted;
        background: $boost;
        text-style: italic;
    }
    /* Search matches in view; the one the last search moved to stands out. */
    LogPane > .log-pane--match {
        background: $warning-muted;
    }
    LogPane > .log-pane--current-match {
        color: $background;
        background: $warning;
        text-style: bold;
    }
    """

    COMPONENT_CLASSES = {
        "log-pane--stderr",
        "log-pane--system",
        "log-pane--note",
        "log-pane--marker",
        "log-pane--time",
        "log-pane--fold",
        "log-pane--match",
        "log-pane--current-match",
    }

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "line_up", "Up", show=False),
        Binding("down,j", "line_down", "Down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home,g", "top", "Top", show=False),
        Binding("end,G", "follow", "Follow"),
        Binding("w", "toggle_wrap", "Wrap"),
        Binding("t", "toggle_timestamps", "Time"),
        Binding("number_sign", "toggle_line_numbers", "Line numbers", show=False, key_display="#"),
        Binding("z", "toggle_folding", "Fold", show=False),
        Binding("enter", "toggle_fold", "Open fold", show=False),
        Binding("left,h", "left", "Left", show=False),
        Binding("right,l", "right", "Right", show=False),
        Binding("n", "search_next", "Next match", show=False),
        Binding("N", "search_previous", "Previous match", show=False),
        Binding("escape", "clear_search", "Clear search or filter", show=False),
        Binding("1", "toggle_stream('STDOUT')", "STDOUT", show=False),
        Binding("2", "toggle_stream('STDERR')", "STDERR", show=False),
        Binding("3", "toggle_stream('SYSTEM')", "SYSTEM", show=False),
        # In the footer while the log has errors to go to (and it has room: show_error_keys);
        # otherwise the same keys do the same from the hidden pair ("No errors" if none).
        Binding("e", "next_error", "Next error", group=_ERRORS),
        Binding("E", "previous_error", "Previous error", group=_ERRORS),
        Binding("e", "go_to_error", "Next error", show=False),
        Binding("E", "go_to_error(True)", "Previous error", show=False),
    ]

    show_error_keys: reactive[bool] = reactive(True, repaint=False, bindings=True)
    """Offer ``e`` / ``E`` in the footer when the log has errors (the keys work regardless)."""

    class FollowingChanged(Message):
        """Following was paused or resumed, or the count of unseen lines changed."""

        def __init__(self, log_pane: LogPane, following: bool, unseen: int) -> None:
            super().__init__()
            self.log_pane = log_pane
            self.following = following
            self.unseen = unseen

        @property
        def control(self) -> LogPane:
            return self.log_pane

        def can_replace(self, message: Message) -> bool:
            # Only the latest state matters: a burst collapses to one message.
            return (
                isinstance(message, LogPane.FollowingChanged) and message.log_pane is self.log_pane
            )

    class ErrorsChanged(Message):
        """The log now has errors to jump to (``present``), or no longer has."""

        def __init__(self, log_pane: LogPane, present: bool) -> None:
            super().__init__()
            self.log_pane = log_pane
            self.present = present

        @property
        def control(self) -> LogPane:
            return self.log_pane

    class FilterChanged(Message):
        """The filter was set or cleared, or found more lines (``filter_progress``)."""

        def __init__(self, log_pane: LogPane) -> None:
            super().__init__()
            self.log_pane = log_pane

        @property
        def control(self) -> LogPane:
            return self.log_pane

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, LogPane.FilterChanged) and message.log_pane is self.log_pane

    class SearchChanged(Message):
        """A search started, moved on or was cleared: ``text`` is what it looks for, or None."""

        def __init__(self, log_pane: LogPane, text: str | None) -> None:
            super().__init__()
            self.log_pane = log_pane
            self.text = text

        @property
        def control(self) -> LogPane:
            return self.log_pane

    # ------------------------------------------------------------------ lines taken back, or all
    # The rest of the lines' API is pane_lines.py's; these two reset every layer (the search, the
    # filter, the errors), so they are written here, above them all.

    def rewind(self, mark: int) -> None:
        """Forget every line appended after ``mark``: the log is written again from there,
        with a row that had been lost in its place (``joblens.feed``, completeness)."""
        self._flush_pending()
        removed = self._store.truncate(mark + self._store.origin)
        if not removed:
            return
        self._errors.truncate(self._store, len(self._store))
        if self._error_at is not None and self._error_at >= len(self._store) - self._store.origin:
            self._error_at = None
        if not self._errors:
            self._find_errors()  # whether any are left (the rest are found on e)
        self._cache.clear()
        self._rows.clear()
        self._lens.rewound()
        self._drop_selection()
        self.unseen = max(0, self.unseen - removed)
        self._update_virtual_size()
        if self.following:
            self.scroll_to(y=self.max_scroll_y, animate=False)
        self._paint_bar()
        self.refresh()

    def clear(self) -> None:
        """Forget every line (for showing another job in the same pane)."""
        log_filter = self._lens.filter
        self._store = LineStore()
        self._lens = LogLens(self._store, self.folding)
        self._cache.clear()
        self._rows.clear()
        self._pending_append = self._pending_prepend = 0
        self._open = []
        self._open_changed = False
        self.clear_search()
        self._errors = ErrorMarks()
        self._error_at = None
        self._find_errors()
        self._set_virtual_size(Size(0, 0))
        self.scroll_to(0, 0, animate=False)
        self._paint_bar()
        self.following = True
        self.unseen = 0
        self.refresh()
        if log_filter is not None:
            self.set_filter(log_filter)  # the same filter, over the lines to come

    # ------------------------------------------------------------------ messages

    def _search_changed(self, text: str | None) -> None:
        self.post_message(self.SearchChanged(self, text))

    def _filter_changed(self) -> None:
        self.post_message(self.FilterChanged(self))

    def _errors_changed(self, present: bool) -> None:
        self.post_message(self.ErrorsChanged(self, present))

    def watch_following(self, following: bool) -> None:
        self.post_message(self.FollowingChanged(self, following, self.unseen))

    def watch_unseen(self, unseen: int) -> None:
        self.post_message(self.FollowingChanged(self, self.following, unseen))

    # ------------------------------------------------------------------ actions

    def action_line_up(self) -> None:
        self.scroll_to(y=self.scroll_y - 1, animate=False)

    def action_line_down(self) -> None:
        self.scroll_to(y=self.scroll_y + 1, animate=False)

    def action_page_up(self) -> None:
        self.scroll_to(y=self.scroll_y - self.scrollable_content_region.height, animate=False)

    def action_page_down(self) -> None:
        self.scroll_to(y=self.scroll_y + self.scrollable_content_region.height, animate=False)

    def action_top(self) -> None:
        self.scroll_to(y=0, animate=False)

    def action_follow(self) -> None:
        self.follow()

    def action_toggle_wrap(self) -> None:
        self.wrap = not self.wrap

    def action_toggle_timestamps(self) -> None:
        self.timestamps = not self.timestamps

    def action_toggle_line_numbers(self) -> None:
        self.line_numbers = not self.line_numbers

    def action_left(self) -> None:
        self.scroll_to(x=self.scroll_x - _HORIZONTAL_STEP, animate=False)

    def action_right(self) -> None:
        self.scroll_to(x=self.scroll_x + _HORIZONTAL_STEP, animate=False)

    def action_search_next(self, backwards: bool = False) -> None:
        if self._finder.query is None:
            raise SkipAction()
        if not self.search_next(backwards):
            message = no_match_message(self._finder.query.text)
            self.notify(message, severity="warning", markup=False)

    def action_search_previous(self) -> None:
        self.action_search_next(backwards=True)

    def action_next_error(self, backwards: bool = False) -> None:
        found = self.next_error(backwards)
        if found is None:
            self.notify("No errors", severity="warning", markup=False)
        elif found[1]:
            where = "last" if backwards else "first"
            self.notify(f"Wrapped around to the {where} error", markup=False)

    def action_previous_error(self) -> None:
        self.action_next_error(backwards=True)

    def action_go_to_error(self, backwards: bool = False) -> None:
        self.action_next_error(backwards)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("next_error", "previous_error"):  # the footer's pair
            return self._has_errors and self.show_error_keys
        if action == "clear_search":
            # With nothing to clear, Escape is the screen's (the footer's "esc Back"): a key
            # bound here, even to do nothing, hid every binding of it further up.
            return self._finder.query is not None or self._lens.filter is not None
        return True

    def action_clear_search(self) -> None:
        """Escape: clear the search, else the filter, else let the screen have the key."""
        if self._finder.query is not None:
            self.clear_search()
        elif self.filter is not None:
            self.set_filter(None)
            self.notify("Filter cleared: every line is shown", markup=False)
        else:
            raise SkipAction()  # Escape means something else to the screen

    def action_toggle_stream(self, name: str) -> None:
        """Show or hide the lines of stream ``name`` (STDOUT, STDERR, SYSTEM)."""
        current = self.filter or LogFilter()
        kept = name not in current.streams
        self.set_filter(current.with_stream(name, kept))
        self.notify(f"{name} lines {'shown' if kept else 'hidden'}", markup=False)
