"""Which lines the log pane shows when it does not show them all: folds, or a filter's matches.

The pane shows *entries*, top to bottom. Without folds or a filter an entry is a line and
nothing here is used (the pane keeps its direct path). Otherwise the entries are an
``array('q')`` of stable line ids (``index - store.origin``, so prepends do not move them), in
order:

- with folds (``FoldedLines``): every line, except that a folded run of noise
  (``folds.Fold``) is one entry, its first line's id, shown as the fold's summary;
- with a filter (``FilteredLines``): the ids of the lines that pass it, as the filter's scan
  finds them (``search.MatchScan``, stepped a slice at a time so keys never wait for it).

Either way, the entry of a line is found by bisection; a line inside a folded run, or one the
filter hides, maps to the entry before it. Rows (wrapping) are counted by ``EntryRows``.
"""

from __future__ import annotations

from array import array
from bisect import bisect_right
from itertools import accumulate

from joblens.widgets.log.folds import Fold, FoldFinder
from joblens.widgets.log.store import MAX_STORED_WIDTH, LineStore


class ShownLines:
    """A pane's entries over a store (see the module's docstring)."""

    #: The unfinished lines (``joblens.lines``) are shown after the entries.
    shows_open = True

    def __init__(self, store: LineStore) -> None:
        self.store = store
        self.entries: array[int] = array("q")
        #: The first entry changed since rows were last counted (``EntryRows`` resets it).
        self.changed_from = 0

    def __len__(self) -> int:
        return len(self.entries)

    def fold_at(self, entry: int) -> Fold | None:
        """The folded run shown as entry ``entry``, if it is one."""
        return None

    def extend(self) -> None:
        """Bring the entries up to date with lines appended to the store."""

    def line(self, entry: int) -> int:
        """The store index of the line shown as ``entry`` (a fold's: its first line)."""
        return self.entries[entry] + self.store.origin

    def entry_of(self, index: int) -> int:
        """The entry showing line ``index``, or the last one before it when it is not shown
        (0 when none is)."""
        return max(0, bisect_right(self.entries, index - self.store.origin) - 1)

    def shows(self, index: int) -> bool:
        """Line ``index`` is an entry of its own (not folded away or filtered out)."""
        entry = self.entry_of(index)
        return (
            entry < len(self.entries)
            and self.entries[entry] == index - self.store.origin
            and self.fold_at(entry) is None
        )


class FoldedLines(ShownLines):
    """Every line, with each folded run (not opened by the user) as one entry."""

    def __init__(self, store: LineStore, finder: FoldFinder, opened: set[int]) -> None:
        super().__init__(store)
        self.finder = finder
        self.opened = opened  # first ids of the folds the user opened
        self._folded: dict[int, Fold] = {}  # first id -> fold, for the folds shown folded
        self._built_to = 0  # stable id: lines before it have their entries
        self.rebuild()

    def fold_at(self, entry: int) -> Fold | None:
        return self._folded.get(self.entries[entry]) if self._folded else None

    def rebuild(self) -> None:
        """Entries for every line, anew (after folds were opened or closed, a rewind or a
        prepend)."""
        self.entries = array("q")
        self._folded = {}
        self.changed_from = 0
        self._built_to = -self.store.origin
        self.extend()

    def prepended(self, count: int) -> None:
        """``count`` older lines were put before the others, their folds found
        (``FoldFinder.prepended``, which kept the others): their entries go first, and those
        of a fold that grew back into them are laid out again. Costs the older lines, not the
        log (a log read newest page first)."""
        top = -self.store.origin
        cut = top + count  # the first line that was there before
        folds = self.finder.folds
        if cut > self._built_to:  # (nothing after them laid out yet)
            self.rebuild()
            return
        head: array[int] = array("q")
        folded: dict[int, Fold] = {}
        at = top
        for fold in folds:
            if fold.first >= cut:
                break
            if fold.first > at:
                head.extend(range(at, fold.first))
            if fold.first in self.opened:
                head.extend(range(max(at, fold.first), fold.last + 1))
            else:
                head.append(fold.first)
                folded[fold.first] = fold
            at = fold.last + 1
        if at < cut:
            head.extend(range(at, cut))
        # (a fold across the old first line is laid out to its end: its old entries go)
        drop = bisect_right(self.entries, max(at, cut) - 1)
        for first in self.entries[:drop] if self._folded else ():
            self._folded.pop(first, None)
        self.entries[:drop] = head
        self._folded.update(folded)
        self.changed_from = 0

    def extend(self) -> None:
        """Entries for lines appended, and for the last fold if it grew (or appeared)."""
        end = len(self.store) - self.store.origin
        folds = self.finder.folds
        # Folds that end at or after the built entries' end are (re)laid out from their start.
        k = len(folds)
        while k and folds[k - 1].last >= self._built_to - 1:
            k -= 1
        start = self._built_to
        if k < len(folds):
            start = min(start, folds[k].first)
        self._truncate(start)
        at = start
        for fold in folds[k:]:
            if fold.first > at:
                self.entries.extend(range(at, fold.first))
            if fold.first in self.opened:
                self.entries.extend(range(max(at, fold.first), fold.last + 1))
            else:
                self.entries.append(fold.first)
                self._folded[fold.first] = fold
            at = fold.last + 1
        if at < end:
            self.entries.extend(range(at, end))
        self._built_to = max(at, end)

    def _truncate(self, start: int) -> None:
        """Forget the entries of lines from stable id ``start`` on."""
        cut = bisect_right(self.entries, start - 1)
        self.changed_from = min(self.changed_from, cut)
        for first in self.entries[cut:] if self._folded else ():
            self._folded.pop(first, None)
        del self.entries[cut:]


class FilteredLines(ShownLines):
    """The lines a filter passes, as its scan finds them."""

    shows_open = False  # an unfinished line is matched once it is a line

    def __init__(self, store: LineStore, ids: array[int]) -> None:
        super().__init__(store)
        self.entries = ids  # the scan's own array, read as it grows


class EntryRows:
    """Rows of wrapped entries: a prefix sum of rows per entry, kept only while some shown line
    is wider than the text (otherwise every entry is one row)."""

    def __init__(self, shown: ShownLines, cap: int) -> None:
        self.shown = shown
        self.cap = cap
        self.width = 0
        self._prefix: array[int] | None = None
        self._counted = 0

    @property
    def total(self) -> int:
        if self._prefix is None:
            return len(self.shown)
        return self._prefix[-1]

    def update(self, width: int) -> int:
        """Count rows for entries added or changed since the last update (or all, at a new
        width); the total."""
        width = max(1, width)
        shown = self.shown
        count = len(shown)
        changed, shown.changed_from = min(shown.changed_from, count), count
        if width != self.width:
            self.width, self._prefix, self._counted = width, None, 0
        if self._prefix is None:
            if shown.store.max_width <= width:
                return count
            self._prefix, self._counted = array("I", [0]), 0
        if changed < self._counted:  # entries were rewritten from there: count them again
            del self._prefix[changed + 1 :]
            self._counted = changed
        rows = (self._rows(n) for n in range(self._counted, count))
        sums = accumulate(rows, initial=self._prefix[-1])
        next(sums)
        self._prefix.extend(sums)
        self._counted = count
        return self._prefix[-1]

    def _rows(self, entry: int) -> int:
        shown = self.shown
        if shown.fold_at(entry) is not None:
            return 1
        cells = min(shown.store.width(shown.line(entry)), self.cap, MAX_STORED_WIDTH)
        return max(1, -(-cells // self.width))

    def locate(self, row: int) -> tuple[int, int]:
        """The entry shown on ``row`` and which of its rows it is."""
        if self._prefix is None:
            return row, 0
        entry = bisect_right(self._prefix, row) - 1
        return entry, row - self._prefix[entry]

    def row_of(self, entry: int) -> int:
        return entry if self._prefix is None else self._prefix[entry]
