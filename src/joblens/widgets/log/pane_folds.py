"""Folds in the log pane: runs of Terraform's noise, each shown as one summary line.

The fourth layer of ``LogPane`` (``pane.py``). The runs are found as lines stream in
(``folds.py``); which are shown folded is the lens's to say (``lens.py``). This layer opens them
(Enter, a click) and folds them again (Enter, ``z`` for all), keeping the view where it is, and
shows a line wherever it is (``_show_line``, which opens the fold holding it), for the search
and ``e`` / ``E`` above it.
"""

from __future__ import annotations

from textual.actions import SkipAction
from textual.events import Click

from joblens.widgets.log.folds import Fold
from joblens.widgets.log.pane_render import PaneRender


class PaneFolds(PaneRender):
    """How a ``LogPane`` folds runs of noise and shows a line (never used on its own)."""

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

    def _show_line(self, line: int, x: int | None = None) -> None:
        """Scroll ``line`` a third of the way down the view (which pauses following, unless it
        is on the last page), and to column ``x`` if given. A fold holding it opens."""
        self._open_fold_of(line)
        height = self.scrollable_content_region.height
        self.scroll_to(x=x, y=max(0, self._row_of_line(line) - height // 3), animate=False)

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

    def watch_folding(self, folding: bool) -> None:
        self._lens.folding = folding
        if self._ready:
            self._redraw()

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
