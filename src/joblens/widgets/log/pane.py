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

from collections.abc import Iterator, Sequence
from time import monotonic, perf_counter
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual.actions import SkipAction
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.events import Click, Resize
from textual.geometry import Offset, Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.selection import Selection
from textual.strip import Strip
from textual.timer import Timer

from joblens.models import LogChunk
from joblens.widgets.log.cadence import FlushCadence
from joblens.widgets.log.errors import ErrorMarks
from joblens.widgets.log.folds import Fold
from joblens.widgets.log.lens import LogLens
from joblens.widgets.log.log_filter import LogFilter
from joblens.widgets.log.render import (
    RENDERED_CELL_CAP,
    TIME_GUTTER,
    gutter_cells,
    gutter_row,
    highlight,
    line_segments,
    row_segments,
    row_strip,
)
from joblens.widgets.log.scrollbar import QuietBar
from joblens.widgets.log.search import Finder, match_cells, no_match_message
from joblens.widgets.log.shown import EntryRows
from joblens.widgets.log.store import (
    NO_TIME,
    NOTE,
    LineStore,
    display_width,
    epoch_seconds,
    stream_code,
)
from joblens.widgets.log.wrap import WrapIndex

#: Columns moved by one press of left/right (or h/l).
_HORIZONTAL_STEP = 8
#: Rendered lines kept (a few screens of a large terminal).
_CACHE_LINES = 1024
_CACHE_ROWS = 512
#: Index of the "… (N more characters)" style in ``_stream_styles``, of the gutter's (line
#: numbers and times) and of a fold's summary line.
_MARKER = NOTE + 1
_TIME = NOTE + 2
_FOLD = NOTE + 3
#: The pause between slices of the filter's scan and of the search's count (``lens.py``): one
#: key or frame can always come between two.
_SCAN_PAUSE = 0.001
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

    following: reactive[bool] = reactive(True, repaint=False)
    """True while the view is pinned to the newest line."""
    unseen: reactive[int] = reactive(0, repaint=False)
    """Lines that arrived while not following (0 when following)."""
    wrap: reactive[bool] = reactive(False)
    """Soft-wrap long lines at the pane's width (no horizontal scrolling then)."""
    timestamps: reactive[bool] = reactive(False)
    """Start each line with the time its chunk was written (local ``HH:MM:SS``)."""
    line_numbers: reactive[bool] = reactive(False)
    """Start each line with its number in the log (1 for the first line held)."""
    folding: reactive[bool] = reactive(True)
    """Fold runs of Terraform's noise (``folds.py``) into one summary line each."""
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

    def __init__(
        self,
        *,
        wrap: bool = False,
        timestamps: bool = False,
        line_numbers: bool = False,
        folding: bool = True,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._store = LineStore()
        # What the rows are: every line, folds, a filter's lines (lens.py).
        self._lens = LogLens(self._store, folding)
        # Parsed lines (segments and width), by stable line id.
        self._cache: LRUCache[int, tuple[list[Segment], int]] = LRUCache(_CACHE_LINES)
        # Finished rows by (line, entry, first cell, width): each flush moves every row up, and most
        # rows of a slow stream were drawn the frame before. A few screens' worth only, as a
        # Strip also keeps the Strips Textual derives from it. Cleared when indexes shift.
        self._rows: LRUCache[tuple[int, int, int, int], Strip] = LRUCache(_CACHE_ROWS)
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
        # The next slices of the filter's scan and of the search's count (lens.py).
        self._scan_timer: Timer | None = None
        self._count_timer: Timer | None = None
        self.set_reactive(LogPane.wrap, wrap)
        self.set_reactive(LogPane.timestamps, timestamps)
        self.set_reactive(LogPane.line_numbers, line_numbers)
        self.set_reactive(LogPane.folding, folding)
        self._digits = 0  # cells of the line numbers (0: not shown)
        self._gutter = self._gutter_width()  # cells before each row's text

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

    def read_blocks(self, start: int, stop: int) -> Iterator[tuple[bytes, Sequence[int], bytes]]:
        """Lines ``start:stop`` a block at a time, undecoded: ``(data, starts, streams)``.

        Line ``j``'s UTF-8 text, colour codes included, is ``data[starts[j] : end - 1]``, where
        ``end`` is ``starts[j + 1]``, or ``len(data)`` for the last; ``data`` may begin with
        lines before them. For readers of the whole log (the error digest), which look at few
        lines: nothing is decoded, and nothing copied per line. Read each before the pane
        takes more lines."""
        store = self._store
        stop = min(stop, len(store))
        while start < stop:
            block, i = store.locate(start)
            end = min(len(block), i + stop - start)
            last = block.starts[end] if end < len(block) else block.used
            data = bytes(memoryview(block.data)[:last])  # one copy (a slice would be two)
            yield data, block.starts[i:end], bytes(block.streams[i:end])
            start += end - i

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
        self._lens.rewound()
        self._drop_selection()
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

    # ------------------------------------------------------------------ searching

    @property
    def search_text(self) -> str | None:
        """What the pane is searching for (its matches are highlighted), if anything."""
        return None if self._finder.query is None else self._finder.query.text

    @property
    def match_line(self) -> int | None:
        """The line the last search moved to."""
        return self._finder.match_line(self._store)

    def search(self, text: str, regex: bool = False) -> bool:
        """Search for ``text`` (a regular expression, with ``regex``) from the top of the view
        down (wrapping); False if nowhere.

        The view moves to the line found (which pauses following, unless it is on the last
        page) and every match in view is highlighted until ``clear_search``; the matches are
        counted meanwhile, a slice at a time (``search_count``). A line the filter hides is
        passed over. Raises ``search.BadPattern`` for a ``regex`` that does not compile.
        """
        self._flush_pending()
        found = self._finder.start(self._store, text, self._top_line(), regex)
        found = self._shown_match(found, backwards=False)
        if found is not None:
            self._count_matches()
        return self._go_to_match(found)

    def search_next(self, backwards: bool = False) -> bool:
        """Move to the next (or previous) line with a match, wrapping (and saying so); False if
        there is none."""
        self._flush_pending()
        before = self.match_line
        found = self._finder.step(self._store, self._top_line(), backwards)
        found = self._shown_match(found, backwards)
        went_back = found is not None and before is not None and found - before <= 0
        if found is not None and before is not None and (found == before or went_back != backwards):
            where = "bottom" if backwards else "top"
            self.notify(f"Search wrapped around to the {where}", markup=False)
        return self._go_to_match(found)

    def _shown_match(self, found: int | None, backwards: bool) -> int | None:
        """``found``, or, while a filter hides it, the next match that is shown (None if
        none is)."""
        shown = self._lens.shown
        if found is None or self._lens.scan is None or shown is None:
            return found
        first = found
        while not shown.shows(found):
            found = self._finder.step(self._store, self._top_line(), backwards)
            if found is None or found == first:
                return None
        return found

    @property
    def search_count(self) -> tuple[int, int, bool] | None:
        """Where the search stands: ``(the match moved to, counting from 1; matches in all;
        counted to the end)``, None without a search. Matches are occurrences, as vim counts."""
        return self._lens.search_count(self.match_line)

    def _count_matches(self) -> None:
        """Count the search's matches anew, a slice now and the rest between keys."""
        if self._count_timer is not None:
            self._count_timer.stop()
            self._count_timer = None
        self._lens.count_matches(self._finder.query)
        self._count_soon()

    def _count_soon(self) -> None:
        if self._count_timer is None and self._lens.count is not None:
            self._count_timer = self.set_timer(_SCAN_PAUSE, self._count_more)

    def _count_more(self) -> None:
        self._count_timer = None
        if not self._lens.count_step():
            self._count_soon()
        self.post_message(self.SearchChanged(self, self.search_text))

    def clear_search(self) -> None:
        """Stop highlighting matches."""
        self._finder.clear()
        if self._count_timer is not None:
            self._count_timer.stop()
            self._count_timer = None
        self._lens.count_matches(None)
        self.post_message(self.SearchChanged(self, None))
        self.refresh_bindings()
        self.refresh()

    @property
    def _flush_queued(self) -> bool:
        return self._flush_timer is not None

    def _flush_pending(self) -> None:
        if self._pending_append or self._pending_prepend or self._open_changed:
            self._flush()

    def _top_line(self) -> int:
        return self._line_at_row(round(self.scroll_y))

    def _go_to_match(self, line: int | None) -> bool:
        """Show ``line`` a third of the way down the view, its first match in view."""
        self.post_message(self.SearchChanged(self, self.search_text))
        self.refresh_bindings()  # Escape clears it now
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
        is on the last page), and to column ``x`` if given. A fold holding it opens."""
        self._open_fold_of(line)
        height = self.scrollable_content_region.height
        self.scroll_to(x=x, y=max(0, self._row_of_line(line) - height // 3), animate=False)

    # ------------------------------------------------------------------ saving and copying

    def visible_text(self) -> str:
        """The lines in view as shown (a fold as its summary), without colour codes, one per
        line: what ``Y`` copies. A line wrapped over several rows counts once, whole."""
        self._flush_pending()
        top = round(self.scroll_y)
        height = self.scrollable_content_region.height
        count = self._entry_count()
        entries: dict[int, None] = {}
        for row in range(top, top + height):
            if self._wrapping():
                rows = self._row_map()
                if row >= rows.total:
                    break
                entries.setdefault(rows.locate(row)[0])
            elif row < count:
                entries.setdefault(row)
        return "\n".join(self._lens.entry_text(entry) for entry in entries)

    def export_lines(self) -> Iterator[str]:
        """Every line the filter passes (every line, without one), oldest first, without colour
        codes: what ``S`` saves and ``|`` pages (``LogLens.export_lines``; the iterator may be
        read in a worker thread)."""
        self._flush_pending()
        return self._lens.export_lines()

    # ------------------------------------------------------------------ filtering

    @property
    def filter(self) -> LogFilter | None:
        """The filter in use: only the lines it passes are shown."""
        return self._lens.filter

    @property
    def filter_progress(self) -> tuple[int, int, bool]:
        """``(lines shown, lines looked at, done)`` of the filter in use (every line: done)."""
        return self._lens.filter_progress

    def set_filter(self, log_filter: LogFilter | None) -> None:
        """Show only the lines ``log_filter`` passes (None: every line), live as lines arrive.

        The first slice of the log is looked at here, so its first matches show at once; the
        rest a slice at a time between keys (``MatchScan``), the view following the end (or
        staying on the line at its top) meanwhile. Raises ``search.BadPattern`` for a regular
        expression that does not compile, leaving the filter in use as it was.
        """
        self._flush_pending()
        top_line = self._top_line()
        self._lens.set_filter(log_filter)
        if self._scan_timer is not None:
            self._scan_timer.stop()
            self._scan_timer = None
        self._scan_soon()
        self._redraw(top_line)
        self.post_message(self.FilterChanged(self))
        self.refresh_bindings()

    def _scan_soon(self) -> None:
        """Have the filter look at more lines in a moment (it never blocks keys for long)."""
        if self._scan_timer is None and self._lens.scan is not None:
            self._scan_timer = self.set_timer(_SCAN_PAUSE, self._scan_more)

    def _scan_more(self) -> None:
        self._scan_timer = None
        grew, done = self._lens.scan_step()
        if grew:
            self._show_entries_grew()
        if not done:
            self._scan_soon()
        self.post_message(self.FilterChanged(self))

    def _show_entries_grew(self) -> None:
        """The filter found more lines: size the view, keeping the end (when following) or
        the line at the top in view."""
        pin = self.following and not self.is_vertical_scrollbar_grabbed
        top_line = None if pin else self._top_line()
        self._update_virtual_size()
        if pin:
            self.scroll_to(y=self.max_scroll_y, animate=False)
        elif top_line is not None:
            self.scroll_to(y=self._row_of_line(top_line), animate=False)
        self._paint_bar()
        self.refresh()

    # ------------------------------------------------------------------ folds

    @property
    def folds(self) -> list[Fold]:
        """The runs of noise found so far (``folds.py``), folded or opened; found only while
        folding is on."""
        return self._lens.finder.folds

    @property
    def folded(self) -> list[Fold]:
        """The runs shown folded now, as one summary line each."""
        return self._lens.folded

    def open_fold(self, fold: Fold, opened: bool = True) -> None:
        """Show the lines of ``fold`` (or fold them again), keeping the view where it is."""
        lens = self._lens
        if opened == (fold.first in lens.opened):
            return
        line = fold.first + self._store.origin
        on_screen = self._row_of_line(line) - round(self.scroll_y)  # where its row is now
        if opened:
            lens.opened.add(fold.first)
        else:
            lens.opened.discard(fold.first)
        self._redraw()
        # Its first line stays where the fold was (which pauses following, unless the end is
        # still in view).
        self.scroll_to(y=max(0, self._row_of_line(line) - on_screen), animate=False)

    def _open_fold_of(self, line: int) -> None:
        """Open the folded run that holds ``line``, if one does."""
        fold = self._lens.fold_holding(line)
        if fold is not None:
            self._lens.opened.add(fold.first)
            self._redraw(line)

    def _redraw(self, top_line: int | None = None) -> None:
        """Take the entries anew (folding toggled, a fold opened or closed, a filter set),
        keeping ``top_line`` (by default the line at the top now) at the top, or the end in
        view while following."""
        if top_line is None:
            top_line = self._top_line()
        self._lens.reshow()
        self._rows.clear()
        self._drop_selection()
        self._relayout(top_line)

    def _drop_selection(self) -> None:
        if self.text_selection is not None:
            self.screen.selections = {
                w: s for w, s in self.screen.selections.items() if w is not self
            }

    def action_toggle_folding(self) -> None:
        folding = not self.folding
        if folding:
            self._lens.opened.clear()  # fold everything again
        self.folding = folding
        if folding and not self.folded:
            self.notify("Nothing to fold yet", markup=False)

    def action_toggle_fold(self) -> None:
        """Open the first folded run in view; else fold again the first opened one in view."""
        top = round(self.scroll_y)
        height = self.scrollable_content_region.height
        lines = {self._line_at_row(row) for row in range(top, top + height)}
        ids = {line - self._store.origin for line in lines}
        for fold in self.folded:
            if fold.first in ids:
                self.open_fold(fold)
                return
        for fold in self.folds:
            if fold.first in self._lens.opened and fold.first in ids:
                self.open_fold(fold, opened=False)
                return
        raise SkipAction()

    def on_click(self, event: Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None or self._lens.shown is None:
            return
        row = round(self.scroll_y) + offset.y
        if self._wrapping():
            rows = self._row_map()
            if row >= rows.total:
                return
            entry = rows.locate(row)[0]
        elif row < self._entry_count():
            entry = row
        else:
            return
        fold = self._lens.fold_at(entry)
        if fold is not None:
            event.stop()
            self.open_fold(fold)

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

    def go_to_line(self, index: int) -> bool:
        """Move to line ``index`` as ``e`` moves to an error (a third of the way down the
        view, which pauses following unless it is on the last page); ``e`` / ``E`` go on from
        there. False if the pane has no such line."""
        self._flush_pending()
        if not 0 <= index < len(self._store):
            return False
        self._error_at = index - self._store.origin
        self._show_line(index, 0 if self.scroll_x and not self._wrapping() else None)
        return True

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
        old_y = self.scroll_y
        old_rows = self.virtual_size.height
        # Decide before the area grows: at the end (or scrolling to it) and not dragging.
        pin = not self.is_vertical_scrollbar_grabbed and (
            self.following or round(self.scroll_target_y) >= self.max_scroll_y
        )
        # With folds (or a filter) rows are entries, not lines: the line at the top is kept in
        # view by its index, taken now (entries name lines by stable ids: prepended lines are
        # counted in already). Rows that are lines move down by the lines prepended.
        projected = self._lens.shown is not None
        top_line = None if pin else self._top_line()
        if prepended:
            self._rows.clear()  # every line's index moved
            if self._lens.shown is None:
                self._shift_selection(prepended)
            else:
                self._drop_selection()  # entries are made anew
            self._lens.prepended(prepended)
        if appended or prepended:
            self._count_soon()  # the search's matches among the new lines
            self._scan_soon()  # the filter's
            if self._lens.appended():
                self._rows.clear()  # rows near the end may show other entries now
                projected = True
        if self.line_numbers and len(str(len(self._store))) > self._digits:
            self._regutter()  # the line numbers grew a digit
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
            if top_line is not None and projected:
                self.scroll_to(y=self._row_of_line(top_line), animate=False)
            elif prepended:
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
        """Size the scrollable area to the entries (and unfinished lines); True if laid out."""
        opened = self._shown_open()
        if self.wrap:
            width = self.scrollable_content_region.width
            if width <= 0:  # not laid out yet: sized on the first Resize
                return self._set_virtual_size(Size(0, self._entry_count() + len(opened)))
            text_width = self._text_width()
            rows = self._row_map().update(text_width) + sum(self._open_rows(text_width))
            return self._set_virtual_size(Size(width, rows))
        widest = max([self._store.max_width, *(w for _, _, w, _ in opened)])
        width = min(widest, RENDERED_CELL_CAP) + self._gutter
        return self._set_virtual_size(Size(width, self._entry_count() + len(opened)))

    # ------------------------------------------------------------------ entries

    def _entry_count(self) -> int:
        """Entries shown (lines, or folds and lines, or a filter's lines): see ``lens.py``."""
        return self._lens.entry_count()

    def _entry_line(self, entry: int) -> int:
        """The store index of the line shown as ``entry`` (a fold's first line)."""
        return self._lens.entry_line(entry)

    def _entry_of(self, line: int) -> int:
        """The entry showing ``line`` (a fold's, or the one before a line filtered out)."""
        return self._lens.entry_of(line)

    def _row_map(self) -> WrapIndex | EntryRows:
        """Rows of the wrapped entries: of every line, or of the entries shown."""
        return self._lens.row_map()

    def _shown_open(self) -> list[tuple[bytes, int, int, int]]:
        """The unfinished lines shown after the entries: none while a filter picks lines."""
        return self._open if self._lens.shows_open() else []

    def _gutter_width(self) -> int:
        """Cells before each row's text: line numbers (and a space), then the time."""
        if self.line_numbers:
            self._digits = max(4, len(str(len(self._store))))
        else:
            self._digits = 0
        numbers = self._digits + 1 if self._digits else 0
        return numbers + (TIME_GUTTER if self.timestamps else 0)

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
        """Cells of each row the text gets: the view's width less the gutter (if shown, and at
        least one cell once laid out)."""
        width = self.scrollable_content_region.width
        if self._gutter and width > 0:
            return max(1, width - self._gutter)
        return width

    def _wrapping(self) -> bool:
        return self.wrap and self._row_map().width == self._text_width()

    @property
    def top_line(self) -> int:
        """The line shown at the top of the view (a fold's first line, for a fold)."""
        return self._top_line()

    def row_of(self, line: int) -> int:
        """The first row showing ``line`` (its fold's, or the one before it when the
        filter hides it): rows are not lines once lines wrap, fold or are filtered out."""
        return self._row_of_line(line)

    def _row_of_line(self, line: int) -> int:
        entry = self._entry_of(line)
        return self._row_map().row_of(entry) if self._wrapping() else entry

    def _line_at_row(self, row: int, wrapped: bool | None = None) -> int:
        """The line shown on ``row`` (the top of the view, say): a fold's first line.

        ``wrapped`` says the rows are wrapped rows as last counted (by default: if the view
        wraps at its present width); after a resize they are counted at the old width.
        """
        count = self._entry_count()
        if not count:
            return 0
        if self._wrapping() if wrapped is None else wrapped:
            entry = self._row_map().locate(min(row, self._row_map().total - 1))[0]
        else:
            entry = min(row, count - 1)
        return self._entry_line(max(0, entry))

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
        rows = self._row_map()
        if self.wrap and rows.width != self._text_width():
            top = self._line_at_row(round(self.scroll_y), wrapped=True) if rows.width else 0
            self._relayout(top)
        elif self.following:
            self.scroll_to(y=self.max_scroll_y, animate=False)

    def watch_wrap(self, wrap: bool) -> None:
        if not self._ready:
            return
        row = round(self.scroll_y)
        top_line = self._line_at_row(row, wrapped=not wrap)  # as the rows were until now
        if not wrap:
            self._row_map().width = 0
        self.scroll_to(x=0, animate=False)
        self._relayout(top_line)

    def _regutter(self) -> None:
        """The gutter changed (timestamps or line numbers toggled, or the numbers grew a
        digit): rows are drawn again, and wrapped rows counted again at the new text width,
        keeping the top line in view."""
        wrapped = self._ready and self._wrapping()  # rows counted without (or with) the gutter
        top_line = self._line_at_row(round(self.scroll_y), wrapped=wrapped) if self._ready else 0
        self._gutter = self._gutter_width()
        if not self._ready:
            return
        self._rows.clear()  # finished rows have (or lack) the gutter
        self._relayout(top_line)

    def watch_timestamps(self, timestamps: bool) -> None:
        self._regutter()

    def watch_line_numbers(self, line_numbers: bool) -> None:
        self._regutter()

    def watch_folding(self, folding: bool) -> None:
        self._lens.folding = folding
        if self._ready:
            self._redraw()

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
                base + self.get_component_rich_style("log-pane--fold", partial=True),
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
        text_width = self._text_width() if self._gutter else width
        base = self._stream_styles()[0]
        count = self._entry_count()
        if self._wrapping():
            rows = self._row_map()
            if row >= rows.total:
                return self._open_row(row - rows.total, text_width, 0, base)
            entry, sub = rows.locate(row)
            start = sub * text_width
        else:
            if row >= count:
                return self._open_row(row - count, text_width, scroll_x, base)
            entry, sub, start = row, 0, scroll_x
        line = self._entry_line(entry)
        if (fold := self._lens.fold_at(entry)) is not None:
            return self._fold_row(fold, line, entry, start, text_width, width)
        selection = self.text_selection
        plain = selection is None and self._finder.query is None
        key = (line, entry, start, width)
        if plain and (strip := self._rows.get(key)) is not None:
            return strip
        segments, length = self._line_segments(line)
        for match, current in self._finder.highlights(self._store, line, segments):
            name = "log-pane--current-match" if current else "log-pane--match"
            style = self.get_component_rich_style(name, partial=True)
            segments = highlight(segments, length, match, style)
        if selection is not None and (span := selection.get_span(entry)) is not None:
            style = self.screen.get_component_rich_style("screen--selection")
            segments = highlight(segments, length, span, style)
        # Offsets (column in the line, entry) let the mouse select text, as in Textual's Log.
        if self._gutter:
            gutter = self._gutter_text(line if sub == 0 else None)
            row_cells = row_segments(segments, length, start, text_width, base)
            strip = self._with_gutter(row_cells, text_width, gutter, width, (start, entry))
        else:
            strip = row_strip(segments, length, start, width, base).apply_offsets(start, entry)
        if plain:
            self._rows[key] = strip
        return strip

    def _gutter_text(self, line: int | None, stamp: int | None = None) -> str:
        """The gutter of a row of ``line`` (None: a row it wraps onto, or an unfinished line,
        whose time is ``stamp``)."""
        number = None if not self._digits else (0 if line is None else line + 1)
        if not self.timestamps:
            stamp = None
        elif line is not None:
            stamp = self._store.time(line)
        elif stamp is None:
            stamp = NO_TIME
        return gutter_cells(number, self._digits, stamp)

    def _fold_row(
        self, fold: Fold, line: int, entry: int, start: int, text_width: int, width: int
    ) -> Strip:
        """The one row of a folded run: what it holds, and how to open it."""
        styles = self._stream_styles()
        text = f"▸ {self._lens.fold_summary(fold)}"
        segments = [Segment(text, styles[_FOLD])]
        length = len(text)
        base = styles[0]
        if self._gutter:
            cells = row_segments(segments, length, start, text_width, base)
            return self._with_gutter(cells, text_width, self._gutter_text(line), width, None)
        return row_strip(segments, length, start, width, base)

    def _with_gutter(
        self,
        row: list[Segment],
        text_width: int,
        gutter: str,
        width: int,
        offset: tuple[int, int] | None,
    ) -> Strip:
        """A row's text (``text_width`` cells) after its gutter, cut to the view's ``width``;
        with selection offsets when ``offset`` is given (see ``gutter_row``)."""
        styles = self._stream_styles()
        strip = gutter_row(gutter, styles[_TIME], styles[0], row, text_width, offset)
        return strip if strip.cell_length <= width else strip.crop(0, width)

    def _open_row(self, row: int, width: int, scroll_x: int, base: Style) -> Strip:
        """Row ``row`` of the unfinished lines (after the stored ones); blank past them.

        ``width`` is the text's (the view's, less the gutter when it is shown).
        """
        wrapping = self._wrapping()
        view_width = self.scrollable_content_region.width
        opened = self._shown_open()
        for (raw, code, _, stamp), rows in zip(opened, self._open_rows(width), strict=False):
            if row >= rows if wrapping else row > 0:
                row -= rows if wrapping else 1
                continue
            styles = self._stream_styles()
            style = styles[code] if code <= NOTE else styles[0]
            segments, length = line_segments(raw, style, styles[_MARKER], self.app.console)
            start = row * width if wrapping else scroll_x
            if not self._gutter:
                return row_strip(segments, length, start, width, base)
            stamp = stamp if row == 0 or not wrapping else NO_TIME
            cells = row_segments(segments, length, start, width, base)
            return self._with_gutter(cells, width, self._gutter_text(None, stamp), view_width, None)
        return Strip.blank(view_width, base)

    def get_selection(self, selection: Selection) -> tuple[str, str] | None:
        """The selected text, without colour codes (what Ctrl+C copies): the entries selected,
        a fold as its summary line."""
        count = self._entry_count()
        if not count:
            return None
        first = selection.start.y if selection.start is not None else 0
        last = selection.end.y if selection.end is not None else count - 1
        last = min(last, count - 1)
        lines = [self._lens.entry_text(i) for i in range(first, last + 1)]
        shifted = Selection(
            None if selection.start is None else Offset(selection.start.x, 0),
            None if selection.end is None else Offset(selection.end.x, last - first),
        )
        return shifted.extract("\n".join(lines)), "\n"
