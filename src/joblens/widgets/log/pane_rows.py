"""The log pane's rows: which line each row of the view shows, and how many rows there are.

The bottom layer of ``LogPane`` (``pane.py``), which also sets up the state every layer uses.
Rows are not lines. The pane shows *entries* (every line, or with runs of noise folded, or a
filter's lines: ``lens.py``), one row each, or several each once long lines wrap at the view's
width less the gutter (``wrap.py``, ``shown.EntryRows``). This layer turns rows into lines and
back, sizes the scrollable area to the rows without laying the screen out again while lines
stream in, and counts the rows anew, keeping the line at the top in view, when wrapping, the
gutter or the view's width changes.
"""

from __future__ import annotations

from math import inf

from rich.segment import Segment
from rich.style import Style
from textual.cache import LRUCache
from textual.events import Resize
from textual.geometry import Size
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.timer import Timer

from joblens.widgets.log.cadence import FlushCadence
from joblens.widgets.log.errors import ErrorMarks
from joblens.widgets.log.lens import LogLens
from joblens.widgets.log.render import RENDERED_CELL_CAP, TIME_GUTTER
from joblens.widgets.log.scrollbar import QuietBar
from joblens.widgets.log.search import Finder
from joblens.widgets.log.shown import EntryRows
from joblens.widgets.log.store import LineStore
from joblens.widgets.log.wrap import WrapIndex

#: Rendered lines kept (a few screens of a large terminal).
_CACHE_LINES = 1024
_CACHE_ROWS = 512


class PaneRows(ScrollView):
    """The bottom layer of ``LogPane``: its state, its reactives and its rows (never used on
    its own)."""

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
        self._errors_looked = -inf  # monotonic time of the last look (never)
        self._lines_came = 0.0  # monotonic time lines last arrived
        # The next slices of the filter's scan and of the search's count (lens.py).
        self._scan_timer: Timer | None = None
        self._count_timer: Timer | None = None
        self.set_reactive(PaneRows.wrap, wrap)
        self.set_reactive(PaneRows.timestamps, timestamps)
        self.set_reactive(PaneRows.line_numbers, line_numbers)
        self.set_reactive(PaneRows.folding, folding)
        self._digits = 0  # cells of the line numbers (0: not shown)
        self._gutter = self._gutter_width()  # cells before each row's text

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

    def _top_line(self) -> int:
        return self._line_at_row(round(self.scroll_y))

    # ------------------------------------------------------------------ the scrollable area

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
        self.set_reactive(PaneRows.virtual_size, size)
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

    def _drop_selection(self) -> None:
        if self.text_selection is not None:
            self.screen.selections = {
                w: s for w, s in self.screen.selections.items() if w is not self
            }

    # ------------------------------------------------------------------ events and watchers

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
