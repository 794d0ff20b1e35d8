"""What the log pane shows of its lines: every line, or with the noise folded, or a filter's.

The pane (``pane.py``) scrolls, paints and times; this holds the state that decides what its
rows are, with no Textual in it: the store's wrap index, the runs of noise found
(``folds.FoldFinder``) and which the user opened, the filter and its scan
(``match_scan.MatchScan``), the search's count, and the entries shown (``shown.py``) with
their rows. The pane calls it when lines arrive, are taken back or put in front, and when the
user folds, opens or filters; the lens never scrolls and never waits.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator

from joblens.sanitize import strip_sgr
from joblens.widgets.log.folds import Fold, FoldFinder
from joblens.widgets.log.log_filter import LogFilter
from joblens.widgets.log.match_scan import MatchScan, match_ordinal
from joblens.widgets.log.render import RENDERED_CELL_CAP
from joblens.widgets.log.search import LogQuery
from joblens.widgets.log.shown import EntryRows, FilteredLines, FoldedLines, ShownLines
from joblens.widgets.log.store import LineStore, expand_tabs
from joblens.widgets.log.wrap import WrapIndex

#: Lines a new filter or count looks at before the view first shows it (its first matches show
#: at once); ``MatchScan.step``'s own time bound keeps this step short.
FIRST_SCAN_LINES = 200_000


class LogLens:
    """The entries a pane shows of ``store`` (see the module's docstring).

    ``folding`` is the pane's: runs of noise are found, and shown folded, only while it is on.
    """

    def __init__(self, store: LineStore, folding: bool = True) -> None:
        self.store = store
        self.folding = folding
        self.wrap_index = WrapIndex(store, RENDERED_CELL_CAP)
        self.finder = FoldFinder()
        self.opened: set[int] = set()  # first ids of the folds the user opened
        self.shown: ShownLines | None = None  # None: every line, one entry each
        self.entry_rows: EntryRows | None = None
        self.filter: LogFilter | None = None
        self.scan: MatchScan | None = None  # the filter's
        self.count: MatchScan | None = None  # the search's matches
        self._summaries: dict[int, tuple[int, str]] = {}  # first id -> (last id, summary)

    # -- entries --------------------------------------------------------------------------

    def entry_count(self) -> int:
        return len(self.store) if self.shown is None else len(self.shown)

    def entry_line(self, entry: int) -> int:
        """The store index of the line shown as ``entry`` (a fold's first line)."""
        return entry if self.shown is None else self.shown.line(entry)

    def entry_of(self, line: int) -> int:
        """The entry showing ``line`` (its fold's, or the one before it if filtered out)."""
        return line if self.shown is None else self.shown.entry_of(line)

    def fold_at(self, entry: int) -> Fold | None:
        return None if self.shown is None else self.shown.fold_at(entry)

    def row_map(self) -> WrapIndex | EntryRows:
        """Rows of the wrapped entries: of every line, or of the entries shown."""
        return self.wrap_index if self.entry_rows is None else self.entry_rows

    def shows_open(self) -> bool:
        """The unfinished lines are shown after the entries (not while a filter picks lines)."""
        return self.shown is None or self.shown.shows_open

    def reshow(self) -> None:
        """Choose the entries anew: the filter's, else the folds' (looked for in lines not
        looked at yet), else every line."""
        if self.folding and self.scan is None:
            self.finder.catch_up(self.store)
        if self.scan is not None:
            self._use(FilteredLines(self.store, self.scan.lines))
        elif self.folding and self.finder.folds:
            self._use(FoldedLines(self.store, self.finder, self.opened))
        else:
            self.shown = self.entry_rows = None

    def _use(self, shown: ShownLines) -> None:
        self.shown = shown
        self.entry_rows = EntryRows(shown, RENDERED_CELL_CAP)

    def appended(self) -> bool:
        """Lines were appended: bring the entries up to date; True when entries other than
        the last changed (a run of noise was folded), so rows must be drawn again. Lines for a
        filter are left to its scan (``scan_step``)."""
        if self.scan is not None:
            return False
        if not self.folding or not self.finder.catch_up(self.store):
            if self.shown is not None:
                self.shown.extend()
            return False
        if self.shown is None:
            self._use(FoldedLines(self.store, self.finder, self.opened))
        else:
            self.shown.extend()
        return True

    def prepended(self, count: int) -> None:
        """``count`` older lines were put in front: every index moved, and they may hold
        folds (looked for in them alone: ``FoldFinder.prepended``)."""
        kept = False
        if self.folding:
            folds = self.finder.folds
            head = folds[0] if folds else None
            was = None if head is None else head.first
            kept = self.finder.prepended(self.store, count)
            if head is not None and head.first != was and was in self.opened:
                self.opened.discard(was)  # it grew back into the older lines: still open
                self.opened.add(head.first)
        else:
            self.finder = FoldFinder()  # looked for from the start once folding is on again
        shown = self.shown
        if kept and self.scan is None and isinstance(shown, FoldedLines):
            shown.prepended(count)  # their entries first; the rest stay
            self.entry_rows = EntryRows(shown, RENDERED_CELL_CAP)
            return
        self.shown = self.entry_rows = None
        self.reshow()

    def rewound(self) -> None:
        """Lines were taken back (``store.truncate``): forget what they made."""
        self.wrap_index = WrapIndex(self.store, RENDERED_CELL_CAP)
        self.finder.truncate(self.store)
        for scan in (self.scan, self.count):
            if scan is not None:
                scan.restart_from(len(self.store))
        self.reshow()

    # -- folds ----------------------------------------------------------------------------

    @property
    def folded(self) -> list[Fold]:
        """The runs shown folded now, as one summary line each."""
        if not isinstance(self.shown, FoldedLines):
            return []
        return [f for f in self.finder.folds if f.first not in self.opened]

    def fold_holding(self, line: int) -> Fold | None:
        """The folded run that hides ``line``, if one does."""
        if not isinstance(self.shown, FoldedLines):
            return None
        fold = self.shown.fold_at(self.shown.entry_of(line))
        return fold if fold is not None and fold.first + self.store.origin <= line else None

    def fold_summary(self, fold: Fold) -> str:
        """The summary line of ``fold`` (made again only when the run grew)."""
        cached = self._summaries.get(fold.first)
        if cached is None or cached[0] != fold.last:
            cached = (fold.last, fold.summary(self.store))
            self._summaries[fold.first] = cached
        return cached[1]

    # -- the filter -----------------------------------------------------------------------

    def set_filter(self, log_filter: LogFilter | None) -> None:
        """Show only the lines ``log_filter`` passes (None: every line); its first slice is
        looked at here. Raises ``search.BadPattern`` (and changes nothing) for a regular
        expression that does not compile."""
        scan = None
        if log_filter is not None and not log_filter.passes_all:
            scan = MatchScan(
                self.store,
                log_filter.query(),
                invert=log_filter.invert,
                streams=log_filter.stream_codes,
            )
            scan.step(FIRST_SCAN_LINES)
        self.filter = None if scan is None else log_filter
        self.scan = scan
        self.reshow()

    def scan_step(self) -> tuple[bool, bool]:
        """Let the filter look at more lines: ``(it found lines, it has looked at them all)``."""
        scan = self.scan
        if scan is None:
            return False, True
        before, low = len(scan.lines), scan.low
        done = scan.step()
        if scan.low != low and self.shown is not None:
            self.shown.changed_from = 0  # lines were put in front: rows are counted again
        return len(scan.lines) != before, done

    @property
    def filter_progress(self) -> tuple[int, int, bool]:
        """``(lines shown, lines looked at, done)`` of the filter (every line: done)."""
        store = self.store
        if self.scan is None:
            return len(store), len(store), True
        looked = min(len(store), self.scan.scanned + store.origin)
        return len(self.scan.lines), looked, looked >= len(store)

    # -- the search's count ---------------------------------------------------------------

    def count_matches(self, query: LogQuery | None) -> None:
        """Count ``query``'s matches anew (its first slice here; None: no count)."""
        self.count = None if query is None else MatchScan(self.store, query)
        if self.count is not None:
            self.count.step(FIRST_SCAN_LINES)

    def count_step(self) -> bool:
        """Count further; True when every line is counted."""
        return self.count is None or self.count.step()

    def search_count(self, match_line: int | None) -> tuple[int, int, bool] | None:
        """``(the match on line match_line, counting from 1; matches in all; counted to the
        end)``; None without a count."""
        count = self.count
        if count is None or match_line is None:
            return None
        store = self.store
        done = count.scanned + store.origin >= len(store) and count.low + store.origin <= 0
        return match_ordinal(count, match_line - store.origin), count.matches, done

    # -- text -----------------------------------------------------------------------------

    def entry_text(self, entry: int) -> str:
        """What entry ``entry`` shows, as copied: a line without colour codes, tabs expanded,
        or a fold's summary."""
        fold = self.fold_at(entry)
        if fold is not None:
            return f"▸ {self.fold_summary(fold)}"
        line = self.store.line(self.entry_line(entry)).decode("utf-8", "replace")
        return expand_tabs(strip_sgr(line))

    def export_lines(self) -> Iterator[str]:
        """Every line the filter passes (every line, without one), oldest first, without
        colour codes; folds are for the eye only: their lines are all here.

        Taken as the log stands now (lines that arrive while it is read are not), so the
        iterator may be read in a worker thread. Reads the store a block at a time (one decode
        and one colour strip per block): a million lines in a fraction of a second.
        """
        ids = None if self.scan is None else array("i", self.scan.lines)
        return _lines_out(self.store, len(self.store), ids)


def _lines_out(store: LineStore, count: int, ids: array[int] | None) -> Iterator[str]:
    if ids is not None:
        origin = store.origin
        for line_id in ids:
            if line_id + origin < count:
                yield strip_sgr(store.line(line_id + origin).decode("utf-8", "replace"))
        return
    for first, block in zip(store.firsts, store.blocks, strict=True):
        if first >= count:
            break
        lines = min(len(block), count - first)
        end = block.starts[lines] if lines < len(block) else block.used
        text = block.data[:end].decode("utf-8", "replace")
        pieces = (strip_sgr(text) if "\x1b" in text else text).split("\n")
        pieces.pop()  # after the last newline
        yield from pieces
