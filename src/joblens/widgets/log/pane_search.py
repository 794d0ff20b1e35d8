"""Search (``/``, ``n``, ``N``) and the filter (``f``, ``1`` to ``3``) in the log pane.

The fifth layer of ``LogPane`` (``pane.py``). Both look through the lines a slice at a time
between keys (``lens.py``, ``match_scan.py``): the search moves to its first match at once and
counts the matches meanwhile; the filter shows the first lines it passes at once and finds the
rest meanwhile, the view following the end (or staying on the line at its top). The messages
they send (``LogPane.SearchChanged``, ``LogPane.FilterChanged``) are posted by ``LogPane``,
through hooks declared here.
"""

from __future__ import annotations

from joblens.widgets.log.log_filter import LogFilter
from joblens.widgets.log.pane_folds import PaneFolds
from joblens.widgets.log.search import match_cells

#: The pause between slices of the filter's scan and of the search's count (``lens.py``): one
#: key or frame can always come between two.
_SCAN_PAUSE = 0.001


class PaneSearch(PaneFolds):
    """How a ``LogPane`` searches and filters its lines (never used on its own)."""

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
        self._search_changed(self.search_text)

    def clear_search(self) -> None:
        """Stop highlighting matches."""
        self._finder.clear()
        if self._count_timer is not None:
            self._count_timer.stop()
            self._count_timer = None
        self._lens.count_matches(None)
        self._search_changed(None)
        self.refresh_bindings()
        self.refresh()

    def _go_to_match(self, line: int | None) -> bool:
        """Show ``line`` a third of the way down the view, its first match in view."""
        self._search_changed(self.search_text)
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
        self._filter_changed()
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
        self._filter_changed()

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

    # ------------------------------------------------------------------ hooks of LogPane

    def _search_changed(self, text: str | None) -> None:
        """Say that a search started, moved on or was cleared (``LogPane.SearchChanged``)."""
        raise NotImplementedError

    def _filter_changed(self) -> None:
        """Say that the filter was set or cleared, or found more lines
        (``LogPane.FilterChanged``)."""
        raise NotImplementedError
