"""Painting the log pane: a row of the view to a ``Strip``, and the text it gives back.

The third layer of ``LogPane`` (``pane.py``), on its rows and lines (``pane_rows.py``,
``pane_lines.py``). A line is rendered only when a row of it is in view, its segments made once
(``render.py``) and cached by its stable id; finished rows are cached too, as each flush moves
every row up and most of them were drawn the frame before. The text copied (``Y``, a selection)
and saved (``S``) is taken here, as shown, without colour codes.

Timestamps (``t``): each row starts with a fixed gutter of ``TIME_GUTTER`` cells, the time its
line's chunk was written (``created_at``, local ``HH:MM:SS``, dim) on the line's first row and
blanks on the rows it wraps onto, and for lines with no time (joblens's own notes, rows without
one). The gutter is not text: it stays put when the view scrolls sideways, the text wraps at
the view's width less the gutter, and search and selection see the line's text only.
"""

from __future__ import annotations

from collections.abc import Iterator
from time import perf_counter

from rich.segment import Segment
from rich.style import Style
from textual.geometry import Offset, Region
from textual.selection import Selection
from textual.strip import Strip

from joblens.widgets.log.folds import Fold
from joblens.widgets.log.pane_lines import PaneLines
from joblens.widgets.log.render import (
    gutter_cells,
    gutter_row,
    highlight,
    line_segments,
    row_segments,
    row_strip,
)
from joblens.widgets.log.store import NO_TIME, NOTE

#: Index of the "… (N more characters)" style in ``_stream_styles``, of the gutter's (line
#: numbers and times) and of a fold's summary line.
_MARKER = NOTE + 1
_TIME = NOTE + 2
_FOLD = NOTE + 3


class PaneRender(PaneLines):
    """How a ``LogPane`` paints its rows and gives back their text (never used on its own)."""

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

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles = None
        self._cache.clear()
        self._rows.clear()

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
