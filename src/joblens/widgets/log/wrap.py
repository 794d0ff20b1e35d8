"""Rows of soft-wrapped lines, counted per block and only where a line is wider than the view.

A log pane wraps like a terminal: a line of ``w`` cells takes ``ceil(w / width)`` rows (at
least one), ``width`` being the text's (the pane's, less the time gutter while timestamps are
shown). Counting needs only the stored widths, never the text, and is done with C-level
``map``/``accumulate`` per block. A block whose widest line fits takes exactly one row per
line and keeps no table at all; the others keep a prefix sum of rows (4 bytes a line), extended
as lines are appended. Toggling wrap or resizing therefore costs a pass over the widths of the
blocks that hold long lines, not a re-wrap of the text.
"""

from __future__ import annotations

from array import array
from bisect import bisect_right
from itertools import accumulate

from joblens.widgets.log.store import MAX_STORED_WIDTH, LineBlock, LineStore


class WrapIndex:
    """Maps between rows and (line, sub-row) for one store at one width."""

    def __init__(self, store: LineStore, cap: int) -> None:
        self.store = store
        self.cap = cap  # the most cells a rendered line takes (long lines are cut)
        self.width = 0
        self.total = 0
        self._row_firsts: list[int] = [0]
        self._table = array("I")
        self._table_width = 0

    def update(self, width: int) -> int:
        """Count rows for lines added since the last update (or all, at a new width)."""
        self.width = max(1, width)
        totals = [self._block_rows(block) for block in self.store.blocks]
        self._row_firsts = list(accumulate(totals[:-1], initial=0))
        self.total = sum(totals)
        return self.total

    def _block_rows(self, block: LineBlock) -> int:
        width = self.width
        if block.wrap_width != width:
            block.wrap_width = width
            block.wrap_counted = 0
            block.wrap_prefix = None
        count = len(block)
        prefix = block.wrap_prefix
        if block.wrap_counted == count:
            return prefix[-1] if prefix is not None else count
        if prefix is None:
            if block.max_width <= width:
                block.wrap_counted = count  # every line fits on one row
                return count
            # Lines counted so far all fitted: one row each.
            prefix = block.wrap_prefix = array("I", range(block.wrap_counted + 1))
        widths = block.widths[block.wrap_counted : count]
        rows = map(self._rows_by_width().__getitem__, widths)
        sums = accumulate(rows, initial=prefix[-1])
        next(sums)
        prefix.extend(sums)
        block.wrap_counted = count
        return prefix[-1]

    def _rows_by_width(self) -> array[int]:
        """Rows taken by a line of each stored width (0..MAX_STORED_WIDTH), at this width.

        One table lookup per line instead of four arithmetic steps: 3x faster over 1M lines.
        """
        if self._table_width != self.width:
            width, cap = self.width, self.cap
            self._table = array(
                "I", (max(1, -(-min(w, cap) // width)) for w in range(MAX_STORED_WIDTH + 1))
            )
            self._table_width = width
        return self._table

    def line_at(self, row: int) -> int:
        """The line shown on wrapped row ``row`` (0 while there are no rows)."""
        return self.locate(row)[0] if self.total else 0

    def locate(self, row: int) -> tuple[int, int]:
        """The line shown on ``row`` and which of its rows it is (``row < total``)."""
        k = bisect_right(self._row_firsts, row) - 1
        local = row - self._row_firsts[k]
        first_line = self.store.firsts[k]
        prefix = self.store.blocks[k].wrap_prefix
        if prefix is None:
            return first_line + local, 0
        i = bisect_right(prefix, local) - 1
        return first_line + i, local - prefix[i]

    def row_of(self, line: int) -> int:
        """The first row of ``line``."""
        k = bisect_right(self.store.firsts, line) - 1
        i = line - self.store.firsts[k]
        prefix = self.store.blocks[k].wrap_prefix
        return self._row_firsts[k] + (prefix[i] if prefix is not None else i)
