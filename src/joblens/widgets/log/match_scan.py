"""Every line of a store that matches a query, found a slice at a time: the filter's lines and
the search's ``3/45`` count (``search.LogQuery`` is what is matched).

Resumable as lines are appended, prepended or taken back (``restart_from``), and bounded in
lines and in time per slice (``step``), so that the pane can look through a million lines
between keys. Figures: ``benchmarks/log_search.py``.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from itertools import accumulate, compress, islice, repeat
from operator import add
from time import perf_counter

from joblens.widgets.log.search import LogQuery, line_start, shown_text
from joblens.widgets.log.store import NOTE, LineBlock, LineStore

#: A ``MatchScan.step`` reads at most this many lines, and stops once it has taken
#: ``STEP_SECONDS``, so that a key never waits long for one: for typical queries the time
#: bound ends it (about 70,000 lines), and a pattern Python's ``re`` scans slowly (no literal
#: in it, as ``\d+s``: 1.3 s a million lines) too. Steps took 20 to 32 ms here.
STEP_LINES = 200_000
STEP_SECONDS = 0.02
# Lines scanned between looks at the clock: about 3 ms of a typical query, 12 ms of a slow one.
_SLICE_LINES = 4096


def _stream_table(streams: frozenset[int]) -> bytes:
    """A ``bytes.translate`` table turning a line's stream code into 1 (kept) or 0."""
    table = bytearray(256)
    for code in streams | {NOTE}:
        table[code] = 1
    return bytes(table)


class MatchScan:
    """The lines of a store that match a query (``invert``: that do not), found a slice at a
    time by ``step`` so that the pane can scan a million lines between keys.

    ``lines`` holds the stable ids (``index - store.origin``; lines prepended after the scan
    began have negative ids, hence a signed array) of the lines kept, in order. With
    ``streams``, only lines of those stream codes are kept, and joblens's own NOTE lines
    always (they say where an attempt begins), matched against the query like the rest.
    ``query`` None keeps every line of those streams.

    ``matches`` counts occurrences, as vim's searchcount does (a line with three matches counts
    three: ``match_ordinal`` gives the ``3`` of ``3/45``); with ``invert`` or no query each
    kept line counts one.
    """

    def __init__(
        self,
        store: LineStore,
        query: LogQuery | None,
        *,
        invert: bool = False,
        streams: frozenset[int] | None = None,
    ) -> None:
        self.store = store
        self.query = query
        self.invert = invert and query is not None
        self._keep = None if streams is None else _stream_table(streams)
        self.lines = array("i")
        # matches up to each line of ``lines``, plus ``_base`` (negative once lines were put
        # in front: the lines behind them keep their numbers)
        self._totals = array("q")
        self._base = 0
        self.matches = 0
        #: The stable id up to which (not included) lines have been scanned.
        self.scanned = -store.origin
        self.low = self.scanned  # the first stable id scanned

    def step(self, budget_lines: int = STEP_LINES, max_seconds: float = STEP_SECONDS) -> bool:
        """Scan about ``budget_lines`` more lines (lines prepended first, then lines added
        since the last step), stopping early after ``max_seconds`` (a slow pattern); True when
        every line of the store has been scanned."""
        store = self.store
        if self.scanned + store.origin > len(store):  # taken back without restart_from
            self.restart_from(len(store))
        budget = max(1, budget_lines)
        deadline = perf_counter() + max_seconds
        while budget > 0:
            low = self.low + store.origin
            if low > 0:  # lines were put in front: scan back towards line 0
                begin = max(0, low - min(budget, _SLICE_LINES))
                ids, totals = array("i"), array("q")
                self._scan(begin, low, ids, totals, 0)
                self._put_front(ids, totals)
                self.low = begin - store.origin
                budget -= low - begin
            else:
                begin = self.scanned + store.origin
                end = min(len(store), begin + min(budget, _SLICE_LINES))
                if end <= begin:
                    break
                running = self._totals[-1] if self._totals else self._base
                total = self._scan(begin, end, self.lines, self._totals, running)
                self.matches = total - self._base
                self.scanned = end - store.origin
                budget -= end - begin
            if perf_counter() >= deadline:
                break
        return self.low + store.origin == 0 and self.scanned + store.origin == len(store)

    def restart_from(self, index: int) -> None:
        """The store was cut back to its first ``index`` lines (``truncate``): drop what was
        found from there on, to be scanned again as lines come back."""
        cut = index - self.store.origin
        keep = bisect_left(self.lines, cut)
        del self.lines[keep:]
        del self._totals[keep:]
        self.matches = self._totals[-1] - self._base if self._totals else 0
        self.scanned = min(self.scanned, cut)
        self.low = min(self.low, cut)

    def _put_front(self, ids: array[int], totals: array[int]) -> None:
        """Results for lines before all others, counted from 0, go first."""
        if not ids:
            return
        added = totals[-1]
        self._base -= added
        self.lines[0:0] = ids
        self._totals[0:0] = array("q", map(add, totals, repeat(self._base)))
        self.matches += added

    def _scan(self, begin: int, end: int, ids: array[int], totals: array[int], running: int) -> int:
        """Append the lines kept among ``begin:end`` (store indices) to ``ids``, their running
        match totals from ``running`` on to ``totals``; the last total."""
        store = self.store
        k, i = store.block_of(begin)
        index = begin
        while index < end:
            block = store.blocks[k]
            j = min(len(block), i + end - index)
            offsets, counts = self._kept(block, i, j)
            ids.extend(map(add, offsets, repeat(index - store.origin)))
            if counts is None:
                totals.extend(range(running + 1, running + 1 + len(offsets)))
            else:
                totals.extend(islice(accumulate(counts, initial=running), 1, None))
            running = totals[-1] if offsets else running
            index += j - i
            k, i = k + 1, 0
        return running

    def _kept(self, block: LineBlock, i: int, j: int) -> tuple[list[int] | range, list[int] | None]:
        """Lines ``i:j`` of a block kept (numbered from ``i``), and their match counts (None:
        one each)."""
        size = j - i
        keep = None if self._keep is None else block.streams[i:j].translate(self._keep)
        if self.query is None:
            return (range(size) if keep is None else list(compress(range(size), keep))), None
        text = shown_text(block, block.starts[i], line_start(block, j))
        lines, counts = self.query.lines_in(text)
        if self.invert:
            flags = bytearray(b"\x01") * size if keep is None else bytearray(keep)
            for line in lines:
                flags[line] = 0
            return list(compress(range(size), flags)), None
        if keep is not None and lines:
            kept = list(map(keep.__getitem__, lines))
            lines, counts = list(compress(lines, kept)), list(compress(counts, kept))
        return lines, counts


def match_ordinal(scan: MatchScan, line_id: int) -> int:
    """Which match, counting from 1 among all of ``scan``'s, is the first on the line of stable
    id ``line_id``: the ``3`` of ``3/45``; 0 if the line holds none (or is not scanned yet)."""
    at = bisect_left(scan.lines, line_id)
    if at == len(scan.lines) or scan.lines[at] != line_id:
        return 0
    before = scan._totals[at - 1] if at else scan._base
    return before - scan._base + 1
