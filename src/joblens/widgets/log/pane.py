"""The log pane: a job's output, live, at any size.

A ``ScrollView`` on Textual's line API. Lines are stored packed (``store``), rendered only
when visible and cached (``render``), wrapped by counting rows from stored widths
(``wrap``). Writes are buffered and shown at a cadence (``cadence``): at once after a
pause, every frame during a burst, and during a long stream as often as keeps its paints to a
small share of a core (10 to 25 times a second); nothing runs while the job is quiet.

Each stream's unfinished line (a chunk that ended mid-line, see ``joblens.lines``) is shown
after the stored lines and replaced by the stored line once it completes; it is never stored
twice or split.

Following: the view is pinned to the bottom while lines arrive. Any scroll away from the bottom
(keys, wheel, scrollbar) pauses it and counts the lines that arrive; any scroll back to the
bottom pins it again (``watch_scroll_y`` decides, whatever moved the view).

Timestamps (``t``): each row starts with a fixed gutter of ``TIME_GUTTER`` cells, the time its
line's chunk was written (``created_at``, local ``HH:MM:SS``, dim) on the line's first row and
blanks on the rows it wraps onto, and for lines with no time (joblens's own notes, rows without
one). The gutter is not text: it stays put when the view scrolls sideways, the text wraps at
the view's width less the gutter, and search and selection see the line's text only.
"""

from __future__ import annotations

from collections.abc import Sequence
from time import monotonic, perf_counter
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual.actions import SkipAction
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.events import Resize
from textual.geometry import Offset, Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.selection import Selection
from textual.strip import Strip
from textual.timer import Timer

from joblens.models import LogChunk
from joblens.sanitize import strip_sgr
from joblens.widgets.log.cadence import FlushCadence
from joblens.widgets.log.errors import ErrorMarks
from joblens.widgets.log.render import (
    RENDERED_CELL_CAP,
    TIME_GUTTER,
    gutter_row,
    highlight,
    line_segments,
    row_segments,
    row_strip,
)
from joblens.widgets.log.scrollbar import QuietBar
from joblens.widgets.log.search import Finder, match_cells, no_match_message
from joblens.widgets.log.store import (
    NO_TIME,
    NOTE,
    LineStore,
    display_width,
    epoch_seconds,
    expand_tabs,
    stream_code,
)
from joblens.widgets.log.wrap import WrapIndex

#: Columns moved by one press of left/right (or h/l).
_HORIZONTAL_STEP = 8
#: Rendered lines kept (a few screens of a large terminal).
_CACHE_LINES = 1024
_CACHE_ROWS = 512
#: Index of the "… (N more characters)" style in ``_stream_styles``, and of the time gutter's.
_MARKER = NOTE + 1
_TIME = NOTE + 2
#: The footer shows ``e`` and ``E`` as one entry.
_ERRORS = Binding.Group("Errors", compact=True)
#: New lines are looked through for errors (so that the footer offers e / E) once they stop
#: arriving for this long, and at least this often while they keep arriving: never in the way
#: of a burst (a million lines take about 0.1 s to look through).
_ERRORS_QUIET = 0.25
_ERRORS_EVERY = 2.0


class LogPane(ScrollView, can_focus=True):
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
    /* The time before each line, when timestamps are shown. */
    LogPane > .log-pane--time {
        text-style: dim;
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
        Binding("left,h", "left", "Left", show=False),
        Binding("right,l", "right", "Right", show=False),
        Binding("n", "search_next", "Next match", show=False),
        Binding("N", "search_previous", "Previous match", show=False),
        Binding("escape", "clear_search", "Clear search", show=False),
        # In the footer while the log has errors to go to (and it has room: show_error_keys);
        # otherwise the same keys do the same from the hidden pair ("No errors" if none).
        Binding("e", "next_error", "Next error", group=_ERRORS),
        Binding("E", "previous_error", "Previous error", group=_ERRORS),
        Binding("e", "go_to_error", "Next error", show=False),
        Binding("E", "go_to_error(True)", "Previous error", show=False),
    ]

    following: reactive[bool] = reactive(True, repaint=False)
    """True while the view is pinned to the newest line."""
    unseen: reactive[int] = reactive(0, repaint=False)
    """Lines that arrived while not following (0 when following)."""
    wrap: reactive[bool] = reactive(False)
    """Soft-wrap long lines at the pane's width (no horizontal scrolling then)."""
    timestamps: reactive[bool] = reactive(False)
    """Start each line with the time its chunk was written (local ``HH:MM:SS``)."""
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

    class SearchChanged(Message):
        """A search started, moved on or was cleared: ``text`` is what it looks for, or None."""

        def __init__(self, log_pane: LogPane, text: str | None) -> None:
            super().__init__()
            self.log_pane = log_pane
            self.text = text

        @property
        def control(self) -> LogPane:
            return self.log_pane

    def __init__(
        self,
        *,
        wrap: bool = False,
        timestamps: bool = False,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._store = LineStore()
        self._wrap_index = WrapIndex(self._store, RENDERED_CELL_CAP)
        # Parsed lines (segments and width), by stable line id.
        self._cache: LRUCache[int, tuple[list[Segment], int]] = LRUCache(_CACHE_LINES)
        # Finished rows by (line, first cell, width): each flush moves every row up, and most
        # rows of a slow stream were drawn the frame before. A few screens' worth only, as a
        # Strip also keeps the Strips Textual derives from it. Cleared when indexes shift.
        self._rows: LRUCache[tuple[int, int, int], Strip] = LRUCache(_CACHE_ROWS)
        self._styles: tuple[Style, ...] | None = None
        self._pending_append = 0
        self._pending_prepend = 0
        # Each stream's unfinished line: its text, stream code, width in cells and time.
        self._open: list[tuple[bytes, int, int, int]] = []
        self._open_changed = False
        self._flush_timer: Timer | None = None  # set while a flush is queued
        self._cadence = FlushCadence()
        self._bar = QuietBar()
        self._ready = False
        self._finder = Finder()
        # Where e / E go (found lazily, see errors.py), and the one they went to last (a stable
        # id: line index - store.origin).
        self._errors = ErrorMarks()
        self._error_at: int | None = None
        self._has_errors = False
        self._errors_timer: Timer | None = None  # set while a look for errors is due
        self._errors_looked = -_ERRORS_EVERY  # monotonic time of the last look
        self._lines_came = 0.0  # monotonic time lines last arrived
        self.set_reactive(LogPane.wrap, wrap)
        self.set_reactive(LogPane.timestamps, timestamps)
        self._time_gutter = TIME_GUTTER if timestamps else 0  # cells before each row's text

    # ------------------------------------------------------------------ public API

    @property
    def line_count(self) -> int:
        """Lines held (including any not yet painted)."""
        return len(self._store)

    def line_text(self, index: int) -> str:
        """The sanitised text of line ``index``, colour codes included."""
        return self._store.line(index).decode("utf-8", "replace")

    def line_time(self, index: int) -> int:
        """When line ``index`` was written, in epoch seconds (``store.NO_TIME``: unknown).

        The time of the chunk that completed the line (``joblens.lines``), whatever row the
        line began in.
        """
        return self._store.time(index)

    def write_chunks(self, chunks: Sequence[LogChunk]) -> None:
        """Append sanitised chunks; each becomes its lines, in its stream's colour, at its
        time (``created_at``)."""
        added = 0
        append = self._store.append
        for chunk in chunks:
            added += append(chunk.text, stream_code(chunk.stream), epoch_seconds(chunk.created_at))
        if added:
            self._pending_append += added
            self._schedule_flush()

    def write_note(self, text: str) -> None:
        """Append one line of joblens's own (not the job's output), styled apart, with no
        time."""
        if self._store.append(text.replace("\n", " ") + "\n", NOTE):
            self._pending_append += 1
            self._schedule_flush()

    def show_open_lines(self, chunks: Sequence[LogChunk]) -> None:
        """Show each stream's unfinished line (sanitised, no newline) after the stored lines.

        Called with the current set every time it changes: a line that completed is in the
        store by then (``write_chunks`` first), so it is never shown twice. Each shows the time
        of its chunk (the newest row that added to it), as it will once stored.
        """
        lines = []
        for chunk in chunks:
            if chunk.text:
                raw = chunk.text.encode("utf-8", "replace")
                code, stamp = stream_code(chunk.stream), epoch_seconds(chunk.created_at)
                lines.append((raw, code, display_width(raw), stamp))
        if lines == self._open:
            return
        self._open = lines
        self._open_changed = True
        self._schedule_flush()

    @property
    def open_lines(self) -> list[str]:
        """The unfinished lines shown after the stored ones."""
        return [raw.decode("utf-8", "replace") for raw, _, _, _ in self._open]

    def append_mark(self) -> int:
        """Where the lines appended next begin: a mark ``rewind`` takes (stable across
        prepends)."""
        return len(self._store) - self._store.origin

    def start_mark(self) -> int:
        """The mark before every line, the oldest prepended ones included."""
        return -self._store.origin

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
        self._wrap_index = WrapIndex(self._store, RENDERED_CELL_CAP)
        if self.text_selection is not None:
            self.screen.selections = {
                w: s for w, s in self.screen.selections.items() if w is not self
            }
        self.unseen = max(0, self.unseen - removed)
        self._update_virtual_size()
        if self.following:
            self.scroll_to(y=self.max_scroll_y, animate=False)
        self._paint_bar()
        self.refresh()

    def prepend_chunks(self, chunks: Sequence[LogChunk]) -> None:
        """Insert older chunks before every line, keeping the view on the same lines."""
        added = self._store.prepend(
            (c.text, stream_code(c.stream), epoch_seconds(c.created_at)) for c in chunks
        )
        if added:
            self._pending_prepend += added
            if self._ready:
                # At once: rows shift under the viewport, so rendering must not see it half done.
                self._flush()

    def follow(self) -> None:
        """Scroll to the newest line and stay there as lines arrive."""
        self._flush_pending()
        self.scroll_to(y=self.max_scroll_y, animate=False)
        self.following = True
        self.unseen = 0

    def clear(self) -> None:
        """Forget every line (for showing another job in the same pane)."""
        self._store = LineStore()
        self._wrap_index = WrapIndex(self._store, RENDERED_CELL_CAP)
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

    # ------------------------------------------------------------------ searching

    @property
    def search_text(self) -> str | None:
        """What the pane is searching for (its matches are highlighted), if anything."""
        return None if self._finder.query is None else self._finder.query.text

    @property
    def match_line(self) -> int | None:
        """The line the last search moved to."""
        return self._finder.match_line(self._store)

    def search(self, text: str) -> bool:
        """Search for ``text`` from the top of the view down (wrapping); False if nowhere.

        The view moves to the line found (which pauses following, unless it is on the last
        page) and every match in view is highlighted until ``clear_search``.
        """
        self._flush_pending()
        return self._go_to_match(self._finder.start(self._store, text, self._top_line()))

    def search_next(self, backwards: bool = False) -> bool:
        """Move to the next (or previous) line with a match, wrapping; False if there is none."""
        self._flush_pending()
        return self._go_to_match(self._finder.step(self._store, self._top_line(), backwards))

    def clear_search(self) -> None:
        """Stop highlighting matches."""
        self._finder.clear()
        self.post_message(self.SearchChanged(self, None))
        self.refresh()

    @property
    def _flush_queued(self) -> bool:
        return self._flush_timer is not None

    def _flush_pending(self) -> None:
        if self._pending_append or self._pending_prepend or self._open_changed:
            self._flush()

    def _top_line(self) -> int:
        row = round(self.scroll_y)
        if self._wrapping():
            return self._wrap_index.line_at(row)
        return min(row, max(0, len(self._store) - 1))

    def _go_to_match(self, line: int | None) -> bool:
        """Show ``line`` a third of the way down the view, its first match in view."""
        self.post_message(self.SearchChanged(self, self.search_text))
        self.refresh()
        if line is None:
            return False
        width = self._text_width()
        x = None
        query = self._finder.query
        if query is not None and not self._wrapping():
            spans = match_cells(self._line_segments(line)[0], query)
            start = spans[0][0] if spans else 0
            if not self.scroll_x <= start < self.scroll_x + width - 1:
                x = max(0, start - width // 3)
        self._show_line(line, x)
        return True

    def _show_line(self, line: int, x: int | None = None) -> None:
        """Scroll ``line`` a third of the way down the view (which pauses following, unless it
        is on the last page), and to column ``x`` if given."""
        height = self.scrollable_content_region.height
        self.scroll_to(x=x, y=max(0, self._row_of_line(line) - height // 3), animate=False)

    # ------------------------------------------------------------------ errors

    @property
    def has_errors(self) -> bool:
        """The log has a line ``e`` goes to (a diagnostic's first line, or a STDERR line)."""
        return self._has_errors

    @property
    def error_line(self) -> int | None:
        """The line ``e`` / ``E`` went to last."""
        return None if self._error_at is None else self._error_at + self._store.origin

    def next_error(self, backwards: bool = False) -> tuple[int, bool] | None:
        """Move to the next (previous) diagnostic or STDERR run, wrapping: ``(line, wrapped)``,
        or None when the log has none.

        From the one gone to last; before any, from the top of the view, except while the view
        follows the end: then ``e`` goes to the first error and ``E`` to the last of them.
        """
        self._flush_pending()
        self._find_errors()
        store = self._store
        if self._error_at is None and self.following:
            line = self._errors.last(store) if backwards else self._errors.first_error(store)
            found = None if line is None else (line, False)
        else:
            after = self.error_line
            if after is None:
                after = self._top_line() - (0 if backwards else 1)
            found = self._errors.step(store, after, backwards)
        if found is None:
            return None
        line = found[0]
        self._error_at = line - store.origin
        self._show_line(line, 0 if self.scroll_x and not self._wrapping() else None)
        return found

    def first_error(self) -> int | None:
        """Move to the first error (of severity error, else the first diagnostic or STDERR
        run); the line, or None when the log has none."""
        self._flush_pending()
        self._find_errors()
        line = self._errors.first_error(self._store)
        if line is not None:
            self._error_at = line - self._store.origin
            self._show_line(line, 0 if self.scroll_x and not self._wrapping() else None)
        return line

    def _find_errors_soon(self) -> None:
        """Lines arrived: look through them for errors now if the last look is a while ago,
        else once lines stop coming (``_ERRORS_QUIET``, ``_ERRORS_EVERY``)."""
        now = self._lines_came = monotonic()
        if now - self._errors_looked >= _ERRORS_EVERY:
            self._find_errors()
        elif self._errors_timer is None:
            self._errors_timer = self.set_timer(_ERRORS_QUIET, self._errors_due)

    def _errors_due(self) -> None:
        self._errors_timer = None
        now = monotonic()
        wait = self._lines_came + _ERRORS_QUIET - now
        if wait > 0 and now - self._errors_looked < _ERRORS_EVERY:
            self._errors_timer = self.set_timer(wait, self._errors_due)  # still coming
        elif not self._has_errors:
            self._find_errors()

    def _find_errors(self) -> None:
        """Scan the lines not scanned yet for errors (``errors.py``); say when the log comes to
        have some, or no longer has."""
        self._errors_looked = monotonic()
        self._errors.catch_up(self._store)
        present = bool(self._errors)
        if present != self._has_errors:
            self._has_errors = present
            self.post_message(self.ErrorsChanged(self, present))
            self.refresh_bindings()

    # ------------------------------------------------------------------ flushing

    def _schedule_flush(self) -> None:
        if not self._ready or self._flush_queued:
            return
        wait = self._cadence.wait(monotonic())
        if wait <= 0:
            self._flush()
            return
        self._flush_timer = self.set_timer(wait, self._flush)

    def _flush(self) -> None:
        """Show buffered lines: resize the virtual area, then pin or count what arrived."""
        if self._flush_timer is not None:
            self._flush_timer.stop()
            self._flush_timer = None
        self._cadence.flushed(monotonic())
        appended, prepended = self._pending_append, self._pending_prepend
        self._pending_append = self._pending_prepend = 0
        if not (appended or prepended or self._open_changed):
            return
        self._open_changed = False
        if prepended:
            self._rows.clear()  # every line's index moved
            self._shift_selection(prepended)
        old_y = self.scroll_y
        old_rows = self.virtual_size.height
        # Decide before the area grows: at the end (or scrolling to it) and not dragging.
        pin = not self.is_vertical_scrollbar_grabbed and (
            self.following or round(self.scroll_target_y) >= self.max_scroll_y
        )
        relaid = self._update_virtual_size()
        if pin:
            self.scroll_to(y=self.max_scroll_y, animate=False)
            self.following = True
            self.unseen = 0
            if relaid:
                # A horizontal scrollbar came or went: the view's height changes only once the
                # layout is done, and the newest line must not end up under the bar.
                self.call_after_refresh(self._keep_pinned)
        else:
            if prepended:
                shift = self._row_of_line(prepended)
                self.scroll_to(y=old_y + shift, animate=False)
            self.unseen += appended
        self._paint_bar()
        if pin or prepended or old_rows < old_y + self.scrollable_content_region.height:
            self.refresh()
        if (appended or prepended) and not self._has_errors:
            self._find_errors_soon()  # until the first is found (for the footer); then on e

    def _shift_selection(self, lines: int) -> None:
        """Keep a selection on the same lines when ``lines`` older ones arrive above it."""
        selection = self.text_selection
        if selection is None:
            return
        start, end = (None if o is None else Offset(o.x, o.y + lines) for o in selection)
        self.screen.selections = {**self.screen.selections, self: Selection(start, end)}

    def _keep_pinned(self) -> None:
        if self.following:
            self.scroll_to(y=self.max_scroll_y, animate=False)

    def _open_rows(self, width: int) -> list[int]:
        """Rows each unfinished line takes (wrapped at ``width`` when wrapping, else one)."""
        if width <= 0:
            return [1] * len(self._open)
        return [max(1, -(-min(w, RENDERED_CELL_CAP) // width)) for _, _, w, _ in self._open]

    def _update_virtual_size(self) -> bool:
        """Size the scrollable area to the lines (and unfinished lines); True if laid out."""
        if self.wrap:
            width = self.scrollable_content_region.width
            if width <= 0:  # not laid out yet: sized on the first Resize
                return self._set_virtual_size(Size(0, len(self._store) + len(self._open)))
            text_width = self._text_width()
            rows = self._wrap_index.update(text_width) + sum(self._open_rows(text_width))
            return self._set_virtual_size(Size(width, rows))
        widest = max([self._store.max_width, *(w for _, _, w, _ in self._open)])
        width = min(widest, RENDERED_CELL_CAP) + self._time_gutter
        return self._set_virtual_size(Size(width, len(self._store) + len(self._open)))

    def _set_virtual_size(self, size: Size) -> bool:
        """Grow the scrollable area without a screen layout when no scrollbar appears.

        Assigning ``virtual_size`` re-lays out and repaints the whole screen; at 60 flushes a
        second that was most of the CPU while streaming. The vertical scrollbar is always
        shown (``overflow-y: scroll``), so only the horizontal one can come or go. Returns
        True when the screen is laid out again (the view's height may change with it).
        """
        old = self.virtual_size
        if size == old:
            return False
        view_width = self.scrollable_content_region.width
        height = self.styles.height
        if (
            not self.is_mounted
            or (old.width > view_width) != (size.width > view_width)
            or (height is not None and height.is_auto)  # the pane's own size follows content
        ):
            self.virtual_size = size
            return True
        self.set_reactive(LogPane.virtual_size, size)
        # What Widget._scroll_update does, but the vertical bar repaints only if it looks
        # different (a third of the streaming CPU went into repainting an unchanged bar).
        view = self.container_size
        if self.show_vertical_scrollbar:  # painted by the caller, once the view has moved
            window = view.height - self.scrollbar_size_horizontal
            self._bar.set(self.vertical_scrollbar, virtual_size=size.height, window_size=window)
        if self.show_horizontal_scrollbar:
            self.horizontal_scrollbar.window_virtual_size = size.width
            self.horizontal_scrollbar.window_size = view.width - self.scrollbar_size_vertical
        self.scroll_x = self.validate_scroll_x(self.scroll_x)
        self.scroll_y = self.validate_scroll_y(self.scroll_y)
        return False

    def _text_width(self) -> int:
        """Cells of each row the text gets: the view's width less the time gutter (if shown,
        and at least one cell once laid out)."""
        width = self.scrollable_content_region.width
        if self._time_gutter and width > 0:
            return max(1, width - self._time_gutter)
        return width

    def _wrapping(self) -> bool:
        return self.wrap and self._wrap_index.width == self._text_width()

    def _row_of_line(self, line: int) -> int:
        return self._wrap_index.row_of(line) if self._wrapping() else line

    def _relayout(self, top_line: int) -> None:
        """Recount rows (wrap toggled or width changed), keeping ``top_line`` at the top."""
        following = self.following
        self._update_virtual_size()
        if following:
            self.scroll_to(y=self.max_scroll_y, animate=False)
        else:
            self.scroll_to(y=self._row_of_line(top_line), animate=False)
        self._paint_bar()
        self.refresh()

    def _paint_bar(self) -> None:
        """Repaint the vertical bar if the flush or relayout just done moved its thumb."""
        if self.show_vertical_scrollbar:
            self._bar.paint(self.vertical_scrollbar)

    # ------------------------------------------------------------------ events and watchers

    def on_mount(self) -> None:
        self._ready = True
        self._flush_pending()

    def on_resize(self, event: Resize) -> None:
        if self.wrap and self._wrap_index.width != self._text_width():
            top = self._wrap_index.line_at(round(self.scroll_y))
            self._relayout(top if self._wrap_index.width else 0)
        elif self.following:
            self.scroll_to(y=self.max_scroll_y, animate=False)

    def watch_wrap(self, wrap: bool) -> None:
        if not self._ready:
            return
        row = round(self.scroll_y)
        if wrap:
            top_line = row  # the rows were lines until now
        else:
            top_line = self._wrap_index.line_at(row)
            self._wrap_index.width = 0
        self.scroll_to(x=0, animate=False)
        self._relayout(top_line)

    def watch_timestamps(self, timestamps: bool) -> None:
        wrapped = self._ready and self._wrapping()  # rows counted without (or with) the gutter
        self._time_gutter = TIME_GUTTER if timestamps else 0
        if not self._ready:
            return
        self._rows.clear()  # finished rows have (or lack) the gutter
        # Wrapped, the text's width changes with the gutter: keep the top line in view.
        row = round(self.scroll_y)
        self._relayout(self._wrap_index.line_at(row) if wrapped else row)

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        # ScrollView's watcher, but the bar repaints only when its thumb moves on screen.
        if self.show_vertical_scrollbar:
            self._bar.set(self.vertical_scrollbar, position=new_value)
            self._bar.paint(self.vertical_scrollbar)
        if round(old_value) != round(new_value):
            self.refresh(self.size.region)
        if not self.app.animator.is_being_animated(self, "scroll_y"):
            # Keep the target honest when scroll_y is set directly.
            self.scroll_target_y = new_value
        if round(new_value) >= self.max_scroll_y:
            self.following = True
            self.unseen = 0
        else:
            self.following = False

    def watch_following(self, following: bool) -> None:
        self.post_message(self.FollowingChanged(self, following, self.unseen))

    def watch_unseen(self, unseen: int) -> None:
        self.post_message(self.FollowingChanged(self, self.following, unseen))

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles = None
        self._cache.clear()
        self._rows.clear()

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
        return True

    def action_clear_search(self) -> None:
        if self._finder.query is None:
            raise SkipAction()  # Escape means something else to the screen
        self.clear_search()

    # ------------------------------------------------------------------ rendering

    def _stream_styles(self) -> tuple[Style, ...]:
        """Base styles by stream code (STDOUT, STDERR, SYSTEM, NOTE), then the marker's and
        the time gutter's."""
        if self._styles is None:
            base = self.rich_style
            self._styles = (
                base,
                base + self.get_component_rich_style("log-pane--stderr", partial=True),
                base + self.get_component_rich_style("log-pane--system", partial=True),
                base + self.get_component_rich_style("log-pane--note", partial=True),
                base + self.get_component_rich_style("log-pane--marker", partial=True),
                base + self.get_component_rich_style("log-pane--time", partial=True),
            )
        return self._styles

    def _line_segments(self, index: int) -> tuple[list[Segment], int]:
        key = index - self._store.origin  # stable across prepends
        cached = self._cache.get(key)
        if cached is None:
            styles = self._stream_styles()
            code = self._store.stream(index)
            style = styles[code] if code <= NOTE else styles[0]
            raw = self._store.line(index)
            store = self._store

            def nearby(offset: int) -> str | None:
                # Called only for the gutter of a diagnostic frame (╷ │ ╵): a few lines around.
                at = index + offset
                return store.line(at).decode("utf-8", "replace") if 0 <= at < len(store) else None

            tinted = style is not styles[0]  # STDERR and SYSTEM keep their colour
            cached = line_segments(
                raw, style, styles[_MARKER], self.app.console, nearby, tinted=tinted
            )
            self._cache[key] = cached
        return cached

    def render_lines(self, crop: Region) -> list[Strip]:
        started = perf_counter()
        lines = super().render_lines(crop)
        self._cadence.painted(perf_counter() - started)  # streams are throttled by this cost
        return lines

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        row = scroll_y + y
        width = self.scrollable_content_region.width
        text_width = self._text_width() if self._time_gutter else width
        base = self._stream_styles()[0]
        if self._wrapping():
            if row >= self._wrap_index.total:
                return self._open_row(row - self._wrap_index.total, text_width, 0, base)
            line, sub = self._wrap_index.locate(row)
            start = sub * text_width
        else:
            if row >= len(self._store):
                return self._open_row(row - len(self._store), text_width, scroll_x, base)
            line, sub, start = row, 0, scroll_x
        selection = self.text_selection
        plain = selection is None and self._finder.query is None
        if plain and (strip := self._rows.get((line, start, width))) is not None:
            return strip
        segments, length = self._line_segments(line)
        for match, current in self._finder.highlights(self._store, line, segments):
            name = "log-pane--current-match" if current else "log-pane--match"
            style = self.get_component_rich_style(name, partial=True)
            segments = highlight(segments, length, match, style)
        if selection is not None and (span := selection.get_span(line)) is not None:
            style = self.screen.get_component_rich_style("screen--selection")
            segments = highlight(segments, length, span, style)
        # Offsets (column in the line, line) let the mouse select text, as in Textual's Log.
        if self._time_gutter:
            stamp = self._store.time(line) if sub == 0 else NO_TIME
            row_cells = row_segments(segments, length, start, text_width, base)
            strip = self._with_gutter(row_cells, text_width, stamp, width, (start, line))
        else:
            strip = row_strip(segments, length, start, width, base).apply_offsets(start, line)
        if plain:
            self._rows[line, start, width] = strip
        return strip

    def _with_gutter(
        self,
        row: list[Segment],
        text_width: int,
        stamp: int,
        width: int,
        offset: tuple[int, int] | None,
    ) -> Strip:
        """A row's text (``text_width`` cells) after its time gutter, cut to the view's
        ``width``; with selection offsets when ``offset`` is given (see ``gutter_row``)."""
        styles = self._stream_styles()
        strip = gutter_row(stamp, styles[_TIME], styles[0], row, text_width, offset)
        return strip if strip.cell_length <= width else strip.crop(0, width)

    def _open_row(self, row: int, width: int, scroll_x: int, base: Style) -> Strip:
        """Row ``row`` of the unfinished lines (after the stored ones); blank past them.

        ``width`` is the text's (the view's, less the time gutter when it is shown).
        """
        wrapping = self._wrapping()
        view_width = self.scrollable_content_region.width
        for (raw, code, _, stamp), rows in zip(self._open, self._open_rows(width), strict=True):
            if row >= rows if wrapping else row > 0:
                row -= rows if wrapping else 1
                continue
            styles = self._stream_styles()
            style = styles[code] if code <= NOTE else styles[0]
            segments, length = line_segments(raw, style, styles[_MARKER], self.app.console)
            start = row * width if wrapping else scroll_x
            if not self._time_gutter:
                return row_strip(segments, length, start, width, base)
            stamp = stamp if row == 0 or not wrapping else NO_TIME
            cells = row_segments(segments, length, start, width, base)
            return self._with_gutter(cells, width, stamp, view_width, None)
        return Strip.blank(view_width, base)

    def get_selection(self, selection: Selection) -> tuple[str, str] | None:
        """The selected text, without colour codes (what Ctrl+C copies)."""
        if not len(self._store):
            return None
        first = selection.start.y if selection.start is not None else 0
        last = selection.end.y if selection.end is not None else len(self._store) - 1
        last = min(last, len(self._store) - 1)
        lines = [expand_tabs(strip_sgr(self.line_text(i))) for i in range(first, last + 1)]
        shifted = Selection(
            None if selection.start is None else Offset(selection.start.x, 0),
            None if selection.end is None else Offset(selection.end.x, last - first),
        )
        return shifted.extract("\n".join(lines)), "\n"
